"""The deployment controller: ReplicaSets per pod template, rolling update within maxSurge and
maxUnavailable, Recreate, pause, proportional scaling, history, deadlines, and the cascade."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.watchcache import WatchEvent
from listwatch.cluster import Cluster
from listwatch.components.revisions import HASH_LABEL


def deployment(name: str = "web", replicas: int = 3, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14"}]},
            },
            **spec,
        },
    }


def image(tag: str) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": tag}]}}}}


def replica_sets(cluster: Cluster) -> dict[str, dict[str, Any]]:
    return {objects.name_of(rs): rs for rs in cluster.api.list("replicasets").items}


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    return next(c for c in obj["status"].get("conditions", []) if c["type"] == type_)


def messages(cluster: Cluster, name: str = "web") -> list[str]:
    events = cluster.events_for(cluster.api.get("deployments", name))
    assert all(e["source"]["component"] == "deployment-controller" for e in events)
    return [e["message"] for e in events if e["reason"] == "ScalingReplicaSet"]


def test_a_deployment_gets_a_replica_set_named_for_its_pod_template_hash(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(deployment())
    cluster.settle()
    ((name, rs),) = replica_sets(cluster).items()
    hashed = rs["spec"]["template"]["metadata"]["labels"][HASH_LABEL]
    assert name == f"web-{hashed}" and rs["spec"]["selector"]["matchLabels"][HASH_LABEL] == hashed
    assert rs["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "1",
        "deployment.kubernetes.io/desired-replicas": "3",
        "deployment.kubernetes.io/max-replicas": "4",
    }
    assert objects.controller_of(rs)["kind"] == "Deployment"  # type: ignore[index]
    pods = cluster.pods()
    assert len(pods) == 3 and all(p["metadata"]["labels"][HASH_LABEL] == hashed for p in pods)
    d = cluster.api.get("deployments", "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    status = {k: v for k, v in d["status"].items() if k != "conditions"}
    assert status == {
        "observedGeneration": 1,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
    }
    assert (condition(d, "Available")["reason"], condition(d, "Available")["message"]) == (
        "MinimumReplicasAvailable",
        "Deployment has minimum availability.",
    )
    assert (
        condition(d, "Progressing")["message"]
        == f'ReplicaSet "{name}" has successfully progressed.'
    )
    assert messages(cluster) == [f"Scaled up replica set {name} from 0 to 3"]


def test_a_rolling_update_surges_by_one_and_keeps_every_replica_available(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(deployment())
    cluster.settle()
    (old,) = replica_sets(cluster)
    sizes: list[int] = []
    available: list[int] = []

    def seen(event: WatchEvent) -> None:
        sets = replica_sets(cluster).values()
        sizes.append(sum(rs["spec"]["replicas"] for rs in sets))
        available.append(sum(rs.get("status", {}).get("availableReplicas", 0) for rs in sets))

    cluster.api.watch("replicasets", seen)
    cluster.patch("deployments", "web", image("nginx:1.15"))
    cluster.settle()
    (new,) = set(replica_sets(cluster)) - {old}
    assert max(sizes) == 4  # maxSurge: 25% of 3, rounded up
    assert min(available) == 3  # maxUnavailable: 25% of 3, rounded down
    assert messages(cluster)[1:] == [
        f"Scaled up replica set {new} from 0 to 1",
        f"Scaled down replica set {old} from 3 to 2",
        f"Scaled up replica set {new} from 1 to 2",
        f"Scaled down replica set {old} from 2 to 1",
        f"Scaled up replica set {new} from 2 to 3",
        f"Scaled down replica set {old} from 1 to 0",
    ]
    d = cluster.api.get("deployments", "web")
    assert d["metadata"]["generation"] == 2 and d["status"]["observedGeneration"] == 2
    assert (
        replica_sets(cluster)[new]["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        == "2"
    )


def test_an_unpullable_image_stalls_the_rollout_until_its_deadline(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(deployment(progressDeadlineSeconds=30))
    cluster.settle()
    cluster.patch("deployments", "web", image("nginx:0.0-no-such-tag"))
    cluster.advance(10)
    sets = replica_sets(cluster)
    assert sorted(rs["spec"]["replicas"] for rs in sets.values()) == [1, 3]
    d = cluster.api.get("deployments", "web")
    assert condition(d, "Progressing")["reason"] == "ReplicaSetUpdated"
    assert (d["status"]["updatedReplicas"], d["status"]["unavailableReplicas"]) == (1, 1)
    cluster.advance(40)
    d = cluster.api.get("deployments", "web")
    progressing = condition(d, "Progressing")
    new = next(n for n, rs in replica_sets(cluster).items() if rs["spec"]["replicas"] == 1)
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "False",
        "ProgressDeadlineExceeded",
        f'ReplicaSet "{new}" has timed out progressing.',
    )


def test_recreate_starts_the_new_pods_only_once_the_old_ones_are_gone(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(deployment(strategy={"type": "Recreate"}))
    cluster.settle()
    (old,) = replica_sets(cluster)
    overlaps: list[str] = []

    def seen(event: WatchEvent) -> None:
        owners = {objects.controller_of(p)["name"] for p in cluster.pods()}  # type: ignore[index]
        if len(owners) > 1:
            overlaps.append(objects.name_of(event.object))

    cluster.api.watch("pods", seen)
    cluster.patch("deployments", "web", image("nginx:1.15"))
    cluster.settle()
    (new,) = set(replica_sets(cluster)) - {old}
    assert overlaps == []
    assert messages(cluster)[1:] == [
        f"Scaled down replica set {old} from 3 to 0",
        f"Scaled up replica set {new} from 0 to 3",
    ]


def test_a_paused_deployment_does_not_roll_out_until_resumed(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(deployment())
    cluster.settle()
    cluster.patch("deployments", "web", {"spec": {"paused": True}})
    cluster.patch("deployments", "web", image("nginx:1.15"))
    cluster.settle()
    assert len(replica_sets(cluster)) == 1
    progressing = condition(cluster.api.get("deployments", "web"), "Progressing")
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "Unknown",
        "DeploymentPaused",
        "Deployment is paused",
    )
    cluster.patch("deployments", "web", {"spec": {"paused": False}})
    cluster.settle()
    assert len(replica_sets(cluster)) == 2
    d = cluster.api.get("deployments", "web")
    assert condition(d, "Progressing")["reason"] == "NewReplicaSetAvailable"
    assert d["status"]["updatedReplicas"] == 3


def test_scaling_during_a_stalled_rollout_is_proportional(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(deployment(replicas=4))
    cluster.settle()
    cluster.patch("deployments", "web", image("nginx:0.0-no-such-tag"))
    cluster.advance(5)
    # maxSurge 1 and maxUnavailable 1 of 4: the old ReplicaSet gives up one available pod, the
    # new one gets two pods that never become available.
    assert sorted(rs["spec"]["replicas"] for rs in replica_sets(cluster).values()) == [2, 3]
    cluster.scale("deployments", "web", 8)
    cluster.advance(5)
    # 8 + maxSurge 2 = 10 replicas, shared as the ReplicaSets' max-replicas annotations (5) say:
    # 3 -> 6 and 2 -> 4. Then neither may change: 10 in all, and 6 available of 8 wanted.
    sizes = sorted(rs["spec"]["replicas"] for rs in replica_sets(cluster).values())
    assert sizes == [4, 6]


def test_old_replica_sets_beyond_the_history_limit_are_deleted(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(deployment(replicas=1, revisionHistoryLimit=1))
    cluster.settle()
    for tag in ("nginx:1.15", "nginx:1.16", "nginx:1.19"):
        cluster.patch("deployments", "web", image(tag))
        cluster.settle()
    revisions = sorted(
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        for rs in replica_sets(cluster).values()
    )
    assert revisions == ["3", "4"]


def test_going_back_to_an_old_template_reuses_its_replica_set_with_the_next_revision(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(deployment(replicas=2))
    cluster.settle()
    (first,) = replica_sets(cluster)
    cluster.patch("deployments", "web", image("nginx:1.15"))
    cluster.settle()
    cluster.patch("deployments", "web", image("nginx:1.14"))
    cluster.settle()
    sets = replica_sets(cluster)
    assert len(sets) == 2 and sets[first]["spec"]["replicas"] == 2
    annotations = sets[first]["metadata"]["annotations"]
    assert annotations["deployment.kubernetes.io/revision"] == "3"
    assert annotations["deployment.kubernetes.io/revision-history"] == "1"


def test_min_ready_seconds_delays_availability(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(deployment(replicas=1, minReadySeconds=20))
    cluster.advance(10)
    d = cluster.api.get("deployments", "web")
    assert d["status"].get("readyReplicas") == 1 and d["status"].get("availableReplicas", 0) == 0
    assert condition(d, "Available")["status"] == "False"
    cluster.advance(30)
    d = cluster.api.get("deployments", "web")
    assert d["status"]["availableReplicas"] == 1
    assert condition(d, "Available")["reason"] == "MinimumReplicasAvailable"


def test_deleting_a_deployment_deletes_its_replica_sets_and_pods(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(deployment())
    cluster.settle()
    cluster.delete("deployments", "web")
    cluster.settle()
    assert replica_sets(cluster) == {}
    assert all(objects.meta(p).get("deletionTimestamp") for p in cluster.pods())
    try:
        cluster.api.get("deployments", "web")
    except errors.NotFound:
        pass
    else:
        raise AssertionError("the Deployment is still there")
