"""Step definitions for features/statefulset.feature: StatefulSets, their pods, claims, revisions,
status and Events, through the backend interface only."""

from __future__ import annotations

import itertools
from typing import Any

from pytest_bdd import parsers, then, when

from listwatch import errors
from listwatch.apiserver import objects

from .steps import WORKLOAD, events, source
from .world import World

REVISION_LABEL = "controller-revision-hash"


def _set(world: World, name: str) -> dict[str, Any] | None:
    try:
        return world.backend.get("statefulsets", name)
    except errors.NotFound:
        return None


def _status(world: World, name: str) -> dict[str, Any]:
    return dict((_set(world, name) or {}).get("status") or {})


def _pods(world: World, name: str) -> dict[str, dict[str, Any]]:
    return {objects.name_of(p): p for p in world.owned_pods(name)}


def _ordinal(pod_name: str) -> int:
    return int(pod_name.rsplit("-", 1)[1])


def _ready_since(pod: dict[str, Any]) -> str | None:
    """When the pod became Running and Ready (None while it is not)."""
    if (pod.get("status") or {}).get("phase") != "Running":
        return None
    ready = objects.condition(pod, "Ready") or {}
    return str(ready.get("lastTransitionTime")) if ready.get("status") == "True" else None


def _image(pod: dict[str, Any]) -> str:
    return str(((pod.get("spec") or {}).get("containers") or [{}])[0].get("image", ""))


def _names(text: str) -> list[str]:
    return [] if text == "none" else [n.strip() for n in text.split(",")]


@when(
    parsers.re(
        r'I create a (?P<parallel>Parallel )?stateful set "(?P<name>[^"]+)" with '
        r"(?P<replicas>\d+) replicas?"
        r'(?: of the image "(?P<image>[^"]+)")?'
        r"(?: and the partition (?P<partition>\d+))?"
        r'(?: and the volume claim template "(?P<claim>[^"]+)")?$'
    )
)
def create_stateful_set(
    world: World,
    name: str,
    replicas: str,
    parallel: str | None,
    image: str | None,
    partition: str | None,
    claim: str | None,
) -> None:
    spec: dict[str, Any] = {
        "replicas": int(replicas),
        "serviceName": name,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {
                "terminationGracePeriodSeconds": 1,
                "containers": [{**WORKLOAD, "image": image or WORKLOAD["image"]}],
            },
        },
    }
    if parallel:
        spec["podManagementPolicy"] = "Parallel"
    if partition is not None:
        spec["updateStrategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"partition": int(partition)},
        }
    if claim is not None:
        spec["volumeClaimTemplates"] = [
            {
                "metadata": {"name": claim},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }
        ]
    world.backend.apply(
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name}, "spec": spec}
    )


@when(parsers.re(r'I scale the stateful set "(?P<name>[^"]+)" to (?P<replicas>\d+) replicas?$'))
def scale_stateful_set(world: World, name: str, replicas: str) -> None:
    world.backend.scale("statefulsets", name, int(replicas))


@when(parsers.parse('I set the image of the stateful set "{name}" to "{image}"'))
def set_stateful_set_image(world: World, name: str, image: str) -> None:
    world.backend.patch(
        "statefulsets",
        name,
        {"spec": {"template": {"spec": {"containers": [{**WORKLOAD, "image": image}]}}}},
    )


@when(parsers.parse('I delete {pod}, a pod of the stateful set "{name}"'))
def delete_stateful_pod(world: World, pod: str, name: str) -> None:
    world.deleted_pod = dict(_pods(world, name)[pod])
    world.backend.delete("pods", pod)


@when(parsers.parse('I delete the stateful set "{name}" in the foreground'))
def delete_in_the_foreground(world: World, name: str) -> None:
    world.backend.delete("statefulsets", name, propagation="Foreground")


