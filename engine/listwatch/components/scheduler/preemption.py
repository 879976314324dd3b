"""DefaultPreemption, the PostFilter kube-scheduler runs when no node fits a pod.

As v1.32's preemption Evaluator decides it (pkg/scheduler/framework/preemption):
1. the pod must be eligible: not `preemptionPolicy: Never` ("not eligible due to
   preemptionPolicy=Never."), and not already nominated to a node where a lower-priority pod it
   preempted is still terminating ("not eligible due to a terminating pod on the nominated node.");
2. on each node whose rejection preemption could lift (not UnschedulableAndUnresolvable: a
   nodeSelector, a taint, a node name or a cordon stays; "Preemption is not helpful for
   scheduling"), take away every pod of lower priority; no such pod: "No preemption victims found
   for incoming pod"; the pod still does not fit: the filter's own reason. Otherwise put the pods
   back one by one, most important first (higher priority, then the earlier started), those whose
   eviction would break a PodDisruptionBudget before the others, keeping back each that still
   leaves room: the rest are the node's victims;
3. of the nodes with victims, the one with the fewest budget violations, then the lowest
   highest-priority victim, then the smallest sum of priorities, then the fewest victims, then
   the latest start among its most important victims, then the first;
4. no node: the message is a FitError of its own, "0/N nodes are available: <reasons>.", which
   the scheduler appends to the pod's as "preemption: ...".

Worked example: node01 has 2 CPUs and runs `low` (priority 0, 1 CPU) and `mid` (priority 500,
1 CPU); `high` (priority 1000, 2 CPUs) fits nowhere. Both pods are potential victims; without
them `high` fits. Put back `mid` first (more important): 1 + 2 CPUs do not fit, so `mid` is a
victim; put back `low`: also a victim. node01 is chosen with victims mid, low.

Not modelled: pods nominated to a node counting against it in the filters, the clearing of
lower-priority pods' nominations, and the random offset over nodes that matters only beyond 100.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.components.scheduler.nodeinfo import NodeInfo, Requests
from listwatch.components.scheduler.placement import Filter
from listwatch.components.scheduler.plugins import UNRESOLVABLE, FilterContext
from listwatch.rules import selectors

#: The lowest int32: priorities are shifted by it so that sums of them compare as Go's do.
_INT32_OFFSET = 2**31


@dataclass(frozen=True)
class Candidate:
    """A node where evicting `victims` makes room for the pod."""

    node: str
    victims: tuple[Obj, ...]
    violations: int


@dataclass
class Outcome:
    """What the PostFilter decided: a node to nominate (with its victims), or why not.

    `nominate` is the pod's new status.nominatedNodeName ("" clears it), or None for no change.
    """

    candidate: Candidate | None = None
    message: str = ""
    nominate: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)


def priority(pod: Mapping[str, Any]) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)


def _importance(pod: Obj) -> tuple[int, str]:
    """MoreImportantPod as a sort key: higher priority first, then the earlier start."""
    started = str((pod.get("status") or {}).get("startTime") or "9999")
    return (-priority(pod), started)


def terminating_by_preemption(pod: Mapping[str, Any]) -> bool:
    condition = objects.condition(pod, "DisruptionTarget") or {}
    return bool(objects.meta(pod).get("deletionTimestamp")) and (
        condition.get("status") == "True" and condition.get("reason") == "PreemptionByScheduler"
    )


class Preemption:
    """The DefaultPreemption plugin over the scheduler's node list and its view of pods."""

    def __init__(
        self,
        *,
        filters: Sequence[Filter],
        messages: Mapping[str, str],
        requests_of: Callable[[Obj], Requests],
    ) -> None:
        self.filters = filters
        self.messages = messages
        self.requests_of = requests_of

    def post_filter(
        self,
        pod: Obj,
        requests: Requests,
        nodes: Sequence[NodeInfo],
        pods_on: Callable[[str], Mapping[str, Obj]],
        budgets: Iterable[Obj],
    ) -> Outcome:
        context = FilterContext(pod, requests)
        rejections = {info.name: self._rejection(context, info) for info in nodes}
        ineligible = self._ineligible(pod, rejections, pods_on)
        if ineligible:
            return Outcome(message=ineligible)
        guarded = list(budgets)
        reasons: dict[str, int] = {}
        candidates: list[Candidate] = []
        for info in nodes:
            plugin = rejections[info.name][0]
            if plugin in UNRESOLVABLE:
                text = self.messages["preemptionNotHelpful"]
            else:
                found, text = self._select_victims(context, info, pods_on(info.name), guarded)
                if found is not None:
                    candidates.append(found)
                    continue
            reasons[text] = reasons.get(text, 0) + 1
        if not candidates:
            histogram = ", ".join(sorted(f"{n} {reason}" for reason, n in reasons.items()))
            message = str(self.messages["unschedulable"]).format(
                total=len(nodes), reasons=histogram
            )
            return Outcome(message=message, nominate="", reasons=reasons)
        chosen = pick_one(candidates)
        return Outcome(candidate=chosen, nominate=chosen.node)

    # -- the steps ---------------------------------------------------------------------------------

    def _rejection(self, context: FilterContext, info: NodeInfo) -> tuple[str, str]:
        """The first filter that rejects the pod on the node, and its reason ("" when none)."""
        for plugin, reason, check in self.filters:
            problem = check(context, info)
            if problem is not None:
                return plugin, reason.format(**problem) if problem else reason
        return "", ""

    def _ineligible(
        self,
        pod: Obj,
        rejections: Mapping[str, tuple[str, str]],
        pods_on: Callable[[str], Mapping[str, Obj]],
    ) -> str:
        """PodEligibleToPreemptOthers: why the pod may not preempt, or ""."""
        if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
            return str(self.messages["notEligibleNever"])
        nominated = (pod.get("status") or {}).get("nominatedNodeName") or ""
        if nominated and rejections.get(nominated, ("", ""))[0] not in UNRESOLVABLE:
            mine = priority(pod)
            if any(
                priority(p) < mine and terminating_by_preemption(p)
                for p in pods_on(nominated).values()
            ):
                return str(self.messages["notEligibleTerminating"])
        return ""

    def _fits(self, context: FilterContext, info: NodeInfo) -> str:
        return self._rejection(context, info)[1]

    def _select_victims(
        self,
        context: FilterContext,
        info: NodeInfo,
        pods: Mapping[str, Obj],
        budgets: Sequence[Obj],
    ) -> tuple[Candidate | None, str]:
        """selectVictimsOnNode: the node's victims, or why the node cannot be made room on."""
        mine = priority(context.pod)
        potential = [(uid, p) for uid, p in pods.items() if priority(p) < mine]
        if not potential:
            return None, str(self.messages["noVictims"])
        scratch = NodeInfo(info.obj)
        lower = {uid for uid, _ in potential}
        for uid, p in pods.items():
            if uid not in lower:
                scratch.add_pod(uid, self.requests_of(p))
        problem = self._fits(context, scratch)
        if problem:
            return None, problem
        potential.sort(key=lambda item: _importance(item[1]))
        violating, keeping = _split_by_budgets(potential, budgets)
        victims: list[Obj] = []
        violations = 0
        for group, counts in ((violating, True), (keeping, False)):
            for uid, p in group:
                scratch.add_pod(uid, self.requests_of(p))
                if self._fits(context, scratch):
                    scratch.remove_pod(uid)
                    victims.append(p)
                    violations += counts
        return Candidate(info.name, tuple(victims), violations), ""


