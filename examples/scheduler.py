#!/usr/bin/env python3
"""A small Kubernetes scheduler, written only against the official `kubernetes` Python client.

It is the example of validating your own component with listwatch: serve a cluster without its
scheduler, run this one against it, and run the features on the cluster backend:

    listwatch serve --without scheduler --port 0 --kubeconfig-out /tmp/kc &
    python examples/scheduler.py --kubeconfig /tmp/kc &
    pytest --backend cluster --kubeconfig /tmp/kc tests/bdd -k "node_whose_label or thirteen_steps"

What it does, as kube-scheduler does it (v1.32), in little:

1. Watches the pods it must place: `spec.schedulerName=default-scheduler,spec.nodeName=` (field
   selectors, so the API server sends only unbound pods of this scheduler), and the nodes.
2. For each pod, filters the nodes: schedulable (not cordoned) and, the NodeAffinity filter,
   carrying every label of the pod's nodeSelector. Scores those that pass: the fewest pods bound
   by this scheduler wins, then the name.
3. Binds: POST pods/{name}/binding with the chosen node, then records the Event kube-scheduler
   records: Normal `Scheduled` from default-scheduler, "Successfully assigned NS/NAME to NODE".
4. When no node passes: the PodScheduled condition False with reason Unschedulable, and a
   Warning `FailedScheduling` Event with kube-scheduler's message ("0/2 nodes are available: 2
   node(s) didn't match Pod's node affinity/selector. preemption: ..."). The pod is tried again
   when a node is added or changed (its labels, say), as kube-scheduler's queue moves it back.

`--ignore-node-selector` makes it a wrong scheduler: it skips the NodeAffinity filter and takes
the first node by name. The features catch it: the checker reports the pod bound to a node that
does not match its nodeSelector (rule node-affinity, step LW-10), and the kubelet rejects it.

It stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import datetime
import queue
import secrets
import signal
import socket
import sys
import threading
from collections import Counter
from types import FrameType

from kubernetes import client, config, watch

SCHEDULER = "default-scheduler"


class Scheduler:
    """Places unbound pods on nodes (see the module docstring)."""

    def __init__(self, api: client.CoreV1Api, *, ignore_node_selector: bool = False) -> None:
        self.api = api
        self.ignore_node_selector = ignore_node_selector
        self.instance = f"{SCHEDULER}-{socket.gethostname()}"
        self.nodes: dict[str, client.V1Node] = {}
        self.bound: Counter[str] = Counter()
        self.unschedulable: set[tuple[str, str]] = set()
        self.queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    # -- watching ----------------------------------------------------------------------------------

    def watch_nodes(self) -> None:
        """Keep the node cache; a node added or changed sends the unschedulable pods back to the
        queue."""
        while not self.stopping.is_set():
            listed = self.api.list_node()
            with self._lock:
                self.nodes = {n.metadata.name: n for n in listed.items}
            self.requeue()
            stream = watch.Watch()
            for event in stream.stream(
                self.api.list_node,
                resource_version=listed.metadata.resource_version,
                timeout_seconds=60,
            ):
                node = event["object"]
                with self._lock:
                    if event["type"] == "DELETED":
                        self.nodes.pop(node.metadata.name, None)
                    else:
                        self.nodes[node.metadata.name] = node
                if event["type"] in ("ADDED", "MODIFIED"):
                    self.requeue()
                if self.stopping.is_set():
                    stream.stop()

    def watch_pods(self) -> None:
        """Queue every pod that is this scheduler's and not bound yet."""
        selector = f"spec.schedulerName={SCHEDULER},spec.nodeName="
        while not self.stopping.is_set():
            listed = self.api.list_pod_for_all_namespaces(field_selector=selector)
            for pod in listed.items:
                self.queue.put((pod.metadata.namespace, pod.metadata.name))
            stream = watch.Watch()
            for event in stream.stream(
                self.api.list_pod_for_all_namespaces,
                field_selector=selector,
                resource_version=listed.metadata.resource_version,
                timeout_seconds=60,
            ):
                pod = event["object"]
                if event["type"] in ("ADDED", "MODIFIED") and not pod.metadata.deletion_timestamp:
                    self.queue.put((pod.metadata.namespace, pod.metadata.name))
                if self.stopping.is_set():
                    stream.stop()

    def requeue(self) -> None:
        with self._lock:
            waiting, self.unschedulable = list(self.unschedulable), set()
        for key in waiting:
            self.queue.put(key)

    # -- scheduling --------------------------------------------------------------------------------

    def run(self) -> None:
        """Take pods from the queue, one at a time, until stopped."""
        while not self.stopping.is_set():
            key = self.queue.get()
            if key is None:
                return
            try:
                self.schedule(*key)
            except client.ApiException as exc:
                if exc.status not in (404, 409):  # gone, or bound meanwhile: nothing to do
                    print(
                        f"scheduler: {key[0]}/{key[1]}: {exc.status} {exc.reason}",
                        file=sys.stderr,
                        flush=True,
                    )

    def schedule(self, namespace: str, name: str) -> None:
        pod = self.api.read_namespaced_pod(name, namespace)
        if (
            pod.spec.node_name
            or pod.metadata.deletion_timestamp
            or pod.spec.scheduler_name != SCHEDULER
        ):
            return
        with self._lock:
            nodes = sorted(self.nodes.values(), key=lambda n: n.metadata.name)
        fitting = [n for n in nodes if not n.spec.unschedulable and self.matches(pod, n)]
        if not fitting:
            self.fail(pod, len(nodes), sum(1 for n in nodes if not n.spec.unschedulable))
            return
        if self.ignore_node_selector:
            chosen = fitting[0].metadata.name
        else:
            chosen = min(
                fitting, key=lambda n: (self.bound[n.metadata.name], n.metadata.name)
            ).metadata.name
        self.bind(pod, chosen)

    def matches(self, pod: client.V1Pod, node: client.V1Node) -> bool:
        """The NodeAffinity filter's nodeSelector part: every label the pod asks for, with its
        value."""
        if self.ignore_node_selector:
            return True
        labels = node.metadata.labels or {}
        return all(
            labels.get(key) == value for key, value in (pod.spec.node_selector or {}).items()
        )

    def bind(self, pod: client.V1Pod, node: str) -> None:
        namespace, name = pod.metadata.namespace, pod.metadata.name
        binding = client.V1Binding(
            metadata=client.V1ObjectMeta(name=name, namespace=namespace, uid=pod.metadata.uid),
            target=client.V1ObjectReference(api_version="v1", kind="Node", name=node),
        )
        # The answer is a Status, which the client would try to read as a Binding: keep it raw.
        self.api.create_namespaced_binding(namespace, binding, _preload_content=False)
        self.bound[node] += 1
        self.event(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {namespace}/{name} to {node}",
            action="Binding",
        )

    def fail(self, pod: client.V1Pod, total: int, schedulable: int) -> None:
        """No node fits: say so on the pod and in an Event, and wait for a node to change."""
        namespace, name = pod.metadata.namespace, pod.metadata.name
        unmatched = schedulable
        reasons = (
            [f"{unmatched} node(s) didn't match Pod's node affinity/selector"] if unmatched else []
        )
        if total - schedulable:
            reasons.append(f"{total - schedulable} node(s) were unschedulable")
        message = (
            f"0/{total} nodes are available: {', '.join(reasons)}. "
            f"preemption: 0/{total} nodes are available: {total} Preemption is not helpful for "
            "scheduling."
        )
        with self._lock:
            self.unschedulable.add((namespace, name))
        current = next((c for c in pod.status.conditions or () if c.type == "PodScheduled"), None)
        if current is not None and current.status == "False" and current.message == message:
            return  # already said
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
        self.event(pod, "Warning", "FailedScheduling", message, action="Scheduling")

    def event(
        self, pod: client.V1Pod, type_: str, reason: str, message: str, *, action: str
    ) -> None:
        """An Event as kube-scheduler records it: through events.k8s.io/v1 (read back through
        core/v1 with `source: {}`, no count and null first/last timestamps)."""
        now = datetime.datetime.now(datetime.UTC)
        body = {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {
                "name": f"{pod.metadata.name}.{secrets.token_hex(8)}",
                "namespace": pod.metadata.namespace,
            },
            "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "reportingController": SCHEDULER,
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

    def stop(self) -> None:
        self.stopping.set()
        self.queue.put(None)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--kubeconfig",
        default=None,
        help="the cluster's kubeconfig (default: $KUBECONFIG or ~/.kube/config)",
    )
    parser.add_argument(
        "--ignore-node-selector",
        action="store_true",
        help="be a wrong scheduler: skip the nodeSelector filter",
    )
    args = parser.parse_args(argv)
    config.load_kube_config(config_file=args.kubeconfig)
    scheduler = Scheduler(client.CoreV1Api(), ignore_node_selector=args.ignore_node_selector)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        scheduler.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    for target in (scheduler.watch_nodes, scheduler.watch_pods):
        threading.Thread(target=target, daemon=True).start()
    wrong = " (wrong: it ignores nodeSelector)" if args.ignore_node_selector else ""
    print(f"scheduler: placing pods of schedulerName {SCHEDULER}{wrong}", flush=True)
    scheduler.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
