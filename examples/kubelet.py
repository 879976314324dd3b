#!/usr/bin/env python3
"""A small kubelet for simulated nodes, written only against the official `kubernetes` client.

No container really runs: every image is "pulled" and every container "runs" (and keeps running,
whatever its command) until its pod is deleted. What the API server sees is what a v1.32 kubelet on
containerd writes, so the rest of a cluster (a scheduler, controllers, the checker) can be judged
against it:

    listwatch serve --without kubelet --port 0 --kubeconfig-out /tmp/kc &
    LISTWATCH_NODES=node01,node02 python examples/kubelet.py --kubeconfig /tmp/kc &

What it does, as the kubelet does it (v1.32), in little, for each node (`--node`, else the
comma-separated $LISTWATCH_NODES, else node01):

1. Registers the Node (creates it, or updates the status of the one there) with the well-known
   labels, its capacity and allocatable, nodeInfo, addresses and the four conditions (Ready True,
   KubeletReady), and posts that status again every 10 seconds (nodeStatusUpdateFrequency): the
   conditions' lastHeartbeatTime moves, their lastTransitionTime does not.
2. Watches the pods bound to it: `spec.nodeName=NODE` (a field selector, all namespaces), and
   handles new ones in creation order.
3. Admits each new pod as the predicate admit handler does, in its order: NodeResourcesFit (the
   pod count, then cpu in millicores, memory and ephemeral-storage in bytes: the pod's requests,
   sidecars, init containers and overhead counted, against the node's allocatable less what the
   admitted, unfinished pods request), NodeAffinity (nodeSelector and required node affinity),
   TaintToleration (NoExecute taints only). A rejected pod gets rejectPod's status (phase Failed,
   reason, "Pod was rejected: ...", startTime; no conditions, no container statuses) and a
   Warning Event of that reason.
4. Runs an admitted pod: a Pending status (containers waiting in ContainerCreating), the Events of
   the image manager and the runtime (Pulling/Pulled or "already present", Created, Started), then
   Running with every container running, ready and started, and every condition True. Statuses are
   written through the pods/status subresource.
5. Stops a deleted pod (deletionTimestamp set): Killing Events, its containers terminated (exit 0,
   Completed), phase Succeeded, then the kubelet's last word: DELETE with gracePeriodSeconds 0 and
   a uid precondition.

Events are core/v1 Events from source {component: kubelet, host: NODE}, as the kubelet's recorder
writes them. It stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import queue
import signal
import sys
import threading
import time
from decimal import Decimal
from types import FrameType
from typing import Any

from kubernetes import client, config, watch

Obj = dict[str, Any]
WATCH: Any = watch.Watch  # the client's watch and config loader are untyped
LOAD_KUBE_CONFIG: Any = config.load_kube_config
STATUS_EVERY = 10  # seconds: nodeStatusUpdateFrequency
CAPACITY = {
    "cpu": "4",
    "ephemeral-storage": "102626232Ki",
    "hugepages-1Gi": "0",
    "hugepages-2Mi": "0",
    "memory": "16364304Ki",
    "pods": "110",
}
ALLOCATABLE = {**CAPACITY, "ephemeral-storage": "94580335255", "memory": "16261904Ki"}
NODE_CONDITIONS = [
    (
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
]
# Quantity suffixes: milli, the decimal ones (k, M, G, ...) and the binary ones (Ki, Mi, Gi, ...).
SUFFIXES = {"m": Decimal("0.001")} | {s: Decimal(1000) ** (i + 1) for i, s in enumerate("kMGTPE")}
SUFFIXES |= {f"{s}i": Decimal(1024) ** (i + 1) for i, s in enumerate("KMGTPE")}


def quantity(text: str | int | float) -> Decimal:
    """A resource quantity (500m, 1.5, 128Mi, 1Gi, 1e3) as a number."""
    text = str(text).strip()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            return Decimal(text[: -len(suffix)]) * SUFFIXES[suffix]
    return Decimal(text)  # a plain number, or one with an exponent (1e3)


def scaled(text: str | int | float, resource: str) -> int:
    """cpu in millicores, anything else in units, rounded up as Quantity.MilliValue/Value do."""
    value = quantity(text) * (1000 if resource == "cpu" else 1)
    return int(value.to_integral_value(rounding="ROUND_CEILING"))


def pod_requests(pod: Obj) -> dict[str, int]:
    """resourcehelper.PodRequests: max(containers + sidecars, each init container with the sidecars
    started before it), plus the overhead; a limit without a request counts as the request."""

    def of(container: Obj) -> dict[str, int]:
        res = container.get("resources") or {}
        wanted = {**(res.get("limits") or {}), **(res.get("requests") or {})}
        return {r: scaled(v, r) for r, v in wanted.items()}

    def add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
        return {r: a.get(r, 0) + b.get(r, 0) for r in a.keys() | b.keys()}

    spec = pod["spec"]
    total: dict[str, int] = {}
    for container in spec.get("containers") or ():
        total = add(total, of(container))
    sidecars: dict[str, int] = {}
    init_max: dict[str, int] = {}
    for container in spec.get("initContainers") or ():
        if container.get("restartPolicy") == "Always":
            sidecars = add(sidecars, of(container))
            needs = sidecars
        else:
            needs = add(of(container), sidecars)
        init_max = {r: max(init_max.get(r, 0), needs.get(r, 0)) for r in init_max.keys() | needs}
    total = add(total, sidecars)
    total = {r: max(total.get(r, 0), init_max.get(r, 0)) for r in total.keys() | init_max}
    overhead = {r: scaled(v, r) for r, v in (spec.get("overhead") or {}).items()}
    return add(total, overhead)


def matches_expression(expr: Obj, value: str | None) -> bool:
    op, values = str(expr["operator"]), list(expr.get("values") or [])
    if op == "Exists" or op == "DoesNotExist":
        return (value is not None) == (op == "Exists")
    if op in ("In", "NotIn"):
        return (value is not None and value in values) == (op == "In")
    try:  # Gt, Lt: the label and the one value as integers
        label, bound = int(value or ""), int(values[0])
    except (ValueError, IndexError):
        return False
    return label > bound if op == "Gt" else label < bound


def node_affinity_ok(pod: Obj, node: Obj) -> bool:
    """The pod's nodeSelector AND its required node affinity (terms ORed, expressions ANDed)."""
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (pod["spec"].get("nodeSelector") or {}).items()):
        return False
    required = ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    if not required:
        return True
    fields = {"metadata.name": node["metadata"]["name"]}
    for term in required.get("nodeSelectorTerms") or ():
        exprs, fexprs = term.get("matchExpressions") or [], term.get("matchFields") or []
        if (
            (exprs or fexprs)
            and all(matches_expression(e, labels.get(e["key"])) for e in exprs)
            and all(matches_expression(e, fields.get(e["key"])) for e in fexprs)
        ):
            return True
    return False


