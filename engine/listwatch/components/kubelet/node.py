"""The kubelet's node: registering it, reporting it alive (heartbeats), and stopping or restarting.

A kubelet posts its node's status every nodeStatusUpdateFrequency; the node lifecycle controller
marks a node whose heartbeat stops as Unknown. `stop_reporting` is the kubelet process dying (its
containers keep running; its watches and heartbeats stop); `restart` brings it back: it lists and
watches again, reports its node Ready, and re-sends every pod's status.

The status it registers and posts carries the node's images (`status.images`), as the kubelet's
Images setter makes them from the runtime's image list: largest first (ties by image ID,
descending), at most nodeStatusMaxImages, each `{names: [digests..., tags...], sizeBytes}` with
at most maxNamesPerImageInNodeStatus names. An image pulled shows at the next post (a real
kubelet reads a cache of the runtime's list that it refreshes every 30s; this reads the runtime's
list at each post).
"""

from __future__ import annotations

import contextlib

from listwatch import errors
from listwatch.apiserver.objects import Obj
from listwatch.components.kubelet.base import KubeletBase


class NodeStatus(KubeletBase):
    def start(self) -> None:
        """Register the node (as a kubelet does at start), open the spec's watches, start heartbeats."""
        template = self.node_template
        node = {
            **template,
            "status": {**(template.get("status") or {}), "images": self._node_images()},
        }
        with contextlib.suppress(errors.AlreadyExists):
            self.api.create("nodes", node, actor=self.actor)
        self.reporting = True
        super().start()
        self.loop.call_later(
            float(self.settings["nodeStatusUpdateFrequency"]), self._heartbeat, daemon=True
        )

    def _heartbeat(self) -> None:
        if not self.reporting:
            return
        self._post_node_status()
        self.loop.call_later(
            float(self.settings["nodeStatusUpdateFrequency"]), self._heartbeat, daemon=True
        )

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

    def _post_node_status(self) -> None:
        """Patch the node's conditions (the kubelet's own view, Ready, with a fresh heartbeat) and images."""
        now = self.loop.stamps.now()
        previous = {
            c.get("type"): c
            for c in ((self.node or {}).get("status") or {}).get("conditions") or ()
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
                {"status": {"conditions": conditions, "images": self._node_images()}},
                patch_type="strategic",
                subresource="status",
                actor=self.actor,
            )

    def stop_reporting(self) -> None:
        """The kubelet dies: no more watches, no more heartbeats (its containers keep running)."""
        self.reporting = False
        self.stop()

    def restart(self) -> None:
        """The kubelet comes back: it re-lists, reports its node Ready and every pod's status again."""
        if self.reporting:
            return
        self.reporting = True
        for informer in self.informers.values():
            informer.start()
        self._post_node_status()
        for record in self.pods.values():
            record.written = None
            self._dirty(record)
        self.loop.call_later(
            float(self.settings["nodeStatusUpdateFrequency"]), self._heartbeat, daemon=True
        )
