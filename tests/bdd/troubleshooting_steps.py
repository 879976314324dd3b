"""Step definitions for features/troubleshooting.feature: diagnose, read the finding, apply the
fix."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_bdd import parsers, then, when

from listwatch.backend import Capability
from listwatch.troubleshoot.apply import apply_fix
from listwatch.troubleshoot.diagnose import Diagnosis, diagnose

from .world import World

SERVER = {"name": "web", "image": "busybox:1.36", "command": ["httpd", "-f", "-p", "80"]}


def diagnosis_of(world: World, name: str) -> Diagnosis:
    tree = world.engine.spec.troubleshooting
    assert tree is not None
    world.diagnosis = diagnose(tree, world.backend.facts(), name)
    return world.diagnosis


def _serving(world: World, name: str, **container: Any) -> None:
    world.backend.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": [{**SERVER, **container}]},
        }
    )


@when(parsers.parse('I create a pod "{name}" on the node {node} with the nodeSelector {pairs}'))
def create_misplaced(world: World, name: str, node: str, pairs: str) -> None:
    selector = dict(p.split("=", 1) for p in pairs.split(","))
    spec = {
        "nodeName": node,
        "nodeSelector": selector,
        "containers": [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"]}],
    }
    world.backend.apply(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}
    )


@when(
    parsers.parse(
        'I create a pod "{name}" serving on port {port:d} with a readiness probe on port {probe:d}'
    )
)
def create_unready(world: World, name: str, port: int, probe: int) -> None:
    _serving(
        world,
        name,
        command=["httpd", "-f", "-p", str(port)],
        readinessProbe={"httpGet": {"path": "/", "port": probe}, "periodSeconds": 5},
    )


@when(
    parsers.parse(
        'I create a pod "{name}" serving on port {port:d} and declaring containerPort {declared:d}'
    )
)
def create_declaring(world: World, name: str, port: int, declared: int) -> None:
    _serving(
        world, name, command=["httpd", "-f", "-p", str(port)], ports=[{"containerPort": declared}]
    )


@when(
    parsers.parse(
        'I create a Service "{name}" for the pod "{pod}" with port {port:d} and targetPort '
        "{target:d}"
    )
)
def create_service(world: World, name: str, pod: str, port: int, target: int) -> None:
    world.backend.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name},
            "spec": {"selector": {"app": pod}, "ports": [{"port": port, "targetPort": target}]},
        }
    )


@when(parsers.parse('the kubelet of "{node}" stops'))
def kubelet_stops(world: World, node: str) -> None:
    world.require(Capability.KUBELET_CONTROL)
    world.backend.stop_kubelet(node)


@then(
    parsers.re(
        r'the diagnosis of the pod "(?P<name>[^"]+)" is (?P<finding>TS-\d\d) with the evidence '
        r'"(?P<text>.*)"$'
    )
)
def diagnosed_with_evidence(world: World, name: str, finding: str, text: str) -> None:
    world.wait(lambda: diagnosis_of(world, name).finding.id == finding)
    found = diagnosis_of(world, name)
    assert found.finding.id == finding, (
        f"{found.finding.id} {found.finding.finding}: {found.evidence}"
    )
    assert any(text in line for line in found.evidence), found.evidence
    assert found.exit_code == 1


@then(parsers.parse('the diagnosis of the pod "{name}" has the evidence "{text}"'))
def has_evidence(world: World, name: str, text: str) -> None:
    assert any(text in line for line in diagnosis_of(world, name).evidence), (
        world.diagnosis.evidence
    )


@then(parsers.parse('the diagnosis of the pod "{name}" is {finding} with the exit code {code:d}'))
def diagnosed_with_code(world: World, name: str, finding: str, code: int) -> None:
    found = diagnosis_of(world, name)
    assert (found.finding.id, found.exit_code) == (finding, code)


@then(parsers.parse('the proposed fix is "{command}"'))
def proposed_fix(world: World, command: str) -> None:
    assert world.diagnosis is not None and world.diagnosis.fix is not None
    assert command in world.diagnosis.fix.commands, world.diagnosis.fix.commands


@when("I apply the proposed fix")
def apply_proposed(world: World) -> None:
    assert world.diagnosis is not None, "nothing was diagnosed"
    if (
        world.diagnosis.fix is None
        and world.diagnosis.finding.id == "TS-22"
        and Capability.INTERNAL_STEPS not in world.capabilities
    ):
        # TS-22's fix is an image of the same repository that some node lists in status.images.
        # The simulated nodes (and `listwatch serve`'s) start with one (busybox:1.35); the nodes
        # of a real cluster may have none yet, if no scenario has pulled busybox there.
        pytest.skip(
            f"the diagnosis TS-22 proposes no fix on this cluster: {world.diagnosis.evidence[-1]}"
        )
    assert world.diagnosis.fix is not None, "no fix was proposed"
    apply_fix(world.backend, world.diagnosis.fix)


@when(parsers.parse('I create a pod "{name}" requesting {cpus:d} CPUs'))
def create_big(world: World, name: str, cpus: int) -> None:
    container = {
        "name": "app",
        "image": "busybox:1.36",
        "command": ["sleep", "3600"],
        "resources": {"requests": {"cpu": str(cpus)}},
    }
    world.backend.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"containers": [container]},
        }
    )


@then(parsers.parse('the diagnosis of the pod "{name}" is healthy, as {finding}'))
def healthy_as(world: World, name: str, finding: str) -> None:
    found = diagnosis_of(world, name)
    assert found.finding.id == finding and found.exit_code == 0, (
        f"{found.finding.id} {found.finding.finding}: {found.evidence}"
    )


@then(parsers.parse('the diagnosis of the pod "{name}" is healthy'))
def healthy(world: World, name: str) -> None:
    world.wait(lambda: diagnosis_of(world, name).finding.healthy)
    found = diagnosis_of(world, name)
    assert found.finding.healthy and found.exit_code == 0, (
        f"{found.finding.id} {found.finding.finding}: {found.evidence}"
    )
