"""The checker's own mutation test: good runs, each broken in one documented way, must all be
rejected.

The good traces (`test_traces`) are every recording from a real cluster in
`../shared/real-world/` and runs the memory backend records in-process. A *mutation* is a named
transformation of a good trace that breaks one rule of the spec; its docstring says which rule,
and why what it makes is not something a legal run could show (a watch may coalesce states and
Events may be lost, so no mutation only removes a state or an Event: each shows something no
watcher of a legal run can see; `test_traces` checks that what a watcher may legally
miss passes). Applied to every good trace it fits (to the first pod it fits), each mutation gives
one *mutant*. A mutant is killed when the checker rejects it with a violation about the pod the
mutation changed that names the spec step the mutation breaks. The test prints the kill rate and
fails below 100%.

Each mutation is a self-contained, documented unit; they are listed here together rather than
split over modules, so that one file says everything the checker is tested against.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from listwatch import checker
from listwatch.checker.podfacts import observe
from listwatch.checker.projection import Projection
from listwatch.engine import Engine
from listwatch.rules import taints
from tests.checker.test_traces import (
    Good,
    PodView,
    Trace,
    Value,
    condition_of,
    containers_of,
    good_traces,
    kind_of,
    node_of,
    obj_of,
    phase_of,
    running,
    running_containers,
    rv_of,
    rv_str,
    set_condition,
    unbind,
)

#: A label no node in any good trace has: a nodeSelector on it fails every node.
MISSING_LABEL = ("listwatch.example/disk", "ssd")
#: The fewest mutants the test must make (issue 3).
AT_LEAST = 30


# -- mutations -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    """A good trace broken: its values, the spec step a violation must name, and the pod broken."""

    values: list[Value]
    step: str
    uid: str


Mutate = Callable[[Trace], Broken | None]


@dataclass(frozen=True)
class Mutation:
    """A named transformation of a good trace that breaks one rule; `doc` says which and why."""

    name: str
    doc: str
    mutate: Mutate


MUTATIONS: list[Mutation] = []


def mutation(name: str) -> Callable[[Mutate], Mutate]:
    """Register a mutation under `name`; its docstring is its documentation."""

    def register(mutate: Mutate) -> Mutate:
        MUTATIONS.append(Mutation(name, inspect.getdoc(mutate) or "", mutate))
        return mutate

    return register


def scheduled(t: Trace, view: PodView) -> bool:
    """Bound by the scheduler: unbound first, then a state with spec.nodeName."""
    return t.bound_at(view) is not None


def kept_step(t: Trace, view: PodView) -> str:
    """The step that set the pod's node, and keeps it: NN-01 for a pod created with it, else
    LW-10."""
    return "NN-01" if t.named(view) else "LW-10"


@mutation("drop the bind")
def drop_the_bind(t: Trace) -> Broken | None:
    """The pod runs but was never bound: spec.nodeName and PodScheduled removed from every state
    from the bind on, the Scheduled Event and the STEP records of the bind (LW-10, LW-11) dropped.

    Breaks LW-10: nothing in the flow starts containers of a pod without a node (the kubelet
    only runs pods bound to its node), so LW-10 must come before LW-12. A watch that missed the
    bind would still show spec.nodeName in every later state: this is not a coalesced watch.
    """
    view = t.pod(lambda p: scheduled(t, p) and t.started_at(p) is not None)
    if view is None:
        return None
    t.edit_states(view.states[t.bound_at(view) or 0 :], unbind)
    dropped = set(t.events(view, "Scheduled")) | {
        i for i in view.steps if t.values[i]["step"] in ("LW-10", "LW-11")
    }
    t.values = [v for i, v in enumerate(t.values) if i not in dropped]
    return Broken(t.values, "LW-10", view.uid)


@mutation("bind to a node that fails the nodeSelector")
def bind_to_a_node_failing_the_selector(t: Trace) -> Broken | None:
    """The scheduler binds a pod with a nodeSelector to a node whose labels (in the trace's Node
    records) do not match it: spec.nodeName of every state from the bind on is that node.

    Breaks LW-10: the scheduler's NodeAffinity filter (spec/components/scheduler.yaml) lets
    only matching nodes through, so a bind is always to a node that passes it.
    """
    nodes = t.node_labels()

    def failing(view: PodView) -> str | None:
        selector = (t.obj(view.states[0]).get("spec") or {}).get("nodeSelector") or {}
        if not selector or not scheduled(t, view):
            return None
        return next(
            (
                n
                for n, labels in nodes.items()
                if any(labels.get(k) != v for k, v in selector.items())
            ),
            None,
        )

    view = t.pod(lambda p: failing(p) is not None)
    if view is None:
        return None
    node = failing(view)
    t.edit_states(view.states[t.bound_at(view) or 0 :], lambda o: o["spec"].update(nodeName=node))
    return Broken(t.values, "LW-10", view.uid)


@mutation("a nodeSelector the bound node fails")
def selector_the_bound_node_fails(t: Trace) -> Broken | None:
    """A pod the scheduler bound gets a nodeSelector, in every state, on a label its node lacks;
    the trace shows the node (a Node record with its labels, added where the recording had none).

    Breaks LW-10: the scheduler's NodeAffinity filter never lets through a node that fails the
    pod's nodeSelector. (nodeSelector is immutable, so every state of the pod carries it.)
    """
    view = t.pod(
        lambda p: scheduled(t, p) and not (t.obj(p.states[0]).get("spec") or {}).get("nodeSelector")
    )
    if view is None:
        return None
    t.edit_states(view.states, lambda o: o["spec"].update(nodeSelector=dict([MISSING_LABEL])))
    t.ensure_node(node_of(t.last(view)))
    return Broken(t.values, "LW-10", view.uid)


#: A taint no pod in any good trace tolerates (none tolerates every taint: no `operator: Exists`
#: without a key).
UNTOLERATED = {"key": "listwatch.example/dedicated", "value": "gpu"}


def tolerates_taints(t: Trace, view: PodView, effect: str) -> bool:
    tolerations = (t.obj(view.states[0]).get("spec") or {}).get("tolerations") or ()
    return taints.tolerates(tolerations, {**UNTOLERATED, "effect": effect})


def node_spec_everywhere(t: Trace, node: str, edit: Callable[[Value], None]) -> None:
    """Edit the spec of every record of the node the trace shows (made first if it shows none):
    so the node was so before any pod was bound there, and stayed so."""
    t.ensure_node(node)
    for value in t.values:
        if kind_of(value) == "Node" and obj_of(value)["metadata"].get("name") == node:
            edit(obj_of(value).setdefault("spec", {}))


@mutation("bound to a node with an untolerated NoSchedule taint")
def bound_to_a_tainted_node(t: Trace) -> Broken | None:
    """The node a scheduled pod is bound to has, in every Node record of the trace (one made if
    it has none), a NoSchedule taint the pod does not tolerate.

    Breaks LW-10: the scheduler's TaintToleration filter (spec/components/scheduler.yaml) lets
    through only nodes whose NoSchedule and NoExecute taints the pod tolerates. The taint is in
    every record, before the bind as after it: not one added under the bind.
    """
    view = t.pod(lambda p: scheduled(t, p) and not tolerates_taints(t, p, "NoSchedule"))
    if view is None:
        return None
    taint = {**UNTOLERATED, "effect": "NoSchedule"}
    node_spec_everywhere(
        t, node_of(t.last(view)), lambda spec: spec.setdefault("taints", []).append(taint)
    )
    return Broken(t.values, "LW-10", view.uid)


@mutation("bound to a cordoned node")
def bound_to_a_cordoned_node(t: Trace) -> Broken | None:
    """The node a scheduled pod is bound to is cordoned (spec.unschedulable true) in every Node
    record of the trace (one made if it has none).

    Breaks LW-10: the scheduler's NodeUnschedulable filter keeps pods off a cordoned node
    unless they tolerate node.kubernetes.io/unschedulable (no pod here does).
    """
    unschedulable = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}

    def fits(view: PodView) -> bool:
        tolerations = (t.obj(view.states[0]).get("spec") or {}).get("tolerations") or ()
        return scheduled(t, view) and not taints.tolerates(tolerations, unschedulable)

    view = t.pod(fits)
    if view is None:
        return None
    node_spec_everywhere(t, node_of(t.last(view)), lambda spec: spec.update(unschedulable=True))
    return Broken(t.values, "LW-10", view.uid)


@mutation("scheduled by another scheduler than the pod names")
def scheduled_by_another_scheduler(t: Trace) -> Broken | None:
    """A pod the scheduler bound, with its Scheduled Event, names another scheduler in every
    state (spec.schedulerName other-scheduler; the field is immutable).

    Breaks LW-10, whose Scheduled Event the bind is: a scheduler only takes the pods whose
    spec.schedulerName names it, so the default scheduler's Event about a pod that names
    another scheduler shows it binding a pod not its own.
    """

    def reporter(i: int) -> str:
        event = t.obj(i)
        return str(
            (event.get("source") or {}).get("component")
            or event.get("reportingComponent")
            or event.get("reportingController")
            or ""
        )

    view = t.pod(lambda p: scheduled(t, p) and any(reporter(i) for i in t.events(p, "Scheduled")))
    if view is None:
        return None
    t.edit_states(view.states, lambda o: o["spec"].update(schedulerName="other-scheduler"))
    return Broken(t.values, "LW-10", view.uid)


@mutation("a nodeName pod runs on a node with an untolerated NoExecute taint")
def named_pod_running_on_an_evicting_node(t: Trace) -> Broken | None:
    """The node a pod created with spec.nodeName runs on has, in every Node record of the trace
    (one made if it has none), a NoExecute taint the pod does not tolerate.

    Breaks NN-03: the kubelet's admission (spec/components/kubelet.yaml: TaintToleration, of
    NoExecute taints) rejects such a pod: phase Failed, reason TaintToleration, nothing started.
    """
    view = t.pod(
        lambda p: (
            t.named(p) and t.started_at(p) is not None and not tolerates_taints(t, p, "NoExecute")
        )
    )
    if view is None:
        return None
    taint = {**UNTOLERATED, "effect": "NoExecute"}
    node_spec_everywhere(
        t, node_of(t.last(view)), lambda spec: spec.setdefault("taints", []).append(taint)
    )
    return Broken(t.values, "NN-03", view.uid)


@mutation("a nodeName pod its node should reject runs")
def named_pod_running_against_its_selector(t: Trace) -> Broken | None:
    """A pod created with spec.nodeName gets a nodeSelector its node fails, in every state, and
    still runs; the trace shows the node and its labels.

    Breaks NN-03: the kubelet's admission (spec/components/kubelet.yaml: NodeAffinity) rejects
    a pod whose nodeSelector its node fails: phase Failed, reason NodeAffinity, nothing started.
    """
    view = t.pod(lambda p: t.named(p) and t.started_at(p) is not None)
    if view is None:
        return None
    t.edit_states(view.states, lambda o: o["spec"].update(nodeSelector=dict([MISSING_LABEL])))
    t.ensure_node(node_of(t.last(view)))
    return Broken(t.values, "NN-03", view.uid)


@mutation("Running before bound")
def running_before_bound(t: Trace) -> Broken | None:
    """The pod's containers run before it is bound: the states from the bind up to the first that
    shows a container started lose spec.nodeName and PodScheduled; the bind shows after (the
    next state, or a copy of the running state with its node, appended).

    Breaks LW-10: it must come before LW-12; the kubelet only starts a pod bound to its node.
    """
    view = t.pod(lambda p: scheduled(t, p) and (t.started_at(p) or 0) > (t.bound_at(p) or 0))
    if view is None:
        return None
    bound, start = t.bound_at(view) or 0, t.started_at(view) or 0
    if start == len(view.states) - 1:
        t.append_state(view, lambda o: None)
    t.edit_states(view.states[bound : start + 1], unbind)
    return Broken(t.values, "LW-10", view.uid)


@mutation("a Scheduled event for a nodeName pod")
def scheduled_event_for_named_pod(t: Trace) -> Broken | None:
    """A pod created with spec.nodeName gets the scheduler's Scheduled Event, right after it
    appears.

    Breaks NN-01, which forbids it: a pod that names its node is never the scheduler's (its
    watch of unscheduled pods does not select it), so nothing binds it and nothing says so.
    """
    view = t.pod(lambda p: t.named(p))
    if view is None:
        return None
    node = node_of(t.last(view))
    message = f"Successfully assigned {view.namespace}/{view.name} to {node}"
    t.values.insert(
        view.states[0] + 1, t.event(view, "Scheduled", "default-scheduler", message=message)
    )
    return Broken(t.values, "NN-01", view.uid)


@mutation("the phase going back from Running to Pending")
def phase_back_to_pending(t: Trace) -> Broken | None:
    """The first state after the pod is Running (or, if there is none, a copy of the Running
    state appended) says phase Pending.

    Breaks the pod-phase machine (spec/objects/pod.yaml: phases never go back; no transition
    leads from Running to Pending), judged at the kubelet's status step, LW-12.
    """

    def after_running(view: PodView) -> int | None:
        first = next(
            (k for k, i in enumerate(view.states) if phase_of(t.obj(i)) == "Running"), None
        )
        return None if first is None else first + 1

    view = t.pod(
        lambda p: (
            after_running(p) is not None
            and not (t.deleted(p) and after_running(p) == len(p.states))
        )
    )
    if view is None:
        return None
    k = after_running(view) or 0
    if k == len(view.states):
        t.append_state(view, lambda o: o["status"].update(phase="Pending"))
    else:
        t.obj(view.states[k])["status"]["phase"] = "Pending"
    return Broken(t.values, "LW-12", view.uid)


@mutation("resourceVersion going backwards")
def rv_backwards(t: Trace) -> Broken | None:
    """A later state of the pod (an update, the last one that is not its deletion) carries a
    resourceVersion below the state before it.

    Breaks LW-11 (etcd's update event, which the watch relays): a watch sends one object's
    changes in revision order, each at a higher resourceVersion.
    """

    def target(view: PodView) -> int | None:
        ks = [
            k
            for k, i in enumerate(view.states)
            if k > 0 and t.values[i].get("type") in ("MODIFIED", None)
        ]
        ks = [
            k
            for k in ks
            if rv_of(t.obj(view.states[k - 1])) is not None
            and rv_of(t.obj(view.states[k])) is not None
        ]
        return ks[-1] if ks else None

    view = t.pod(lambda p: target(p) is not None)
    if view is None:
        return None
    k = target(view) or 0
    before = rv_of(t.obj(view.states[k - 1])) or 0
    t.obj(view.states[k])["metadata"]["resourceVersion"] = str(before - 1)
    return Broken(t.values, "LW-11", view.uid)


@mutation("a second binding to another node")
def second_binding(t: Trace) -> Broken | None:
    """The pod is bound a second time, to another node: every state after the bind shows the
    other node (a copy of the bound state is appended if the bind was the last), with a second
    Scheduled Event naming it and, in a simulator trace, a second LW-10 STEP record.

    Breaks LW-10, which keeps spec.nodeName: a pod is bound once (the binding subresource
    refuses a pod that already has a node) and never moves.
    """
    view = t.pod(lambda p: scheduled(t, p) and not t.deleted(p))
    if view is None:
        return None
    bound = t.bound_at(view) or 0
    node = node_of(t.obj(view.states[bound]))
    other = t.other_node(node)
    if bound == len(view.states) - 1:
        t.append_state(view, lambda o: None)
        view = t.again(view)
    t.edit_states(view.states[bound + 1 :], lambda o: o["spec"].update(nodeName=other))
    at = view.states[bound + 1]
    message = f"Successfully assigned {view.namespace}/{view.name} to {other}"
    extra = [t.event(view, "Scheduled", "default-scheduler", message=message)]
    if view.steps:
        extra = [t.step_record(view, "LW-10"), t.step_record(view, "LW-11"), *extra]
    t.values[at + 1 : at + 1] = extra
    return Broken(t.values, "LW-10", view.uid)


@mutation("spec.nodeName of a nodeName pod changed")
def named_pod_moved(t: Trace) -> Broken | None:
    """A pod created with spec.nodeName shows another node in every later state (a copy of its
    first state is appended if it has no other).

    Breaks NN-01, which keeps spec.nodeName: the node a pod names is where it stays.
    """
    view = t.pod(lambda p: t.named(p) and not t.deleted(p))
    if view is None:
        return None
    other = t.other_node(node_of(t.last(view)))
    if len(view.states) == 1:
        t.append_state(view, lambda o: None)
        view = t.again(view)
    t.edit_states(view.states[1:], lambda o: o["spec"].update(nodeName=other))
    return Broken(t.values, "NN-01", view.uid)


def final(obj: Value) -> bool:
    return phase_of(obj) in ("Succeeded", "Failed")


def always(obj: Value) -> bool:
    return (obj.get("spec") or {}).get("restartPolicy", "Always") == "Always"


@mutation("Succeeded under restartPolicy Always")
def succeeded_under_always(t: Trace) -> Broken | None:
    """A bound pod under restartPolicy Always, not being deleted, ends Succeeded with its
    containers terminated with exit code 0 (a state appended).

    Breaks the pod-phase machine at LW-12: Succeeded means no container will restart, and under
    restartPolicy Always an exited container always restarts (only a deletion ends such a pod).
    """
    view = t.pod(
        lambda p: (
            node_of(t.last(p)) != ""
            and always(t.last(p))
            and not final(t.last(p))
            and not t.deleted(p)
            and not t.last(p)["metadata"].get("deletionTimestamp")
        )
    )
    if view is None:
        return None

    def succeed(obj: Value) -> None:
        obj["status"]["phase"] = "Succeeded"
        reported = {c["name"]: c for c in containers_of(obj)}
        obj["status"]["containerStatuses"] = [
            {
                **c,
                **reported.get(c["name"], {}),
                "ready": False,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
            }
            for c in running_containers(obj)
        ]

    t.append_state(view, succeed)
    return Broken(t.values, "LW-12", view.uid)


@mutation("restartPolicy Always on a pod that Succeeded")
def always_on_a_succeeded_pod(t: Trace) -> Broken | None:
    """A pod that ran to Succeeded under restartPolicy Never says restartPolicy Always, in every
    state.

    Breaks the pod-phase machine at LW-12, as above: under Always its exited container would
    have restarted; a pod not being deleted cannot be Succeeded. (restartPolicy is immutable.)
    """
    view = t.pod(
        lambda p: any(
            phase_of(t.obj(i)) == "Succeeded" and not t.obj(i)["metadata"].get("deletionTimestamp")
            for i in p.states
        )
    )
    if view is None:
        return None
    t.edit_states(view.states, lambda o: o["spec"].update(restartPolicy="Always"))
    return Broken(t.values, "LW-12", view.uid)


def pull_failing(obj: Value) -> bool:
    return any(
        (c.get("state") or {}).get("waiting", {}).get("reason")
        in ("ErrImagePull", "ImagePullBackOff")
        for c in containers_of(obj)
    )


@mutation("restarts increasing during an image pull failure")
def restarts_while_pulling(t: Trace) -> Broken | None:
    """A pod whose image cannot be pulled, never started, shows restartCount 1 from its first
    ErrImagePull or ImagePullBackOff state on.

    Breaks the container machine (spec/objects/container.yaml) at LW-12: restartCount counts
    restarts of a container that ran and ended; a container waiting for its image never ran.
    """
    view = t.pod(
        lambda p: t.started_at(p) is None and any(pull_failing(t.obj(i)) for i in p.states)
    )
    if view is None:
        return None
    first = next(k for k, i in enumerate(view.states) if pull_failing(t.obj(i)))

    def restarted(obj: Value) -> None:
        for c in containers_of(obj):
            c["restartCount"] = 1

    t.edit_states(view.states[first:], restarted)
    return Broken(t.values, "LW-12", view.uid)


@mutation("restartCount going down")
def restarts_going_down(t: Trace) -> Broken | None:
    """The state after the first that shows a restart says one restart fewer.

    Breaks the container machine at LW-12: restartCount only grows.
    """

    def after_restart(view: PodView) -> int | None:
        k = next(
            (
                k
                for k, i in enumerate(view.states)
                if any(c.get("restartCount", 0) > 0 for c in containers_of(t.obj(i)))
            ),
            None,
        )
        return None if k is None or k + 1 >= len(view.states) else k + 1

    view = t.pod(lambda p: after_restart(p) is not None)
    if view is None:
        return None
    for c in containers_of(t.obj(view.states[after_restart(view) or 0])):
        c["restartCount"] = max(0, c.get("restartCount", 0) - 1)
    return Broken(t.values, "LW-12", view.uid)


@mutation("a container running while the pod is unbound")
def running_unbound(t: Trace) -> Broken | None:
    """A pod no node was found for (never bound) shows, in a state appended, its containers
    running and phase Running, still without spec.nodeName.

    Breaks LW-10: containers start (LW-12) only on the node the pod is bound to.
    """
    view = t.pod(lambda p: not node_of(t.last(p)) and not t.deleted(p) and len(p.states) > 1)
    if view is None:
        return None
    t.append_state(view, running)
    return Broken(t.values, "LW-10", view.uid)


def rejected(obj: Value) -> bool:
    return phase_of(obj) == "Failed" and (obj.get("status") or {}).get("reason") == "NodeAffinity"


@mutation("a Failed (NodeAffinity) pod later Running")
def rejected_pod_running(t: Trace) -> Broken | None:
    """A pod the kubelet rejected (Failed, reason NodeAffinity) shows, in a state appended, its
    containers running and phase Running.

    Breaks NN-03, a terminal step: the rejected pod stays Failed with nothing started (and
    Failed is a final phase of the pod-phase machine).
    """
    view = t.pod(lambda p: rejected(t.last(p)) and not t.deleted(p))
    if view is None:
        return None

    def run(obj: Value) -> None:
        running(obj)
        obj["status"].pop("reason", None)
        obj["status"].pop("message", None)

    t.append_state(view, run)
    return Broken(t.values, "NN-03", view.uid)


@mutation("a rejected pod left Pending")
def rejected_pod_pending(t: Trace) -> Broken | None:
    """The kubelet's rejection (reason NodeAffinity) shows with phase Pending instead of Failed.

    Breaks NN-03, which shows phase Failed with its reason: a rejected pod is never left Pending.
    """
    view = t.pod(lambda p: any(rejected(t.obj(i)) for i in p.states))
    if view is None:
        return None
    t.edit_states(
        [i for i in view.states if rejected(t.obj(i))],
        lambda o: o["status"].update(phase="Pending"),
    )
    return Broken(t.values, "NN-03", view.uid)


@mutation("a rejected pod that started its containers")
def rejected_pod_started(t: Trace) -> Broken | None:
    """The kubelet's rejection (Failed, reason NodeAffinity) shows a container that ran and exited.

    Breaks NN-03, which shows `containers: not-started`: a pod that fails admission never gets
    its containers started.
    """
    view = t.pod(lambda p: any(rejected(t.obj(i)) for i in p.states))
    if view is None:
        return None

    def exited(obj: Value) -> None:
        obj["status"]["containerStatuses"] = [
            {**c, "ready": False, "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}
            for c in running_containers(obj)
        ]

    t.edit_states([i for i in view.states if rejected(t.obj(i))], exited)
    return Broken(t.values, "NN-03", view.uid)


@mutation("nodeName cleared")
def node_cleared(t: Trace) -> Broken | None:
    """Every state after the one that first shows spec.nodeName lacks it (a copy of that state is
    appended if it was the last).

    Breaks the step that set the node (LW-10, or NN-01 for a pod created with it), which keeps
    spec.nodeName: once set it never changes, not even to empty.
    """
    view = t.pod(lambda p: any(node_of(t.obj(i)) for i in p.states) and not t.deleted(p))
    if view is None:
        return None
    first = next(k for k, i in enumerate(view.states) if node_of(t.obj(i)))
    if first == len(view.states) - 1:
        t.append_state(view, lambda o: None)
        view = t.again(view)
    t.edit_states(view.states[first + 1 :], lambda o: o["spec"].pop("nodeName"))
    return Broken(t.values, kept_step(t, view), view.uid)


@mutation("a pod leaving a final phase")
def leaving_a_final_phase(t: Trace) -> Broken | None:
    """A pod that ended Succeeded or Failed (not rejected: see the NodeAffinity mutations) shows,
    in a state appended, its containers running again and phase Running.

    Breaks the pod-phase machine at LW-12: Succeeded and Failed are final.
    """
    view = t.pod(lambda p: final(t.last(p)) and not rejected(t.last(p)) and not t.deleted(p))
    if view is None:
        return None
    t.append_state(view, running)
    return Broken(t.values, "LW-12", view.uid)


@mutation("Unschedulable after the bind")
def unschedulable_after_bind(t: Trace) -> Broken | None:
    """A bound pod (on a cluster that reports PodScheduled) shows, in a state appended,
    PodScheduled=False with reason Unschedulable, as if the scheduler had failed to place it.

    Breaks US-01: the scheduler reports a pod unschedulable only while no node is found for it
    (US-01 shows no spec.nodeName, phase Pending), which cannot follow the bind.
    """
    view = t.pod(
        lambda p: (
            bool(node_of(t.last(p)))
            and condition_of(t.last(p), "PodScheduled") == "True"
            and not t.deleted(p)
        )
    )
    if view is None:
        return None
    t.append_state(
        view, lambda o: set_condition(o, "PodScheduled", "False", reason="Unschedulable")
    )
    return Broken(t.values, "US-01", view.uid)


@mutation("PodScheduled=True without spec.nodeName")
def scheduled_without_node(t: Trace) -> Broken | None:
    """The update that shows the bind (PodScheduled=True) lacks spec.nodeName; later states have it.

    Breaks LW-10: one write sets spec.nodeName and PodScheduled=True (the binding subresource);
    the update that shows one shows the other.
    """
    view = t.pod(
        lambda p: (
            scheduled(t, p)
            and condition_of(t.obj(p.states[t.bound_at(p) or 0]), "PodScheduled") == "True"
        )
    )
    if view is None:
        return None
    t.obj(view.states[t.bound_at(view) or 0])["spec"].pop("nodeName")
    return Broken(t.values, "LW-10", view.uid)


@mutation("a second Scheduled event after the containers started")
def scheduled_again(t: Trace) -> Broken | None:
    """After the kubelet's Started Event, a second Scheduled Event names another node.

    Breaks LW-10: a pod is bound once; after LW-12 the flow never comes back to the bind.
    """
    view = t.pod(lambda p: bool(t.events(p, "Scheduled")) and bool(t.events(p, "Started")))
    if view is None:
        return None
    node = node_of(t.last(view))
    message = f"Successfully assigned {view.namespace}/{view.name} to {t.other_node(node)}"
    t.values.insert(
        t.events(view, "Started")[0] + 1,
        t.event(view, "Scheduled", "default-scheduler", message=message),
    )
    return Broken(t.values, "LW-10", view.uid)


@mutation("a pod changed after its DELETED event")
def changed_after_deleted(t: Trace) -> Broken | None:
    """After the pod's DELETED watch event, a MODIFIED one at a higher resourceVersion.

    Breaks LW-11 (the watch's update event): a deleted object is gone; nothing updates it.
    """
    view = t.pod(lambda p: t.values[p.states[-1]].get("type") == "DELETED")
    if view is None:
        return None
    t.append_state(view, lambda o: o["metadata"].setdefault("labels", {}).update(changed="yes"))
    return Broken(t.values, "LW-11", view.uid)


@mutation("a pod first seen running without a node")
def first_seen_running_unbound(t: Trace) -> Broken | None:
    """The recording of a watch started late: the pod is first seen at its first state with a
    container started (its earlier states and Events, and its STEP records, are not in the
    recording), and no state it shows has spec.nodeName.

    A watch may start at any time and a pod first seen past its creation is placed, unjudged, at
    the steps its state shows; but no place in the flow has containers started without a node
    (LW-12 comes after LW-10, or after NN-01 for a pod created with its node, and both keep
    spec.nodeName). Breaks LW-10, the step a pod without spec.nodeName is missing.
    """
    view = t.pod(lambda p: t.started_at(p) is not None)
    if view is None:
        return None
    start = view.states[t.started_at(view) or 0]
    t.edit_states([i for i in view.states if i >= start], unbind)
    dropped = {i for i in [*view.states, *view.events] if i < start} | set(view.steps)
    t.values = [v for i, v in enumerate(t.values) if i not in dropped]
    return Broken(t.values, "LW-10", view.uid)


@mutation("two different states at one resourceVersion")
def two_states_at_one_rv(t: Trace) -> Broken | None:
    """An update of the pod (the last that is not its deletion, and that differs from the state
    before it in what the checker reads) carries the resourceVersion of the state before it.

    Breaks LW-11 (the watch's update event): each write is a new revision; a watch repeats a
    state at its own resourceVersion (a re-list), but one revision never holds two states.
    """

    def target(view: PodView) -> int | None:
        ks = [
            k
            for k, i in enumerate(view.states)
            if k > 0
            and t.values[i].get("type") in ("MODIFIED", None)
            and rv_of(t.obj(view.states[k - 1])) is not None
            # different facts, not only another resourceVersion (the kubelet's final delete
            # changes only the deletion's grace period, which the checker does not read)
            and observe(t.obj(i))._replace(rv=None)
            != observe(t.obj(view.states[k - 1]))._replace(rv=None)
        ]
        return ks[-1] if ks else None

    view = t.pod(lambda p: target(p) is not None)
    if view is None:
        return None
    k = target(view) or 0
    t.obj(view.states[k])["metadata"]["resourceVersion"] = t.obj(view.states[k - 1])["metadata"][
        "resourceVersion"
    ]
    return Broken(t.values, "LW-11", view.uid)


@mutation("a Started event for a pod the kubelet rejected")
def started_after_rejection(t: Trace) -> Broken | None:
    """After the kubelet's NodeAffinity Event (the rejection, NN-03), the kubelet's Started Event.

    NN-03 ends the pod's flow: nothing follows it, so LW-12, which a Started Event shows, is
    shown where the flow does not allow it. Breaks LW-12 (the step shown out of place, as the
    checker names a step no way leads to).
    """
    view = t.pod(lambda p: bool(t.events(p, "NodeAffinity")))
    if view is None:
        return None
    at = t.events(view, "NodeAffinity")[0]
    t.values.insert(
        at + 1,
        t.event(
            view, "Started", "kubelet", message="Started container nginx", rv=rv_str(t.last(view))
        ),
    )
    return Broken(t.values, "LW-12", view.uid)


@mutation("a FailedScheduling event after the bind")
def failed_scheduling_after_bind(t: Trace) -> Broken | None:
    """After the scheduler's Scheduled Event, a FailedScheduling Event from the scheduler.

    Breaks US-01 (the step FailedScheduling shows): the scheduler reports a pod unschedulable
    only while it looks for a node; after the bind the flow never comes back to US-01.
    """
    view = t.pod(lambda p: bool(t.events(p, "Scheduled")))
    if view is None:
        return None
    at = t.events(view, "Scheduled")[0]
    message = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
    t.values.insert(
        at + 1,
        t.event(view, "FailedScheduling", "default-scheduler", type_="Warning", message=message),
    )
    return Broken(t.values, "US-01", view.uid)


def _pod_steps(t: Trace) -> PodView | None:
    return t.pod(lambda p: len(p.steps) >= 3)


@mutation("STEP records out of the flow's order")
def steps_swapped(t: Trace) -> Broken | None:
    """Two of the pod's consecutive STEP records, the second a successor of the first in the flow
    graph, are swapped (the first such pair past the pod's first step).

    Breaks the flow graph (spec/flow.yaml `next`) at the first of the two, the step expected
    where the second was recorded.
    """
    view = _pod_steps(t)
    if view is None:
        return None
    names = [t.values[i]["step"] for i in view.steps]
    for k in range(1, len(names) - 1):
        before, a, b = names[k - 1], names[k], names[k + 1]
        if b in t.p.next[a] and b not in t.p.next[before] and a not in t.p.next[b]:
            i, j = view.steps[k], view.steps[k + 1]
            t.values[i], t.values[j] = t.values[j], t.values[i]
            return Broken(t.values, a, view.uid)
    return None


@mutation("a STEP record missing")
def step_missing(t: Trace) -> Broken | None:
    """One of the pod's STEP records (the first one past its first step whose neighbours cannot
    follow each other) is dropped.

    Breaks the flow graph at the dropped step: the simulator records every step it takes.
    """
    view = _pod_steps(t)
    if view is None:
        return None
    names = [t.values[i]["step"] for i in view.steps]
    for k in range(1, len(names) - 1):
        if names[k + 1] not in t.p.next[names[k - 1]]:
            del t.values[view.steps[k]]
            return Broken(t.values, names[k], view.uid)
    return None


@mutation("an internal STEP record marked observable")
def step_marked_observable(t: Trace) -> Broken | None:
    """The pod's first STEP record of an internal step says `observable: true`.

    Breaks the spec's projection of that step: the spec marks it internal (`observable: false`).
    """
    view = _pod_steps(t)
    i = (
        next((i for i in view.steps if t.values[i]["step"] not in t.p.rules), None)
        if view
        else None
    )
    if view is None or i is None:
        return None
    t.values[i]["observable"] = True
    return Broken(t.values, t.values[i]["step"], view.uid)


# -- the mutants -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutant:
    """One mutation applied to one good trace."""

    mutation: Mutation
    trace: str
    broken: Broken

    @property
    def id(self) -> str:
        return f"{self.mutation.name} / {self.trace}"


def make_mutants(traces: dict[str, Good], projection: Projection) -> Iterator[Mutant]:
    for m in MUTATIONS:
        for name, good in traces.items():
            broken = m.mutate(Trace(good, projection))
            if broken is not None:
                yield Mutant(m, name, broken)


@dataclass(frozen=True)
class Outcome:
    """How the checker judged a mutant: killed (a violation about the pod naming the step), and what
    it said."""

    mutant: Mutant
    killed: bool
    said: tuple[str, ...]


def judge(mutant: Mutant, engine: Engine) -> Outcome:
    report = checker.check_records(mutant.broken.values, engine.spec, name=mutant.trace)
    about = [v for v in report.violations if v.pod.uid == mutant.broken.uid]
    killed = report.exit_code() == 1 and any(v.step == mutant.broken.step for v in about)
    return Outcome(
        mutant, killed, tuple(f"{v.line}: {v.message} [{v.rule}]" for v in report.violations)
    )


@pytest.fixture(scope="module")
def outcomes(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> list[Outcome]:
    """Every mutant of every good trace there is here, judged."""
    traces = good_traces(engine, tmp_path_factory.mktemp("run"))
    return [judge(m, engine) for m in make_mutants(traces, Projection(engine.spec))]


# -- tests -----------------------------------------------------------------------------------------


def test_every_mutation_is_named_and_documented() -> None:
    names = [m.name for m in MUTATIONS]
    assert len(set(names)) == len(names)
    assert all(m.doc and "Breaks " in m.doc for m in MUTATIONS), [
        m.name for m in MUTATIONS if "Breaks " not in m.doc
    ]


@pytest.mark.parametrize("name", [m.name for m in MUTATIONS])
def test_each_mutation_breaks_some_good_trace_and_every_mutant_it_makes_is_killed(
    name: str, outcomes: list[Outcome]
) -> None:
    mine = [o for o in outcomes if o.mutant.mutation.name == name]
    assert mine, f"{name}: applies to no good trace"
    survivors = {o.mutant.trace: (o.mutant.broken.step, o.said) for o in mine if not o.killed}
    assert survivors == {}


def test_the_checker_kills_every_mutant(
    outcomes: list[Outcome], capsys: pytest.CaptureFixture[str]
) -> None:
    killed = sum(o.killed for o in outcomes)
    traces = len({o.mutant.trace for o in outcomes})
    rate = 100 * killed / len(outcomes) if outcomes else 0.0
    with capsys.disabled():
        print(
            f"\nchecker mutation test: killed {killed}/{len(outcomes)} mutants ({rate:.0f}%) of "
            f"{len(MUTATIONS)} mutations over {traces} good traces"
        )
        for o in outcomes:
            if not o.killed:
                print(
                    f"  survived: {o.mutant.id} (expected {o.mutant.broken.step}): "
                    f"{list(o.said) or 'no violation'}"
                )
    assert len(outcomes) >= AT_LEAST
    assert killed == len(outcomes)
