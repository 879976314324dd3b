"""Names resolve on the class that implements their scope: a machine's own part, else the
owner's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from listwatch import engine as engine_module
from listwatch.components.controller_manager import ControllerManager
from listwatch.components.kubelet import Kubelet
from listwatch.components.kubelet.containers import Containers
from listwatch.components.kubelet.status import Status
from listwatch.components.nodelifecycle import NodeLifecycle
from listwatch.components.replication import Replication
from listwatch.engine import Engine
from listwatch.errors import SpecError
from listwatch.machines.callbacks import (
    ACTION,
    CONDITIONS,
    GUARD,
    WATCHES,
    Parts,
    Registry,
    action,
    guard,
)
from tests.conftest import SPEC


class Component:
    @action
    def thing_added(self, event: object) -> None: ...

    @guard
    def component_guard(self, context: object) -> bool:
        return True


class Part:
    @guard
    def part_guard(self, context: object) -> bool:
        return True

    @action
    def part_action(self, context: object) -> None: ...


def test_a_machine_s_names_resolve_on_the_part_named_for_it() -> None:
    registry = Registry({"c": Parts(default=Component, machines={"m": Part})})
    assert registry.resolve("c", "m", "part_guard", GUARD, None, "p") is Part.part_guard
    assert registry.resolve("c", "m", "part_action", ACTION, None, "p") is Part.part_action
    assert registry.resolve("c", WATCHES, "thing_added", ACTION, None, "p") is Component.thing_added


def test_a_machine_no_part_is_named_for_resolves_on_the_owner_s_default() -> None:
    registry = Registry({"c": Parts(default=Component, machines={"m": Part})})
    assert registry.implementer("c", "other") is Component
    assert registry.implementer("c", CONDITIONS) is Component


def test_an_owner_given_one_class_resolves_every_scope_on_it() -> None:
    registry = Registry({"c": Component})
    for scope in ("m", WATCHES, CONDITIONS):
        assert registry.resolve("c", scope, "component_guard", GUARD, None, "p") is (
            Component.component_guard
        )


def test_a_name_of_another_part_is_unknown_and_the_error_lists_the_part_s_names() -> None:
    registry = Registry({"c": Parts(default=Component, machines={"m": Part})})
    with pytest.raises(SpecError) as caught:
        registry.resolve("c", "m", "component_guard", GUARD, None, "transitions[0]")
    problem = caught.value.problem
    assert "unknown guard name" in problem and "for the m machine" in problem
    assert "(part_guard)" in problem and "'component_guard'" in problem


def test_a_guard_named_where_an_action_is_expected_is_unknown() -> None:
    registry = Registry({"c": Part})
    with pytest.raises(SpecError, match="unknown action name: expected an action of c"):
        registry.resolve("c", "m", "part_guard", ACTION, None, "p")


def test_an_unknown_owner_is_an_error_listing_the_known_owners() -> None:
    with pytest.raises(SpecError, match=r"an owner the engine knows \(a, b\), found 'z'"):
        Registry({"a": Part, "b": Part}).resolve("z", "m", "part_guard", GUARD, None, "p")


def test_the_engine_resolves_each_kubelet_and_controller_manager_machine_on_its_part() -> None:
    registry = Registry(engine_module.OWNERS)
    assert registry.implementer("kubelet", "pod-worker") is Kubelet
    assert registry.implementer("kubelet", WATCHES) is Kubelet
    assert registry.implementer("kubelet", "container") is Containers
    assert registry.implementer("kubelet", "pod-phase") is Status
    assert registry.implementer("kubelet", CONDITIONS) is Status
    assert registry.implementer("controller-manager", WATCHES) is ControllerManager
    assert registry.implementer("controller-manager", "replication") is Replication
    assert registry.implementer("controller-manager", "node-lifecycle") is NodeLifecycle


def test_every_built_machine_calls_only_functions_of_its_implementer(engine: Engine) -> None:
    registry = Registry(engine_module.OWNERS)
    for machine in engine.machines.values():
        cls = registry.implementer(machine.definition.owner, machine.name)
        assert cls is not None
        for event in machine.reference.events.values():
            for options in event.transitions.values():
                for t in options:
                    callbacks = [c.func for c in t.conditions] + list(t.before) + list(t.after)
                    for function in callbacks:
                        assert getattr(cls, function.__name__) is function, (
                            f"{machine.name}: {function.__qualname__} is not {cls.__name__}'s"
                        )


def test_a_kubelet_guard_named_in_the_container_machine_is_a_load_error_at_its_place(
    tmp_path: Path,
) -> None:
    root = tmp_path / "spec"
    shutil.copytree(SPEC, root)
    path = root / "objects" / "container.yaml"
    # pod_admissible is the kubelet's (the pod-worker machine's), not the containers part's.
    path.write_text(
        path.read_text().replace("conditions: [image_present]", "conditions: [pod_admissible]", 1)
    )
    with pytest.raises(SpecError) as caught:
        engine_module.load(root)
    error = caught.value
    assert error.file == "spec/objects/container.yaml"
    assert error.path.endswith(".conditions[0]") and error.path.startswith("machines[0].")
    assert "for the container machine" in error.problem and "image_present" in error.problem
    assert error.line is not None and error.line > 0
