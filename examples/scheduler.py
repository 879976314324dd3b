#!/usr/bin/env python3
"""A small Kubernetes scheduler, written only against the official `kubernetes` Python client.

It is the example of validating your own component with listwatch: serve a cluster without its
scheduler, run this one against it, and run the features on the cluster backend:

    listwatch serve --without scheduler --port 0 --kubeconfig-out /tmp/kc &
    python examples/scheduler.py --kubeconfig /tmp/kc &
    pytest --backend cluster --kubeconfig /tmp/kc tests/bdd -k "node_whose_label or thirteen_steps"

or let listwatch do all of it: `listwatch validate scheduler -- python examples/scheduler.py`.

What it does, as kube-scheduler v1.32 does it with its default filters, in little:

1. Watches the pods it must place (field selectors `spec.schedulerName=NAME,spec.nodeName=`, so
   the API server sends only unbound pods of this scheduler; NAME is `--scheduler-name`,
   default-scheduler unless told), every bound pod (`spec.nodeName!=`, to know what each node
   already runs) and the nodes.
2. For each pod, runs the filters on every node, in kube-scheduler's order; a node fails at the
   first filter that rejects it:
   - NodeUnschedulable: a cordoned node (spec.unschedulable), unless the pod tolerates
     `node.kubernetes.io/unschedulable:NoSchedule`;
   - TaintToleration: every NoSchedule and NoExecute taint must be tolerated;
   - NodeAffinity: the nodeSelector's labels, and one of the required affinity's
     nodeSelectorTerms (In, NotIn, Exists, DoesNotExist, Gt, Lt on labels; matchFields on
     metadata.name);
   - NodeResourcesFit: one more pod, and the pod's cpu and memory requests, within the node's
     allocatable less what its non-terminal pods request (those bound by anyone, and those this
     scheduler has just bound and not yet seen come back: kube-scheduler's "assumed" pods).
   Of the nodes that pass, the least requested (cpu and memory) wins, then the fewest pods, then
   the name.
3. Binds: POST pods/{name}/binding with the chosen node, then records the Event kube-scheduler
   records: Normal `Scheduled` from NAME, "Successfully assigned NS/POD to NODE".
4. When no node passes: the PodScheduled condition False with reason Unschedulable, and a
   Warning `FailedScheduling` Event with kube-scheduler's message, each node counted under the
   filter that rejected it (NodeResourcesFit names each resource lacking):

       0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient
       cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No
       preemption victims found for incoming pod.

   The pod is tried again when a node is added or changed (its labels, taints, cordon or
   allocatable), or a bound pod is deleted or finishes, as kube-scheduler's queue moves it back;
   and after 5 minutes even when nothing changed. Each attempt records its FailedScheduling.

Left out: preemption (it never evicts a pod of lower priority to make room; its message assumes
there is none), the NodeName, NodePorts, volume, inter-pod affinity and topology spread filters,
extended resources, sidecar containers' requests, and the back-off between attempts.

`--ignore-node-selector` makes it a wrong scheduler: it skips the NodeAffinity filter and takes
the first node by name. The features catch it: the checker reports the pod bound to a node that
does not match its nodeSelector (rule node-affinity, step LW-10), and the kubelet rejects it.
More wrong schedulers, one mistake each, are in tests/wrong/scheduler.py.

It stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import datetime
import math
import queue
import re
import secrets
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal
from types import FrameType
from typing import Any, NamedTuple

from kubernetes import client, config, watch

DEFAULT_SCHEDULER = "default-scheduler"
FILTERS = ("NodeUnschedulable", "TaintToleration", "NodeAffinity", "NodeResourcesFit")
AFFINITY = "node(s) didn't match Pod's node affinity/selector"
#: What preemption says of a node: rejected by a filter that evicting pods cannot satisfy
#: (UnschedulableAndUnresolvable), or lacking room with no pod of lower priority to evict.
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
#: An unschedulable pod is tried again after this long even when nothing changed, checked this
#: often (kube-scheduler's podMaxInUnschedulablePodsDuration and its flush period).
MAX_WAIT_SECONDS, FLUSH_SECONDS = 300.0, 30.0

Pod = Any  # client.V1Pod
Node = Any  # client.V1Node


# -- resources ---------------------------------------------------------------------------------

#: Quantity suffixes: milli, the powers of 1000 (k, M, G, ...) and of 1024 (Ki, Mi, Gi, ...).
_SUFFIXES: dict[str, Decimal] = (
    {"": Decimal(1), "m": Decimal("0.001")}
    | {suffix: Decimal(1000**power) for power, suffix in enumerate("kMGTPE", 1)}
    | {suffix + "i": Decimal(1024**power) for power, suffix in enumerate("KMGTPE", 1)}
)
_QUANTITY = re.compile(
    r"([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE]))?"
)


def quantity(text: object, scale: int = 1) -> int:
    """A resource quantity ("500m", "1.5", "128Mi", "1e3") times `scale`, rounded up, as
    Kubernetes rounds: scale 1000 gives millicores, 1 bytes."""
    match = _QUANTITY.fullmatch(str(text).strip())
    if match is None:
        raise ValueError(f"not a quantity: {text!r}")
    number, exponent, suffix = match.groups()
    factor = Decimal(10) ** int(exponent) if exponent else _SUFFIXES[suffix or ""]
    return math.ceil(Decimal(number) * factor * scale)


class Requests(NamedTuple):
    """CPU in millicores, memory in bytes."""

    cpu: int = 0
    memory: int = 0


def container_requests(container: Any) -> Requests:
    """A container's requests; a resource with a limit and no request requests its limit."""
    resources = container.resources
    merged = {
        **((resources and resources.limits) or {}),
        **((resources and resources.requests) or {}),
    }
    return amounts(merged)


