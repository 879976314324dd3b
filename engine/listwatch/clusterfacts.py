"""Sources of facts: an in-process cluster (memory or Docker runtime) read directly.

Its nodes are read as any client reads them (their status.images included); what a container
listens on, and whether the pod answers on a port, come from the kubelets' runtime.
"""

from __future__ import annotations

from listwatch import errors
from listwatch.apiserver.objects import Obj
from listwatch.cluster import Cluster


class ClusterSource:
    """Reads a pod's facts from an in-process cluster: its API, and its container runtime."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def pod(self, name: str, namespace: str) -> Obj | None:
        try:
            return self.cluster.api.get("pods", name, namespace=namespace)
        except errors.NotFound:
            return None

    def events_for(self, pod: Obj) -> list[Obj]:
        return self.cluster.events_for(pod)

    def nodes(self) -> list[Obj]:
        return self.cluster.api.list("nodes").items

    def services(self, namespace: str) -> list[Obj]:
        return self.cluster.api.list("services", namespace=namespace).items

    def _container_id(self, pod: Obj, container: str) -> str:
        for status in (pod.get("status") or {}).get("containerStatuses") or ():
            if status["name"] == container:
                return str(status.get("containerID", "")).partition("://")[2]
        return ""

    def logs(self, pod: Obj, container: str, *, tail: int, previous: bool = False) -> str | None:
        meta = pod.get("metadata") or {}
        try:
            return self.cluster.logs(
                str(meta.get("name", "")),
                namespace=str(meta.get("namespace") or "default"),
                container=container,
                tail=tail,
                previous=previous,
            )
        except errors.APIError:
            return None

    def listening(self, pod: Obj, container: str) -> frozenset[int] | None:
        """Inside the container, from its runtime (nothing while it has no container)."""
        cid = self._container_id(pod, container)
        return self.cluster.runtime.listening(cid) if cid else frozenset()

    def answers(self, pod: Obj, port: int) -> bool | None:
        """Whether a running container of the pod listens on `port` (they share the pod's network):
        what a try from its node finds, and what the served pods proxy answers from. None while the
        pod has no IP."""
        status = pod.get("status") or {}
        if not status.get("podIP"):
            return None
        for entry in status.get("containerStatuses") or ():
            cid = str(entry.get("containerID", "")).partition("://")[2]
            if (
                cid
                and "running" in (entry.get("state") or {})
                and port in (self.cluster.runtime.listening(cid) or ())
            ):
                return True
        return False
