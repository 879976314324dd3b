"""Facts read through a kubeconfig: any Kubernetes API (a real cluster, or `listwatch serve`).

What a client cannot read is said so: the ports a container listens on cannot be seen from
outside (None). Whether the pod answers on a port is tried from its node as the API server
reaches it: a GET through the pods proxy (`try_port`; RBAC `pods/proxy` get). The images the
nodes have are those their status lists (status.images), read from the nodes like any object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from listwatch import errors
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.resources import RESOURCES
from listwatch.remote.kubeapi import KubeAPI

if TYPE_CHECKING:
    from listwatch.remote.cluster import RemoteCluster


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
        return self.api.list(
            "events",
            namespace=meta.get("namespace"),
            field_selector=f"involvedObject.uid={meta.get('uid')}",
        )

    def nodes(self) -> list[Obj]:
        if self._nodes is None:
            self._nodes = self.api.list("nodes")
        return self._nodes

    def services(self, namespace: str) -> list[Obj]:
        return self.api.list("services", namespace=namespace)

    def logs(self, pod: Obj, container: str, *, tail: int, previous: bool = False) -> str | None:
        meta = pod.get("metadata") or {}
        try:
            return self.api.logs(
                meta.get("name", ""),
                namespace=meta.get("namespace", "default"),
                container=container,
                tail=tail,
                previous=previous,
            )
        except errors.APIError:
            return None

    def listening(self, pod: Obj, container: str) -> frozenset[int] | None:
        return None

    def answers(self, pod: Obj, port: int) -> bool | None:
        meta = pod.get("metadata") or {}
        return try_port(
            self.api,
            str(meta.get("name", "")),
            port,
            namespace=str(meta.get("namespace") or "default"),
        )


def try_port(api: KubeAPI, pod: str, port: int, *, namespace: str) -> bool | None:
    """Whether the pod answers on `port`, tried from its node: `GET .../pods/POD:PORT/proxy/`.

    Any answer of the pod's is True, whatever its status (a 404 from the pod's server is an
    answer). The API server's 503 `error trying to reach service: ...` (nothing listens, no route)
    is False. None when it cannot be tried: the pod has no IP yet (400 `address not allowed`), is
    gone, the user may not use the proxy (401, 403), or the API cannot be reached.
    """
    path = (
        KubeAPI.path(
            RESOURCES["pods"], namespace=namespace, name=f"{pod}:{port}", subresource="proxy"
        )
        + "/"
    )
    try:
        api.request("GET", path)
    except errors.BackendUnavailable:
        return None
    except errors.APIError as exc:
        if exc.code == 503 and exc.message.startswith("error trying to reach service"):
            return False
        if _refused_by_the_api_server(exc):
            return None
    return True


def _refused_by_the_api_server(exc: errors.APIError) -> bool:
    """Whether the API server refused to try (its own Status), rather than relaying the pod's
    answer."""
    message = exc.message
    return (
        exc.code == 401
        or message == "address not allowed"
        # pods "web" not found; pods "web:80" is forbidden: User ... cannot get resource
        # "pods/proxy"
        or message.startswith(("invalid pod request", 'pods "'))
    )


class RemoteSource:
    """The troubleshooting tree's facts (`troubleshoot.facts.Source`) read through the backend, in
    the features' names."""

    def __init__(self, cluster: RemoteCluster) -> None:
        self.cluster = cluster

    def pod(self, name: str, namespace: str) -> Obj | None:
        try:
            return self.cluster.pod(name, namespace)
        except errors.NotFound:
            return None

    def events_for(self, pod: Obj) -> list[Obj]:
        return self.cluster.events_for(pod)

    def nodes(self) -> list[Obj]:
        return [
            n
            for n in self.cluster.list("nodes", namespace=None)
            if n["metadata"]["name"] in self.cluster.names.nodes
        ]

    def services(self, namespace: str) -> list[Obj]:
        return self.cluster.list("services", namespace=namespace)

    def logs(self, pod: Obj, container: str, *, tail: int, previous: bool = False) -> str | None:
        try:
            meta = pod["metadata"]
            return self.cluster.logs(
                str(meta["name"]),
                namespace=str(meta.get("namespace", "default")),
                container=container,
                tail=tail,
                previous=previous,
            )
        except errors.APIError:
            return None

    def listening(self, pod: Obj, container: str) -> frozenset[int] | None:
        """Unknown from outside the container (it needs `kubectl exec ... netstat`)."""
        return None

    def answers(self, pod: Obj, port: int) -> bool | None:
        """Whether the pod answers on `port`, tried from its node through the pods proxy
        (`try_port`)."""
        namespace = self.cluster.names.namespace_of(
            str(pod["metadata"].get("namespace", "default"))
        )
        return try_port(self.cluster.api, str(pod["metadata"]["name"]), port, namespace=namespace)
