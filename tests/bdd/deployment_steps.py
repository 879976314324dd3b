"""Step definitions for features/deployment.feature: a Deployment, its ReplicaSets and their pods,
rolled out, stalled, rolled back, scaled and deleted through the backend."""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from listwatch import errors
from listwatch.apiserver import objects

from .steps import WORKLOAD, events, source
from .world import World

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
#: The waiting reasons of a container whose image cannot be pulled.
PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff")


def _deployment(world: World, name: str) -> dict[str, Any]:
    return world.backend.get("deployments", name)


def _replica_sets(world: World, name: str) -> list[dict[str, Any]]:
    """The Deployment's ReplicaSets, oldest revision first."""
    owned = [
        rs
        for rs in world.backend.list("replicasets")
        if (objects.controller_of(rs) or {}).get("name") == name
    ]
    return sorted(
        owned, key=lambda rs: int(objects.meta(rs).get("annotations", {}).get(REVISION, 0))
    )


def _waiting(pod: dict[str, Any]) -> str:
    statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
    return str(((statuses[0].get("state") or {}).get("waiting") or {}).get("reason", ""))


def _rolled_out(world: World, name: str, replicas: int) -> bool:
    d = _deployment(world, name)
    status = d.get("status") or {}
    return (
        status.get("observedGeneration", 0) >= objects.meta(d).get("generation", 1)
        and status.get("replicas", 0) == replicas
        and status.get("updatedReplicas", 0) == replicas
        and status.get("availableReplicas", 0) == replicas
    )


@given(parsers.parse('a deployment "{name}" with {replicas:d} replicas'))
def a_deployment(world: World, name: str, replicas: int) -> None:
    world.backend.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [dict(WORKLOAD)]},
                },
            },
        }
    )
    assert world.wait(lambda: _rolled_out(world, name, replicas)), _deployment(world, name)


@when(parsers.parse('I restart the rollout of the deployment "{name}"'))
def restart(world: World, name: str) -> None:
    """kubectl rollout restart: a new annotation on the pod template."""
    annotation = {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}
    world.backend.patch(
        "deployments", name, {"spec": {"template": {"metadata": {"annotations": annotation}}}}
    )


@when(parsers.parse('I set the image of the deployment "{name}" to "{image}"'))
def set_image(world: World, name: str, image: str) -> None:
    """kubectl set image deployment/NAME app=IMAGE."""
    template = _deployment(world, name)["spec"]["template"]
    containers = [{**c, "image": image} for c in template["spec"]["containers"]]
    world.backend.patch(
        "deployments", name, {"spec": {"template": {"spec": {"containers": containers}}}}
    )


@when(parsers.parse('I roll back the deployment "{name}"'))
def roll_back(world: World, name: str) -> None:
    """kubectl rollout undo: the template of the previous revision, without its hash label."""
    previous = _replica_sets(world, name)[-2]
    template = objects.deep_copy(previous["spec"]["template"])
    template["metadata"]["labels"].pop(HASH_LABEL, None)
    world.backend.patch("deployments", name, {"spec": {"template": template}})


@when(parsers.parse('I scale the deployment "{name}" to {replicas:d} replicas'))
def scale(world: World, name: str, replicas: int) -> None:
    world.backend.scale("deployments", name, replicas)


@when(parsers.parse('I delete the deployment "{name}"'))
def delete(world: World, name: str) -> None:
    world.backend.delete("deployments", name)


@when(parsers.parse('I pause the deployment "{name}"'))
def pause(world: World, name: str) -> None:
    """kubectl rollout pause."""
    world.backend.patch("deployments", name, {"spec": {"paused": True}})


@when(parsers.parse('I resume the deployment "{name}"'))
def resume(world: World, name: str) -> None:
    """kubectl rollout resume."""
    world.backend.patch("deployments", name, {"spec": {"paused": None}})


@when(parsers.parse('I set the strategy of the deployment "{name}" to Recreate'))
def recreate(world: World, name: str) -> None:
    world.backend.patch(
        "deployments", name, {"spec": {"strategy": {"type": "Recreate", "rollingUpdate": None}}}
    )


@when(parsers.parse('I delete the deployment "{name}" in the foreground'))
def delete_in_the_foreground(world: World, name: str) -> None:
    world.backend.delete("deployments", name, propagation="Foreground")


