"""A simulated cluster: etcd, the API server, the controller manager, the scheduler, and a kubelet
per node over a container runtime, all on one event loop.

Under the logical clock (the default) a cluster is deterministic: the same spec, manifests, nodes
and seed give the same run, and `settle` costs no wall-clock time however long the simulated
back-offs are.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from listwatch import errors
from listwatch.actions import Action, ActionSink
from listwatch.apiserver import eviction, objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Identity, Obj
from listwatch.clock import Clock, ManualClock, rfc3339
from listwatch.components.base import Component
from listwatch.components.controller_manager import ControllerManager
from listwatch.components.failures import ComponentError
from listwatch.components.kubelet import Kubelet
from listwatch.components.scheduler import Scheduler
from listwatch.engine import Engine
from listwatch.loop import Loop
from listwatch.machines import building
from listwatch.runtime.base import Runtime
from listwatch.runtime.memory import MemoryRuntime
from listwatch.store.mvcc import MVCCStore
from listwatch.store.watch import WatchableStore

DEFAULT_NODES = ("node01", "node02")
#: How far a run goes at most, in simulated seconds, before `settle` gives up waiting.
DEFAULT_HORIZON = 600.0


class Sinks:
    """Fan one action out to several sinks (the flow tracker, a trace writer, a test's list)."""

    def __init__(self) -> None:
        self._sinks: list[ActionSink] = []

    def add(self, sink: ActionSink) -> None:
        self._sinks.append(sink)

    def __call__(self, action: Action) -> None:
        for sink in self._sinks:
            sink(action)


class Cluster:
    """The whole control plane and its nodes, as one object a caller drives."""

    def __init__(
        self,
        engine: Engine,
        *,
        nodes: Sequence[str] = DEFAULT_NODES,
        node_labels: Mapping[str, Mapping[str, str]] | None = None,
        runtime: Runtime | None = None,
        clock: Clock | None = None,
        loop: Loop | None = None,
        sinks: Iterable[ActionSink] = (),
        seed: int = 0,
        without: Iterable[str] = (),
        trace_actions: bool = True,
    ) -> None:
        """`runtime` is the kubelets' container runtime (a memory runtime on the cluster's loop by
        default). A runtime that is made for a loop (Docker: `runtime_for("docker", loop)`) comes
        with that `loop`, which then sets the clock: `Cluster(engine, loop=loop, runtime=...)`."""
        if loop is not None and clock is not None and clock is not loop.clock:
            raise ValueError(
                "a cluster given a loop runs on that loop's clock; give the loop or the clock, "
                "not both"
            )
        self.engine = engine
        self.spec = engine.spec
        self.clock = loop.clock if loop is not None else clock or ManualClock()
        self.loop = loop or Loop(self.clock)
        self.sinks = Sinks()
        for extra in sinks:
            self.sinks.add(extra)
        sink: ActionSink | None = self.sinks if trace_actions else None
        #: The edges of the spec's machines this cluster has fired (machine, trigger, source, dest).
        self.fired = building.FiredEdges()
        #: How many contexts (pods, requests, watches ...) sit in each state of each machine.
        self.states = building.StateCounts()
        self._log_wording = self.spec.logs_wording()
        machines = building.observed(engine.machines, building.both(self.fired, self.states))
        self.store = MVCCStore()
        self.etcd = WatchableStore(self.store, schedule=self.loop.call_soon, machines=machines)
        self.api = APIServer(
            self.store,
            self.etcd,
            self.loop,
            machines=machines,
            identity=Identity(seed),
            sink=sink,
            settings=self.spec.component("apiserver").settings,
        )
        self.runtime = runtime or MemoryRuntime(self.loop, seed=seed)
        #: Every watch event a component failed to handle (it logged it and went on); a test
        #: asserts this stays empty unless it fed a component something it cannot handle.
        self.component_errors: list[ComponentError] = []
        common: dict[str, Any] = {
            "api": self.api,
            "loop": self.loop,
            "spec": self.spec,
            "machines": machines,
            "sink": sink,
            "errors": self.component_errors,
        }
        skip = set(without)
        self.components: list[Component] = []
        controllers = self.spec.component("controller-manager").settings["controllers"]
        self.controller_manager = (
            ControllerManager(disabled=skip & set(controllers), **common)
            if "controller-manager" not in skip
            else None
        )
        self.scheduler = Scheduler(seed=seed, **common) if "scheduler" not in skip else None
        self.kubelets: dict[str, Kubelet] = {}
        labels = node_labels or {}
        if "kubelet" not in skip:
            for index, name in enumerate(nodes):
                node = node_object(
                    self.spec.component("kubelet").settings["node"],
                    name,
                    index,
                    labels.get(name, {}),
                    self.clock,
                )
                self.kubelets[name] = Kubelet(node=node, runtime=self.runtime, **common)
        for component in (self.controller_manager, self.scheduler, *self.kubelets.values()):
            if component is not None:
                self.components.append(component)
        self.api.components.update(c.name for c in (self.controller_manager, self.scheduler) if c)
        self._started = False

    def on_explain(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Have `callback` get the explanation of each scheduling attempt (an EXPLAIN record,
        `components.scheduler.explain`), on the cluster's loop, until the function returned is
        called. Explanations are computed only while someone listens (they cost a walk of the
        nodes each attempt evaluates). No scheduler (left out), no explanations."""
        listeners = self.scheduler.explain_listeners if self.scheduler is not None else []
        listeners.append(callback)

        def stop() -> None:
            if callback in listeners:
                listeners.remove(callback)

        return stop

    # -- running -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start every component (each lists, then watches) and let them sync."""
        if self._started:
            return
        self._started = True
        for component in self.components:
            component.start()
            self.loop.run_ready()  # each lists and watches before the next registers its node
        self.loop.run(until=self.synced)

    def synced(self) -> bool:
        return all(i.synced for c in self.components for i in c.informers.values())

    def settle(
        self, *, horizon: float = DEFAULT_HORIZON, until: Callable[[], bool] | None = None
    ) -> bool:
        """Run until nothing is left to do (or `until` holds), at most `horizon` simulated seconds
        on."""
        return self.loop.run(until=until, horizon=self.clock.now() + horizon)

    def advance(self, seconds: float) -> None:
        """Let `seconds` of simulated time pass, running whatever falls due."""
        self.loop.run(until=lambda: False, horizon=self.clock.now() + seconds)

    def close(self) -> None:
        for component in self.components:
            component.stop()
        self.runtime.close()

    # -- what a user does --------------------------------------------------------------------------

    def apply(self, obj: Obj, *, actor: str = "kubectl") -> Obj:
        """Create an object (kubectl create): a Pod, a ReplicationController, a ReplicaSet ..."""
        resource = self.api.resource(obj.get("kind", ""))
        return self.api.create(
            resource.plural, obj, namespace=objects.namespace_of(obj) or None, actor=actor
        )

    def delete(
        self,
        kind: str,
        name: str,
        *,
        namespace: str = "default",
        grace_period_seconds: int | None = None,
        propagation: str = "Background",
    ) -> Obj:
        """kubectl delete: `propagation` is the propagationPolicy kubectl sends (--cascade)."""
        return self.api.delete(
            kind,
            name,
            namespace=namespace,
            actor="kubectl",
            grace_period_seconds=grace_period_seconds,
            propagation_policy=propagation,
        )

    def evict(self, name: str, *, namespace: str = "default", actor: str = "kubectl") -> None:
        """POST pods/NAME/eviction, as kubectl drain does (`apiserver.eviction`)."""
        body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}}
        eviction.evict(self.api, namespace, name, body, actor=actor)

    def label_node(self, node: str, key: str, value: str | None, *, overwrite: bool = False) -> Obj:
        """kubectl label nodes NODE KEY=VALUE (value None removes the label)."""
        current = self.api.get("nodes", node)
        labels = objects.labels_of(current)
        if value is not None and key in labels and labels[key] != value and not overwrite:
            raise errors.Conflict(
                f"'{key}' already has a value ({labels[key]}), and --overwrite is false"
            )
        return self.api.patch(
            "nodes", node, {"metadata": {"labels": {key: value}}}, actor="kubectl"
        )

    def scale(self, kind: str, name: str, replicas: int, *, namespace: str = "default") -> Obj:
        return self.api.patch(
            kind, name, {"spec": {"replicas": replicas}}, namespace=namespace, actor="kubectl"
        )

    def set_image(self, pod: str, container: str, image: str, *, namespace: str = "default") -> Obj:
        """kubectl set image pod/POD CONTAINER=IMAGE."""
        return self.api.patch(
            "pods",
            pod,
            {"spec": {"containers": [{"name": container, "image": image}]}},
            namespace=namespace,
            patch_type="strategic",
            actor="kubectl",
        )

    def patch(
        self, resource: str, name: str, patch: dict[str, Any], *, namespace: str = "default"
    ) -> Obj:
        """kubectl patch RESOURCE NAME -p PATCH (a JSON merge patch)."""
        return self.api.patch(resource, name, patch, namespace=namespace, actor="kubectl")

    def restart_kubelet(self, node: str) -> None:
        """systemctl restart kubelet, on the node."""
        self.kubelets[node].restart()

    def stop_kubelet(self, node: str) -> None:
        """The kubelet of `node` stops (a crash, a powered-off machine): no watches, no
        heartbeats."""
        self.kubelets[node].stop_reporting()

    def pods(self, namespace: str | None = None) -> list[Obj]:
        return self.api.list("pods", namespace=namespace).items

    def pod(self, name: str, namespace: str = "default") -> Obj:
        return self.api.get("pods", name, namespace=namespace)

    def events_for(self, obj: Mapping[str, Any]) -> list[Obj]:
        uid = objects.uid_of(obj)
        namespace = objects.namespace_of(obj) or "default"
        return self.api.list(
            "events", namespace=namespace, field_selector=f"involvedObject.uid={uid}"
        ).items

    def logs(
        self,
        pod: str,
        *,
        namespace: str = "default",
        container: str | None = None,
        tail: int | None = None,
        previous: bool = False,
        since: datetime | None = None,
        timestamps: bool = False,
    ) -> str:
        """kubectl logs: the API server's checks of the container's name, then the kubelet's choice
        of which container instance to read (`log_container_id`), read as the kubelet reads it
        (the last `tail` lines, those written at or after `since`, with their times with
        `timestamps`). A pod not yet bound has no log."""
        obj = self.pod(pod, namespace)
        names = [c["name"] for c in obj["spec"]["containers"]]
        if container is None:
            if len(names) > 1:
                raise errors.BadRequest(
                    f"a container name must be specified for pod {pod}, choose one of: "
                    f"[{' '.join(names)}]"
                )
            container = names[0]
        elif container not in names:
            raise errors.BadRequest(f"container {container} is not valid for pod {pod}")
        if not obj["spec"].get("nodeName"):
            return ""
        statuses = (obj.get("status") or {}).get("containerStatuses") or []
        status = next((s for s in statuses if s["name"] == container), None)
        if status is None:
            raise errors.BadRequest(f'container "{container}" in pod "{pod}" is not available')
        return self.runtime.logs(
            log_container_id(status, pod, previous=previous, wording=self._log_wording),
            tail=tail,
            since=since,
            timestamps=timestamps,
        )


