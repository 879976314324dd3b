"""Sources of facts: an in-process cluster (memory or Docker runtime) read directly."""

from __future__ import annotations

from typing import Any

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

    def logs(self, pod: Obj, container: str, *, tail: int) -> str | None:
        cid = self._container_id(pod, container)
        return self.cluster.runtime.logs(cid, tail=tail) if cid else ""

    def listening(self, pod: Obj, container: str) -> frozenset[int] | None:
        cid = self._container_id(pod, container)
        return self.cluster.runtime.listening(cid) if cid else frozenset()

    def alternatives(self, image: str) -> list[str]:
        found: Any = getattr(self.cluster.runtime, "alternatives", None)
        return list(found(image)) if found is not None else []
