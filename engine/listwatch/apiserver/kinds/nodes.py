"""Nodes on a write: the labels and quantities v1.32 gives them, and their validation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch.apiserver.fields import (
    TAINT_EFFECTS,
    FieldErrors,
    enum_problems,
    quantity_text,
    validate_meta,
)
from listwatch.apiserver.objects import Obj

NODE_ENUMS: Mapping[str, tuple[str, ...]] = {"spec.taints[*].effect": TAINT_EFFECTS}


def node_defaults(node: Obj, ctx: Any) -> Obj:
    out = dict(node)
    meta = dict(out.get("metadata") or {})
    name = meta.get("name", "")
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    labels.update(meta.get("labels") or {})
    meta["labels"] = labels
    out["metadata"] = meta
    out.setdefault("spec", {})
    status = dict(out.get("status") or {})
    if status.get("allocatable") is None and isinstance(status.get("capacity"), dict):
        status["allocatable"] = dict(status["capacity"])  # v1 SetDefaults_NodeStatus
    for key in ("capacity", "allocatable"):
        if isinstance(status.get(key), dict):
            status[key] = {name: quantity_text(value) for name, value in status[key].items()}
    out["status"] = status
    return out


def validate_node(node: Obj) -> FieldErrors:
    return [*validate_meta(node, namespaced=False), *enum_problems(node, NODE_ENUMS)]


def on_write(node: Obj) -> Obj:
    """`spec.unschedulable: false` is not stored: the field is `omitempty`, so a real server
    encodes a false one as no field at all (`kubectl uncordon`'s patch leaves none)."""
    spec = node.get("spec")
    if isinstance(spec, dict) and spec.get("unschedulable") is False:
        return {**node, "spec": {k: v for k, v in spec.items() if k != "unschedulable"}}
    return node
