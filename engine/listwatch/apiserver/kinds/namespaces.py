"""Namespaces on a write: the finalizer, phase and name label v1.32 gives them."""

from __future__ import annotations

from typing import Any

from listwatch.apiserver.fields import FieldErrors, validate_meta
from listwatch.apiserver.objects import Obj


def namespace_defaults(obj: Obj, ctx: Any) -> Obj:
    out = dict(obj)
    out["spec"] = {"finalizers": ["kubernetes"]}
    out["status"] = {"phase": "Active"}
    meta = dict(out.get("metadata") or {})
    labels = dict(meta.get("labels") or {})
    labels.setdefault("kubernetes.io/metadata.name", meta.get("name", ""))
    meta["labels"] = labels
    out["metadata"] = meta
    return out


def validate_namespace(obj: Obj) -> FieldErrors:
    return validate_meta(obj, namespaced=False)
