"""Step definitions for features/: Kubernetes words in, backend calls out.

Registered for every test through `pytest_plugins` in tests/conftest.py. Each step works on the
`world` fixture (tests/bdd/world.py) and only through the backend interface.
"""

from __future__ import annotations

import io
import os
import re
import shlex
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from pytest_bdd import given, parsers, then, when

from listwatch import backends, errors
from listwatch.apiserver import objects
from listwatch.backend import Capability
from listwatch.checker.run import write_report
from listwatch.engine import Engine
from listwatch.errors import BackendUnavailable

from .world import World

#: Where the cluster backend's kubeconfig comes from when --kubeconfig is not given (then
#: ~/.kube/config).
KUBECONFIG = "KUBECONFIG"
#: The nodes every feature's Background names.
FEATURE_NODES = ("node01", "node02")


def unavailable(backend: str, exc: BackendUnavailable) -> None:
    """Skip (the backend cannot run here), or fail where the run must have it."""
    required = backends.BACKENDS[backend].required_by
    if required and os.environ.get(required):
        pytest.fail(f"{exc} ({required} is set: this run must have it)")
    pytest.skip(str(exc))


@pytest.fixture
def world(engine: Engine, request: pytest.FixtureRequest) -> Iterator[World]:
    backend = request.config.getoption("--backend")
    kubeconfig = request.config.getoption("--kubeconfig") or os.environ.get(KUBECONFIG) or None
    try:
        made = World(engine, backend, kubeconfig=kubeconfig)
    except BackendUnavailable as exc:
        unavailable(backend, exc)
    yield made
    made.close()


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    """What the backend says of where the features run (the cluster backend: which API, and
    which of its nodes the features' node01 and node02 are)."""
    header = backends.BACKENDS[config.getoption("--backend")].header
    if header is None:
        return None
    kubeconfig = config.getoption("--kubeconfig") or os.environ.get(KUBECONFIG) or None
    return [header(backends.Options(kubeconfig=kubeconfig), FEATURE_NODES)]


def pytest_bdd_after_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    """On a backend that records the watch streams, the checker's verdict ends every scenario that
    got that far: a run that broke the spec fails, with the checker's explanation."""
    if "world" not in request.fixturenames or getattr(request.node, "listwatch_step_failed", False):
        return
    world: World = request.getfixturevalue("world")
    report = world.report()
    if report is not None and report.violations:
        lines = "\n".join(f"  {v.pod}: {v.message} [{v.rule}]" for v in report.violations)
        pytest.fail(
            f"the checker found {len(report.violations)} violation(s) of the spec in the recorded "
            f"watch streams:\n{lines}"
        )


def pytest_bdd_step_error(
    request: pytest.FixtureRequest,
    feature: Any,
    scenario: Any,
    step: Any,
    step_func: Any,
    step_func_args: Any,
    exception: Exception,
) -> None:
    """A failed step: on a recording backend, the checker's report of the run goes with the
    failure."""
    request.node.listwatch_step_failed = True
    if "world" not in request.fixturenames:
        return
    world: World = request.getfixturevalue("world")
    try:
        report = world.report()
    except Exception as exc:  # the report is an aid; the step's own failure is what counts
        request.node.add_report_section("call", "listwatch check", f"no checker report: {exc}")
        return
    if report is not None:
        stream = io.StringIO()
        write_report(report, stream)
        request.node.add_report_section("call", "listwatch check", stream.getvalue())


def labels(text: str) -> dict[str, str]:
    """`cz=bob,disk=ssd` -> {"cz": "bob", "disk": "ssd"}; `-` means none."""
    if text.strip() in ("-", ""):
        return {}
    return dict(pair.strip().split("=", 1) for pair in text.split(","))


def step_ids(text: str) -> list[str]:
    return [s.strip() for s in text.split(",")]


def events(world: World, pod: dict[str, Any]) -> list[dict[str, Any]]:
    return world.backend.events_for(pod)


def source(event: dict[str, Any]) -> str:
    return (event.get("source") or {}).get("component") or event.get("reportingComponent") or ""


def container_status(pod: dict[str, Any], name: str) -> dict[str, Any]:
    """The container's status; empty while no kubelet has reported it (a pod not yet bound or not
    yet started): a wait treats "not there yet" as not there yet, not as a failure."""
    for status in (pod.get("status") or {}).get("containerStatuses") or ():
        if status.get("name") == name:
            return dict(status)
    return {}


