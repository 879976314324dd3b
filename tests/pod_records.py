"""Pod objects and watch records as a real cluster sends them, built small for overlay tests."""

from __future__ import annotations

import copy
from typing import Any

from listwatch import tracefile


def pod(name: str = "web", **status: Any) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.15"}]},
        "status": {"phase": "Pending", **status},
    }


def changed(obj: dict[str, Any], **paths: Any) -> dict[str, Any]:
    """A deep copy with `section__field=value` set (e.g. spec__nodeName="node01")."""
    new = copy.deepcopy(obj)
    for path, value in paths.items():
        section, field = path.split("__")
        new[section][field] = value
    return new


RUNNING = [
    {
        "name": "c",
        "image": "nginx:1.15",
        "restartCount": 0,
        "state": {"running": {"startedAt": "t"}},
    }
]


def watch(*objects: dict[str, Any]) -> list[tracefile.Record]:
    """Successive states of pods, as a watch recording without event types holds them."""
    return list(tracefile.records_of(objects))
