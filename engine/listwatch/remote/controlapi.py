"""The control API of a served cluster (`listwatch serve`, /listwatch/v1), from the client's side.

A real cluster is controlled out of band (kind: `docker stop` a node; elsewhere, `systemctl stop
kubelet` on the node); `listwatch serve` offers that control as an HTTP API beside the Kubernetes
one (`listwatch.server.control`). `ControlClient.probe` finds it with one GET: a real cluster
answers 404 (or 403, to a user without rights on non-resource paths), and then there is none.
Bodies are those of `listwatch.backend` (`OpenWatch`, `InformerState`, ...); errors are the
`APIError`s built from the server's Status (`kubeapi`). Names are the cluster's own: mapping the
features' names is the cluster backend's business.
"""

from __future__ import annotations

from typing import Any

from listwatch import backend as capabilities
from listwatch import errors
from listwatch.backend import Compaction, InformerState, KubeletState, OpenWatch
from listwatch.remote.kubeapi import KubeAPI

PREFIX = "/listwatch/v1"
#: The kind of the index at PREFIX: what tells the control API from anything else at that path.
INDEX_KIND = "ControlAPI"


class ControlClient:
    """Requests to a served cluster's control API (see the module docstring)."""

    def __init__(self, api: KubeAPI, *, speed: float = 1.0) -> None:
        self.api = api
        #: How many of the cluster's seconds pass in a real second (`listwatch serve --speed`).
        self.speed = speed

    @classmethod
    def probe(cls, api: KubeAPI) -> ControlClient | None:
        """The control API of the cluster behind `api`, or None when it has none (a real
        cluster)."""
        try:
            index = api.request("GET", PREFIX)
        except errors.APIError as exc:
            if exc.code in (403, 404):
                return None
            raise
        if not isinstance(index, dict) or index.get("kind") != INDEX_KIND:
            return None
        speed = (index.get("clock") or {}).get("speed", 1.0)
        return cls(api, speed=float(speed) if isinstance(speed, int | float) else 1.0)

    def capabilities(self) -> frozenset[capabilities.Capability]:
        """What this control API offers (no kubelet control on a cluster served without its
        kubelets)."""
        offered = set(capabilities.SERVED)
        if not self.kubelets():
            offered.discard(capabilities.Capability.KUBELET_CONTROL)
        return frozenset(offered)

    # -- watches -----------------------------------------------------------------------------------

    def watches(self, *, actor: str = "") -> list[OpenWatch]:
        items: list[OpenWatch] = self._get("watches", actor=actor)["items"]
        return items

    def informers(self, *, actor: str = "") -> list[InformerState]:
        items: list[InformerState] = self._get("informers", actor=actor)["items"]
        return items

    def cut(self, actor: str, *, resource: str = "", reconnect: bool = True) -> list[OpenWatch]:
        body = {
            "actor": actor,
            "reconnect": reconnect,
            **({"resource": resource} if resource else {}),
        }
        cut: list[OpenWatch] = self._post("watches/cut", body)["cut"]
        return cut

    def reconnect(self, actor: str, *, resource: str = "") -> list[InformerState]:
        body = {"actor": actor, **({"resource": resource} if resource else {})}
        items: list[InformerState] = self._post("watches/reconnect", body)["items"]
        return items

    # -- compaction and kubelets -------------------------------------------------------------------

    def compact(self, revision: int | None = None) -> Compaction:
        done: Compaction = self._post(
            "compaction", {} if revision is None else {"revision": revision}
        )
        return done

    def kubelets(self) -> list[KubeletState]:
        items: list[KubeletState] = self._get("kubelets")["items"]
        return items

    def kubelet(self, node: str) -> KubeletState:
        found: KubeletState = self._get(f"kubelets/{node}")
        return found

    def stop_kubelet(self, node: str) -> KubeletState:
        done: KubeletState = self._post(f"kubelets/{node}/stop", {})
        return done

    def restart_kubelet(self, node: str) -> KubeletState:
        done: KubeletState = self._post(f"kubelets/{node}/restart", {})
        return done

    # -- inside ------------------------------------------------------------------------------------

    def _get(self, path: str, **query: str) -> Any:
        return self.api.request(
            "GET", f"{PREFIX}/{path}", query={k: v for k, v in query.items() if v}
        )

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self.api.request("POST", f"{PREFIX}/{path}", body=body)