def container_state(pod: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(container_status(pod, name).get("state") or {})


# -- Given ---------------------------------------------------------------------------------------


@given(parsers.re(r'a cluster with nodes (?P<names>(?:"[^"]+"(?:, | and )?)+)'))
def a_cluster_with_nodes(world: World, names: str) -> None:
    try:
        world.start(re.findall(r'"([^"]+)"', names))
    except BackendUnavailable as exc:
        unavailable(world.backend_name, exc)


@given(parsers.parse('the node "{node}" has the labels {pairs}'))
def node_has_labels(world: World, node: str, pairs: str) -> None:
    for key, value in labels(pairs).items():
        world.backend.label_node(node, key, value, overwrite=True)


@given(parsers.parse('a pod "{name}" Running on the node "{node}"'))
def a_running_pod(world: World, name: str, node: str) -> None:
    create_pod(world, name, node_name=node)
    assert world.wait(lambda: _phase(world, name) == "Running"), f"the pod {name} never ran"


@given(parsers.parse('a replication controller "{name}" with {replicas:d} replicas'))
def a_replication_controller(world: World, name: str, replicas: int) -> None:
    world.backend.apply(
        {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "metadata": {"name": name},
            "spec": {
                "replicas": replicas,
                "selector": {"app": name},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{**WORKLOAD, "name": name}]},
                },
            },
        }
    )
    assert world.wait(lambda: _running(world, name) == replicas)


@given(parsers.parse('the kubelet of "{node}" has lost its watch of pods'))
def kubelet_lost_watch(world: World, node: str) -> None:
    world.require(Capability.COMPONENT_WATCHES)
    actor = f"kubelet/{node}"
    world.remembered_lists = _lists(world, actor, "pods")
    world.backend.cut(actor, resource="pods", reconnect=False)  # held off until it reconnects


@given("the API server has lost its watch of pods on etcd")
def apiserver_lost_watch(world: World) -> None:
    world.require(Capability.COMPONENT_WATCHES)
    world.remembered_lists = _lists(world, "apiserver", "pods")
    world.backend.cut("apiserver", resource="pods", reconnect=False)  # held off until it reconnects


@given("I remember the resourceVersion of the pod list")
def remember_rv(world: World) -> None:
    world.remembered_rv = world.list_pods()[1]


# -- When ----------------------------------------------------------------------------------------


@when("I create this pod:")
def create_this_pod(world: World, docstring: str) -> None:
    world.backend.apply(yaml.safe_load(docstring))


@when("I create this replication controller:")
def create_this_rc(world: World, docstring: str) -> None:
    world.backend.apply(yaml.safe_load(docstring))


#: The container the features run where they need a pod that keeps running: an image every backend
#: has (the Docker backend's tests import busybox locally; no registry is reachable there).
WORKLOAD: dict[str, Any] = {"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"]}


def create_pod(
    world: World,
    name: str,
    *,
    image: str = "",
    node_name: str = "",
    selector: str = "-",
    command: str = "",
    restart: str = "",
) -> None:
    container: dict[str, Any] = dict(WORKLOAD)
    if image:  # the workload's long-running command: once its image is fixed, the pod stays up
        container = {**WORKLOAD, "image": image}
    if command:
        container = {"name": "main", "image": WORKLOAD["image"], "command": ["sh", "-c", command]}
    spec: dict[str, Any] = {"containers": [container]}
    if node_name:
        spec["nodeName"] = node_name
    if labels(selector):
        spec["nodeSelector"] = labels(selector)
    if restart:
        spec["restartPolicy"] = restart
    world.backend.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": spec,
        }
    )


@when(parsers.parse('I create a pod "{name}" with the image "{image}"'))
def create_plain_pod(world: World, name: str, image: str) -> None:
    create_pod(world, name, image=image)


@when(parsers.parse('I create a pod "{name}" with the nodeSelector {selector}'))
def create_pod_with_selector(world: World, name: str, selector: str) -> None:
    create_pod(world, name, selector=selector)


@when(parsers.parse('I create a pod "{name}" on the node {node}'))
def create_pod_with_node_name(world: World, name: str, node: str) -> None:
    create_pod(world, name, node_name=node)


@when(parsers.parse('I create a pod "{name}" running "{command}" with restartPolicy {policy}'))
def create_pod_running(world: World, name: str, command: str, policy: str) -> None:
    create_pod(world, name, command=command, restart=policy)


@when(parsers.re(r'I run "(?P<command>kubectl [^"]+)"(?P<unless> unless it is "-")?'))
def run_kubectl(world: World, command: str, unless: str | None) -> None:
    words = shlex.split(command)
    if unless and "-" in words:
        return
    kubectl(world, words[1:])


def kubectl(world: World, args: list[str]) -> None:
    """The kubectl commands the features use, done through the backend."""
    verb = args[0]
    if verb == "label" and args[1] in ("nodes", "node", "no"):
        overwrite = "--overwrite" in args
        for pair in [a for a in args[3:] if not a.startswith("--")]:
            key, _, value = pair.partition("=")
            world.backend.label_node(args[2], key, value, overwrite=overwrite)
    elif verb == "set" and args[1] == "image":
        _, name = args[2].split("/", 1)
        container, _, image = args[3].partition("=")
        world.backend.set_image(name, container, image)
    else:
        raise AssertionError(f"the features do not use kubectl {' '.join(args)}")


@when(parsers.parse('I scale the replication controller "{name}" to {replicas:d} replicas'))
def scale(world: World, name: str, replicas: int) -> None:
    world.backend.scale("replicationcontrollers", name, replicas)