def amounts(values: dict[str, Any]) -> Requests:
    return Requests(quantity(values.get("cpu", 0), 1000), quantity(values.get("memory", 0)))


def pod_requests(pod: Pod) -> Requests:
    """The containers' requests summed, each init container's taken as a maximum with that, plus
    the pod's overhead (resourcehelper.PodRequests, without sidecars)."""
    containers = [container_requests(c) for c in pod.spec.containers or ()]
    cpu, memory = sum(r.cpu for r in containers), sum(r.memory for r in containers)
    for init in pod.spec.init_containers or ():
        own = container_requests(init)
        cpu, memory = max(cpu, own.cpu), max(memory, own.memory)
    overhead = amounts(pod.spec.overhead or {})
    return Requests(cpu + overhead.cpu, memory + overhead.memory)


class Room(NamedTuple):
    """What a node can allocate, or what its pods request."""

    cpu: int
    memory: int
    pods: int


def allocatable(node: Node) -> Room:
    values = (node.status and node.status.allocatable) or {}
    cpu, memory = amounts(values)
    return Room(cpu, memory, quantity(values.get("pods", 110)))


# -- the filters -------------------------------------------------------------------------------


def tolerates(tolerations: Iterable[Any], key: str, value: str, effect: str) -> bool:
    """Toleration.ToleratesTaint for any of the tolerations: an empty effect matches every
    effect, an empty key with Exists every taint; Equal (the default) compares the values."""
    for toleration in tolerations:
        if toleration.effect and toleration.effect != effect:
            continue
        if toleration.key and toleration.key != key:
            continue
        if toleration.operator == "Exists":
            return True
        if toleration.operator in (None, "", "Equal") and (toleration.value or "") == value:
            return True
    return False


def untolerated_taint(pod: Pod, node: Node) -> Any:
    """The first NoSchedule or NoExecute taint of the node that the pod does not tolerate."""
    tolerations = pod.spec.tolerations or ()
    for taint in node.spec.taints or ():
        if taint.effect in ("NoSchedule", "NoExecute") and not tolerates(
            tolerations, taint.key or "", taint.value or "", taint.effect
        ):
            return taint
    return None