def log_container_id(
    status: Mapping[str, Any],
    pod: str,
    *,
    previous: bool = False,
    wording: Mapping[str, str],
) -> str:
    """The runtime's ID of the container instance whose log the kubelet reads (its
    validateContainerLogStatus): with `previous`, the last one that ended; else the running one,
    else the one that ended last. A BadRequest, with the kubelet's words, when there is none; a
    waiting reason is worded as `wording` says (the spec's `Spec.logs_wording`)."""
    name = status["name"]
    state = status.get("state") or {}
    last = (status.get("lastState") or {}).get("terminated")

    def runtime_id(reference: Any) -> str:
        return str(reference or "").partition("://")[2]

    if previous:
        if not last or not last.get("containerID"):
            raise errors.BadRequest(
                f'previous terminated container "{name}" in pod "{pod}" not found'
            )
        return runtime_id(last["containerID"])
    if "running" in state:
        return runtime_id(status.get("containerID"))
    if "terminated" in state or last is not None:
        found = (state.get("terminated") or {}).get("containerID") or (last or {}).get(
            "containerID"
        )
        if not found:
            raise errors.BadRequest(f'container "{name}" in pod "{pod}" is terminated')
        return runtime_id(found)
    if "waiting" in state:
        reason = (state["waiting"] or {}).get("reason", "")
        said = wording.get(reason, reason)
        raise errors.BadRequest(f'container "{name}" in pod "{pod}" is waiting to start: {said}')
    raise errors.BadRequest(f'container "{name}" in pod "{pod}" is waiting to start - no logs yet')


def node_object(
    settings: Mapping[str, Any], name: str, index: int, labels: Mapping[str, str], clock: Clock
) -> Obj:
    """The Node a kubelet registers: capacity, conditions and node info from the spec's kubelet
    settings."""
    now = rfc3339(clock.wall())
    digest = hashlib.sha256(name.encode()).hexdigest()
    address = f"192.168.{10 + index // 250}.{index % 250 + 2}"
    cidr = f"10.{244 + index // 256}.{index % 256}.0/24"
    conditions = [
        {**c, "lastHeartbeatTime": now, "lastTransitionTime": now} for c in settings["conditions"]
    ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": dict(labels),
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
        "status": {
            "capacity": dict(settings["capacity"]),
            "allocatable": dict(settings["allocatable"]),
            "conditions": conditions,
            "addresses": [
                {"type": "InternalIP", "address": address},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                **dict(settings["nodeInfo"]),
                "machineID": digest[:32],
                "systemUUID": str(uuid.UUID(digest[32:64])),
                "bootID": str(uuid.UUID(digest[:32])),
            },
        },
    }