@when(parsers.parse('the stateful set "{name}" has {count:d} ready replicas at one revision'))
@then(parsers.parse('the stateful set "{name}" has {count:d} ready replicas at one revision'))
def ready_at_one_revision(world: World, name: str, count: int) -> None:
    """Every replica Ready and at the update revision, which is the current one, the generation
    observed."""

    def done() -> bool:
        sts = _set(world, name) or {}
        status = sts.get("status") or {}
        pods = _pods(world, name)
        return (
            status.get("observedGeneration") == objects.meta(sts).get("generation")
            and status.get("replicas") == count
            and status.get("readyReplicas") == count
            and status.get("availableReplicas") == count
            and status.get("updatedReplicas") == count
            and status.get("currentReplicas") == count
            and bool(status.get("updateRevision"))
            and status.get("currentRevision") == status.get("updateRevision")
            and len(pods) == count
            and all(_ready_since(p) for p in pods.values())
        )

    assert world.wait(done), _status(world, name)
    assert _status(world, name).get("collisionCount") == 0


@then(
    parsers.re(
        r'the pods of "(?P<name>[^"]+)" are (?P<names>[\w-]+(?:, [\w-]+)*), '
        r"each created once the one before it was Ready$"
    )
)
def created_in_order(world: World, name: str, names: str) -> None:
    wanted = _names(names)
    assert world.wait(lambda: sorted(_pods(world, name)) == sorted(wanted)), sorted(
        _pods(world, name)
    )
    assert world.wait(lambda: all(_ready_since(p) for p in _pods(world, name).values()))
    pods = _pods(world, name)
    for before, after in itertools.pairwise(wanted):
        ready = _ready_since(pods[before])
        created = str(objects.meta(pods[after]).get("creationTimestamp"))
        assert ready is not None and created >= ready, (
            f"{after} was created at {created}, {before} was Ready at {ready}"
        )


@then(parsers.re(r'the pods of "(?P<name>[^"]+)" are (?P<names>none|[\w-]+(?:, [\w-]+)*)$'))
def pods_are(world: World, name: str, names: str) -> None:
    """Exactly these pods, none of them being deleted."""
    wanted = sorted(_names(names))

    def exactly() -> bool:
        pods = _pods(world, name)
        return sorted(pods) == wanted and not any(
            objects.meta(p).get("deletionTimestamp") for p in pods.values()
        )

    assert world.wait(exactly), sorted(_pods(world, name))


@then(
    parsers.re(
        r'the pods of "(?P<name>[^"]+)" are only (?P<first>[\w-]+) for (?P<seconds>\d+) seconds$'
    )
)
def only_first(world: World, name: str, first: str, seconds: str) -> None:
    assert world.wait(lambda: sorted(_pods(world, name)) == [first]), sorted(_pods(world, name))
    world.run_for(int(seconds))
    assert sorted(_pods(world, name)) == [first]
    assert _ready_since(_pods(world, name)[first]) is None
    status = _status(world, name)
    assert status.get("replicas") == 1 and not status.get("readyReplicas"), status


@then(
    parsers.parse(
        'each pod of "{name}" has its stable identity, its revision and the set as its owner'
    )
)
def stable_identity(world: World, name: str) -> None:
    sts = _set(world, name)
    assert sts is not None
    revision = _status(world, name).get("updateRevision")
    for pod_name, pod in _pods(world, name).items():
        labels = objects.labels_of(pod)
        assert labels.get("statefulset.kubernetes.io/pod-name") == pod_name, labels
        assert labels.get("apps.kubernetes.io/pod-index") == str(_ordinal(pod_name)), labels
        assert labels.get(REVISION_LABEL) == revision, labels
        spec = pod.get("spec") or {}
        assert (spec.get("hostname"), spec.get("subdomain")) == (pod_name, name), spec
        ref = objects.controller_of(pod) or {}
        assert (ref.get("kind"), ref.get("uid"), ref.get("blockOwnerDeletion")) == (
            "StatefulSet",
            objects.uid_of(sts),
            True,
        )
    revisions = [
        r
        for r in world.backend.list("controllerrevisions")
        if (objects.controller_of(r) or {}).get("uid") == objects.uid_of(sts)
    ]
    assert [objects.name_of(r) for r in revisions] == [revision], revisions


@then(parsers.re(r'the stateful set "(?P<name>[^"]+)" has the events (?P<messages>".+")$'))
def set_events(world: World, name: str, messages: str) -> None:
    """These Events of the statefulset controller, in this order among its Events."""
    wanted = [m.strip().strip('"') for m in messages.split('", "')]

    def seen() -> list[str]:
        sts = _set(world, name)
        found = [
            e for e in (events(world, sts) if sts else []) if source(e) == "statefulset-controller"
        ]
        found.sort(key=lambda e: int(objects.rv_of(e) or 0))
        return [str(e.get("message")) for e in found]

    def in_order() -> bool:
        got = iter(seen())
        return all(any(m == g for g in got) for m in wanted)

    assert world.wait(in_order), seen()


@then(parsers.parse('{pod} of "{name}" is created again with the same name and Ready'))
def created_again(world: World, pod: str, name: str) -> None:
    old = objects.uid_of(world.deleted_pod)

    def again() -> bool:
        found = _pods(world, name).get(pod)
        return found is not None and objects.uid_of(found) != old and bool(_ready_since(found))

    assert world.wait(again), _pods(world, name).get(pod)
    assert (_pods(world, name)[pod].get("spec") or {}).get("hostname") == pod


@then(parsers.parse('every pod of "{name}" runs "{image}"'))
def every_pod_runs(world: World, name: str, image: str) -> None:
    assert world.wait(lambda: {_image(p) for p in _pods(world, name).values()} == {image}), {
        n: _image(p) for n, p in _pods(world, name).items()
    }


@then(
    parsers.parse(
        'the stateful set "{name}" has {updated:d} updated and {current:d} current replicas'
    )
)
def updated_and_current(world: World, name: str, updated: int, current: int) -> None:
    def counts() -> tuple[int, int, bool]:
        status = _status(world, name)
        return (
            int(status.get("updatedReplicas", 0)),
            int(status.get("currentReplicas", 0)),
            status.get("currentRevision") != status.get("updateRevision"),
        )

    assert world.wait(lambda: counts() == (updated, current, True)), _status(world, name)


@then(parsers.parse('of "{name}", {pod} runs "{image}" and the others "{other}"'))
def one_pod_updated(world: World, name: str, pod: str, image: str, other: str) -> None:
    def images() -> dict[str, str]:
        return {n: _image(p) for n, p in _pods(world, name).items()}

    def split() -> bool:
        found = images()
        return bool(found) and all((img == image) == (n == pod) for n, img in found.items())

    assert world.wait(split), images()
    assert set(images().values()) == {image, other}


def _claims(world: World, names: list[str]) -> dict[str, dict[str, Any]]:
    return {
        objects.name_of(c): c
        for c in world.backend.list("persistentvolumeclaims")
        if objects.name_of(c) in names
    }


@then(parsers.parse("the claims {first} and {second} exist, Pending, each mounted by its pod"))
def claims_mounted(world: World, first: str, second: str) -> None:
    wanted = [first, second]
    assert world.wait(lambda: sorted(_claims(world, wanted)) == sorted(wanted))
    for claim_name, claim in _claims(world, wanted).items():
        assert (claim.get("status") or {}).get("phase") == "Pending", claim
        template, _, pod = claim_name.partition("-")
        volumes = (world.pod_or_none(pod) or {}).get("spec", {}).get("volumes") or []
        mounted = {v.get("name"): (v.get("persistentVolumeClaim") or {}) for v in volumes}
        assert mounted.get(template, {}).get("claimName") == claim_name, volumes


@then(parsers.parse("the claims {first} and {second} still exist, Pending"))
def claims_stay(world: World, first: str, second: str) -> None:
    claims = _claims(world, [first, second])
    assert sorted(claims) == sorted([first, second]), claims
    assert all((c.get("status") or {}).get("phase") == "Pending" for c in claims.values())


@then(parsers.parse('the stateful set "{name}" and its pods are gone'))
def set_gone(world: World, name: str) -> None:
    assert world.wait(lambda: _set(world, name) is None and not _pods(world, name)), (
        f"left: set {_set(world, name) is not None}, pods {sorted(_pods(world, name))}"
    )