def requirement_holds(requirement: Any, values: dict[str, str]) -> bool:
    """One matchExpressions (or matchFields) requirement against a node's labels (or fields)."""
    key, op, wanted = requirement.key, requirement.operator, requirement.values or []
    present = key in values
    if op == "In":
        return present and values[key] in wanted
    if op == "NotIn":
        return not present or values[key] not in wanted
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and len(wanted) == 1:
        try:
            have, bound = int(values[key]), int(wanted[0])
        except ValueError:
            return False
        return have > bound if op == "Gt" else have < bound
    return False


def matches_affinity(pod: Pod, node: Node) -> bool:
    """The pod's nodeSelector, and one of its required affinity's nodeSelectorTerms (terms ORed,
    requirements within a term ANDed; a term without any matches nothing)."""
    labels = node.metadata.labels or {}
    selector = pod.spec.node_selector or {}
    if any(labels.get(key) != value for key, value in selector.items()):
        return False
    affinity = pod.spec.affinity and pod.spec.affinity.node_affinity
    required = affinity and affinity.required_during_scheduling_ignored_during_execution
    if not required:
        return True
    fields = {"metadata.name": node.metadata.name}
    return any(
        (term.match_expressions or term.match_fields)
        and all(requirement_holds(r, labels) for r in term.match_expressions or ())
        and all(requirement_holds(r, fields) for r in term.match_fields or ())
        for term in required.node_selector_terms or ()
    )


def may_help(old: Node | None, new: Node) -> bool:
    """Whether a node added or changed may let an unschedulable pod fit: new, or its labels,
    taints, cordon or allocatable changed (not its heartbeats)."""

    def facts(node: Node) -> tuple[Any, ...]:
        taints = [(t.key, t.value, t.effect) for t in node.spec.taints or ()]
        return (node.metadata.labels, taints, node.spec.unschedulable, allocatable(node))

    return old is None or facts(old) != facts(new)


def lacking(requests: Requests, free: Room) -> list[str]:
    """NodeResourcesFit: every resource the node lacks for the pod."""
    reasons = ["Too many pods"] if free.pods < 1 else []
    if requests.cpu > 0 and requests.cpu > free.cpu:
        reasons.append("Insufficient cpu")
    if requests.memory > 0 and requests.memory > free.memory:
        reasons.append("Insufficient memory")
    return reasons


def fit_error(total: int, rejections: Iterable[tuple[str, list[str]]]) -> str:
    """kube-scheduler's FitError message from each node's (filter, reasons), with what its
    preemption adds (`reason counts` sorted as strings, as kube-scheduler sorts them)."""
    if not total:
        return "no nodes available to schedule pods"
    reasons: Counter[str] = Counter()
    preemption: Counter[str] = Counter()
    for plugin, texts in rejections:
        reasons.update(texts)
        preemption[NO_VICTIMS if plugin == "NodeResourcesFit" else NOT_HELPFUL] += 1

    def histogram(counts: Counter[str]) -> str:
        return ", ".join(sorted(f"{n} {text}" for text, n in counts.items()))

    return (
        f"0/{total} nodes are available: {histogram(reasons)}. preemption: 0/{total} nodes are "
        f"available: {histogram(preemption)}."
    )


# -- the scheduler -----------------------------------------------------------------------------