@when(parsers.parse('I delete one pod of the replication controller "{name}"'))
def delete_one(world: World, name: str) -> None:
    victim = objects.name_of(world.owned_pods(name)[0])
    world.deleted = victim
    world.backend.delete("pods", victim)


@when("the API server compacts its history")
def compact(world: World) -> None:
    world.require(Capability.COMPACTION)
    world.wait(lambda: False, patience=1.0)
    world.backend.compact()


@when(parsers.parse('the kubelet of "{node}" reconnects'))
def kubelet_reconnects(world: World, node: str) -> None:
    world.require(Capability.COMPONENT_WATCHES)
    world.backend.reconnect(f"kubelet/{node}", resource="pods")


@when("the API server watches pods on etcd again")
def apiserver_reconnects(world: World) -> None:
    world.require(Capability.COMPONENT_WATCHES)
    world.backend.reconnect("apiserver", resource="pods")


@when(parsers.re(r"(?P<minutes>\d+) (more )?minutes? pass(es)?"))
def minutes_pass(world: World, minutes: str) -> None:
    world.run_for(60 * int(minutes))


# -- Then ----------------------------------------------------------------------------------------


#: Phases a pod never leaves: waiting for another is pointless once it is in one.
FINAL_PHASES = ("Succeeded", "Failed")


def _phase(world: World, name: str) -> str:
    pod = world.pod_or_none(name)
    return "" if pod is None else str((pod.get("status") or {}).get("phase", ""))


def _running(world: World, controller: str) -> int:
    return sum(
        1
        for p in world.owned_pods(controller)
        if (p.get("status") or {}).get("phase") == "Running"
        and not objects.meta(p).get("deletionTimestamp")
    )


@then("the controller manager, the scheduler and each kubelet are watching the API server")
def components_watching(world: World) -> None:
    """Each watch the spec gives them is open in the API server, with the spec's selectors (the
    scheduler's unscheduled pods: spec.nodeName=, each kubelet's pods: spec.nodeName=<its node>
    ...)."""
    world.require(Capability.COMPONENT_WATCHES)
    open_watches = {
        (w["actor"], w["resource"], w["labelSelector"], w["fieldSelector"])
        for w in world.backend.watches()
    }
    missing = [w for w in world.expected_watches() if w not in open_watches]
    assert not missing, f"not watching: {missing}; the open watches: {sorted(open_watches)}"
    if (
        Capability.INTERNAL_STEPS in world.capabilities
    ):  # and the flow saw each of them open its watch (LW-01)
        expected = {"controller-manager", "scheduler", *(f"kubelet/{n}" for n in world.nodes)}
        watchers = world.backend.watchers()
        assert expected <= watchers, f"watching: {sorted(watchers)}"


@then("there are no pods")
def no_pods(world: World) -> None:
    assert world.backend.pods() == []


@then(parsers.parse('the pod "{name}" is Running on the node "{node}"'))
def running_on(world: World, name: str, node: str) -> None:
    world.wait(lambda: _phase(world, name) in ("Running", *FINAL_PHASES))
    assert _phase(world, name) == "Running", (
        f"the pod {name} is {_phase(world, name) or 'gone'}, not Running"
    )
    assert world.backend.pod(name)["spec"].get("nodeName") == node


@then(parsers.parse('the pod "{name}" is placed on {placed}'))
def placed_on(world: World, name: str, placed: str) -> None:
    if placed == "no node":
        pending_unschedulable(world, name)
    else:
        running_on(world, name, placed)


@then(parsers.parse('the pod "{name}" is Pending and unschedulable'))
def pending_unschedulable(world: World, name: str) -> None:
    def judged_unschedulable() -> bool:
        pod = world.pod_or_none(name)
        condition = objects.condition(pod, "PodScheduled") if pod is not None else None
        return condition is not None and condition["status"] == "False"

    world.wait(judged_unschedulable, patience=30)
    pod = world.backend.pod(name)
    assert pod["status"]["phase"] == "Pending" and not pod["spec"].get("nodeName")
    condition = objects.condition(pod, "PodScheduled")
    assert (
        condition is not None
        and condition["status"] == "False"
        and condition["reason"] == "Unschedulable"
    )


@then(parsers.parse('the pod "{name}" is {phase:w}'))
def in_phase(world: World, name: str, phase: str) -> None:
    world.wait(lambda: _phase(world, name) in (phase, *FINAL_PHASES))
    assert _phase(world, name) == phase, f"the pod {name} is {_phase(world, name)}, not {phase}"


@then(parsers.parse('the pod "{name}" is Failed with reason "{reason}"'))
def failed_with_reason(world: World, name: str, reason: str) -> None:
    assert world.wait(lambda: _phase(world, name) == "Failed")
    assert world.backend.pod(name)["status"].get("reason") == reason


@then(parsers.parse('the pod "{name}" has the status message "{message}"'))
def status_message(world: World, name: str, message: str) -> None:
    assert world.backend.pod(name)["status"].get("message") == message


