#!/usr/bin/env python3
"""A small replication controller, written only against the official `kubernetes` Python client.

It is the example of validating a controller with listwatch: serve a cluster without its
controller manager, run this one against it, and run the replication features on the cluster
backend:

    listwatch serve --without controller-manager --port 0 --kubeconfig-out /tmp/kc &
    python examples/replication_controller.py --kubeconfig /tmp/kc &
    pytest --backend cluster --kubeconfig /tmp/kc tests/bdd -k "Scaling or replaced"

What it does, as kube-controller-manager's replication manager does it (v1.32,
pkg/controller/replication: the ReplicaSet controller's code over ReplicationControllers), in
little:

1. Watches ReplicationControllers and pods in all namespaces (list, then watch from the list's
   resourceVersion; a watch that expired, 410 Gone, is listed again), keeping both in a cache, and
   puts the key (namespace/name) of every RC a change concerns on a work queue: the RC itself, the
   RC a pod's controller ownerReference names, or, for an orphan pod, each RC whose selector
   matches it.
2. A sync of one RC: its active pods are the pods of its namespace whose controller ownerReference
   (controller: true) has its uid, not being deleted (no deletionTimestamp) and not Succeeded or
   Failed. An active orphan matching its selector is adopted first: a patch adds the controller
   ownerReference (controller: true, blockOwnerDeletion: true).
3. If its expectations are satisfied (below), and it is not being deleted, it creates the missing
   replicas from spec.template (generateName `<rc>-`, the template's labels, the controller
   ownerReference) or deletes the surplus, the least valuable first: not yet bound to a node, then
   Pending before Running, not Ready before Ready, more pods of the RC on its node, Ready for less
   time, more restarts, the newest. It records the Events kube-controller-manager records, through
   core/v1 with client-go's legacy recorder fields: Normal `SuccessfulCreate` "Created pod: NAME"
   and `SuccessfulDelete` "Deleted pod: NAME" (Warning `FailedCreate`/`FailedDelete` on errors),
   involvedObject the RC, source component `replication-controller`.
4. Expectations: before creating n pods it expects to see n pod additions on its watch, before
   deleting pods it expects to see each go (deletionTimestamp set, or DELETED). Until then (or
   for 5 minutes at most) its syncs do not create or delete: a sync that ran again before its
   watch showed the pods it made would otherwise make them twice.
5. Every sync writes the RC's status (status subresource), when it changed: replicas (the active
   pods), fullyLabeledReplicas (those carrying every label of the template), readyReplicas,
   availableReplicas (Ready for spec.minReadySeconds) and observedGeneration.

Left out: releasing owned pods whose labels no longer match the selector, the ReplicaFailure
condition, slow-start batches (pods are made one at a time) and burstReplicas (at most 500 per
sync in kube-controller-manager).

It stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import datetime
import json
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from kubernetes import client, config, watch

COMPONENT = "replication-controller"
EXPECTATIONS_TIMEOUT = 300.0  # seconds (the controller's ExpectationsTimeout)


@dataclass
class Expectations:
    """What a sync of one RC is waiting to see on its watch (ControllerExpectations)."""

    adds: int = 0
    deletes: set[str] = field(default_factory=set)  # pod keys
    since: float = field(default_factory=time.monotonic)

    def satisfied(self) -> bool:
        expired = time.monotonic() - self.since > EXPECTATIONS_TIMEOUT
        return expired or (self.adds <= 0 and not self.deletes)


class ReplicationManager:
    """Keeps spec.replicas pods for every ReplicationController (see the module docstring)."""

    def __init__(self, api: client.CoreV1Api) -> None:
        self.api = api
        self.rcs: dict[str, Any] = {}  # by namespace/name: V1ReplicationController
        self.pods: dict[str, Any] = {}  # by namespace/name: V1Pod
        self.expectations: dict[str, Expectations] = {}
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.queued: set[str] = set()
        self.stopping = threading.Event()
        self._lock = threading.RLock()

    def wanted(self, rc: Any) -> int:
        """How many active pods the RC should have."""
        return 1 if rc.spec.replicas is None else int(rc.spec.replicas)

    # -- watching ----------------------------------------------------------------------------------

    def informer(self, lister: Callable[..., Any], handle: Callable[[str, Any], None]) -> None:
        """List, then watch from the list's resourceVersion, until stopped; list again after a
        410 Gone or an error."""
        while not self.stopping.is_set():
            try:
                listed = lister()
                handle("LISTED", listed.items)
                version = listed.metadata.resource_version
                while not self.stopping.is_set():
                    stream = watch.Watch()  # type: ignore[no-untyped-call]
                    for event in stream.stream(  # type: ignore[no-untyped-call]
                        lister, resource_version=version, timeout_seconds=30
                    ):
                        if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                            handle(event["type"], event["object"])
                        if self.stopping.is_set():
                            stream.stop()  # type: ignore[no-untyped-call]
                    version = stream.resource_version or version
            except Exception as exc:  # 410 Gone, a broken connection: list again
                if not self.stopping.is_set():
                    if not (isinstance(exc, client.ApiException) and exc.status == 410):
                        _log(f"watch: {exc}")
                    time.sleep(1)

    def rc_event(self, kind: str, obj: Any) -> None:
        with self._lock:
            if kind == "LISTED":
                self.rcs = {_key(rc): rc for rc in obj}
                keys: Iterable[str] = list(self.rcs)
            elif kind == "DELETED":
                self.rcs.pop(_key(obj), None)
                self.expectations.pop(_key(obj), None)
                keys = ()
            else:
                self.rcs[_key(obj)] = obj
                keys = (_key(obj),)
        for key in keys:
            self.enqueue(key)

    def pod_event(self, kind: str, obj: Any) -> None:
        if kind == "LISTED":
            with self._lock:
                old, self.pods = self.pods, {_key(p): p for p in obj}
            for key, pod in old.items():
                if key not in self.pods:
                    self.pod_event("DELETED", pod)
            for pod in obj:
                self.pod_event("MODIFIED" if _key(pod) in old else "ADDED", pod)
            return
        key = _key(obj)
        with self._lock:
            before = self.pods.pop(key, None) if kind == "DELETED" else self.pods.get(key)
            if kind != "DELETED":
                self.pods[key] = obj
            owner = self.owner_of(obj)
            gone = kind == "DELETED" or obj.metadata.deletion_timestamp is not None
            if owner is not None and owner in self.expectations:
                if gone:  # deletion observed
                    self.expectations[owner].deletes.discard(key)
                elif kind == "ADDED":  # creation observed
                    self.expectations[owner].adds -= 1
            concerned = {owner} if owner else set(self.matching_rcs(obj))
            if before is not None:  # its labels or owner changed: the former RC looks again
                concerned.add(self.owner_of(before) or "")
        for rc_key in concerned - {""}:
            self.enqueue(rc_key)

    def owner_of(self, pod: Any) -> str | None:
        """The key of the RC cached with the uid of the pod's controller ownerReference."""
        ref = _controller_ref(pod)
        if ref is None or ref.kind != "ReplicationController":
            return None
        key = f"{pod.metadata.namespace}/{ref.name}"
        rc = self.rcs.get(key)
        return key if rc is not None and rc.metadata.uid == ref.uid else None

    def matching_rcs(self, pod: Any) -> list[str]:
        labels = pod.metadata.labels or {}
        return [
            key
            for key, rc in self.rcs.items()
            if rc.metadata.namespace == pod.metadata.namespace
            and rc.spec.selector
            and all(labels.get(k) == v for k, v in rc.spec.selector.items())
        ]

    # -- the work queue ----------------------------------------------------------------------------

    def enqueue(self, key: str, after: float = 0.0) -> None:
        if after > 0:
            timer = threading.Timer(after, self.enqueue, (key,))
            timer.daemon = True
            timer.start()
            return
        with self._lock:
            if key in self.queued:
                return
            self.queued.add(key)
        self.queue.put(key)

    def run(self) -> None:
        """Sync the RCs from the queue, one at a time, until stopped."""
        while not self.stopping.is_set():
            key = self.queue.get()
            if key is None:
                return
            with self._lock:
                self.queued.discard(key)
            try:
                self.sync(key)
            except client.ApiException as exc:
                _log(f"{key}: {exc.status} {_error(exc)}")
                self.enqueue(key, after=1.0)

    # -- a sync ------------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        with self._lock:
            rc = self.rcs.get(key)
            if rc is None:
                return
            expectations = self.expectations.get(key)
            needs_sync = expectations is None or expectations.satisfied()
            pods = [
                p
                for p in self.pods.values()
                if p.metadata.namespace == rc.metadata.namespace and _active(p)
            ]
            orphans = [p for p in pods if not _controller_ref(p) and key in self.matching_rcs(p)]
        owned = [
            p for p in pods if _controller_ref(p) and _controller_ref(p).uid == rc.metadata.uid
        ]
        if rc.metadata.deletion_timestamp is None:
            for pod in orphans:
                owned += self.adopt(rc, pod)
        if needs_sync and rc.metadata.deletion_timestamp is None:
            diff = len(owned) - self.wanted(rc)
            if diff < 0:
                self.create(rc, key, -diff)
            elif diff > 0:
                self.delete(rc, key, _least_valuable(owned)[:diff])
        self.update_status(rc, key, owned)

    def adopt(self, rc: Any, pod: Any) -> list[Any]:
        patch = {
            "metadata": {"ownerReferences": [_owner_ref(rc)], "uid": pod.metadata.uid},
        }
        try:
            adopted = self.api.patch_namespaced_pod(
                pod.metadata.name,
                pod.metadata.namespace,
                patch,
                _content_type="application/strategic-merge-patch+json",
            )
            return [adopted]
        except client.ApiException as exc:
            if exc.status == 404:
                return []
            raise

    def create(self, rc: Any, key: str, count: int) -> None:
        with self._lock:  # expected before it is made: the watch may show it before create returns
            self.expectations[key] = Expectations(adds=count)
        template = rc.spec.template
        body = client.V1Pod(
            metadata=client.V1ObjectMeta(
                generate_name=f"{rc.metadata.name}-",
                labels=template.metadata.labels,
                annotations=template.metadata.annotations,
                owner_references=[_owner_ref(rc)],
            ),
            spec=template.spec,
        )
        for made in range(count):
            try:
                pod: Any = self.api.create_namespaced_pod(rc.metadata.namespace, body)
            except client.ApiException as exc:
                with self._lock:  # the rest will not be made: do not wait for them
                    self.expectations[key].adds -= count - made
                self.event(rc, "Warning", "FailedCreate", f"Error creating: {_error(exc)}")
                raise
            self.event(rc, "Normal", "SuccessfulCreate", f"Created pod: {pod.metadata.name}")

    def delete(self, rc: Any, key: str, victims: list[Any]) -> None:
        with self._lock:
            self.expectations[key] = Expectations(deletes={_key(p) for p in victims})
        for pod in victims:
            name = pod.metadata.name
            try:
                self.api.delete_namespaced_pod(name, pod.metadata.namespace)
            except client.ApiException as exc:
                with self._lock:
                    self.expectations[key].deletes.discard(_key(pod))
                if exc.status == 404:
                    continue
                self.event(rc, "Warning", "FailedDelete", f"Error deleting: {_error(exc)}")
                raise
            self.event(rc, "Normal", "SuccessfulDelete", f"Deleted pod: {name}")

    def update_status(self, rc: Any, key: str, pods: list[Any]) -> None:
        template_labels = (rc.spec.template.metadata.labels or {}).items()
        min_ready = rc.spec.min_ready_seconds or 0
        now = datetime.datetime.now(datetime.UTC)
        available = 0
        for pod in pods:
            since = _ready_since(pod)
            if since is not None and (
                not min_ready or since + datetime.timedelta(seconds=min_ready) <= now
            ):
                available += 1
            elif since is not None:  # look again once it has been Ready long enough
                self.enqueue(key, after=min_ready + 1)
        status = {
            "replicas": len(pods),
            "fullyLabeledReplicas": sum(
                1 for p in pods if template_labels <= (p.metadata.labels or {}).items()
            ),
            "readyReplicas": sum(1 for p in pods if _ready_since(p) is not None),
            "availableReplicas": available,
            "observedGeneration": rc.metadata.generation,
        }
        current = rc.status
        if current is not None and status == {
            "replicas": current.replicas,
            "fullyLabeledReplicas": current.fully_labeled_replicas or 0,
            "readyReplicas": current.ready_replicas or 0,
            "availableReplicas": current.available_replicas or 0,
            "observedGeneration": current.observed_generation,
        }:
            return
        # As the controller's PUT of the status: zero counts are left out (omitempty).
        patch = {"status": {k: (v if v or k == "replicas" else None) for k, v in status.items()}}
        self.api.patch_namespaced_replication_controller_status(
            rc.metadata.name,
            rc.metadata.namespace,
            patch,
            _content_type="application/merge-patch+json",
        )

    def event(self, rc: Any, type_: str, reason: str, message: str) -> None:
        """An Event as client-go's legacy recorder writes it for kube-controller-manager."""
        now = _Stamp.now(datetime.UTC).replace(microsecond=0)
        body = client.CoreV1Event(
            metadata=client.V1ObjectMeta(
                name=f"{rc.metadata.name}.{time.time_ns():x}", namespace=rc.metadata.namespace
            ),
            involved_object=client.V1ObjectReference(
                api_version="v1",
                kind="ReplicationController",
                name=rc.metadata.name,
                namespace=rc.metadata.namespace,
                uid=rc.metadata.uid,
                resource_version=rc.metadata.resource_version,
            ),
            reason=reason,
            message=message,
            source=client.V1EventSource(component=COMPONENT),
            first_timestamp=now,
            last_timestamp=now,
            count=1,
            type=type_,
            reporting_component=COMPONENT,
            reporting_instance="",
        )
        try:
            self.api.create_namespaced_event(rc.metadata.namespace, body)
        except client.ApiException as exc:  # events are best effort
            _log(f"event {reason}: {exc.status} {_error(exc)}")

    def stop(self) -> None:
        self.stopping.set()
        self.queue.put(None)


