"""Manifests and small readers tests share: objects as a user would write them."""

from __future__ import annotations

from typing import Any

from listwatch.cluster import Cluster


def pod(
    name: str,
    *,
    image: str = "nginx:1.15",
    node_name: str | None = None,
    node_selector: dict[str, str] | None = None,
    command: list[str] | None = None,
    restart_policy: str | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Pod manifest, as a user would write it."""
    container: dict[str, Any] = {"name": "main" if command else "nginx", "image": image}
    if command:
        container["command"] = command
    spec: dict[str, Any] = {"containers": [container]}
    if node_name:
        spec["nodeName"] = node_name
    if node_selector:
        spec["nodeSelector"] = node_selector
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": name}},
        "spec": spec,
    }


def sized(name: str, cpus: str, *, node: str = "", priority_class: str = "") -> dict[str, Any]:
    """A Pod manifest requesting `cpus` CPUs, on `node` if given, of a PriorityClass if named."""
    manifest = pod(name, node_name=node or None)
    manifest["spec"]["containers"][0]["resources"] = {"requests": {"cpu": cpus}}
    if priority_class:
        manifest["spec"]["priorityClassName"] = priority_class
    return manifest


def priority_class(name: str, value: int, **fields: Any) -> dict[str, Any]:
    """A PriorityClass manifest (scheduling.k8s.io/v1)."""
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
        **fields,
    }


def replication_controller(
    name: str, replicas: int, *, image: str = "nginx:1.15"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"app": name},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
        },
    }


def events_of(cluster: Cluster, name: str) -> list[tuple[str, str, str]]:
    """(type, reason, message) of a pod's events, oldest first."""
    found = cluster.events_for(cluster.pod(name))
    return [(e["type"], e["reason"], e["message"]) for e in found]


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c["type"] == type_:
            return dict(c)
    return None