def _split_by_budgets(
    pods: Sequence[tuple[str, Obj]], budgets: Sequence[Obj]
) -> tuple[list[tuple[str, Obj]], list[tuple[str, Obj]]]:
    """filterPodsWithPDBViolation: the pods whose eviction would take a budget below zero
    (counting down its disruptionsAllowed pod by pod, in order), and the others. A budget with an
    empty selector selects nothing here; a pod the budget already lists as disrupted is not
    counted again."""
    allowed = [int((b.get("status") or {}).get("disruptionsAllowed", 0)) for b in budgets]
    violating: list[tuple[str, Obj]] = []
    others: list[tuple[str, Obj]] = []
    for uid, pod in pods:
        labels = objects.labels_of(pod)
        broken = False
        if labels:
            for i, budget in enumerate(budgets):
                if objects.namespace_of(budget) != objects.namespace_of(pod):
                    continue
                selector = selectors.from_api((budget.get("spec") or {}).get("selector"))
                if selector is None or selector.empty or not selector.matches(labels):
                    continue
                if objects.name_of(pod) in (
                    (budget.get("status") or {}).get("disruptedPods") or {}
                ):
                    continue
                allowed[i] -= 1
                broken = broken or allowed[i] < 0
        (violating if broken else others).append((uid, pod))
    return violating, others


def pick_one(candidates: Sequence[Candidate]) -> Candidate:
    """pickOneNodeForPreemption: each criterion keeps the candidates that are best by it."""
    for c in candidates:
        if not c.victims:
            return c
    criteria: list[Callable[[Candidate], Any]] = [
        lambda c: c.violations,
        lambda c: max(priority(v) for v in c.victims),
        lambda c: sum(priority(v) + _INT32_OFFSET for v in c.victims),
        lambda c: len(c.victims),
        lambda c: _negated_start(_earliest_start_of_most_important(c.victims)),
    ]
    remaining = list(candidates)
    for key in criteria:
        best = min(key(c) for c in remaining)
        remaining = [c for c in remaining if key(c) == best]
        if len(remaining) == 1:
            break
    return remaining[0]


def _earliest_start_of_most_important(victims: Sequence[Obj]) -> str:
    top = max(priority(v) for v in victims)
    starts = [
        str((v.get("status") or {}).get("startTime") or "") for v in victims if priority(v) == top
    ]
    return min(starts) if starts else ""


def _negated_start(stamp: str) -> tuple[int, ...]:
    """A key under which the latest RFC 3339 stamp is the smallest."""
    return tuple(-ord(ch) for ch in stamp)