@then(parsers.parse('the deployment "{name}" stays at revision {revision:d} while it is paused'))
def stays_paused(world: World, name: str, revision: int) -> None:
    def observed() -> bool:
        d = _deployment(world, name)
        return (d.get("status") or {}).get("observedGeneration", 0) >= objects.meta(d).get(
            "generation", 1
        )

    assert world.wait(observed), _deployment(world, name)
    d = _deployment(world, name)
    assert (objects.meta(d).get("annotations") or {}).get(REVISION) == str(revision), d
    assert len(_replica_sets(world, name)) == 1, _replica_sets(world, name)


@then(parsers.parse('the deployment "{name}" has {replicas:d} updated and available replicas'))
def rolled_out(world: World, name: str, replicas: int) -> None:
    assert world.wait(lambda: _rolled_out(world, name, replicas)), _deployment(world, name)


@then(parsers.parse('the deployment "{name}" is at revision {revision:d}'))
def at_revision(world: World, name: str, revision: int) -> None:
    def there() -> bool:
        annotations = objects.meta(_deployment(world, name)).get("annotations") or {}
        return annotations.get(REVISION) == str(revision)

    assert world.wait(there), objects.meta(_deployment(world, name))


@then(parsers.parse('the replica set of "{name}" is named for the pod template hash of its pods'))
def named_for_hash(world: World, name: str) -> None:
    (rs,) = _replica_sets(world, name)
    hashed = rs["spec"]["template"]["metadata"]["labels"][HASH_LABEL]
    assert objects.name_of(rs) == f"{name}-{hashed}"
    assert rs["spec"]["selector"]["matchLabels"][HASH_LABEL] == hashed
    pods = world.owned_pods(objects.name_of(rs))
    assert pods and all(objects.labels_of(p)[HASH_LABEL] == hashed for p in pods)


@then(
    parsers.parse(
        'the deployment "{name}" scaled {direction} its replica set from {before:d} to {after:d}'
    )
)
def scaled_event(world: World, name: str, direction: str, before: int, after: int) -> None:
    """The ScalingReplicaSet Event of the deployment controller, about the newest ReplicaSet."""

    def found() -> bool:
        rs = objects.name_of(_replica_sets(world, name)[-1])
        wanted = f"Scaled {direction} replica set {rs} from {before} to {after}"
        return any(
            e["reason"] == "ScalingReplicaSet"
            and source(e) == "deployment-controller"
            and e["message"] == wanted
            for e in events(world, _deployment(world, name))
        )

    assert world.wait(found), [e["message"] for e in events(world, _deployment(world, name))]


@then(parsers.parse('the old replica sets of "{name}" are scaled to 0'))
def old_scaled_down(world: World, name: str) -> None:
    def done() -> bool:
        sets = _replica_sets(world, name)
        return len(sets) > 1 and all(rs["spec"]["replicas"] == 0 for rs in sets[:-1])

    assert world.wait(done), [
        (objects.name_of(rs), rs["spec"]) for rs in _replica_sets(world, name)
    ]


@then(
    parsers.parse(
        'the rollout of "{name}" stalls with {new:d} new pod unable to pull its image and '
        "{old:d} old pods Running"
    )
)
def stalled(world: World, name: str, new: int, old: int) -> None:
    def pods(rs: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            p
            for p in world.owned_pods(objects.name_of(rs))
            if not objects.meta(p).get("deletionTimestamp")
        ]

    def there() -> bool:
        sets = _replica_sets(world, name)
        if len(sets) < 2:
            return False
        fresh, *before = reversed(sets)
        waiting = [p for p in pods(fresh) if _waiting(p) in PULL_FAILURES]
        running = [
            p
            for rs in before
            for p in pods(rs)
            if (p.get("status") or {}).get("phase") == "Running"
        ]
        return len(waiting) == len(pods(fresh)) == new and len(running) == old

    assert world.wait(there), [(objects.name_of(p), _waiting(p)) for p in world.backend.pods()]
    world.run_for(5)
    assert there(), "the rollout went on"
    status = _deployment(world, name)["status"]
    assert (status.get("updatedReplicas"), status.get("availableReplicas")) == (new, old)


@then(parsers.parse('the deployment "{name}", its replica sets and their pods are deleted'))
def deleted(world: World, name: str) -> None:
    def gone() -> bool:
        try:
            _deployment(world, name)
        except errors.NotFound:
            pass
        else:
            return False
        return not _replica_sets(world, name) and all(
            objects.meta(p).get("deletionTimestamp")
            for p in world.backend.pods()
            if objects.labels_of(p).get("app") == name
        )

    assert world.wait(gone), [objects.name_of(rs) for rs in _replica_sets(world, name)]
