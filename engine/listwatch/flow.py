"""Follow the spec's flow graph over the engine's actions: which step each act realises.

The tracker keeps, per object (by uid), the last step it reached. An action about the object
realises the first step among the last step's `next` whose `match` it satisfies; actions that
match none (an Event written, a status write with nothing new) are not steps. A new object
enters the flow at the first entry step its first matching action fits. For a pod created
directly, the steps the spec marks `same_as_for_direct_pods` are realised together with the step
they repeat (LW-07 and LW-08 are LW-03's write and LW-04's event). `LW-01` steps (the watches) are
not about an object; they are reported as they happen. The first entry of the spec's `entries` is
the one for objects created by a client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from listwatch.actions import Action
from listwatch.spec.model import Flow, Step


@dataclass(frozen=True, slots=True)
class StepEvent:
    """A step of the flow, realised by an action (or, for a repeated step, by the action it
    repeats)."""

    step: Step
    action: Action
    repeats: str = ""


class FlowTracker:
    """Turns actions into steps, calling `on_step` for each, in the order they happen."""

    def __init__(self, flow: Flow, on_step: Callable[[StepEvent], None]) -> None:
        self.flow = flow
        self.on_step = on_step
        self._steps = {s.id: s for s in flow.steps}
        self._entries = [self._steps[e] for e in flow.entries]
        self._at: dict[str, str] = {}
        self._direct: dict[str, dict[str, Action]] = {}
        self._global = [s for s in flow.steps if s.match.get("action") == "watch"]
        self.reached: dict[str, list[str]] = {}

    def __call__(self, action: Action) -> None:
        if action.action == "watch":
            for step in self._global:
                if action.matches(step.match):
                    self.on_step(StepEvent(step, action))
            return
        obj = action.obj
        if obj is None or not obj.uid:
            return
        uid = obj.uid
        at = self._at.get(uid)
        if at is None:
            for step in self._entries:
                if action.matches(step.match):
                    if step is self._entries[0] and action.resource == "pods":
                        self._direct[uid] = {}  # created by a client, not by a controller
                    self._realise(uid, step, action)
                    return
            return
        for next_id in self._steps[at].next:
            step = self._steps[next_id]
            if step.same_as_for_direct_pods and uid in self._direct:
                continue
            if action.matches(step.match):
                self._realise(uid, step, action)
                return

    def _realise(self, uid: str, step: Step, action: Action, repeats: str = "") -> None:
        self._at[uid] = step.id
        self.reached.setdefault(uid, []).append(step.id)
        self.on_step(StepEvent(step, action, repeats))
        direct = self._direct.get(uid)
        if direct is not None:
            direct[step.id] = action
            for next_id in step.next:
                nxt = self._steps[next_id]
                repeated = (
                    direct.get(nxt.same_as_for_direct_pods) if nxt.same_as_for_direct_pods else None
                )
                if repeated is not None:
                    self._realise(uid, nxt, repeated, repeats=nxt.same_as_for_direct_pods)
                    return

    def position(self, uid: str) -> str | None:
        """The last step the object reached, or None if it never entered the flow."""
        return self._at.get(uid)

    def forget(self, uid: str) -> None:
        self._at.pop(uid, None)
        self._direct.pop(uid, None)
        self.reached.pop(uid, None)