@then(
    parsers.re(r'the scheduler has tried to place the pod "(?P<name>[^"]+)" (?P<times>\d+) times?')
)
def scheduling_attempts(world: World, name: str, times: str) -> None:
    """Each failed attempt is a FailedScheduling occurrence: a new Event, or one more in the series
    of an Event about the same object (events/v1 aggregates a repeat about the same pod version)."""

    def attempts() -> int:
        found = events(world, world.backend.pod(name))
        return sum(
            e.get("count") or (e.get("series") or {}).get("count") or 1
            for e in found
            if e["reason"] == "FailedScheduling"
        )

    world.wait(lambda: attempts() >= int(times), patience=60)
    assert attempts() == int(times), events(world, world.backend.pod(name))


@then(parsers.parse('the pod "{name}" has no "{reason}" event'))
def no_event(world: World, name: str, reason: str) -> None:
    world.wait(lambda: False, patience=5)
    found = [e["message"] for e in events(world, world.backend.pod(name)) if e["reason"] == reason]
    assert not found, f"unexpected {reason} events: {found}"


@then(parsers.parse('the pod "{name}" has exactly one "{reason}" event'))
def exactly_one_event(world: World, name: str, reason: str) -> None:
    found = [e for e in events(world, world.backend.pod(name)) if e["reason"] == reason]
    assert len(found) == 1 and (found[0].get("count") or 1) == 1, found


@then(parsers.parse('the pod "{name}" has the events {reasons} from {component}, in that order'))
def has_events(world: World, name: str, reasons: str, component: str) -> None:
    found = [e["reason"] for e in events(world, world.backend.pod(name)) if source(e) == component]
    wanted = step_ids(reasons)
    positions = [found.index(r) if r in found else -1 for r in wanted]
    assert -1 not in positions and positions == sorted(positions), (
        f"events from {component}: {found}"
    )


@then(
    parsers.re(
        r'the (?P<kind>pod|replication controller) "(?P<name>[^"]+)" has an? '
        r"(?P<type>Normal|Warning) event (?P<reason>\w+) from (?P<component>[\w-]+)(?:: "
        r'"(?P<message>.*)")?$'
    )
)
def has_event(
    world: World, kind: str, name: str, type: str, reason: str, component: str, message: str | None
) -> None:
    def matching() -> list[dict[str, Any]]:
        obj = (
            world.backend.pod(name)
            if kind == "pod"
            else world.backend.get("replicationcontrollers", name)
        )
        return [
            e
            for e in events(world, obj)
            if e["type"] == type
            and e["reason"] == reason
            and source(e) == component
            and (message is None or e["message"] == message)
        ]

    assert world.wait(lambda: bool(matching())), f"no {type} {reason} event from {component}" + (
        f": {message!r}" if message else ""
    )


@then(
    parsers.re(
        r'the (?:pod|replication controller) "(?P<name>[^"]+)" went through the steps? '
        r"(?P<steps>[A-Z]{2}-\d\d(?:, [A-Z]{2}-\d\d)*)(?: in order)?$"
    )
)
def went_through(world: World, name: str, steps: str) -> None:
    expected = step_ids(steps)
    world.wait(lambda: world.went_through(name, expected)[0])
    ok, seen = world.went_through(name, expected)
    assert ok, seen


@then(parsers.parse('each pod of "{controller}" went through the steps {steps} in order'))
def each_pod_went_through(world: World, controller: str, steps: str) -> None:
    pods = world.owned_pods(controller)
    assert pods
    for pod in pods:
        went_through(world, objects.name_of(pod), steps)


@then(parsers.re(r'the replication controller "(?P<name>[^"]+)" has (?P<count>\d+) Running pods?$'))
def controller_has_running(world: World, name: str, count: str) -> None:
    wanted = int(count)
    assert world.wait(
        lambda: _running(world, name) == wanted and len(world.owned_pods(name)) == wanted
    ), (
        f"{name} has {_running(world, name)} Running pods of {len(world.owned_pods(name))}, "
        f"expected {wanted}"
    )


@then("the deleted pod is gone")
def deleted_gone(world: World) -> None:
    assert world.pod_or_none(world.deleted) is None


@then(
    parsers.parse(
        'the container "{container}" of the pod "{name}" runs the image "{image}" after '
        "{restarts:d} restart"
    )
)
def runs_image(world: World, container: str, name: str, image: str, restarts: int) -> None:
    def done() -> bool:
        status = container_status(world.backend.pod(name), container)
        return (
            "running" in (status.get("state") or {})
            and status.get("restartCount") == restarts
            and str(status.get("image", "")).endswith(f"/{image}")
        )

    assert world.wait(done), container_status(world.backend.pod(name), container)


@then(
    parsers.parse(
        'the container "{container}" of the pod "{name}" terminated with exit code {code:d} and '
        'reason "{reason}"'
    )
)
def terminated(world: World, container: str, name: str, code: int, reason: str) -> None:
    state = container_state(world.backend.pod(name), container)
    terminated = state.get("terminated") or {}
    assert terminated.get("exitCode") == code and terminated.get("reason") == reason, state


@then(parsers.parse('the logs of the pod "{name}" are "{text}"'))
def logs_are(world: World, name: str, text: str) -> None:
    assert world.backend.logs(name) == f"{text}\n"


