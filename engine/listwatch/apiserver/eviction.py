"""The pods/eviction subresource: a delete that honours the pod's PodDisruptionBudget.

As v1.32's EvictionREST.Create does it:
1. a pod that is Pending, Succeeded, Failed or already terminating is deleted at once (it is no
   longer available, so no budget counts it);
2. otherwise the budgets of its namespace that select it are found: more than one is a 500
   ("This pod has more than one PodDisruptionBudget, ..."); none, the pod is deleted;
3. a pod that is not Ready is deleted without using the budget when its policy is AlwaysAllow,
   or (IfHealthyBudget, the default) when the budget is met (currentHealthy >= desiredHealthy > 0);
4. otherwise the budget must have caught up with its spec (status.observedGeneration, else 429
   "is still being processed") and allow a disruption (else 429 "Cannot evict pod as it would
   violate the pod's disruption budget." with a DisruptionBudget cause); the eviction then
   decrements status.disruptionsAllowed and records the pod in status.disruptedPods, so the
   disruption controller does not count it healthy while it goes;
5. the pod gets the spec's `evictionCondition` (DisruptionTarget, EvictionByEvictionAPI), then is
   deleted with the Eviction's DeleteOptions (grace period, uid and resourceVersion
   preconditions, checked before anything is written).

The answer is a Success Status (201). A dry run (`dryRun: [All]`) checks everything and writes
nothing. A refused eviction changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.kinds import poddisruptionbudgets
from listwatch.apiserver.objects import Obj

#: What APIServer offers the eviction (kept narrow: reads, a status patch, a delete).
API = Any

VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."


class MultipleBudgets(errors.Unknown):
    """More than one budget selects the pod: a Failure Status of code 500 without a reason, as
    EvictionREST returns it."""


def evict(api: API, namespace: str, name: str, eviction: Mapping[str, Any], *, actor: str) -> None:
    """Evict the pod, or raise the error the API server answers with."""
    options = eviction.get("deleteOptions") or {}
    dry_run = "All" in (options.get("dryRun") or ())
    pod = api.get("pods", name, namespace=namespace)
    _check_preconditions(pod, options)  # before anything is written: a refusal changes nothing
    if _can_ignore_budgets(pod):
        _condition_and_delete(api, pod, options, dry_run=dry_run, actor=actor)
        return
    budgets = [
        pdb
        for pdb in api.list("poddisruptionbudgets", namespace=namespace).items
        if poddisruptionbudgets.covers(pdb, pod)
    ]
    if len(budgets) > 1:
        raise MultipleBudgets(
            "This pod has more than one PodDisruptionBudget, which the eviction subresource does "
            "not support."
        )
    if budgets and not _unhealthy_may_go(budgets[0], pod):
        _check_and_decrement(api, budgets[0], name, dry_run=dry_run, actor=actor)
    _condition_and_delete(api, pod, options, dry_run=dry_run, actor=actor)


def _can_ignore_budgets(pod: Obj) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    return phase in ("Pending", "Succeeded", "Failed") or bool(
        objects.meta(pod).get("deletionTimestamp")
    )


def _ready(pod: Obj) -> bool:
    return (objects.condition(pod, "Ready") or {}).get("status") == "True"


def _unhealthy_may_go(pdb: Obj, pod: Obj) -> bool:
    """An unready pod guarded by the budget that may go without using a disruption."""
    if _ready(pod):
        return False
    if (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
        return True
    status = pdb.get("status") or {}
    desired = int(status.get("desiredHealthy", 0))
    return int(status.get("currentHealthy", 0)) >= desired > 0


def too_many_requests(message: str, cause: str, *, retry_after: int = 0) -> errors.TooManyRequests:
    details: dict[str, object] = {"causes": [{"reason": "DisruptionBudget", "message": cause}]}
    if retry_after:
        details["retryAfterSeconds"] = retry_after
    return errors.TooManyRequests(message, details=details)


def _check_and_decrement(api: API, pdb: Obj, pod_name: str, *, dry_run: bool, actor: str) -> None:
    name = objects.name_of(pdb)
    status = dict(pdb.get("status") or {})
    if int(status.get("observedGeneration", 0)) < int(objects.meta(pdb).get("generation", 0)):
        raise too_many_requests(
            VIOLATION,
            f"The disruption budget {name} is still being processed by the server.",
            retry_after=10,
        )
    allowed = int(status.get("disruptionsAllowed", 0))
    if allowed < 0:
        raise errors.Forbidden(
            f'poddisruptionbudget.policy "{name}" is forbidden: pdb disruptions allowed is '
            "negative",
            details={"name": name, "group": "policy", "kind": "poddisruptionbudget"},
        )
    if allowed == 0:
        raise too_many_requests(
            VIOLATION,
            f"The disruption budget {name} needs {status.get('desiredHealthy', 0)} healthy pods "
            f"and has {status.get('currentHealthy', 0)} currently",
        )
    if dry_run:
        return
    status["disruptionsAllowed"] = allowed - 1
    if allowed - 1 == 0:
        status["conditions"] = allowed_condition(
            status.get("conditions") or [],
            allowed=False,
            generation=int(status.get("observedGeneration", 0)),
            now=api.loop.stamps.now(),
        )
    status["disruptedPods"] = {
        **(status.get("disruptedPods") or {}),
        pod_name: api.loop.stamps.now(),
    }
    api.update_status("poddisruptionbudgets", {**pdb, "status": status}, actor=actor)


def allowed_condition(
    conditions: list[Mapping[str, Any]], *, allowed: bool, generation: int, now: str
) -> list[Mapping[str, Any]]:
    """The DisruptionAllowed condition set as UpdateDisruptionAllowedCondition sets it (its
    transition time kept while its status holds)."""
    wanted = {
        "type": "DisruptionAllowed",
        "status": "True" if allowed else "False",
        "observedGeneration": generation,
        "reason": "SufficientPods" if allowed else "InsufficientPods",
        "message": "",
    }
    others = [c for c in conditions if c.get("type") != "DisruptionAllowed"]
    current = next((c for c in conditions if c.get("type") == "DisruptionAllowed"), None)
    since = (
        current.get("lastTransitionTime")
        if current is not None and current.get("status") == wanted["status"]
        else now
    )
    return [*others, {**wanted, "lastTransitionTime": since}]


def _check_preconditions(pod: Obj, options: Mapping[str, Any]) -> None:
    """The DeleteOptions' uid and resourceVersion preconditions, worded as
    addConditionAndDeletePod words them."""
    preconditions = options.get("preconditions") or {}
    uid, rv = preconditions.get("uid"), preconditions.get("resourceVersion")
    name = objects.name_of(pod)
    if uid and uid != objects.uid_of(pod):
        raise _conflict(
            name,
            f"the UID in the precondition ({uid}) does not match the UID in record "
            f"({objects.uid_of(pod)}). The object might have been deleted and then recreated",
        )
    if rv and rv != objects.rv_of(pod):
        raise _conflict(
            name,
            f"the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion "
            f"in record ({objects.rv_of(pod)}). The object might have been modified",
        )


def _condition_and_delete(
    api: API, pod: Obj, options: Mapping[str, Any], *, dry_run: bool, actor: str
) -> None:
    if dry_run:
        return
    name = objects.name_of(pod)
    uid = (options.get("preconditions") or {}).get("uid")
    namespace = objects.namespace_of(pod)
    wanted = api.settings["evictionCondition"]  # the spec's (apiserver.yaml)
    current = objects.condition(pod, str(wanted["type"])) or {}
    if any(current.get(key) != wanted[key] for key in ("status", "reason", "message")):
        condition = {**wanted, "lastProbeTime": None, "lastTransitionTime": api.loop.stamps.now()}
        api.patch(
            "pods",
            name,
            {"status": {"conditions": [condition]}},
            namespace=namespace,
            patch_type="strategic",
            subresource="status",
            actor=actor,
        )
    grace = options.get("gracePeriodSeconds")
    api.delete(
        "pods",
        name,
        namespace=namespace,
        actor=actor,
        grace_period_seconds=None if grace is None else int(grace),
        uid=str(uid or ""),
    )


def _conflict(name: str, reason: str) -> errors.Conflict:
    return errors.Conflict(
        f'Operation cannot be fulfilled on Pod "{name}": {reason}',
        details={"name": name, "kind": "Pod"},
    )
