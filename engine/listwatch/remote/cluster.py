"""The cluster backend: the features against any Kubernetes API, through a kubeconfig and the
official client.

The engine runs no control plane here: the cluster's own (a real one, or `listwatch serve`) does
the work, and this backend drives the user's side (create, label, scale, delete) and observes.
What it promises:

- **Its own namespace.** `start` creates `listwatch-<random>` (labelled
  `app.kubernetes.io/managed-by=listwatch`) and maps the features' `default` onto it; objects
  come back showing `default` (`names.NameMap`).
- **Nodes by the features' names.** `node01`, `node02` ... are the cluster's nodes of those names
  when it has them all, else its schedulable nodes in name order (`names.choose_nodes`);
  `describe()` says which.
- **It leaves no trace.** Everything it created is deleted at `close` (the objects, what its
  controllers made, the Events in its namespace, then the namespace), and every node label it
  changed is put back as it found it, also when the run is interrupted (`undo`: SIGINT,
  SIGTERM, exit), and after a SIGKILL by the next run to change labels (`nodelabels`). It
  deletes nothing it did not create, outside its namespace.
- **One scenario at a time with node labels.** Labelling a node, or creating a pod whose
  placement depends on labels, first takes the cluster's node-label lock (`nodelock`).
- **Observed and checked.** From `start` it records the watch streams of Pods and Events in its
  namespace and of Nodes (`recording`); `report()` judges them with the checker against the
  spec's observable projection (the internal steps of the flow are not visible to a client).
- **Waiting is watching.** `settle(until=...)` re-evaluates `until` whenever a watched object
  changes, for at most `horizon` seconds of real time.
- **Out-of-band control where the cluster offers it.** On a real cluster it has none of the
  simulator's capabilities (`capabilities.API_ONLY`). Against `listwatch serve` it finds the
  control API at `start` (`controlapi`) and has what it offers (`capabilities.SERVED`): the open
  watches and the components' List-Watches, cutting a component's watches, compacting the
  history, stopping and restarting a kubelet. Every scenario then holds the cluster's
  `DisruptionLock` shared, and one that cuts a watch or stops a kubelet holds it exclusive until
  `close` has put things back (held watches reconnected, kubelets restarted and their nodes
  schedulable again).
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from listwatch import backend as capabilities
from listwatch import errors
from listwatch.apiserver.resources import RESOURCES, Resource, resource_for
from listwatch.backend import (
    Compaction,
    InformerState,
    InformerStates,
    OpenWatch,
    OpenWatches,
)
from listwatch.checker import Report, check_records
from listwatch.remote import undo
from listwatch.remote.controlapi import ControlClient
from listwatch.remote.facts import RemoteSource
from listwatch.remote.kubeapi import KubeAPI
from listwatch.remote.names import FEATURE_NAMESPACE, NameMap, choose_nodes, schedulable
from listwatch.remote.nodelabels import NodeLabels
from listwatch.remote.nodelock import DisruptionLock, NodeLabelLock
from listwatch.remote.recording import WatchRecorder
from listwatch.spec.model import Spec
from listwatch.troubleshoot.facts import Source

Obj = dict[str, Any]
#: A list of objects (a name of its own: `list` is also a method of the class below).
Objs = list[Obj]
#: What the control API says about a watch (an open one, or a component's List-Watch).
Watched = TypeVar("Watched", OpenWatch, InformerState)

#: The label that marks what listwatch made (for an operator to find what a SIGKILLed run left).
MANAGED_BY = {"app.kubernetes.io/managed-by": "listwatch"}
#: How long `close` waits for the pods in its namespace to be gone.
CLEANUP_SECONDS = 60.0
#: How long `settle(until=None)` waits for the watches to fall quiet.
QUIET_SECONDS = 2.0
DEFAULT_HORIZON = 120.0


class RemoteCluster:
    """A Kubernetes API seen through a kubeconfig, as the features' `backend.Backend` (see the
    module docstring)."""

    def __init__(
        self,
        spec: Spec,
        *,
        kubeconfig: str | None,
        context: str | None = None,
        lock_dir: str | None = None,
    ) -> None:
        self.spec = spec
        self.api = KubeAPI(kubeconfig, context=context)
        self.names = NameMap("", {})
        self.log = undo.UndoLog(f"the cluster backend at {self.api.host}")
        self.lock = NodeLabelLock(self.api.host, directory=lock_dir)
        self.disruption = DisruptionLock(self.api.host, directory=lock_dir)
        self.labels = NodeLabels(self.api, self.log, self.lock)
        #: The served cluster's control API, found at `start` (None on a real cluster).
        self.control: ControlClient | None = None
        #: What it can do beyond the API: what the control API offers, once started (`start`).
        self.capabilities: frozenset[capabilities.Capability] = capabilities.API_ONLY
        self.recorder: WatchRecorder | None = None
        #: For each object created or scaled here (by `Kind/name`), the resourceVersion of that last
        #: change.
        self._changed: dict[str, str] = {}
        self._closed = False

    # -- running -----------------------------------------------------------------------------------

    def start(self, nodes: Sequence[str] = ("node01", "node02")) -> None:
        """Map the scenario's nodes, make the namespace, start recording (raises
        `BackendUnavailable`)."""
        try:
            cluster_nodes = self.api.list("nodes")
        except errors.APIError as exc:
            raise errors.BackendUnavailable(
                f"the Kubernetes API at {self.api.host} does not list nodes: {exc}"
            ) from exc
        node_map = choose_nodes(list(nodes), cluster_nodes)
        self.control = ControlClient.probe(self.api)
        if self.control is not None:
            self.capabilities = self.control.capabilities()
            self.disruption.share()
        namespace = f"listwatch-{secrets.token_hex(4)}"
        undo.arm(self.log)
        self.api.create(
            "namespaces",
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": namespace, "labels": MANAGED_BY},
            },
        )
        self.log.push(f"namespace {namespace}", lambda: self._remove_namespace(namespace))
        self.names = NameMap(namespace, node_map)
        self.recorder = WatchRecorder(
            self.api,
            [
                ("nodes", None),
                ("pods", namespace),
                ("events", namespace),
                ("replicationcontrollers", namespace),
                ("jobs", namespace),
            ],
        )
        self.recorder.start()

    def describe(self) -> str:
        return (
            f"{self.api.host}, namespace {self.names.namespace or '(not started)'}, nodes "
            f"{self.names.described()}"
        )

    def settle(
        self, *, horizon: float = DEFAULT_HORIZON, until: Callable[[], bool] | None = None
    ) -> bool:
        """Wait until `until` holds, or, without it, until the watches fall quiet; `horizon` is in
        seconds of the cluster's clock (real ones, unless `listwatch serve --speed` runs it
        faster)."""
        recorder = self._recorder()
        if until is None:
            return recorder.quiet(seconds=QUIET_SECONDS, timeout=horizon / self.speed)
        return recorder.wait(until, timeout=horizon / self.speed)

    @property
    def speed(self) -> float:
        """How many of the cluster's seconds pass in a real second."""
        return self.control.speed if self.control is not None else 1.0

    def advance(self, seconds: float) -> None:
        """Let `seconds` of the cluster's clock pass."""
        time.sleep(seconds / self.speed)

    def close(self) -> None:
        """Stop recording, delete what was created, restore node labels; raise if something
        stayed."""
        if self._closed:
            return
        self._closed = True
        if self.recorder is not None:
            self.recorder.stop()
        try:
            failures = self.log.undo()
        finally:
            undo.disarm(self.log)
            self.lock.release()
            self.disruption.release()
            self.api.close()
        if failures:
            raise errors.ListwatchError(
                "the cluster backend could not put back everything it changed: "
                f"{'; '.join(failures)}"
            )

    # -- what a user does --------------------------------------------------------------------------

    def apply(self, obj: dict[str, Any], *, actor: str = "kubectl") -> Obj:
        """Create an object in the backend's namespace (kubectl create), its nodes named for the
        cluster."""
        res = self._resource(str(obj.get("kind", "")))
        body = self._to_cluster(obj)
        if _depends_on_labels(body):
            self.labels.hold()
        namespace = (
            self.names.namespace_of(str((obj.get("metadata") or {}).get("namespace") or ""))
            if res.namespaced
            else None
        )
        created = self.api.create(res.plural, body, namespace=namespace)
        meta = created.get("metadata") or {}
        name, uid = str(meta.get("name", "")), str(meta.get("uid", ""))
        self.log.push(f"{res.kind} {name}", lambda: self._delete_created(res, name, namespace, uid))
        self._changed[f"{res.kind}/{name}"] = str(meta.get("resourceVersion", ""))
        return self.names.view(created, kind=res.kind)

    def delete(
        self,
        kind: str,
        name: str,
        *,
        namespace: str = "default",
        grace_period_seconds: int | None = None,
        propagation: str = "Background",
    ) -> Obj:
        res = self._resource(kind)
        deleted = self.api.delete(
            res.plural,
            name,
            namespace=self._ns(res, namespace),
            grace_period_seconds=grace_period_seconds,
            propagation=propagation,  # as kubectl sends it (a ReplicationController's default
            # without one is Orphan)
        )
        return self.names.view(deleted, kind=res.kind)

    def evict(self, pod: str, *, namespace: str = "default") -> None:
        ns = self.names.namespace_of(namespace)
        body = {
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": pod, "namespace": ns},
        }
        self.api.request(
            "POST",
            self.api.path(RESOURCES["pods"], namespace=ns, name=pod, subresource="eviction"),
            body=body,
        )

    def label_node(self, node: str, key: str, value: str | None, *, overwrite: bool = False) -> Obj:
        """kubectl label nodes NODE KEY=VALUE (None removes it); the label is put back at close."""
        return self.names.view(
            self.labels.set(self.names.node(node), key, value, overwrite=overwrite), kind="Node"
        )

    def scale(self, kind: str, name: str, replicas: int, *, namespace: str = "default") -> Obj:
        res = self._resource(kind)
        scaled = self.api.patch(
            res.plural, name, {"spec": {"replicas": replicas}}, namespace=self._ns(res, namespace)
        )
        self._changed[f"{res.kind}/{name}"] = str(
            (scaled.get("metadata") or {}).get("resourceVersion", "")
        )
        return self.names.view(scaled, kind=res.kind)

    def set_image(self, pod: str, container: str, image: str, *, namespace: str = "default") -> Obj:
        """kubectl set image pod/POD CONTAINER=IMAGE (a strategic merge patch, as kubectl sends
        it)."""
        body = {"spec": {"containers": [{"name": container, "image": image}]}}
        return self.names.view(
            self.api.patch(
                "pods",
                pod,
                body,
                namespace=self.names.namespace_of(namespace),
                patch_type="strategic",
            )
        )

    def patch(
        self, resource: str, name: str, patch: dict[str, Any], *, namespace: str = "default"
    ) -> Obj:
        """kubectl patch RESOURCE NAME -p PATCH (a JSON merge patch)."""
        res = self._resource(resource)
        return self.names.view(
            self.api.patch(res.plural, name, patch, namespace=self._ns(res, namespace)),
            kind=res.kind,
        )

    # -- out of band: the served cluster's control API ---------------------------------------------

    def restart_kubelet(self, node: str) -> None:
        """systemctl restart kubelet, on the node: through the control API where there is one."""
        control = self._control(
            f"restart the kubelet of {node}", f"run `systemctl restart kubelet` on {node}"
        )
        self._disrupt(f"restart the kubelet of {node}")
        control.restart_kubelet(self.names.node(node))

    def stop_kubelet(self, node: str) -> None:
        """The kubelet of `node` stops; `close` starts it again (and waits for its node to be
        schedulable)."""
        control = self._control(
            f"stop the kubelet of {node}", f"run `systemctl stop kubelet` on {node}"
        )
        real = self.names.node(node)
        self._disrupt(f"stop the kubelet of {node}")
        self.log.push(f"the kubelet of {real}", lambda: self._bring_back(control, real))
        control.stop_kubelet(real)

    def watches(self, *, actor: str = "") -> OpenWatches:
        """The API server's open watches, in the features' node names."""
        control = self._control("list the API server's watches")
        return [
            self._watch_view(w)
            for w in control.watches(actor=self.names.actor(actor) if actor else "")
        ]

    def informers(self, *, actor: str = "") -> InformerStates:
        """The served cluster's components' List-Watches, in the features' node names."""
        control = self._control("show a component's List-Watch")
        return [
            self._watch_view(i)
            for i in control.informers(actor=self.names.actor(actor) if actor else "")
        ]

    def cut(self, actor: str, *, resource: str = "", reconnect: bool = True) -> OpenWatches:
        """Cut `actor`'s watches (see `listwatch.control.Control.cut`); `close` reconnects what
        stays held."""
        control = self._control(f"cut the watches of {actor}")
        real = self.names.actor(actor)
        self._disrupt(f"cut the watches of {actor}")
        if not reconnect:
            self.log.push(f"the watches of {real}", lambda: self._reconnect_held(control, real))
        return [
            self._watch_view(w) for w in control.cut(real, resource=resource, reconnect=reconnect)
        ]

    def reconnect(self, actor: str, *, resource: str = "") -> InformerStates:
        """Let `actor`'s held watches watch again."""
        control = self._control(f"reconnect the watches of {actor}")
        return [
            self._watch_view(i)
            for i in control.reconnect(self.names.actor(actor), resource=resource)
        ]

    def compact(self) -> Compaction:
        """Compact the API server's history to its current revision."""
        return self._control("compact the API server's history").compact()

    @contextlib.contextmanager
    def watching(
        self, kind: str, *, resource_version: str, seconds: float = 10.0
    ) -> Iterator[Iterator[Obj]]:
        """A watch of `kind` in the backend's namespace from `resource_version`, for at most
        `seconds`: its events ({"type", "object"}, in the features' names). A watch the API
        refuses with 410 Gone shows as the ERROR event a watch stream would carry."""
        res = self._resource(kind)
        try:
            watch = self.api.watch(
                res.plural,
                namespace=self._ns(res, FEATURE_NAMESPACE),
                resource_version=resource_version,
                timeout=max(1, int(seconds)),
            )
        except errors.Gone as exc:
            yield iter([{"type": "ERROR", "object": exc.status()}])
            return
        try:
            yield (
                {
                    "type": e.get("type"),
                    "object": e.get("object")
                    if e.get("type") == "ERROR"
                    else self.names.view(e.get("object") or {}, kind=res.kind),
                }
                for e in watch
            )
        finally:
            watch.close()

    def _control(self, what: str, instead: str = "") -> ControlClient:
        if self.control is None:
            raise errors.BackendUnavailable(
                f"the cluster backend cannot {what} at {self.api.host}: it has no control API "
                "(only listwatch serve has one)" + (f"; {instead}" if instead else "")
            )
        return self.control

    def _disrupt(self, what: str) -> None:
        """Hold the disruption lock exclusive (see `nodelock`) before disrupting a component."""
        if (
            self.lock.held
        ):  # it would wait for scenarios that may be waiting for this one's node-label lock
            raise errors.ListwatchError(
                f"a scenario that holds the node-label lock cannot also {what}: split it in two"
            )
        self.disruption.exclude()

    def _bring_back(self, control: ControlClient, node: str) -> None:
        """Restart the kubelet of `node` (if it is stopped) and wait until its node is schedulable
        again."""
        control.restart_kubelet(node)
        deadline = time.monotonic() + CLEANUP_SECONDS
        while not schedulable(self.api.get("nodes", node)):
            if time.monotonic() > deadline:
                raise errors.ListwatchError(
                    f"node {node} is not schedulable {CLEANUP_SECONDS:g}s after its kubelet "
                    "restarted"
                )
            time.sleep(0.2)

    def _reconnect_held(self, control: ControlClient, actor: str) -> None:
        if any(i["held"] for i in control.informers(actor=actor)):
            control.reconnect(actor)

    def _watch_view(self, watch: Watched) -> Watched:
        """An open watch or a List-Watch in the features' node names (its actor and its field
        selector)."""
        out = watch.copy()
        out["actor"] = self.names.feature_actor(watch["actor"])
        out["fieldSelector"] = self.names.feature_selector(watch["fieldSelector"])
        return out

    # -- what a user reads -------------------------------------------------------------------------

    def get(self, kind: str, name: str, *, namespace: str = "default") -> Obj:
        res = self._resource(kind)
        real = self.names.node(name) if res.kind == "Node" else name
        return self.names.view(
            self.api.get(res.plural, real, namespace=self._ns(res, namespace)), kind=res.kind
        )

    def list(self, kind: str, *, namespace: str | None = "default") -> Objs:
        res = self._resource(kind)
        found = self.api.list(
            res.plural, namespace=self._ns(res, namespace) if namespace is not None else None
        )
        return [self.names.view(item, kind=res.kind) for item in found]

    def pods(self, namespace: str | None = None) -> Objs:
        """The pods in the backend's namespace (the features' `default`; `namespace` None means it
        too)."""
        return self.list("pods", namespace=namespace or FEATURE_NAMESPACE)

    def pod(self, name: str, namespace: str = "default") -> Obj:
        return self.get("pods", name, namespace=namespace)

    def events_for(self, obj: Mapping[str, Any]) -> Objs:
        meta = obj.get("metadata") or {}
        namespace = self.names.namespace_of(str(meta.get("namespace") or ""))
        found = self.api.list(
            "events",
            namespace=namespace,
            field_selector=f"involvedObject.uid={meta.get('uid', '')}",
        )
        return [self.names.view(e, kind="Event") for e in found]

    def logs(
        self,
        pod: str,
        *,
        namespace: str = "default",
        container: str | None = None,
        tail: int | None = None,
        previous: bool = False,
    ) -> str:
        return self.api.logs(
            pod,
            namespace=self.names.namespace_of(namespace),
            container=container,
            tail=tail,
            previous=previous,
        )

    def resource_version(self, kind: str) -> str:
        """The resourceVersion a list of `kind` in the backend's namespace is read at."""
        return self.list_at(kind)[1]

    def list_at(self, kind: str, *, namespace: str = "default") -> tuple[Objs, str]:
        """The objects of `kind` in the backend's namespace, and the resourceVersion the list was
        read at."""
        res = self._resource(kind)
        items, rv = self.api.list_at(res.plural, namespace=self._ns(res, namespace))
        return [self.names.view(item, kind=res.kind) for item in items], rv

    def changed_at(self, kind: str, name: str) -> str:
        """The resourceVersion of this backend's last create or scale of the object ("" if none)."""
        return self._changed.get(f"{self._resource(kind).kind}/{name}", "")

    # -- what was observed -------------------------------------------------------------------------

    def records(self) -> Objs:
        """The watch streams recorded so far, as a trace (see `recording`)."""
        return self._recorder().records()

    def report(self) -> Report:
        """The checker's judgement of what was recorded so far (in revision order: `recording`)."""
        return check_records(
            self._recorder().in_revision_order(), self.spec, name=f"watch of {self.names.namespace}"
        )

    def steps_of(self, name: str) -> tuple[str, ...]:
        """Never: a client sees no internal step (`report` judges what it sees instead)."""
        raise self._no_internal_steps()

    def watchers(self) -> frozenset[str]:
        """Never: a client does not see who opens a watch (`watches`, against listwatch serve)."""
        raise self._no_internal_steps()

    def _no_internal_steps(self) -> errors.BackendUnavailable:
        return errors.BackendUnavailable(
            capabilities.missing(
                self.capabilities, capabilities.Capability.INTERNAL_STEPS, backend="cluster"
            )
            or ""
        )

    def facts(self) -> Source:
        """The troubleshooting tree's facts, read through this backend (`facts.RemoteSource`)."""
        return RemoteSource(self)

    # -- inside ------------------------------------------------------------------------------------

    def _recorder(self) -> WatchRecorder:
        if self.recorder is None:
            raise errors.BackendUnavailable(
                "the cluster backend has not been started (start() makes its namespace and watches)"
            )
        return self.recorder

    def _resource(self, kind: str) -> Resource:
        found = resource_for(kind)
        if found is None:
            raise errors.NotFound(
                f'the server could not find the requested resource (resource "{kind}")'
            )
        return found

    def _ns(self, res: Resource, namespace: str) -> str | None:
        return self.names.namespace_of(namespace) if res.namespaced else None

    def _to_cluster(self, obj: Mapping[str, Any]) -> Obj:
        """The object as the cluster must get it: its namespace and its nodes' names the
        cluster's."""
        body: Obj = dict(obj)
        meta = dict(body.get("metadata") or {})
        meta.pop("namespace", None)
        body["metadata"] = meta
        spec = body.get("spec")
        if isinstance(spec, dict):
            spec = dict(spec)
            if spec.get("nodeName"):
                spec["nodeName"] = self.names.node(str(spec["nodeName"]))
            template = spec.get("template")
            if (
                isinstance(template, dict)
                and isinstance(template.get("spec"), dict)
                and template["spec"].get("nodeName")
            ):
                spec["template"] = {
                    **template,
                    "spec": {
                        **template["spec"],
                        "nodeName": self.names.node(str(template["spec"]["nodeName"])),
                    },
                }
            body["spec"] = spec
        return body

    def _delete_created(self, res: Resource, name: str, namespace: str | None, uid: str) -> None:
        """Delete an object this backend created, unless it is gone (or is a newer one of that
        name)."""
        try:
            current = self.api.get(res.plural, name, namespace=namespace)
        except errors.NotFound:
            return
        if uid and (current.get("metadata") or {}).get("uid") != uid:
            return
        try:
            self.api.delete(
                res.plural,
                name,
                namespace=namespace,
                grace_period_seconds=0,
                propagation="Background",
            )
        except errors.NotFound:
            return

    def _remove_namespace(self, namespace: str) -> None:
        """Empty the namespace (what this backend's objects made: pods of a controller, Events),
        then delete it.

        A real cluster's namespace controller would do the emptying; doing it here first makes the
        clean-up the same on an API without one, and lets `close` know the pods are gone.
        """
        for pod in self.api.list("pods", namespace=namespace):
            name = str((pod.get("metadata") or {}).get("name", ""))
            with contextlib.suppress(errors.NotFound):
                self.api.delete("pods", name, namespace=namespace, grace_period_seconds=0)
        deadline = time.monotonic() + CLEANUP_SECONDS
        while self.api.list("pods", namespace=namespace):
            if time.monotonic() > deadline:
                raise errors.ListwatchError(
                    f"pods in namespace {namespace} are still there {CLEANUP_SECONDS:g}s after "
                    "their deletion"
                )
            time.sleep(0.2)
        for event in self.api.list("events", namespace=namespace):
            with contextlib.suppress(errors.NotFound):
                self.api.delete(
                    "events",
                    str((event.get("metadata") or {}).get("name", "")),
                    namespace=namespace,
                )
        with contextlib.suppress(errors.NotFound):
            self.api.delete("namespaces", namespace)


def _depends_on_labels(obj: Mapping[str, Any]) -> bool:
    """Whether the object's pods depend on what the nodes share between scenarios: their labels
    (a nodeSelector or affinity, in the pod or its template) or their room (resource requests:
    two scenarios that each fill a node would make the kubelet reject the other's pods)."""
    spec = obj.get("spec") or {}
    template = (spec.get("template") or {}).get("spec") or {}
    containers = [*(spec.get("containers") or ()), *(template.get("containers") or ())]
    return bool(
        spec.get("nodeSelector")
        or template.get("nodeSelector")
        or spec.get("affinity")
        or template.get("affinity")
        or any((c.get("resources") or {}).get("requests") for c in containers)
    )