@then(
    parsers.parse(
        'the pod "{name}" is Running with the container "{container}" waiting in "{reason}"'
    )
)
def running_waiting(world: World, name: str, container: str, reason: str) -> None:
    def done() -> bool:
        pod = world.backend.pod(name)
        waiting = container_state(pod, container).get("waiting") or {}
        return pod["status"].get("phase") == "Running" and waiting.get("reason") == reason

    assert world.wait(done), container_status(world.backend.pod(name), container)


@then(
    parsers.parse(
        'the container "{container}" of the pod "{name}" has restarted at least {count:d} times'
    )
)
def restarted(world: World, container: str, name: str, count: int) -> None:
    assert world.wait(
        lambda: container_status(world.backend.pod(name), container).get("restartCount", 0) >= count
    )


@then(
    parsers.parse(
        'the container "{container}" of the pod "{name}" waits in "{first}" then "{second}"'
    )
)
def waits_then(world: World, container: str, name: str, first: str, second: str) -> None:
    seen: list[str] = []

    def reached() -> bool:
        reason = (container_state(world.backend.pod(name), container).get("waiting") or {}).get(
            "reason", ""
        )
        if not seen or seen[-1] != reason:
            seen.append(reason)
        return second in seen

    assert world.wait(reached), seen
    assert first in seen and seen.index(first) < seen.index(second), seen


@then(parsers.parse('the pod "{name}" is Pending with {restarts:d} restarts'))
def pending_restarts(world: World, name: str, restarts: int) -> None:
    world.run_for(60)
    pod = world.backend.pod(name)
    assert pod["status"]["phase"] == "Pending"
    assert all(s["restartCount"] == restarts for s in pod["status"]["containerStatuses"])


@then(parsers.parse('the kubelet of "{node}" listed pods again'))
def listed_again(world: World, node: str) -> None:
    relisted_pods(world, f"kubelet/{node}")


@then("the API server listed pods from etcd again")
def apiserver_listed_again(world: World) -> None:
    relisted_pods(world, "apiserver")


def relisted_pods(world: World, actor: str) -> None:
    """The List-Watch of pods of `actor` listed again since it lost its watch, and watches."""
    world.require(Capability.COMPONENT_WATCHES)

    def relisted() -> bool:
        return any(
            i["watch"] == "pods"
            and i["lists"] > world.remembered_lists
            and i["state"] == "Watching"
            and i["connected"]
            for i in world.backend.informers(actor=actor)
        )

    assert world.wait(relisted), (
        f"it had listed {world.remembered_lists} times; now: {world.backend.informers(actor=actor)}"
    )


def _lists(world: World, actor: str, watch: str) -> int:
    """How many times a component's List-Watch has listed."""
    return next(i["lists"] for i in world.backend.informers(actor=actor) if i["watch"] == watch)


@then(
    parsers.parse('a watch of pods from the remembered resourceVersion gets "{code:d}" "{reason}"')
)
def watch_gets_gone(world: World, code: int, reason: str) -> None:
    world.require(Capability.COMPACTION)
    received = world.watch_pods(world.remembered_rv, until=bool, patience=5)
    assert received and received[0]["type"] == "ERROR", received
    status = received[0]["object"]
    assert (status["code"], status["reason"]) == (code, reason), status
    assert status["message"].startswith(f"too old resource version: {world.remembered_rv} ("), (
        status
    )


@then(parsers.parse('a new list then watch sees the pods "{first}" and "{second}"'))
def relist_sees(world: World, first: str, second: str) -> None:
    listed, rv = world.list_pods()
    after = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "after"},
        "spec": {"containers": [WORKLOAD]},
    }

    def saw_after(events: list[dict[str, Any]]) -> bool:
        return any(objects.name_of(e["object"]) == "after" for e in events if e["type"] != "ERROR")

    received = world.watch_pods(
        rv, during=lambda: world.backend.apply(after), until=saw_after, patience=10
    )
    assert sorted(listed) == sorted([first, second])
    assert (
        next(
            e["type"]
            for e in received
            if e["type"] != "ERROR" and objects.name_of(e["object"]) == "after"
        )
        == "ADDED"
    ), received


# -- refused requests ------------------------------------------------------------------------------


@when("I try to create this pod:")
def try_create_pod(world: World, docstring: str) -> None:
    world.refusal = None
    try:
        world.backend.apply(yaml.safe_load(docstring))
    except errors.APIError as exc:
        world.refusal = exc


@given(parsers.parse('I remember the resourceVersion of the pod "{name}"'))
def remember_pod_rv(world: World, name: str) -> None:
    world.remembered_rv = objects.rv_of(world.backend.pod(name))


@when(parsers.parse('I label the pod "{name}" {pairs}'))
def label_pod(world: World, name: str, pairs: str) -> None:
    world.backend.patch("pods", name, {"metadata": {"labels": labels(pairs)}})