class Scheduler:
    """Places unbound pods on nodes (see the module docstring).

    `skip` names filters not to run (a wrong scheduler's); `first_by_name` takes the first
    feasible node by name instead of scoring.
    """

    def __init__(
        self,
        api: client.CoreV1Api,
        *,
        name: str = DEFAULT_SCHEDULER,
        skip: Iterable[str] = (),
        first_by_name: bool = False,
    ) -> None:
        self.api = api
        self.name = name
        self.skip = frozenset(skip)
        self.first_by_name = first_by_name
        self.instance = f"{name}-{socket.gethostname()}"
        self.nodes: dict[str, Node] = {}
        #: Bound, non-terminal pods by UID: (node, requests); as watched, and as assumed after
        #: this scheduler's own binds until the watch shows them.
        self.placed: dict[str, tuple[str, Requests]] = {}
        self.assumed: dict[str, tuple[str, Requests]] = {}
        self.bound_uids: set[str] = set()
        #: The pods no node fits, waiting for a change that may help: since when (monotonic).
        self.unschedulable: dict[tuple[str, str], float] = {}
        self.flushed = time.monotonic()
        #: Counts the changes that may help, so that one during an attempt retries the pod.
        self.changes = 0
        self.queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self.queued: set[tuple[str, str]] = set()
        self.synced = {"nodes": threading.Event(), "pods": threading.Event()}
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    # -- watching ----------------------------------------------------------------------------------

    def _keep_watching(
        self, what: str, list_: Callable[..., Any], handle: Callable[[str, Any], None], **kw: Any
    ) -> None:
        """List, then watch from the list's resourceVersion; again after a timeout or an error.
        `handle("LISTED", items)` takes the list, then `handle(TYPE, object)` each event."""
        while not self.stopping.is_set():
            try:
                listed = list_(**kw)
                handle("LISTED", listed.items)
                self.synced.get(what, threading.Event()).set()
                stream = watch.Watch()  # type: ignore[no-untyped-call]
                for event in stream.stream(  # type: ignore[no-untyped-call]
                    list_,
                    resource_version=listed.metadata.resource_version,
                    timeout_seconds=60,
                    **kw,
                ):
                    handle(event["type"], event["object"])
                    if self.stopping.is_set():
                        stream.stop()  # type: ignore[no-untyped-call]
            except Exception as exc:  # the server went away, or the watch expired: list again
                if not self.stopping.is_set():
                    print(f"scheduler: watching {what}: {exc!r:.200}", file=sys.stderr, flush=True)
                    time.sleep(1)

    def watch_nodes(self) -> None:
        """Keep the node cache; a node added, or changed in a way that may let a pod fit, sends
        the unschedulable pods back to the queue."""
        self._keep_watching("nodes", self.api.list_node, self._node_event)

    def _node_event(self, type_: str, obj: Any) -> None:
        with self._lock:
            if type_ == "LISTED":
                nodes = {n.metadata.name: n for n in obj}
                helps = any(may_help(self.nodes.get(name), n) for name, n in nodes.items())
                self.nodes = nodes
            elif type_ == "DELETED":
                self.nodes.pop(obj.metadata.name, None)
                helps = False
            else:
                helps = may_help(self.nodes.get(obj.metadata.name), obj)
                self.nodes[obj.metadata.name] = obj
        if helps:
            self.moved()

    def watch_bound_pods(self) -> None:
        """Keep what every node runs; a pod deleted or finished sends the unschedulable back."""
        self._keep_watching(
            "pods",
            self.api.list_pod_for_all_namespaces,
            self._bound_pod_event,
            field_selector="spec.nodeName!=",
        )

    def _bound_pod_event(self, type_: str, obj: Any) -> None:
        with self._lock:
            if type_ == "LISTED":
                before = set(self.placed)
                self.placed = {}
                for pod in obj:
                    self._place(pod, "ADDED")
                freed = bool(before - set(self.placed))
            else:
                freed = self._place(obj, type_)
        if freed:
            self.moved()

    def _place(self, pod: Pod, type_: str) -> bool:
        """Keep or forget one bound pod; whether that freed room."""
        uid = pod.metadata.uid
        self.assumed.pop(uid, None)
        if type_ == "DELETED" or pod.status.phase in ("Succeeded", "Failed"):
            return self.placed.pop(uid, None) is not None or type_ == "DELETED"
        self.placed[uid] = (pod.spec.node_name, pod_requests(pod))
        return False

    def watch_pods(self) -> None:
        """Queue every pod that is this scheduler's and not bound yet (one that waits as
        unschedulable stays waiting: its own updates, such as its condition, do not help)."""
        self._keep_watching(
            "pending",
            self.api.list_pod_for_all_namespaces,
            self._pending_pod_event,
            field_selector=self.pod_selector(),
        )

    def pod_selector(self) -> str:
        return f"spec.schedulerName={self.name},spec.nodeName="

    def _pending_pod_event(self, type_: str, obj: Any) -> None:
        for pod in obj if type_ == "LISTED" else [obj]:
            key = (pod.metadata.namespace, pod.metadata.name)
            with self._lock:
                waiting = key in self.unschedulable
                if type_ == "DELETED":
                    self.unschedulable.pop(key, None)
            if type_ != "DELETED" and not waiting and not pod.metadata.deletion_timestamp:
                self.enqueue(key)

    def enqueue(self, key: tuple[str, str]) -> None:
        with self._lock:
            if key in self.queued:
                return
            self.queued.add(key)
        self.queue.put(key)

    def moved(self) -> None:
        """The cluster changed in a way that may let an unschedulable pod fit: try them all
        again (kube-scheduler's MoveAllToActiveOrBackoffQueue)."""
        with self._lock:
            self.changes += 1
            waiting, self.unschedulable = list(self.unschedulable), {}
        for key in waiting:
            self.enqueue(key)

    def flush(self) -> None:
        """Every 30 seconds, try again the pods unschedulable for 5 minutes, though nothing
        changed (kube-scheduler's flushUnschedulablePodsLeftover)."""
        now = time.monotonic()
        if now - self.flushed < FLUSH_SECONDS:
            return
        self.flushed = now
        with self._lock:
            old = [k for k, since in self.unschedulable.items() if now - since >= MAX_WAIT_SECONDS]
            for key in old:
                del self.unschedulable[key]
        for key in old:
            self.enqueue(key)

    # -- scheduling --------------------------------------------------------------------------------

    def run(self) -> None:
        """Take pods from the queue, one at a time, once the caches are filled, until stopped."""
        while not all(e.wait(0.2) for e in self.synced.values()):
            if self.stopping.is_set():
                return
        while not self.stopping.is_set():
            self.flush()
            try:
                key = self.queue.get(timeout=1)
            except queue.Empty:
                continue
            if key is None:
                return
            with self._lock:
                self.queued.discard(key)
            try:
                self.schedule(*key)
            except client.ApiException as exc:
                if exc.status not in (404, 409):  # gone, or bound meanwhile: nothing to do
                    print(
                        f"scheduler: {key[0]}/{key[1]}: {exc.status} {exc.reason}",
                        file=sys.stderr,
                        flush=True,
                    )
            except Exception as exc:  # the API unreachable for a moment: try the pod again
                print(f"scheduler: {key[0]}/{key[1]}: {exc!r:.200}", file=sys.stderr, flush=True)
                time.sleep(1)
                self.enqueue(key)

    def is_mine(self, pod: Pod) -> bool:
        return bool(pod.spec.scheduler_name == self.name)

    def schedule(self, namespace: str, name: str) -> None:
        pod: Pod = self.api.read_namespaced_pod(name, namespace)
        if (
            pod.spec.node_name
            or pod.metadata.deletion_timestamp
            or pod.metadata.uid in self.bound_uids
            or pod.status.phase in ("Succeeded", "Failed")
            or not self.is_mine(pod)
        ):
            return
        with self._lock:
            nodes = sorted(self.nodes.values(), key=lambda n: n.metadata.name)
            used = self.used()
            changes = self.changes
        requests = pod_requests(pod)
        fitting, rejections = [], []
        for node in nodes:
            rejection = self.rejection(pod, requests, node, used.get(node.metadata.name))
            if rejection is None:
                fitting.append(node)
            else:
                rejections.append(rejection)
        if not fitting:
            self.fail(pod, fit_error(len(nodes), rejections), retry=changes != self.changes)
            return
        self.bind(pod, self.choose(pod, requests, fitting, used))

    def used(self) -> dict[str, Room]:
        """What each node's pods request (call with the lock held)."""
        found: dict[str, Room] = {}
        for node, requests in [*self.assumed.values(), *self.placed.values()]:
            cpu, memory, pods = found.get(node, Room(0, 0, 0))
            found[node] = Room(cpu + requests.cpu, memory + requests.memory, pods + 1)
        return found

    def rejection(
        self, pod: Pod, requests: Requests, node: Node, used: Room | None
    ) -> tuple[str, list[str]] | None:
        """The first filter that rejects the node, with its reasons; None when the node fits."""
        for plugin in FILTERS:
            if plugin in self.skip:
                continue
            reasons = self.run_filter(plugin, pod, requests, node, used or Room(0, 0, 0))
            if reasons:
                return plugin, reasons
        return None

    def run_filter(
        self, plugin: str, pod: Pod, requests: Requests, node: Node, used: Room
    ) -> list[str]:
        if plugin == "NodeUnschedulable":
            cordoned = node.spec.unschedulable and not tolerates(
                pod.spec.tolerations or (), "node.kubernetes.io/unschedulable", "", "NoSchedule"
            )
            return ["node(s) were unschedulable"] if cordoned else []
        if plugin == "TaintToleration":
            taint = untolerated_taint(pod, node)
            if taint is None:
                return []
            return [f"node(s) had untolerated taint {{{taint.key}: {taint.value or ''}}}"]
        if plugin == "NodeAffinity":
            return [] if matches_affinity(pod, node) else [AFFINITY]
        capacity = allocatable(node)
        free = Room(*(have - taken for have, taken in zip(capacity, used, strict=True)))
        return lacking(requests, free)

    def choose(
        self, pod: Pod, requests: Requests, fitting: list[Node], used: dict[str, Room]
    ) -> str:
        """The least requested node (cpu and memory, 0-100 as kube-scheduler scores), then the
        one with the fewest pods, then the first by name."""
        if self.first_by_name:
            return str(fitting[0].metadata.name)

        def rank(node: Node) -> tuple[int, int, str]:
            have, taken = allocatable(node), used.get(node.metadata.name, Room(0, 0, 0))
            free_cpu = (have.cpu - taken.cpu - requests.cpu) * 100 // max(have.cpu, 1)
            free_memory = (
                (have.memory - taken.memory - requests.memory) * 100 // max(have.memory, 1)
            )
            return (-(free_cpu + free_memory) // 2, taken.pods, str(node.metadata.name))

        return str(min(fitting, key=rank).metadata.name)

    def bind(self, pod: Pod, node: str) -> None:
        """Bind the pod, assume it on the node, and record the Scheduled Event."""
        namespace, name = pod.metadata.namespace, pod.metadata.name
        self.post_binding(pod, node)
        with self._lock:
            self.bound_uids.add(pod.metadata.uid)
            if pod.metadata.uid not in self.placed:
                self.assumed[pod.metadata.uid] = (node, pod_requests(pod))
        self.event(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {namespace}/{name} to {node}",
            action="Binding",
        )

    def post_binding(self, pod: Pod, node: str) -> None:
        namespace, name = pod.metadata.namespace, pod.metadata.name
        binding = client.V1Binding(
            metadata=client.V1ObjectMeta(name=name, namespace=namespace, uid=pod.metadata.uid),
            target=client.V1ObjectReference(api_version="v1", kind="Node", name=node),
        )
        # The answer is a Status, which the client would try to read as a Binding: keep it raw.
        self.api.create_namespaced_binding(namespace, binding, _preload_content=False)

    def fail(self, pod: Pod, message: str, *, retry: bool = False) -> None:
        """No node fits: say so on the pod and in an Event, and wait for the cluster to change
        (or try again at once when it changed during the attempt)."""
        namespace, name = pod.metadata.namespace, pod.metadata.name
        if retry:
            self.enqueue((namespace, name))
        else:
            with self._lock:
                self.unschedulable[namespace, name] = time.monotonic()
        current = next((c for c in pod.status.conditions or () if c.type == "PodScheduled"), None)
        if current is None or current.status != "False" or current.message != message:
            self.patch_unschedulable(pod, message)
        self.event(pod, "Warning", "FailedScheduling", message, action="Scheduling")

    def patch_unschedulable(self, pod: Pod, message: str) -> None:
        """The PodScheduled condition: False, Unschedulable, with the FitError's message."""
        namespace, name = pod.metadata.namespace, pod.metadata.name
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
            "lastProbeTime": None,
            "lastTransitionTime": _now(),
        }
        self.api.patch_namespaced_pod_status(
            name,
            namespace,
            {"status": {"conditions": [condition]}},
            _content_type="application/strategic-merge-patch+json",
        )

    def event(self, pod: Pod, type_: str, reason: str, message: str, *, action: str) -> None:
        """An Event as kube-scheduler records it: through events.k8s.io/v1 (read back through
        core/v1 with `source: {}`, no count and null first/last timestamps)."""
        now = datetime.datetime.now(datetime.UTC)
        body: Any = {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {
                "name": f"{pod.metadata.name}.{secrets.token_hex(8)}",
                "namespace": pod.metadata.namespace,
            },
            "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "reportingController": self.name,
            "reportingInstance": self.instance,
            "action": action,
            "reason": reason,
            "regarding": {
                "apiVersion": "v1",
                "kind": "Pod",
                "namespace": pod.metadata.namespace,
                "name": pod.metadata.name,
                "uid": pod.metadata.uid,
                "resourceVersion": pod.metadata.resource_version,
            },
            "note": message,
            "type": type_,
        }
        client.EventsV1Api(self.api.api_client).create_namespaced_event(
            pod.metadata.namespace, body
        )

    def start(self) -> None:
        """Start the watches (daemon threads)."""
        for target in (self.watch_nodes, self.watch_bound_pods, self.watch_pods):
            threading.Thread(target=target, daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        self.queue.put(None)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument(
        "--kubeconfig",
        default=None,
        help="the cluster's kubeconfig (default: $KUBECONFIG or ~/.kube/config)",
    )
    parser.add_argument(
        "--scheduler-name",
        default=DEFAULT_SCHEDULER,
        help="place the pods of this spec.schedulerName, and report Events as it "
        f"(default: {DEFAULT_SCHEDULER})",
    )
    return parser


def serve(scheduler: Scheduler, banner: str) -> int:
    """Run the scheduler until SIGINT or SIGTERM."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        scheduler.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    scheduler.start()
    print(f"scheduler: placing pods of schedulerName {scheduler.name}{banner}", flush=True)
    scheduler.run()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = arguments()
    parser.add_argument(
        "--ignore-node-selector",
        action="store_true",
        help="be a wrong scheduler: skip the NodeAffinity filter, take the first node by name",
    )
    args = parser.parse_args(argv)
    config.load_kube_config(config_file=args.kubeconfig)  # type: ignore[no-untyped-call]
    wrong = args.ignore_node_selector
    scheduler = Scheduler(
        client.CoreV1Api(),
        name=args.scheduler_name,
        skip=["NodeAffinity"] if wrong else [],
        first_by_name=wrong,
    )
    return serve(scheduler, " (wrong: it ignores nodeSelector)" if wrong else "")


if __name__ == "__main__":
    sys.exit(main())