class _Stamp(datetime.datetime):
    """A time the client writes as kube-apiserver stores it, `2006-01-02T15:04:05Z`: its own
    isoformat() gives `+00:00`, which kube-apiserver reads and writes back with `Z`, but which
    listwatch's server stores as sent (and then cannot print: `kubectl get events` fails)."""

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return self.strftime("%Y-%m-%dT%H:%M:%SZ")


def _key(obj: Any) -> str:
    return f"{obj.metadata.namespace}/{obj.metadata.name}"


def _controller_ref(pod: Any) -> Any:
    return next((r for r in pod.metadata.owner_references or () if r.controller), None)


def _owner_ref(rc: Any) -> client.V1OwnerReference:
    return client.V1OwnerReference(
        api_version="v1",
        kind="ReplicationController",
        name=rc.metadata.name,
        uid=rc.metadata.uid,
        controller=True,
        block_owner_deletion=True,
    )


def _active(pod: Any) -> bool:
    phase = pod.status.phase if pod.status else None
    return pod.metadata.deletion_timestamp is None and phase not in ("Succeeded", "Failed")


def _ready_since(pod: Any) -> datetime.datetime | None:
    """When the pod became Ready, if it is."""
    for condition in (pod.status.conditions if pod.status else None) or ():
        if condition.type == "Ready" and condition.status == "True":
            return condition.last_transition_time or datetime.datetime.now(datetime.UTC)
    return None