@when(parsers.parse('I try to label the pod "{name}" {pairs} at the remembered resourceVersion'))
def label_pod_at_rv(world: World, name: str, pairs: str) -> None:
    """kubectl label --resource-version: the change applies only to the object as last read."""
    world.refusal = None
    patch = {"metadata": {"resourceVersion": world.remembered_rv, "labels": labels(pairs)}}
    try:
        world.backend.patch("pods", name, patch)
    except errors.APIError as exc:
        world.refusal = exc


@then(parsers.parse('the API server refuses it with {code:d} {reason:w}: "{message}"'))
def refused(world: World, code: int, reason: str, message: str) -> None:
    refusal = world.refusal
    assert refusal is not None, "the API server accepted it"
    assert (refusal.code, refusal.reason, refusal.message) == (code, reason, message), (
        refusal.status()
    )


@then(parsers.parse('the pod "{name}" has the labels {pairs}'))
def pod_has_labels(world: World, name: str, pairs: str) -> None:
    found = objects.meta(world.backend.pod(name)).get("labels") or {}
    assert labels(pairs).items() <= found.items(), found


# -- deletion --------------------------------------------------------------------------------------


@when(parsers.parse('I delete the pod "{name}"'))
def delete_pod(world: World, name: str) -> None:
    """kubectl delete pod NAME (gracefully); the pod and the resourceVersion before the deletion
    are remembered, to see afterwards what the pod went through and which Events it had."""
    world.deleted_pod = world.backend.pod(name)
    world.deleted = name
    world.remembered_rv = world.list_pods()[1]
    world.backend.delete("pods", name)


@when(parsers.parse('I delete the replication controller "{name}"'))
def delete_rc(world: World, name: str) -> None:
    world.backend.delete("replicationcontrollers", name)


@when(parsers.parse('the kubelet of "{node}" starts again'))
def kubelet_starts_again(world: World, node: str) -> None:
    world.require(Capability.KUBELET_CONTROL)
    world.backend.restart_kubelet(node)


@then(parsers.parse('the replication controller "{name}" is gone'))
def rc_gone(world: World, name: str) -> None:
    def gone() -> bool:
        try:
            world.backend.get("replicationcontrollers", name)
        except errors.NotFound:
            return True
        return False

    assert world.wait(gone), f"the replication controller {name} is still there"


@then(parsers.parse('each pod of "{controller}" is being deleted'))
def each_pod_deleted(world: World, controller: str) -> None:
    """The garbage collector deletes the pods the controller owned (each Terminating, or gone)."""

    def deleting() -> bool:
        return all(objects.meta(p).get("deletionTimestamp") for p in world.owned_pods(controller))

    assert world.wait(deleting), [
        (objects.name_of(p), objects.meta(p).get("deletionTimestamp"))
        for p in world.owned_pods(controller)
    ]


@then(parsers.parse('the pod "{name}" no longer exists'))
def pod_gone(world: World, name: str) -> None:
    assert world.wait(lambda: world.pod_or_none(name) is None, patience=60), (
        f"the pod {name} is still there: {world.pod_or_none(name)}"
    )


@then(
    parsers.parse(
        'the pod "{name}" was {phase:w}, with the container "{container}" terminated with exit '
        'code {code:d} and reason "{reason}", before it was gone'
    )
)
def last_seen(world: World, name: str, phase: str, container: str, code: int, reason: str) -> None:
    """What a watch from before the deletion showed of the pod last, before its DELETED event."""

    def deleted(events: list[dict[str, Any]]) -> bool:
        return any(e["type"] == "DELETED" and objects.name_of(e["object"]) == name for e in events)

    received = world.watch_pods(world.remembered_rv, until=deleted, patience=20)
    assert deleted(received), f"the pod {name} was not deleted: {[e['type'] for e in received]}"
    last = [
        e["object"]
        for e in received
        if e["type"] == "MODIFIED" and objects.name_of(e["object"]) == name
    ][-1]
    state = container_state(last, container).get("terminated") or {}
    assert (last["status"]["phase"], state.get("exitCode"), state.get("reason")) == (
        phase,
        code,
        reason,
    ), last["status"]


@then(
    parsers.re(
        r"the deleted pod had an? (?P<type>Normal|Warning) event (?P<reason>\w+) from "
        r'(?P<component>[\w-]+)(?:: "(?P<message>.*)")?$'
    )
)
def deleted_had_event(
    world: World, type: str, reason: str, component: str, message: str | None
) -> None:
    def matching() -> list[dict[str, Any]]:
        return [
            e
            for e in events(world, world.deleted_pod)
            if e["type"] == type
            and e["reason"] == reason
            and source(e) == component
            and (message is None or e["message"] == message)
        ]

    assert world.wait(lambda: bool(matching())), [
        (e["type"], e["reason"], source(e), e["message"]) for e in events(world, world.deleted_pod)
    ]


# -- nodes -----------------------------------------------------------------------------------------


def _node_ready(world: World, node: str) -> str:
    condition = objects.condition(world.backend.get("nodes", node), "Ready")
    return "" if condition is None else str(condition["status"])


