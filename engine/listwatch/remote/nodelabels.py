"""The node labels a run changes on a cluster it does not own, and putting them back as they were.

Labels are changed only under the cluster's node-label lock (`nodelock`), each node's former
values are kept twice: in the run's undo log (put back at close, on SIGINT, SIGTERM and exit) and
on the node itself, in the annotation `LABELS_BEFORE`, written in the same patch as the label. A
SIGKILL skips the undo but releases the lock; the next run to take it finds the annotation and
puts those labels back before it changes any.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from listwatch import errors
from listwatch.remote.kubeapi import KubeAPI
from listwatch.remote.nodelock import NodeLabelLock
from listwatch.remote.undo import UndoLog

#: On a node whose labels a run changed, until it restores them: their values before, as a JSON
#: object (null: the label was absent).
LABELS_BEFORE = "listwatch.io/labels-before"


class NodeLabels:
    """One run's changes to node labels (by the cluster's node names)."""

    def __init__(self, api: KubeAPI, log: UndoLog, lock: NodeLabelLock) -> None:
        self.api = api
        self.log = log
        self.lock = lock
        self._before: dict[str, dict[str, str | None]] = {}

    def hold(self) -> None:
        """Take the node-label lock; on taking it, put back the labels a killed run left changed."""
        if self.lock.held:
            return
        self.lock.acquire()
        for node in self.api.list("nodes"):
            meta = node.get("metadata") or {}
            kept = (meta.get("annotations") or {}).get(LABELS_BEFORE)
            if kept is not None:
                name = str(meta.get("name", ""))
                self._put_back(name, labels_before(kept, node=name))

    def set(
        self, node: str, key: str, value: str | None, *, overwrite: bool = False
    ) -> dict[str, Any]:
        """kubectl label nodes NODE KEY=VALUE (None removes it), under the lock; put back at
        undo."""
        self.hold()
        labels = dict((self.api.get("nodes", node).get("metadata") or {}).get("labels") or {})
        if value is not None and key in labels and labels[key] != value and not overwrite:
            raise errors.Conflict(
                f"'{key}' already has a value ({labels[key]}), and --overwrite is false"
            )
        if node not in self._before:
            self.log.push(
                f"the labels of node {node}",
                lambda: self._put_back(node, self._before.pop(node, {})),
            )
        before = self._before.setdefault(node, {})
        before.setdefault(key, labels.get(key))
        kept = json.dumps(before, sort_keys=True)
        return self.api.patch(
            "nodes",
            node,
            {"metadata": {"labels": {key: value}, "annotations": {LABELS_BEFORE: kept}}},
        )

    def _put_back(self, node: str, labels: Mapping[str, str | None]) -> None:
        """Set the node's labels to their values from before, and drop the annotation that kept
        them."""
        self.api.patch(
            "nodes",
            node,
            {"metadata": {"labels": dict(labels), "annotations": {LABELS_BEFORE: None}}},
        )


def labels_before(text: str, *, node: str) -> dict[str, str | None]:
    """The LABELS_BEFORE annotation read back; a value that is not one is a clear error."""
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if not isinstance(found, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in found.items()
    ):
        raise errors.ListwatchError(
            f"node {node}: metadata.annotations[{LABELS_BEFORE!r}] is {text!r}, expected a JSON "
            "object of label values "
            "(strings, or null for absent); put the node's labels back by hand and remove the "
            "annotation"
        )
    return found
