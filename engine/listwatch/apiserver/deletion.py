"""Deletion as kube-apiserver's generic registry decides it: graceful deletion, finalizers, and
the garbage collector's finalizers that a propagation policy puts on an object.

Pure decisions over objects (no store, no clock of its own): the API server (`api.py`) writes
what they decide. What they promise, as `registry/rest/delete.go` and `registry/generic/registry/
store.go` do in v1.32:

- a DELETE is first checked for the options (`propagationPolicy` one of Foreground, Background,
  Orphan; not together with `orphanDependents`) and for its UID precondition;
- an object with finalizers (after the propagation policy added or removed `orphan` and
  `foregroundDeletion`) is only marked: `deletionTimestamp`, and `deletionGracePeriodSeconds: 0`
  when its kind has no graceful deletion. It goes when an update removes its last finalizer;
- a pod is deleted gracefully: marked with `deletionTimestamp` = now + its grace period (0 when
  unbound or finished), then removed when that grace period is 0 and it has no finalizers. A
  second DELETE may only shorten the grace period (the timestamp moves back by the difference);
  one with a longer or no grace period changes nothing;
- a finalizer cannot be added to an object being deleted.

Worked example (a bound pod with terminationGracePeriodSeconds 30, deleted at 12:00:00):

    DELETE                 -> written: deletionTimestamp 12:00:30, deletionGracePeriodSeconds 30
    DELETE grace 10        -> written: deletionTimestamp 12:00:10, deletionGracePeriodSeconds 10
    DELETE grace 20        -> nothing written (not shorter); the pod is answered as it is
    DELETE grace 0 (kubelet, containers stopped)
                           -> written: deletionTimestamp 12:00:00, deletionGracePeriodSeconds 0,
                              then removed (the watch shows MODIFIED, then DELETED)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.fields import FieldErrors, go_quote, invalid_value, qualified_name_problems
from listwatch.apiserver.objects import Obj
from listwatch.clock import parse_rfc3339, rfc3339

#: The garbage collector's finalizers (metav1.FinalizerOrphanDependents, FinalizerDeleteDependents).
ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
#: The propagation policies a DeleteOptions may name (metav1.DeletionPropagation).
POLICIES = ("Foreground", "Background", "Orphan")


@dataclass(frozen=True, slots=True)
class DeleteOptions:
    """The parts of a DeleteOptions the API server acts on."""

    grace_period_seconds: int | None = None
    #: The UID precondition ("" for none).
    uid: str = ""
    propagation_policy: str | None = None
    #: The deprecated boolean form of the policy (true: Orphan).
    orphan_dependents: bool | None = None


@dataclass(frozen=True, slots=True)
class KindRules:
    """How one kind is deleted (its registry strategy's answers)."""

    #: Pods: a grace period, then the kubelet's final delete (RESTGracefulDeleteStrategy).
    graceful: bool = False
    #: No propagation policy given: orphan the dependents (ReplicationControllers in core/v1).
    orphan_by_default: bool = False
    #: Propagation policies do not apply (GarbageCollectionPolicy Unsupported).
    without_garbage_collection: bool = False


@dataclass(frozen=True, slots=True)
class Plan:
    """What one DELETE does to the stored object: write `obj` (an update, seen as MODIFIED), then
    remove it (DELETED), either, both or neither (a deletion already under way)."""

    obj: Obj
    write: bool
    remove: bool


def options_problems(options: DeleteOptions) -> FieldErrors:
    """ValidateDeleteOptions's field errors, as kube-apiserver words them."""
    problems: FieldErrors = []
    policy = options.propagation_policy
    if options.orphan_dependents is not None and policy is not None:
        problems.append(
            f"propagationPolicy: Invalid value: {go_quote(policy)}: orphanDependents and "
            "deletionPropagation cannot be both set"
        )
    if policy is not None and policy not in POLICIES:
        problems.append(
            f"propagationPolicy: Unsupported value: {go_quote(policy)}: supported values: "
            '"Foreground", "Background", "Orphan", "nil"'
        )
    return problems


def uid_conflict(kind: str, name: str, wanted: str, actual: str) -> errors.Conflict:
    """The early UID precondition check of BeforeDelete (a Conflict on the kind, not the
    resource)."""
    return errors.Conflict(
        f'Operation cannot be fulfilled on {kind} "{name}": the UID in the precondition '
        f"({wanted}) does not match the UID in record ({actual}). The object might have been "
        "deleted and then recreated",
        details={"name": name, "kind": kind},
    )


def finalizers_after(
    finalizers: Sequence[str], options: DeleteOptions, rules: KindRules
) -> list[str] | None:
    """The object's finalizers once the propagation policy is applied (`orphan` for Orphan,
    `foregroundDeletion` for Foreground), or None when they stay as they are
    (deletionFinalizersForGarbageCollection)."""
    if rules.without_garbage_collection:
        return None
    orphan, foreground = _policy(finalizers, options, rules)
    kept = [f for f in finalizers if f not in (ORPHAN, FOREGROUND)]
    wanted = kept + ([ORPHAN] if orphan else []) + ([FOREGROUND] if foreground else [])
    if set(wanted) == set(finalizers):
        return None
    return wanted


def _policy(
    finalizers: Sequence[str], options: DeleteOptions, rules: KindRules
) -> tuple[bool, bool]:
    """(orphan, foreground): what the options ask, else what a finalizer already says, else the
    kind's default."""
    if options.orphan_dependents is not None:
        return options.orphan_dependents, False
    policy = options.propagation_policy
    if policy in POLICIES:
        return policy == "Orphan", policy == "Foreground"
    for finalizer in finalizers:
        if finalizer == ORPHAN:
            return True, False
        if finalizer == FOREGROUND:
            return False, True
    return rules.orphan_by_default, False


def plan(
    old: Obj,
    options: DeleteOptions,
    rules: KindRules,
    *,
    now: datetime,
    default_grace: int,
) -> Plan:
    """What a DELETE of `old` does (store.Delete with BeforeDelete and
    updateForGracefulDeletionAndFinalizers)."""
    meta = dict(old.get("metadata") or {})
    graceful, pending, grace = _before_delete(old, meta, options, rules, now, default_grace)
    if pending:
        return Plan(old, write=False, remove=False)
    finalizers = list(meta.get("finalizers") or [])
    changed = finalizers_after(finalizers, options, rules)
    if not (graceful or finalizers or changed is not None):
        return Plan(old, write=False, remove=True)
    if changed is not None:
        finalizers = changed
        if finalizers:
            meta["finalizers"] = finalizers
        else:
            meta.pop("finalizers", None)
    if not graceful:
        if not finalizers:
            return Plan(old, write=False, remove=True)
        _mark_as_deleting(meta, now)
        return Plan({**old, "metadata": meta}, write=True, remove=False)
    new = {**old, "metadata": meta}
    return Plan(new, write=True, remove=not finalizers and not grace)


def _before_delete(
    old: Obj,
    meta: dict[str, Any],
    options: DeleteOptions,
    rules: KindRules,
    now: datetime,
    default_grace: int,
) -> tuple[bool, bool, int]:
    """(graceful, pending, grace period): rest.BeforeDelete, changing `meta` where it marks."""
    if not rules.graceful:
        return False, False, 0
    option = options.grace_period_seconds
    if option is not None and option < 0:
        option = 1
    stamp = meta.get("deletionTimestamp")
    if stamp:
        current = meta.get("deletionGracePeriodSeconds")
        if current is None or current == 0:
            return False, False, 0
        if option is None or option >= current:
            return False, True, int(current)
        start = _parse(str(stamp)) - timedelta(seconds=int(current))
        meta["deletionTimestamp"] = rfc3339(start + timedelta(seconds=option))
        meta["deletionGracePeriodSeconds"] = option
        return True, False, option
    period = _pod_grace(old, option, default_grace)
    meta["deletionTimestamp"] = rfc3339(now + timedelta(seconds=period))
    meta["deletionGracePeriodSeconds"] = period
    if int(meta.get("generation") or 0) > 0:
        meta["generation"] = int(meta["generation"]) + 1
    return True, False, period


def _pod_grace(pod: Obj, option: int | None, default_grace: int) -> int:
    """The pod strategy's CheckGracefulDelete: the asked period, else the pod's own; 0 for a pod
    never bound or already finished."""
    spec = pod.get("spec") or {}
    if option is not None:
        period = option
    else:
        period = int(spec.get("terminationGracePeriodSeconds", default_grace))
    if not spec.get("nodeName"):
        period = 0
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        period = 0
    return 1 if period < 0 else period


def _mark_as_deleting(meta: dict[str, Any], now: datetime) -> None:
    """markAsDeleting: a kind without graceful deletion, held by finalizers."""
    stamp = meta.get("deletionTimestamp")
    if not stamp and int(meta.get("generation") or 0) > 0:
        meta["generation"] = int(meta["generation"]) + 1
    if not stamp or _parse(str(stamp)) > now:
        meta["deletionTimestamp"] = rfc3339(now)
    meta["deletionGracePeriodSeconds"] = 0


def _parse(stamp: str) -> datetime:
    return parse_rfc3339(stamp).replace(microsecond=0)


def removed_by_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """An update that leaves an object being deleted without finalizers removes it, once its
    grace period is 0 (ShouldDeleteDuringUpdate)."""
    if objects.meta(new).get("finalizers"):
        return False
    old_meta = objects.meta(old)
    if not old_meta.get("deletionTimestamp"):
        return False
    return not old_meta.get("deletionGracePeriodSeconds")


def finalizer_problems(obj: Mapping[str, Any]) -> FieldErrors:
    """ValidateFinalizers: each a qualified name; `orphan` and `foregroundDeletion` not both."""
    finalizers = objects.meta(obj).get("finalizers")
    if not isinstance(finalizers, list):
        return []
    problems: FieldErrors = []
    for finalizer in finalizers:
        problems.extend(
            invalid_value(
                "metadata.finalizers", str(finalizer), qualified_name_problems(str(finalizer))
            )
        )
    if ORPHAN in finalizers and FOREGROUND in finalizers:
        shown = ", ".join(go_quote(str(f)) for f in finalizers)
        problems.append(
            f"metadata.finalizers: Invalid value: []string{{{shown}}}: finalizer {ORPHAN} and "
            f"{FOREGROUND} cannot be both set"
        )
    return problems


def new_finalizer_problems(old: Mapping[str, Any], new: Mapping[str, Any]) -> FieldErrors:
    """ValidateNoNewFinalizers: an object being deleted takes no new finalizer."""
    if not objects.meta(old).get("deletionTimestamp"):
        return []
    before = set(objects.meta(old).get("finalizers") or [])
    extra = sorted(set(objects.meta(new).get("finalizers") or []) - before)
    if not extra:
        return []
    shown = ", ".join(go_quote(str(f)) for f in extra)
    return [
        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being "
        f"deleted, found new finalizers []string{{{shown}}}"
    ]