@then(parsers.parse('{seconds:d} seconds later the node "{node}" is still Unknown'))
def still_unknown(world: World, seconds: int, node: str) -> None:
    assert world.wait(lambda: _node_ready(world, node) == "Unknown"), _node_ready(world, node)
    world.run_for(seconds)
    assert _node_ready(world, node) == "Unknown", _node_ready(world, node)


@then(parsers.parse('the node "{node}" is Ready again, no longer tainted unreachable'))
def ready_again(world: World, node: str) -> None:
    def untainted() -> bool:
        taints = world.backend.get("nodes", node)["spec"].get("taints") or ()
        return _node_ready(world, node) == "True" and not any(
            t["key"] == "node.kubernetes.io/unreachable" for t in taints
        )

    assert world.wait(untainted), world.backend.get("nodes", node)


# -- kubelet admission and retries (features/kubelet_*.feature) ------------------------------------


@then(parsers.parse('the pod "{name}" has a status message that starts with "{prefix}"'))
def status_message_starts(world: World, name: str, prefix: str) -> None:
    message = str(world.backend.pod(name)["status"].get("message") or "")
    assert message.startswith(prefix), message


@then(parsers.parse('no container of the pod "{name}" has started'))
def never_started(world: World, name: str) -> None:
    status = world.backend.pod(name)["status"]
    started = [
        c["name"]
        for c in status.get("containerStatuses") or ()
        if {"running", "terminated"} & set(c.get("state") or {})
    ]
    assert not started, status


def _waiting_reasons(world: World, name: str, container: str) -> tuple[int, str]:
    """The container's restartCount and what it is shown as: its waiting reason, else `running`
    or `terminated`."""
    status = container_status(world.backend.pod(name), container)
    state = status.get("state") or {}
    shown = (state.get("waiting") or {}).get("reason") or next(iter(state), "")
    return int(status.get("restartCount") or 0), str(shown)


def _never_again(seen: list[str], reason: str) -> None:
    """`reason` shows only before the first other state (the pod's first start)."""
    first_other = next((i for i, r in enumerate(seen) if r != reason), len(seen))
    assert reason not in seen[first_other:], seen


@then(
    parsers.parse(
        'the container "{container}" of the pod "{name}" restarts {count:d} times, '
        'never waiting in "{reason}" again'
    )
)
def restarts_never_waiting_in(
    world: World, container: str, name: str, count: int, reason: str
) -> None:
    seen: list[str] = []

    def restarted() -> bool:
        restarts, shown = _waiting_reasons(world, name, container)
        if not seen or seen[-1] != shown:
            seen.append(shown)
        return restarts >= count

    assert world.wait(restarted, patience=120), seen
    _never_again(seen, reason)


@then(
    parsers.parse(
        'the container "{container}" of the pod "{name}" is pulled again, '
        'never waiting in "{reason}" again'
    )
)
def pulled_again_never_waiting_in(world: World, container: str, name: str, reason: str) -> None:
    seen: list[str] = []

    def pulled_again() -> bool:
        shown = _waiting_reasons(world, name, container)[1]
        if not seen or seen[-1] != shown:
            seen.append(shown)
        return "ImagePullBackOff" in seen and seen[-1] == "ErrImagePull"

    assert world.wait(pulled_again, patience=120), seen
    _never_again(seen, reason)


@then(
    parsers.parse(
        'the container "{container}" of the pod "{name}" waits in "{reason}" with the message '
        '"{message}"'
    )
)
def waits_with_message(world: World, container: str, name: str, reason: str, message: str) -> None:
    def waiting() -> dict[str, Any]:
        return dict(container_state(world.backend.pod(name), container).get("waiting") or {})

    assert world.wait(lambda: waiting().get("reason") == reason), waiting()
    assert waiting().get("message") == message, waiting()


# -- cascading deletion, finalizers, namespaces ----------------------------------------------------


@when(parsers.parse('I delete the replication controller "{name}" with --cascade={cascade:w}'))
def delete_rc_cascade(world: World, name: str, cascade: str) -> None:
    """kubectl delete rc NAME --cascade=background|foreground|orphan (its propagationPolicy)."""
    world.backend.delete("replicationcontrollers", name, propagation=cascade.capitalize())


def labelled_pods(world: World, app: str) -> list[dict[str, Any]]:
    return [p for p in world.backend.pods() if objects.labels_of(p).get("app") == app]


@then(parsers.parse('the {count:d} pods of "{app}" keep running without an owner'))
def orphans_run(world: World, count: int, app: str) -> None:
    def orphaned() -> bool:
        pods = labelled_pods(world, app)
        return len(pods) == count and all(not objects.meta(p).get("ownerReferences") for p in pods)

    assert world.wait(orphaned), [objects.meta(p) for p in labelled_pods(world, app)]
    world.run_for(2)  # no replacement, no deletion comes after
    pods = labelled_pods(world, app)
    assert len(pods) == count, [objects.name_of(p) for p in pods]
    assert all(
        p["status"]["phase"] == "Running" and not objects.meta(p).get("deletionTimestamp")
        for p in pods
    )


@then(parsers.parse('the replication controller "{name}" waits with the finalizer {finalizer}'))
def rc_waits(world: World, name: str, finalizer: str) -> None:
    meta = objects.meta(world.backend.get("replicationcontrollers", name))
    assert meta.get("deletionTimestamp") and meta.get("finalizers") == [finalizer], meta


@then(parsers.parse('the replication controller "{name}" is gone only after its pods'))
def rc_gone_after_pods(world: World, name: str) -> None:
    """While the owner waits in the foreground, it is there as long as one of its pods is."""
    early: list[list[str]] = []

    def gone() -> bool:
        try:
            world.backend.get("replicationcontrollers", name)
        except errors.NotFound:
            pods = [objects.name_of(p) for p in labelled_pods(world, name)]  # read after: no race
            if pods:
                early.append(pods)
            return True
        return False

    assert world.wait(gone), f"the replication controller {name} is still there"
    assert not early, f"the replication controller went before its pods {early[0]}"


@given(
    parsers.parse(
        'a pod "{pod}" owned by the replication controller "{rc}" and by one that does not exist'
    )
)
def pod_with_two_owners(world: World, pod: str, rc: str) -> None:
    owner = world.backend.get("replicationcontrollers", rc)
    refs = [
        {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "name": rc,
            "uid": objects.uid_of(owner),
        },
        {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "name": "gone",
            "uid": "7c1d3a55-0000-4000-8000-000000000000",
        },
    ]
    world.backend.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": pod, "labels": {"app": pod}, "ownerReferences": refs},
            "spec": {"containers": [WORKLOAD]},
        }
    )


@then(parsers.parse('the pod "{pod}" is owned only by the replication controller "{rc}"'))
def owned_only_by(world: World, pod: str, rc: str) -> None:
    def refs() -> list[str]:
        found = world.pod_or_none(pod)
        return [r.get("name") for r in objects.meta(found or {}).get("ownerReferences") or []]

    assert world.wait(lambda: refs() == [rc]), refs()
    assert not objects.meta(world.backend.pod(pod)).get("deletionTimestamp")


@when(parsers.parse('I delete the pod "{name}" again with a grace period of {seconds:d} seconds'))
def delete_pod_shorter(world: World, name: str, seconds: int) -> None:
    world.backend.delete("pods", name, grace_period_seconds=seconds)


@then(parsers.parse('the pod "{name}" is gone within {seconds:d} seconds'))
def pod_gone_within(world: World, name: str, seconds: int) -> None:
    assert world.wait(lambda: world.pod_or_none(name) is None, patience=seconds), (
        f"the pod {name} is still there after {seconds}s: {world.pod_or_none(name)}"
    )


@given(parsers.parse('a namespace "{ns}" with a pod "{pod}" Running on the node "{node}"'))
def namespace_with_pod(world: World, ns: str, pod: str, node: str) -> None:
    world.backend.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    world.backend.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": pod, "namespace": ns},
            "spec": {
                "nodeName": node,
                "terminationGracePeriodSeconds": 5,
                "containers": [WORKLOAD],
            },
        }
    )

    def running() -> bool:
        found = [p for p in world.backend.pods(ns) if objects.name_of(p) == pod]
        return bool(found) and found[0]["status"].get("phase") == "Running"

    assert world.wait(running), world.backend.pods(ns)


@then(parsers.parse('the namespace "{ns}" has the ServiceAccount "{account}"'))
def has_account(world: World, ns: str, account: str) -> None:
    def there() -> bool:
        try:
            world.backend.get("serviceaccounts", account, namespace=ns)
        except errors.NotFound:
            return False
        return True

    assert world.wait(there), f"no ServiceAccount {account} in {ns}"


@when(parsers.parse('I delete the namespace "{ns}"'))
def delete_namespace(world: World, ns: str) -> None:
    world.backend.delete("namespaces", ns)


@then(parsers.parse('the namespace "{ns}" is Terminating'))
def namespace_terminating(world: World, ns: str) -> None:
    found = world.backend.get("namespaces", ns)
    assert found["status"]["phase"] == "Terminating", found["status"]
    assert objects.meta(found).get("deletionTimestamp")


@then(
    parsers.parse(
        'creating a pod "{pod}" in the namespace "{ns}" is refused with {code:d} {reason:w}: '
        '"{message}"'
    )
)
def create_refused(world: World, pod: str, ns: str, code: int, reason: str, message: str) -> None:
    try:
        world.backend.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": pod, "namespace": ns},
                "spec": {"containers": [WORKLOAD]},
            }
        )
    except errors.APIError as exc:
        assert (exc.code, exc.reason, exc.message) == (code, reason, message), exc.status()
    else:
        raise AssertionError(f"the pod {pod} was created in the namespace {ns}")


@then(parsers.parse('the namespace "{ns}" is gone'))
def namespace_gone(world: World, ns: str) -> None:
    def gone() -> bool:
        try:
            world.backend.get("namespaces", ns)
        except errors.NotFound:
            return True
        return False

    assert world.wait(gone), world.backend.get("namespaces", ns).get("status")
