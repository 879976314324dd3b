"""Facts read through a kubeconfig: any Kubernetes API (a real cluster, or `listwatch serve`).

What a client cannot read is said so: the ports a container listens on are unknown (None) from
outside; the images a node could use instead are those its status lists (status.images).
"""

from __future__ import annotations

from listwatch import errors
from listwatch.apiserver.objects import Obj
from listwatch.backends.kubeapi import KubeAPI
from listwatch.backends.memory import normalize


class KubeSource:
    def __init__(self, api: KubeAPI) -> None:
        self.api = api
        self._nodes: list[Obj] | None = None

    def pod(self, name: str, namespace: str) -> Obj | None:
        try:
            return self.api.get("pods", name, namespace=namespace)
        except errors.NotFound:
            return None

    def events_for(self, pod: Obj) -> list[Obj]:
        meta = pod.get("metadata") or {}
        return self.api.list("events", namespace=meta.get("namespace"), field_selector=f"involvedObject.uid={meta.get('uid')}")

    def nodes(self) -> list[Obj]:
        if self._nodes is None:
            self._nodes = self.api.list("nodes")
        return self._nodes

    def services(self, namespace: str) -> list[Obj]:
        return self.api.list("services", namespace=namespace)

    def logs(self, pod: Obj, container: str, *, tail: int) -> str | None:
        meta = pod.get("metadata") or {}
        try:
            return self.api.logs(meta.get("name", ""), namespace=meta.get("namespace", "default"), container=container, tail=tail)
        except errors.APIError:
            return None

    def listening(self, pod: Obj, container: str) -> frozenset[int] | None:
        return None

    def alternatives(self, image: str) -> list[str]:
        _, repository, _ = normalize(image)
        found: list[str] = []
        for node in self.nodes():
            for entry in (node.get("status") or {}).get("images") or ():
                for name in entry.get("names") or ():
                    if "@" not in name and normalize(name)[1] == repository and name not in found:
                        found.append(name)
        return found
