"""What every control-plane component shares: its spec, its machines, its List-Watches, its events.

A component built from parts (the kubelet, the controller manager) is still one `Component`: it
opens the watches and its handlers hand each event to the part it concerns. The parts get what
they use from it explicitly (the API, the loop, its recorder, its `act` as an `Acts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from listwatch.actions import Action, ActionSink, ObjectRef
from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import Informer
from listwatch.components.events import EventRecorder
from listwatch.components.failures import ComponentError, Failures
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.spec.model import Spec


class Acts(Protocol):
    """Reports an act of a component to its action sink (`Component.act`), for a part to call."""

    def __call__(
        self,
        kind: str,
        obj: Mapping[str, Any] | None,
        *,
        target: str = "",
        result: str = "",
        detail: str = "",
        **attrs: Any,
    ) -> None: ...


class Component:
    """A component as the spec defines it: it opens the spec's watches, with the spec's handlers.

    A watch removed from the spec is a watch the component does not open; its handlers are then
    never called. Handler names were resolved against the component's callbacks when the spec
    was loaded (`listwatch.engine.check_names`).
    """

    name: ClassVar[str]

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        spec: Spec,
        machines: Mapping[str, Machine],
        sink: ActionSink | None = None,
        instance: str = "",
        host: str = "",
        errors: list[ComponentError] | None = None,
    ) -> None:
        """With `errors`, an object this component fails to handle is logged, appended there and
        retried (`components.failures`); without, the exception reaches the event loop."""
        self.api = api
        self.loop = loop
        self.spec = spec
        self.definition = spec.component(self.name)
        self.settings: Mapping[str, Any] = self.definition.settings
        self.machines = machines
        self.sink = sink
        self.instance = instance
        self.actor = f"{self.name}/{instance}" if instance else self.name
        self.recorder = EventRecorder(
            api,
            component=self.definition.event_source or self.name,
            host=host,
            actor=self.actor,
            templates=self.definition.events,
            style="events/v1" if self.definition.events_api == "events.k8s.io/v1" else "legacy",
        )
        self.informers: dict[str, Informer] = {}
        self.failures = (
            Failures(actor=self.actor, loop=loop, errors=errors) if errors is not None else None
        )

    def start(self) -> None:
        """Open every List-Watch the spec gives this component."""
        reflector = self.machines["list-watch"]
        for watch in self.definition.watches:
            handlers = {kind: getattr(self, name) for kind, name in watch.handlers.items()}
            informer = Informer(
                self.api,
                self.loop,
                watch.resource,
                machine=reflector,
                handlers=handlers,
                actor=self.actor,
                label_selector=self._fill(watch.label_selector),
                field_selector=self._fill(watch.field_selector),
                failures=self.failures,
            )
            self.informers[watch.id] = informer
            informer.start()

    def stop(self) -> None:
        for informer in self.informers.values():
            informer.stop()

    def set_pod_condition(self, pod: Mapping[str, Any], condition: Mapping[str, Any]) -> Obj:
        """Write one condition of the pod's status (a strategic merge on status.conditions, keyed by
        type)."""
        return self.api.patch(
            "pods",
            objects.name_of(pod),
            {"status": {"conditions": [dict(condition)]}},
            namespace=objects.namespace_of(pod),
            patch_type="strategic",
            subresource="status",
            actor=self.actor,
        )

    def _fill(self, selector: str) -> str:
        return selector.replace("{node}", self.instance)

    def act(
        self,
        kind: str,
        obj: Mapping[str, Any] | None,
        *,
        target: str = "",
        result: str = "",
        detail: str = "",
        **attrs: Any,
    ) -> None:
        """Report an act of this component (a decision, a reconcile) to the action sink."""
        if self.sink is not None:
            self.sink(
                Action(
                    kind,
                    self.actor,
                    target,
                    resource="pods" if obj is not None and obj.get("kind") == "Pod" else "",
                    obj=ObjectRef.of(obj) if obj is not None else None,
                    result=result,
                    detail=detail,
                    time=self.loop.clock.now(),
                    attrs=attrs,
                )
            )