def _least_valuable(pods: list[Any]) -> list[Any]:
    """The pods in the order the controller deletes them (controller.ActivePodsWithRanks)."""
    on_node: dict[str | None, int] = {}
    for pod in pods:
        on_node[pod.spec.node_name] = on_node.get(pod.spec.node_name, 0) + 1
    phases = {"Pending": 0, "Unknown": 1, "Running": 2}

    def rank(pod: Any) -> tuple[int, int, int, int, float, int, float]:
        since = _ready_since(pod)
        restarts = sum(s.restart_count for s in (pod.status.container_statuses or ()))
        return (
            1 if pod.spec.node_name else 0,
            phases.get(pod.status.phase or "Pending", 0),
            0 if since is None else 1,
            -on_node[pod.spec.node_name] if pod.spec.node_name else 0,
            -since.timestamp() if since else 0.0,
            -restarts,
            -pod.metadata.creation_timestamp.timestamp(),
        )

    return sorted(pods, key=rank)


def _error(exc: client.ApiException) -> str:
    """An API error as client-go prints it: the message of the Status the server answered."""
    try:
        return str(json.loads(exc.body or "")["message"])
    except (TypeError, ValueError, KeyError):
        return str(exc.reason)


def _log(message: str) -> None:
    print(f"replication-controller: {message}", file=sys.stderr, flush=True)


def serve(controller: ReplicationManager, what: str) -> int:
    """Run `controller` until SIGINT or SIGTERM: its two watches, and its syncs."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        controller.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    api = controller.api
    watches = (
        (api.list_replication_controller_for_all_namespaces, controller.rc_event),
        (api.list_pod_for_all_namespaces, controller.pod_event),
    )
    for lister, handle in watches:
        threading.Thread(target=controller.informer, args=(lister, handle), daemon=True).start()
    print(
        f"replication-controller: keeping the replicas of ReplicationControllers{what}", flush=True
    )
    controller.run()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--kubeconfig",
        default=None,
        help="the cluster's kubeconfig (default: $KUBECONFIG or ~/.kube/config)",
    )
    args = parser.parse_args(argv)
    config.load_kube_config(config_file=args.kubeconfig)  # type: ignore[no-untyped-call]
    return serve(ReplicationManager(client.CoreV1Api()), "")


if __name__ == "__main__":
    sys.exit(main())
