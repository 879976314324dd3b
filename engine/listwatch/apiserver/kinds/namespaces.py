"""Namespaces on a write: the finalizer, phase and name label v1.32 gives them; on a delete:
Terminating, and what the NamespaceLifecycle admission refuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from listwatch import errors
from listwatch.apiserver.deletion import FOREGROUND, ORPHAN, DeleteOptions, Plan
from listwatch.apiserver.fields import FieldErrors, validate_meta
from listwatch.apiserver.objects import Obj
from listwatch.clock import rfc3339


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


def keep_spec_finalizers(old: Obj, new: Obj) -> Obj:
    """An update other than `namespaces/{name}/finalize` keeps spec.finalizers as they were (the
    namespace strategy's PrepareForUpdate)."""
    spec = dict(new.get("spec") or {})
    finalizers = (old.get("spec") or {}).get("finalizers")
    if finalizers is None:
        spec.pop("finalizers", None)
    else:
        spec["finalizers"] = finalizers
    return {**new, "spec": spec}


def terminating(plural: str, name: str, namespace: str) -> errors.Forbidden:
    """The NamespaceLifecycle admission's refusal of a create into a namespace being
    terminated."""
    what = f'{plural} "{name}"' if name else plural
    return errors.Forbidden(
        f"{what} is forbidden: unable to create new content in namespace {namespace} because "
        "it is being terminated",
        details={
            **({"name": name} if name else {}),
            "kind": plural,
            "causes": [
                {
                    "reason": "NamespaceTerminating",
                    "message": f"namespace {namespace} is being terminated",
                    "field": "metadata.namespace",
                }
            ],
        },
    )


def immortal(name: str) -> errors.Forbidden:
    """The NamespaceLifecycle admission's refusal to delete default, kube-system, kube-public."""
    return errors.Forbidden(
        f'namespaces "{name}" is forbidden: this namespace may not be deleted',
        details={"name": name, "kind": "namespaces"},
    )


def delete_plan(old: Obj, options: DeleteOptions, *, now: datetime) -> Plan:
    """A namespace's DELETE (the namespace registry's own): the first marks it (deletionTimestamp,
    phase Terminating, the garbage collector's finalizer the options ask for); later ones change
    nothing while spec.finalizers remain; then it is removed unless metadata finalizers hold it.
    """
    meta = dict(old.get("metadata") or {})
    if not meta.get("deletionTimestamp"):
        meta["deletionTimestamp"] = rfc3339(now)
        finalizers = [f for f in meta.get("finalizers") or []]
        orphan, foreground = _propagation(options, finalizers)
        finalizers = [f for f in finalizers if f not in (ORPHAN, FOREGROUND)]
        finalizers += [ORPHAN] if orphan else []
        finalizers += [FOREGROUND] if foreground else []
        if finalizers:
            meta["finalizers"] = finalizers
        else:
            meta.pop("finalizers", None)
        status = {**(old.get("status") or {}), "phase": "Terminating"}
        return Plan({**old, "metadata": meta, "status": status}, write=True, remove=False)
    if (old.get("spec") or {}).get("finalizers") or meta.get("finalizers"):
        return Plan(old, write=False, remove=False)
    return Plan(old, write=False, remove=True)


def _propagation(options: DeleteOptions, finalizers: list[str]) -> tuple[bool, bool]:
    """shouldHaveOrphanFinalizer and shouldHaveDeleteDependentsFinalizer of the namespace
    registry: the options, else the finalizers the namespace has."""
    if options.orphan_dependents is not None:
        return options.orphan_dependents, not options.orphan_dependents
    if options.propagation_policy is not None:
        policy = options.propagation_policy
        return policy == "Orphan", policy == "Foreground"
    return ORPHAN in finalizers, FOREGROUND in finalizers


def uid_conflict(name: str, wanted: str, actual: str) -> errors.Conflict:
    """The namespace registry's own UID precondition check (it runs before the generic one)."""
    return errors.Conflict(
        f'Operation cannot be fulfilled on namespaces "{name}": Precondition failed: UID in '
        f"precondition: {wanted}, UID in object meta: {actual}",
        details={"name": name, "kind": "namespaces"},
    )
