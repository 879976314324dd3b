"""The kubelet's node part: registering the node and reporting it alive (heartbeats).

A kubelet posts its node's status every nodeStatusUpdateFrequency; the node lifecycle controller
marks a node whose heartbeat stops as Unknown. Each post reports the node's capacity and
allocatable again (the kubelet's setters compute them from the machine at every update), so a
client's patch of them holds only until the next post. `stop` is the kubelet process dying (no more
heartbeats; the kubelet stops its watches itself); `resume` posts the node Ready at once, and
`start_heartbeats` starts the heartbeats again.

The status it registers and posts carries the node's images (`status.images`), as the kubelet's
Images setter makes them from the runtime's image list: largest first (ties by image ID,
descending), at most nodeStatusMaxImages, each `{names: [digests..., tags...], sizeBytes}` with
at most maxNamesPerImageInNodeStatus names. An image pulled shows at the next post (a real
kubelet reads a cache of the runtime's list that it refreshes every 30s; this reads the runtime's
list at each post).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.loop import Loop
from listwatch.runtime.base import Runtime


class NodeStatus:
    """Registers one node and posts its conditions and images while `reporting`."""

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        actor: str,
        runtime: Runtime,
        template: Obj,
        node_name: str,
        settings: Mapping[str, Any],
        current: Callable[[], Obj | None],
    ) -> None:
        self.api = api
        self.loop = loop
        self.actor = actor
        self.runtime = runtime
        self.template = template
        self.node_name = node_name
        self.settings = settings
        #: The node as the kubelet's watch last showed it (its conditions' transition times).
        self.current = current
        self.reporting = False

    def register(self) -> None:
        """Create the node (as a kubelet does at start), with the runtime's images."""
        node = {
            **self.template,
            "status": {**(self.template.get("status") or {}), "images": self._node_images()},
        }
        with contextlib.suppress(errors.AlreadyExists):
            self.api.create("nodes", node, actor=self.actor)
        self.reporting = True

    def start_heartbeats(self) -> None:
        """Post the node's status every nodeStatusUpdateFrequency while reporting."""
        self.loop.call_later(
            float(self.settings["nodeStatusUpdateFrequency"]), self._heartbeat, daemon=True
        )

    def stop(self) -> None:
        """No more heartbeats (the kubelet died)."""
        self.reporting = False

    def resume(self) -> None:
        """The kubelet is back: report again, starting with the node's status now."""
        self.reporting = True
        self.post()

    def _heartbeat(self) -> None:
        if not self.reporting:
            return
        self.post()
        self.start_heartbeats()

    def _resources(self) -> Obj:
        """status.capacity and status.allocatable as the kubelet registered them."""
        status = self.template.get("status") or {}
        return {key: dict(status[key]) for key in ("capacity", "allocatable") if status.get(key)}

    def _node_images(self) -> list[Obj]:
        """status.images: the runtime's images, as the kubelet's Images setter reports them."""
        images = sorted(
            self.runtime.images(self.node_name), key=lambda i: (i.size, i.id), reverse=True
        )
        most = int(self.settings["nodeStatusMaxImages"])
        if most > -1:
            images = images[:most]
        names = int(self.settings["maxNamesPerImageInNodeStatus"])
        return [
            {"names": [*i.repo_digests, *i.repo_tags][:names], "sizeBytes": i.size} for i in images
        ]

    def post(self) -> None:
        """Patch the node's conditions (the kubelet's own view, Ready, with a fresh heartbeat), its
        capacity and allocatable (the kubelet's own, as it registered them: a client's change of
        them lasts until this post) and images."""
        now = self.loop.stamps.now()
        previous = {
            c.get("type"): c
            for c in ((self.current() or {}).get("status") or {}).get("conditions") or ()
        }
        conditions = []
        for condition in self.settings["node"]["conditions"]:
            before = previous.get(condition["type"], {})
            changed = before.get("status") != condition["status"]
            conditions.append(
                {
                    **condition,
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": now if changed else before.get("lastTransitionTime", now),
                }
            )
        with contextlib.suppress(errors.APIError):
            self.api.patch(
                "nodes",
                self.node_name,
                {
                    "status": {
                        **self._resources(),
                        "conditions": conditions,
                        "images": self._node_images(),
                    }
                },
                patch_type="strategic",
                subresource="status",
                actor=self.actor,
            )
