"""Checks across the spec that a schema cannot express: references, reachability, uniqueness.

Callback names (guards, actions, watch handlers) are resolved later, when the machines are built
against the engine's registry (`listwatch.machines.building`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from listwatch.errors import SpecError
from listwatch.spec.model import Flow, MachineDef, ObjectDef, Origin, Spec, Troubleshooting


def _fail(origin: Origin | None, path: str, problem: str) -> SpecError:
    if origin is None:
        return SpecError("spec", path, problem)
    full, line = origin.locate(path)
    return SpecError(origin.file, full, problem, line=line)


def check(spec: Spec) -> None:
    check_flow(spec.flow)
    if spec.troubleshooting is not None:
        check_tree(spec.troubleshooting)
    for machine in spec.machines.values():
        check_machine(machine)
    actors = set(spec.flow.actors)
    for component in spec.components.values():
        seen: set[str] = set()
        for i, watch in enumerate(component.watches):
            if watch.id in seen:
                raise _fail(
                    component.origin,
                    f"watches[{i}].id",
                    f"a unique watch id; {watch.id!r} is repeated",
                )
            seen.add(watch.id)
        if component.name not in actors:
            raise _fail(
                component.origin, "name", f"one of the flow's actors ({', '.join(sorted(actors))})"
            )
    for obj in spec.objects.values():
        check_waiting_reasons(spec, obj)
        for i, condition in enumerate(obj.conditions):
            if condition.owner not in spec.components:
                raise _fail(
                    obj.origin,
                    f"conditions[{i}].owner",
                    f"a component name, found {condition.owner!r}",
                )


def check_waiting_reasons(spec: Spec, obj: ObjectDef) -> None:
    """An object that declares `waitingReasons` declares each once, and each of its machines'
    waiting states shows one of them: the reason sets the engine derives are then whole."""
    if not obj.waiting_reasons:
        return
    seen: dict[str, int] = {}
    for i, w in enumerate(obj.waiting_reasons):
        if w.reason in seen:
            raise _fail(
                obj.origin,
                f"waitingReasons[{i}].reason",
                f"a unique reason; {w.reason} is also waitingReasons[{seen[w.reason]}]",
            )
        seen[w.reason] = i
    for name in obj.machines:
        machine = spec.machines[name]
        for i, state in enumerate(machine.states):
            reason = state.status.get("reason", "")
            if state.status.get("state") == "waiting" and reason not in seen:
                raise _fail(
                    machine.origin,
                    f"states[{i}].status.reason",
                    f"a reason declared in the document's waitingReasons, found {reason!r}",
                )


def check_flow(flow: Flow) -> None:
    ids: dict[str, int] = {}
    for i, step in enumerate(flow.steps):
        if step.id in ids:
            raise _fail(
                flow.origin,
                f"steps[{i}].id",
                f"a unique step id; {step.id} is also steps[{ids[step.id]}]",
            )
        ids[step.id] = i
    actors = set(flow.actors)
    for step in flow.steps:
        for field, names in (("from", step.sources), ("to", step.targets)):
            for name in names:
                if name not in actors:
                    raise _fail(
                        step.origin,
                        field,
                        f"one of the flow's actors ({', '.join(flow.actors)}), found {name!r}",
                    )
        for j, nxt in enumerate(step.next):
            if nxt not in ids:
                raise _fail(step.origin, f"next[{j}]", f"the id of a declared step, found {nxt!r}")
        if step.same_as_for_direct_pods and step.same_as_for_direct_pods not in ids:
            raise _fail(
                step.origin,
                "same_as_for_direct_pods",
                f"a declared step, found {step.same_as_for_direct_pods!r}",
            )
    for entry in flow.entries:
        if entry not in ids:
            raise _fail(flow.origin, "entries", f"the id of a declared step, found {entry!r}")
    reachable = _reachable(flow.entries, lambda s: flow.steps[ids[s]].next)
    for i, step in enumerate(flow.steps):
        if step.match.get("action") == "watch":
            continue  # the List-Watches are opened at start, before any object's flow
        if step.id not in reachable:
            raise _fail(
                flow.origin,
                f"steps[{i}]",
                f"a step reachable from an entry ({', '.join(flow.entries)}); {step.id} is not",
            )
    for v, variant in enumerate(flow.variants):
        for s, step_id in enumerate(variant.steps):
            if step_id not in ids:
                raise _fail(
                    flow.origin,
                    f"variants[{v}].steps[{s}]",
                    f"the id of a declared step, found {step_id!r}",
                )
        for k, (a, b) in enumerate(zip(variant.steps, variant.steps[1:], strict=False)):
            if flow.steps[ids[a]].match.get("action") == "watch":
                continue
            if b not in flow.steps[ids[a]].next:
                raise _fail(
                    flow.origin,
                    f"variants[{v}].steps[{k + 1}]",
                    f"a step that may follow {a} (one of "
                    f"{', '.join(flow.steps[ids[a]].next) or 'none'}), found {b}",
                )
    for n, arrow in enumerate(flow.simplified):
        for step_id in arrow.steps:
            if step_id not in ids:
                raise _fail(
                    flow.origin,
                    f"simplified[{n}].steps",
                    f"the id of a declared step, found {step_id!r}",
                )


def check_tree(tree: Troubleshooting) -> None:
    """Every branch leads to a declared node, every node is reachable from the start, and the
    tree has no cycle: a diagnosis always ends at a finding."""
    nodes = tree.nodes
    if tree.start not in nodes:
        raise _fail(tree.origin, "start", f"the id of a declared node, found {tree.start!r}")
    for node in nodes.values():
        for branch in ("yes", "no"):
            target = getattr(node, branch)
            if not node.is_finding and target not in nodes:
                raise _fail(node.origin, branch, f"the id of a declared node, found {target!r}")
    reachable = _reachable(
        [tree.start], lambda n: [] if nodes[n].is_finding else [nodes[n].yes, nodes[n].no]
    )
    for node in nodes.values():
        if node.id not in reachable:
            raise _fail(
                node.origin,
                "id",
                f"a node reachable from {tree.start}; no question leads to {node.id}",
            )
    _acyclic(tree)


def _acyclic(tree: Troubleshooting) -> None:
    done: set[str] = set()

    def visit(node_id: str, path: tuple[str, ...]) -> None:
        if node_id in path:
            raise _fail(
                tree.nodes[node_id].origin,
                "id",
                f"a tree; {' -> '.join((*path, node_id))} is a cycle",
            )
        if node_id in done:
            return
        node = tree.nodes[node_id]
        if not node.is_finding:
            visit(node.yes, (*path, node_id))
            visit(node.no, (*path, node_id))
        done.add(node_id)

    visit(tree.start, ())


def check_machine(machine: MachineDef) -> None:
    names: dict[str, int] = {}
    for i, state in enumerate(machine.states):
        if state.name in names:
            raise _fail(
                machine.origin,
                f"states[{i}].name",
                f"a unique state name; {state.name} is repeated",
            )
        names[state.name] = i
    declared = ", ".join(names)
    if machine.initial not in names:
        raise _fail(
            machine.origin, "initial", f"a declared state ({declared}), found {machine.initial!r}"
        )
    edges: dict[str, list[str]] = {name: [] for name in names}
    for i, t in enumerate(machine.transitions):
        for j, source in enumerate(t.sources):
            if source not in names:
                path = f"transitions[{i}].source" + (f"[{j}]" if len(t.sources) > 1 else "")
                raise _fail(
                    machine.origin, path, f"a declared state ({declared}), found {source!r}"
                )
            edges[source].append(t.dest)
        if t.dest not in names:
            raise _fail(
                machine.origin,
                f"transitions[{i}].dest",
                f"a declared state ({declared}), found {t.dest!r}",
            )
    reachable = _reachable([machine.initial], lambda s: edges[s])
    for i, state in enumerate(machine.states):
        if state.name not in reachable:
            raise _fail(
                machine.origin,
                f"states[{i}]",
                f"a state reachable from {machine.initial}; no transition leads to {state.name}",
            )
    for i, state in enumerate(machine.states):
        if not state.final and not edges[state.name]:
            raise _fail(
                machine.origin,
                f"states[{i}]",
                f"a way out of {state.name} (a transition from it), or `final: true`; "
                f"a context that reaches it could never move again",
            )


def _reachable(starts: Iterable[str], successors: object) -> set[str]:
    seen = set(starts)
    queue = deque(seen)
    while queue:
        for nxt in successors(queue.popleft()):  # type: ignore[operator]
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen
