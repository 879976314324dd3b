"""Step definitions for features/daemonset.feature: DaemonSets, their pods, revisions, status and
Events, through the backend interface only."""

from __future__ import annotations

import re
from typing import Any

from pytest_bdd import given, parsers, then, when

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.backend import Capability

from .steps import events, labels, source
from .world import World

HASH_LABEL = "controller-revision-hash"
GENERATION_LABEL = "pod-template-generation"
#: The tolerations the daemonset controller gives every daemon pod (v1.32).
DAEMON_TOLERATIONS = [
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
]


def _daemonset(world: World, name: str) -> dict[str, Any] | None:
    try:
        return world.backend.get("daemonsets", name)
    except errors.NotFound:
        return None


def _status(world: World, name: str) -> dict[str, Any]:
    return dict((_daemonset(world, name) or {}).get("status") or {})


def _live_pods(world: World, name: str) -> list[dict[str, Any]]:
    return [p for p in world.owned_pods(name) if not objects.meta(p).get("deletionTimestamp")]


def _revisions(world: World, name: str) -> list[dict[str, Any]]:
    return [
        r
        for r in world.backend.list("controllerrevisions")
        if (objects.controller_of(r) or {}).get("name") == name
    ]


def _container(command: str) -> dict[str, Any]:
    return {"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", command]}


@when(
    parsers.re(
        r'I create a daemon set "(?P<name>[^"]+)" running "(?P<command>[^"]*)"'
        r"(?: with the nodeSelector (?P<selector>\S+))?"
        r"(?: with the update strategy (?P<strategy>\w+))?$"
    )
)
def create_daemonset(
    world: World, name: str, command: str, selector: str | None, strategy: str | None
) -> None:
    spec: dict[str, Any] = {
        "terminationGracePeriodSeconds": 1,
        "containers": [_container(command)],
    }
    if selector:
        spec["nodeSelector"] = labels(selector)
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }
    if strategy:
        body["spec"]["updateStrategy"] = {"type": strategy}
    world.backend.apply(body)


@given("the controller manager has lost its watch of pods")
def controller_manager_lost_watch(world: World) -> None:
    world.require(Capability.COMPONENT_WATCHES)
    world.backend.cut("controller-manager", resource="pods", reconnect=False)


@when("the controller manager watches pods again")
def controller_manager_reconnects(world: World) -> None:
    world.require(Capability.COMPONENT_WATCHES)
    world.backend.reconnect("controller-manager", resource="pods")


@when(parsers.parse('I label the node "{node}" {key}={value}'))
def label_node(world: World, node: str, key: str, value: str) -> None:
    world.backend.label_node(node, key, value, overwrite=True)


@when(parsers.parse('I remove the label {key} from the node "{node}"'))
def unlabel_node(world: World, key: str, node: str) -> None:
    world.backend.label_node(node, key, None)


@when(parsers.parse('I delete the pod of the daemon set "{name}" on the node "{node}"'))
def delete_pod_on(world: World, name: str, node: str) -> None:
    (pod,) = [p for p in _live_pods(world, name) if (p.get("spec") or {}).get("nodeName") == node]
    world.deleted_pod = pod
    world.backend.delete("pods", objects.name_of(pod))


@when(parsers.parse('I change the command of the daemon set "{name}" to "{command}"'))
def change_command(world: World, name: str, command: str) -> None:
    world.backend.patch(
        "daemonsets", name, {"spec": {"template": {"spec": {"containers": [_container(command)]}}}}
    )


@when(parsers.parse('I delete the daemon set "{name}" in the foreground'))
def delete_in_the_foreground(world: World, name: str) -> None:
    world.backend.delete("daemonsets", name, propagation="Foreground")


@then(
    parsers.re(r'the daemon set "(?P<name>[^"]+)" runs one pod on each of the nodes (?P<names>.+)$')
)
def one_pod_per_node(world: World, name: str, names: str) -> None:
    wanted = sorted(re.findall(r'"([^"]+)"', names))

    def placed() -> list[str]:
        return sorted(
            str((p.get("spec") or {}).get("nodeName"))
            for p in _live_pods(world, name)
            if (p.get("status") or {}).get("phase") == "Running"
        )

    def settled() -> bool:
        status = _status(world, name)
        return (
            placed() == wanted
            and len(world.owned_pods(name)) == len(wanted)
            and status.get("desiredNumberScheduled") == len(wanted)
            and status.get("currentNumberScheduled") == len(wanted)
            and status.get("numberMisscheduled") == 0
        )

    assert world.wait(settled), f"pods on {placed()}, status {_status(world, name)}"


@then(
    parsers.parse(
        'each pod of the daemon set "{name}" is pinned to its node, tolerates the node conditions '
        "and carries the revision labels"
    )
)
def pods_pinned(world: World, name: str) -> None:
    ds = _daemonset(world, name)
    assert ds is not None
    (revision,) = _revisions(world, name)
    hash_ = objects.labels_of(revision)[HASH_LABEL]
    assert objects.name_of(revision) == f"{name}-{hash_}"
    for pod in world.owned_pods(name):
        spec = pod["spec"]
        required = spec["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]
        assert required["nodeSelectorTerms"] == [
            {
                "matchFields": [
                    {"key": "metadata.name", "operator": "In", "values": [spec["nodeName"]]}
                ]
            }
        ]
        tolerations = [(t.get("key"), t.get("effect")) for t in spec.get("tolerations") or []]
        assert tolerations[: len(DAEMON_TOLERATIONS)] == DAEMON_TOLERATIONS, tolerations
        assert all(t.get("operator") == "Exists" for t in spec["tolerations"][:6])
        assert objects.labels_of(pod) == {"app": name, HASH_LABEL: hash_, GENERATION_LABEL: "1"}
        assert objects.meta(pod)["generateName"] == f"{name}-"
        ref = objects.controller_of(pod) or {}
        assert (ref.get("kind"), ref.get("uid"), ref.get("blockOwnerDeletion")) == (
            "DaemonSet",
            objects.uid_of(ds),
            True,
        )


@then(parsers.parse('the daemon set "{name}" has revision {number:d} as a ControllerRevision'))
def has_revision(world: World, name: str, number: int) -> None:
    def current() -> list[int]:
        return sorted(int(r.get("revision", 0)) for r in _revisions(world, name))

    assert world.wait(lambda: bool(current()) and current()[-1] == number), current()
    ds = _daemonset(world, name) or {}
    (latest,) = [r for r in _revisions(world, name) if r.get("revision") == number]
    template = latest["data"]["spec"]["template"]
    assert template.pop("$patch") == "replace"
    assert template == ds["spec"]["template"]


@then(
    parsers.parse(
        'the daemon set "{name}" reports all its pods scheduled, ready, available and up to date'
    )
)
def all_up_to_date(world: World, name: str) -> None:
    def done() -> bool:
        ds = _daemonset(world, name) or {}
        status = ds.get("status") or {}
        desired = status.get("desiredNumberScheduled", 0)
        return (
            desired > 0
            and status.get("observedGeneration") == objects.meta(ds).get("generation")
            and all(
                status.get(k) == desired
                for k in (
                    "currentNumberScheduled",
                    "numberReady",
                    "numberAvailable",
                    "updatedNumberScheduled",
                )
            )
            and "numberUnavailable" not in status
            and status.get("numberMisscheduled") == 0
            and len(_live_pods(world, name)) == desired
        )

    assert world.wait(done), _status(world, name)


@then(parsers.parse('the daemon set "{name}" has {count:d} pods up to date'))
def up_to_date(world: World, name: str, count: int) -> None:
    def seen() -> bool:
        ds = _daemonset(world, name) or {}
        status = ds.get("status") or {}
        return (
            status.get("observedGeneration") == objects.meta(ds).get("generation")
            and status.get("updatedNumberScheduled", 0) == count
            and status.get("currentNumberScheduled") == status.get("desiredNumberScheduled")
        )

    assert world.wait(seen), _status(world, name)
    hashes = {objects.labels_of(p).get(HASH_LABEL) for p in _live_pods(world, name)}
    assert len(hashes) == (1 if count in (0, len(_live_pods(world, name))) else 2), hashes


@then(
    parsers.parse(
        'every pod of the daemon set "{name}" runs "{command}" with the pod-template-generation '
        "{generation}"
    )
)
def every_pod_runs(world: World, name: str, command: str, generation: str) -> None:
    def done() -> bool:
        pods = world.owned_pods(name)
        return bool(pods) and all(
            p["spec"]["containers"][0]["command"] == ["sh", "-c", command]
            and objects.labels_of(p).get(GENERATION_LABEL) == generation
            and (p.get("status") or {}).get("phase") == "Running"
            and not objects.meta(p).get("deletionTimestamp")
            for p in pods
        )

    assert world.wait(done), [
        (objects.name_of(p), objects.labels_of(p)) for p in world.owned_pods(name)
    ]


@then(parsers.parse('the daemon set "{name}" has created {count:d} pods and waits to see them'))
def created_and_waits(world: World, name: str, count: int) -> None:
    """The pods are there, but the controller, not seeing them, counts none scheduled and makes
    no more."""
    assert world.wait(lambda: len(world.owned_pods(name)) == count), len(world.owned_pods(name))
    world.run_for(3)
    assert len(world.owned_pods(name)) == count
    status = _status(world, name)
    assert status.get("desiredNumberScheduled") == count, status
    assert status.get("currentNumberScheduled") == 0, status


@then(parsers.parse('the daemon set "{name}" runs a new pod on the node "{node}"'))
def new_pod_on(world: World, name: str, node: str) -> None:
    deleted = objects.uid_of(world.deleted_pod)

    def replaced() -> bool:
        on_node = [
            p for p in _live_pods(world, name) if (p.get("spec") or {}).get("nodeName") == node
        ]
        return len(on_node) == 1 and objects.uid_of(on_node[0]) != deleted

    assert world.wait(replaced), [objects.name_of(p) for p in world.owned_pods(name)]


@then(
    parsers.re(
        r'the daemon set "(?P<name>[^"]+)" has a Normal event (?P<reason>\w+)'
        r"(?P<each> for each of its pods)? from (?P<component>[\w-]+)$"
    )
)
def daemonset_events(
    world: World, name: str, reason: str, each: str | None, component: str
) -> None:
    def found() -> list[dict[str, Any]]:
        ds = _daemonset(world, name)
        return [
            e
            for e in (events(world, ds) if ds else [])
            if e["reason"] == reason and e["type"] == "Normal"
        ]

    assert world.wait(lambda: bool(found())), f"no {reason} event"
    assert all(source(e) == component for e in found()), [source(e) for e in found()]
    if each:
        wanted = sorted(f"Created pod: {objects.name_of(p)}" for p in world.owned_pods(name))
        assert world.wait(lambda: sorted(e["message"] for e in found()) == wanted), [
            e["message"] for e in found()
        ]


@then(parsers.parse('the daemon set "{name}", its pods and its revisions are gone'))
def daemonset_gone(world: World, name: str) -> None:
    def gone() -> bool:
        return (
            _daemonset(world, name) is None
            and not world.owned_pods(name)
            and not _revisions(world, name)
        )

    assert world.wait(gone), (
        f"left: {_daemonset(world, name) is not None}, pods {len(world.owned_pods(name))}, "
        f"revisions {len(_revisions(world, name))}"
    )