def tolerates(tolerations: list[Obj], taint: Obj) -> bool:
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint["effect"]:
            continue
        if t.get("operator") == "Exists":
            if not t.get("key") or t["key"] == taint["key"]:
                return True
        elif t.get("key") == taint["key"] and (t.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def normalize(image: str) -> str:
    """containerd's name for an image: docker.io/library/nginx:latest for nginx."""
    name, _, digest = image.partition("@")
    first = name.split("/")[0]
    if "/" not in name or not ("." in first or ":" in first or first == "localhost"):
        name = f"docker.io/{name if '/' in name else 'library/' + name}"
    if not digest and ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return f"{name}@{digest}" if digest else name


def image_id(image: str) -> str:
    """The image's digest name, as the runtime reports it: docker.io/library/nginx@sha256:..."""
    repository = image.split("@")[0]
    if ":" in repository.rsplit("/", 1)[-1]:
        repository = repository.rsplit(":", 1)[0]
    return f"{repository}@sha256:{digest(image)}"


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


class NodeAgent:
    """The kubelet of one node: its Node object, its pods (see the module docstring)."""

    def __init__(self, api: client.CoreV1Api, name: str, index: int, stopping: threading.Event):
        # Any: the client's answers are read raw (_preload_content=False), as JSON.
        self.api: Any = api
        self.name, self.index, self.stopping = name, index, stopping
        self.host_ip = f"192.168.10.{index + 2}"
        self.admitted: dict[str, dict[str, int]] = {}  # uid: requests, of pods not finished
        self.handled: dict[str, str] = {}  # uid: "rejected" | "running" | "gone"
        self.started: dict[str, str] = {}  # uid: the containers' startedAt
        self.images: dict[str, int] = {}  # the images pulled: their size
        self.next_ip = 2
        self.queue: queue.Queue[Obj | None] = queue.Queue()

    # -- the node --------------------------------------------------------------------------------

    def node_status(self, old: Obj | None) -> Obj:
        before = {c["type"]: c for c in (old or {}).get("conditions") or ()}
        stamp, ident = now(), digest("node", self.name)
        conditions = [
            {
                "type": t,
                "status": s,
                "reason": r,
                "message": m,
                "lastHeartbeatTime": stamp,
                "lastTransitionTime": before[t]["lastTransitionTime"]
                if t in before and before[t].get("status") == s
                else stamp,
            }
            for t, s, r, m in NODE_CONDITIONS
        ]
        return {
            "capacity": CAPACITY,
            "allocatable": ALLOCATABLE,
            "conditions": conditions,
            "addresses": [
                {"type": "InternalIP", "address": self.host_ip},
                {"type": "Hostname", "address": self.name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            # The runtime's images, largest first, at most 50 (nodeStatusMaxImages).
            "images": [
                {"names": [image_id(name), name], "sizeBytes": size}
                for name, size in sorted(self.images.copy().items(), key=lambda i: -i[1])[:50]
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": ident[32:],
                "machineID": ident[:32],
                "systemUUID": ident[:32],
                "containerRuntimeVersion": "containerd://1.7.24",
                "kernelVersion": "6.1.0-28-amd64",
                "kubeProxyVersion": "v1.32.0",
                "kubeletVersion": "v1.32.0",
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
            },
        }

    def read_node(self) -> Obj:
        raw = self.api.read_node(self.name, _preload_content=False)
        node: Obj = json.loads(raw.data)
        return node

    def post_status(self) -> None:
        """Register the node if absent, else post its status (the heartbeat)."""
        try:
            node = self.read_node()
        except client.ApiException as exc:
            if exc.status != 404:
                raise
            labels = {
                "kubernetes.io/hostname": self.name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": "amd64",
            }
            # Registered with its status, as the kubelet's initialNode is: a node is never seen
            # without its allocatable, against which pods are admitted.
            body = {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": self.name, "labels": labels},
                "status": self.node_status(None),
            }
            node = json.loads(self.api.create_node(body, _preload_content=False).data)
        node["status"] = {**(node.get("status") or {}), **self.node_status(node.get("status"))}
        self.api.replace_node_status(self.name, node, _preload_content=False)

    def heartbeat(self) -> None:
        while not self.stopping.is_set():
            try:
                self.post_status()
            except client.ApiException as exc:
                if exc.status != 409:  # someone wrote the node meanwhile: next time
                    print(f"kubelet {self.name}: node status: {exc.status}", file=sys.stderr)
            except Exception as exc:  # the API server away: next time
                print(f"kubelet {self.name}: node status: {exc}", file=sys.stderr, flush=True)
            self.stopping.wait(STATUS_EVERY)

    # -- the pods --------------------------------------------------------------------------------

    def watch_pods(self) -> None:
        """List then watch the node's pods, queueing each in the order the API server sends."""
        selector = f"spec.nodeName={self.name}"
        while not self.stopping.is_set():
            try:
                raw = self.api.list_pod_for_all_namespaces(
                    field_selector=selector, _preload_content=False
                )
                listed = json.loads(raw.data)
                for pod in sorted(
                    listed["items"], key=lambda p: p["metadata"]["creationTimestamp"]
                ):
                    self.queue.put(pod)
                stream: Any = WATCH()
                for event in stream.stream(
                    self.api.list_pod_for_all_namespaces,
                    field_selector=selector,
                    resource_version=listed["metadata"]["resourceVersion"],
                    timeout_seconds=60,
                ):
                    if event["type"] != "DELETED":
                        self.queue.put(event["raw_object"])
                    if self.stopping.is_set():
                        stream.stop()
            except Exception as exc:  # a watch too old (410), or the API server away: list again
                print(f"kubelet {self.name}: watch: {exc}", file=sys.stderr, flush=True)
                self.stopping.wait(1)

    def work(self) -> None:
        while (pod := self.queue.get()) is not None:
            try:
                self.sync(pod)
            except client.ApiException as exc:
                if exc.status not in (404, 409):
                    print(
                        f"kubelet {self.name}: {pod['metadata']['name']}: {exc.status}",
                        file=sys.stderr,
                        flush=True,
                    )

    def sync(self, pod: Obj) -> None:
        """One event of one pod: admit and run it if new, stop and remove it if deleted."""
        uid, meta = pod["metadata"]["uid"], pod["metadata"]
        state, phase = self.handled.get(uid), (pod.get("status") or {}).get("phase")
        if state == "gone":
            return
        running = any(
            "running" in (c.get("state") or {})
            for c in (pod.get("status") or {}).get("containerStatuses") or ()
        )
        if meta.get("deletionTimestamp"):
            # Its containers stopped if they ran (here or before this kubelet started); a pod
            # never started, or rejected, is only removed.
            if state == "running" or (state is None and running):
                self.stop_pod(pod)
            self.remove(pod)
            return
        if state is not None:
            return
        if phase in ("Succeeded", "Failed"):  # finished before this kubelet started
            self.handled[uid] = "rejected"
            return
        if running:
            self.admitted[uid] = pod_requests(pod)  # running before this kubelet started
            self.handled[uid] = "running"
            return
        refusal = self.admit(pod)
        if refusal is not None:
            self.reject(pod, *refusal)
        else:
            self.run_pod(pod)

    def admit(self, pod: Obj) -> tuple[str, str] | None:
        """The predicate admit handler: (reason, message) of the first check that fails."""
        node = self.read_node()
        allocatable = (node.get("status") or {}).get("allocatable") or ALLOCATABLE
        wanted = pod_requests(pod)
        checks = [("pods", 1, len(self.admitted))]
        if any(wanted.values()):
            for resource in ("cpu", "memory", "ephemeral-storage"):
                used = sum(r.get(resource, 0) for r in self.admitted.values())
                checks.append((resource, wanted.get(resource, 0), used))
        for resource, requested, used in checks:
            capacity = scaled(allocatable.get(resource, "0"), resource)
            if requested > 0 and requested > capacity - used:
                return f"OutOf{resource}", (
                    f"Node didn't have enough resource: {resource}, requested: {requested}, "
                    f"used: {used}, capacity: {capacity}"
                )
        if not node_affinity_ok(pod, node):
            return "NodeAffinity", (
                "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"
            )
        taints = [
            t for t in (node.get("spec") or {}).get("taints") or () if t["effect"] == "NoExecute"
        ]
        if any(not tolerates(pod["spec"].get("tolerations") or [], t) for t in taints):
            return "TaintToleration", (
                "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate"
            )
        return None

    def reject(self, pod: Obj, reason: str, message: str) -> None:
        self.handled[pod["metadata"]["uid"]] = "rejected"
        qos = (pod.get("status") or {}).get("qosClass", "BestEffort")
        self.write_status(
            pod,
            {
                "phase": "Failed",
                "reason": reason,
                "startTime": now(),
                "message": f"Pod was rejected: {message}",
                "qosClass": qos,
            },
        )
        self.event(pod, "Warning", reason, message)

    def run_pod(self, pod: Obj) -> None:
        uid, spec = pod["metadata"]["uid"], pod["spec"]
        self.admitted[uid] = pod_requests(pod)
        self.handled[uid] = "running"
        start = now()
        pod = self.write_status(pod, self.pod_status(pod, start, running=False))
        for kind in ("initContainers", "containers"):
            for container in spec.get(kind) or ():
                path = f"spec.{kind}{{{container['name']}}}"
                self.pull(pod, container, path)
                self.event(
                    pod, "Normal", "Created", f"Created container: {container['name']}", path
                )
                self.event(pod, "Normal", "Started", f"Started container {container['name']}", path)
        self.started[uid] = now()
        self.write_status(pod, self.pod_status(pod, start, running=True))

    def pull(self, pod: Obj, container: Obj, path: str) -> None:
        image, policy = container["image"], container.get("imagePullPolicy", "IfNotPresent")
        if policy != "Always" and (policy == "Never" or normalize(image) in self.images):
            self.event(
                pod,
                "Normal",
                "Pulled",
                f'Container image "{image}" already present on machine',
                path,
            )
            return
        self.event(pod, "Normal", "Pulling", f'Pulling image "{image}"', path)
        began = time.monotonic()
        self.stopping.wait(0.2)  # the simulated pull
        took = f"{int((time.monotonic() - began) * 1000)}ms"
        size = 1_000_000 + int(digest(image)[:6], 16) * 10
        self.images[normalize(image)] = size
        self.event(
            pod,
            "Normal",
            "Pulled",
            f'Successfully pulled image "{image}" in {took} '
            f"({took} including waiting). Image size: {size} bytes.",
            path,
        )

    def pod_status(self, pod: Obj, start: str, *, running: bool, done: bool = False) -> Obj:
        """The status the kubelet's status manager writes: Pending (ContainerCreating), Running,
        or, once its containers are stopped, Succeeded."""
        uid, old = pod["metadata"]["uid"], pod.get("status") or {}
        before = {c["type"]: c for c in old.get("conditions") or ()}
        stamp, started = now(), self.started.get(uid, "")

        def condition(type_: str, status: str, reason: str = "", message: str = "") -> Obj:
            kept = before.get(type_, {})
            c: Obj = {
                "type": type_,
                "status": status,
                "lastProbeTime": None,
                "lastTransitionTime": kept["lastTransitionTime"]
                if kept.get("status") == status
                else stamp,
            }
            return {
                **c,
                **({"reason": reason} if reason else {}),
                **({"message": message} if message else {}),
            }

        def container_status(c: Obj, init: bool) -> Obj:
            cid = f"containerd://{digest(uid, c['name'])}"
            image = normalize(c["image"])
            s: Obj = {
                "name": c["name"],
                "state": {"waiting": {"reason": "ContainerCreating"}},
                "lastState": {},
                "ready": False,
                "restartCount": 0,
                "image": c["image"],
                "imageID": "",
                "started": False,
            }
            if running or done:
                sidecar = init and c.get("restartPolicy") == "Always"
                s.update(
                    image=image,
                    imageID=image_id(image),
                    containerID=cid,
                    ready=not done and (not init or sidecar),
                )
                if done or (init and not sidecar):
                    s["state"] = {
                        "terminated": {
                            "exitCode": 0,
                            "reason": "Completed",
                            "startedAt": started,
                            "finishedAt": stamp if done else started,
                            "containerID": cid,
                        }
                    }
                    s["started"] = False
                else:
                    s["state"], s["started"] = {"running": {"startedAt": started}}, True
            return s

        names = [c["name"] for c in pod["spec"]["containers"]]
        unready = f"containers with unready status: [{' '.join(names)}]"
        inits = [
            c["name"]
            for c in pod["spec"].get("initContainers") or ()
            if c.get("restartPolicy") != "Always"
        ]
        if done:
            conditions = [
                condition("PodReadyToStartContainers", "False"),
                condition("Initialized", "True", "PodCompleted"),
                condition("Ready", "False", "PodCompleted"),
                condition("ContainersReady", "False", "PodCompleted"),
            ]
        elif running:
            conditions = [
                condition(t, "True")
                for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady")
            ]
        else:
            initialized = (
                condition(
                    "Initialized",
                    "False",
                    "ContainersNotInitialized",
                    f"containers with incomplete status: [{' '.join(inits)}]",
                )
                if inits
                else condition("Initialized", "True")
            )
            conditions = [
                condition("PodReadyToStartContainers", "False"),
                initialized,
                condition("Ready", "False", "ContainersNotReady", unready),
                condition("ContainersReady", "False", "ContainersNotReady", unready),
            ]
        conditions.append(condition("PodScheduled", "True"))
        status: Obj = {
            "phase": "Succeeded" if done else "Running" if running else "Pending",
            "conditions": conditions,
            "hostIP": self.host_ip,
            "hostIPs": [{"ip": self.host_ip}],
        }
        if running or done:
            ip = old.get("podIP") or self.pod_ip()
            status.update(podIP=ip, podIPs=[{"ip": ip}])
        status["startTime"] = old.get("startTime") or start
        if pod["spec"].get("initContainers"):
            status["initContainerStatuses"] = [
                container_status(c, True) for c in pod["spec"]["initContainers"]
            ]
        status["containerStatuses"] = [
            container_status(c, False) for c in pod["spec"]["containers"]
        ]
        status["qosClass"] = old.get("qosClass", "BestEffort")
        return status

    def pod_ip(self) -> str:
        cidr = (self.read_node().get("spec") or {}).get("podCIDR") or f"10.244.{self.index}.0/24"
        self.next_ip += 1
        return f"{cidr.rsplit('.', 1)[0]}.{self.next_ip}"

    def stop_pod(self, pod: Obj) -> None:
        """killPod: Killing per container, their terminated states, the terminal phase."""
        for container in pod["spec"]["containers"]:
            path = f"spec.containers{{{container['name']}}}"
            self.event(pod, "Normal", "Killing", f"Stopping container {container['name']}", path)
        self.started.setdefault(
            pod["metadata"]["uid"], (pod.get("status") or {}).get("startTime", now())
        )
        self.write_status(pod, self.pod_status(pod, now(), running=False, done=True))

    def remove(self, pod: Obj) -> None:
        """The kubelet's last word on a pod: DELETE, grace period 0, for this uid only."""
        uid = pod["metadata"]["uid"]
        self.admitted.pop(uid, None)
        self.handled[uid] = "gone"
        options = client.V1DeleteOptions(
            grace_period_seconds=0, preconditions=client.V1Preconditions(uid=uid)
        )
        self.api.delete_namespaced_pod(
            pod["metadata"]["name"],
            pod["metadata"]["namespace"],
            body=options,
            _preload_content=False,
        )

    def write_status(self, pod: Obj, status: Obj) -> Obj:
        """PUT pods/status over the pod as it is now (read again after a conflict)."""
        meta = pod["metadata"]
        for _ in range(5):
            try:
                raw = self.api.replace_namespaced_pod_status(
                    meta["name"],
                    meta["namespace"],
                    {**pod, "status": status},
                    _preload_content=False,
                )
                written: Obj = json.loads(raw.data)
                return written
            except client.ApiException as exc:
                if exc.status != 409:
                    raise
                raw = self.api.read_namespaced_pod(
                    meta["name"], meta["namespace"], _preload_content=False
                )
                pod = json.loads(raw.data)
                if pod["metadata"]["uid"] != meta["uid"]:
                    break
        return pod

    def event(self, pod: Obj, type_: str, reason: str, message: str, path: str = "") -> None:
        """A core/v1 Event as the kubelet's recorder writes it."""
        stamp, meta = now(), pod["metadata"]
        involved = {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "resourceVersion": meta.get("resourceVersion"),
        }
        if path:
            involved["fieldPath"] = path
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "type": type_,
            "reason": reason,
            "message": message,
            "metadata": {
                # The recorder's name: the pod's, then the time in nanoseconds, in hex (so that
                # names sort as the Events were made, as a list returns them).
                "name": f"{meta['name']}.{time.time_ns():x}",
                "namespace": meta["namespace"],
            },
            "involvedObject": involved,
            "source": {"component": "kubelet", "host": self.name},
            "reportingComponent": "kubelet",
            "reportingInstance": self.name,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        self.api.create_namespaced_event(meta["namespace"], body, _preload_content=False)


class Kubelet:
    """One process, several nodes: a heartbeat, a pod watch and a pod worker per node."""

    agent = NodeAgent

    def __init__(self, api: client.CoreV1Api, nodes: list[str]) -> None:
        self.stopping = threading.Event()
        self.agents = [self.agent(api, name, i, self.stopping) for i, name in enumerate(nodes)]

    def run(self) -> None:
        for agent in self.agents:
            agent.post_status()
        for agent in self.agents:
            for target in (agent.heartbeat, agent.watch_pods, agent.work):
                threading.Thread(target=target, daemon=True).start()
        self.stopping.wait()

    def stop(self) -> None:
        self.stopping.set()
        for agent in self.agents:
            agent.queue.put(None)


def main(argv: list[str] | None = None, kubelet: type[Kubelet] = Kubelet) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--kubeconfig", default=None, help="the cluster's kubeconfig")
    parser.add_argument("--node", action="append", help="a node to be the kubelet of (repeatable)")
    args, _ = parser.parse_known_args(argv)
    nodes = args.node or [n for n in os.environ.get("LISTWATCH_NODES", "node01").split(",") if n]
    LOAD_KUBE_CONFIG(config_file=args.kubeconfig)
    running = kubelet(client.CoreV1Api(), nodes)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        running.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    print(f"kubelet: running the pods of {', '.join(nodes)}", flush=True)
    running.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
