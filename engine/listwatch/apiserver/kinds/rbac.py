"""RoleBindings and ClusterRoleBindings on a write: their subjects' defaults, what a role
reference and a subject must name, and a roleRef that never changes (v1.32's rbac validation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch.apiserver.fields import FieldErrors, go_quote, validate_meta
from listwatch.apiserver.objects import Obj

GROUP = "rbac.authorization.k8s.io"
_SUBJECT_KINDS = ("ServiceAccount", "User", "Group")


def binding_on_write(obj: Obj) -> Obj:
    """SetDefaults_Subject: a User or Group subject is in the rbac group, a ServiceAccount in
    the core one."""
    subjects = obj.get("subjects")
    if not isinstance(subjects, list):
        return obj
    out = []
    for subject in subjects:
        user_or_group = isinstance(subject, dict) and subject.get("kind") in ("User", "Group")
        if user_or_group and not subject.get("apiGroup"):
            subject = {**subject, "apiGroup": GROUP}
        out.append(subject)
    return {**obj, "subjects": out}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _unsupported(path: str, value: Any, allowed: tuple[str, ...]) -> str:
    choices = ", ".join(go_quote(a) for a in allowed)
    return f"{path}: Unsupported value: {go_quote(str(value))}: supported values: {choices}"


def validate_binding(obj: Obj) -> FieldErrors:
    """ValidateRoleBinding / ValidateClusterRoleBinding."""
    cluster = obj.get("kind") == "ClusterRoleBinding"
    errs = validate_meta(obj, namespaced=not cluster, names="path")
    ref = _mapping(obj.get("roleRef"))
    if ref.get("apiGroup") != GROUP:
        errs.append(_unsupported("roleRef.apiGroup", ref.get("apiGroup", ""), (GROUP,)))
    kinds = ("ClusterRole",) if cluster else ("Role", "ClusterRole")
    if ref.get("kind") not in kinds:
        errs.append(_unsupported("roleRef.kind", ref.get("kind", ""), kinds))
    if not ref.get("name"):
        errs.append("roleRef.name: Required value")
    for i, subject in enumerate(obj.get("subjects") or ()):
        path = f"subjects[{i}]"
        subject = subject if isinstance(subject, dict) else {}
        if not subject.get("name"):
            errs.append(f"{path}.name: Required value")
        kind = subject.get("kind", "")
        if kind not in _SUBJECT_KINDS:
            errs.append(_unsupported(f"{path}.kind", kind, _SUBJECT_KINDS))
        elif kind == "ServiceAccount" and not subject.get("namespace") and cluster:
            errs.append(f"{path}.namespace: Required value")
    return errs


def validate_binding_update(old: Obj, new: Obj) -> FieldErrors:
    errs = validate_binding(new)
    if new.get("roleRef") != old.get("roleRef"):
        ref = _mapping(new.get("roleRef"))
        shown = ", ".join(
            f"{field}:{go_quote(str(ref.get(key, '')))}"
            for field, key in (("APIGroup", "apiGroup"), ("Kind", "kind"), ("Name", "name"))
        )
        errs.append(f"roleRef: Invalid value: rbac.RoleRef{{{shown}}}: cannot change roleRef")
    return errs
