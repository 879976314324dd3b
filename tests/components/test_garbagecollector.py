"""The garbage collector: background, orphan and foreground deletion of a ReplicationController's
pods, and dependents whose owner is gone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.watchcache import WatchEvent
from listwatch.cluster import Cluster
from tests.builders import pod, replication_controller


def owned_by(cluster: Cluster, uid: str) -> list[dict]:
    return [
        p
        for p in cluster.pods()
        if any(r.get("uid") == uid for r in objects.meta(p).get("ownerReferences") or [])
    ]


def labelled(cluster: Cluster, app: str) -> list[dict]:
    return [p for p in cluster.pods() if objects.labels_of(p).get("app") == app]


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    made = make_cluster()
    made.apply(replication_controller("web", 2))
    made.settle()
    return made


def test_background_deletes_the_owner_at_once_then_its_pods(cluster: Cluster) -> None:
    cluster.api.delete("replicationcontrollers", "web", propagation_policy="Background")
    with pytest.raises(errors.NotFound):
        cluster.api.get("replicationcontrollers", "web")
    cluster.settle()
    assert labelled(cluster, "web") == []


def test_orphan_keeps_the_pods_without_their_owner_reference(cluster: Cluster) -> None:
    uid = objects.uid_of(cluster.api.get("replicationcontrollers", "web"))
    names = sorted(objects.name_of(p) for p in owned_by(cluster, uid))
    cluster.api.delete("replicationcontrollers", "web", propagation_policy="Orphan")
    cluster.settle()
    with pytest.raises(errors.NotFound):
        cluster.api.get("replicationcontrollers", "web")
    kept = labelled(cluster, "web")
    assert sorted(objects.name_of(p) for p in kept) == names  # no replacement, none deleted
    assert all(not objects.meta(p).get("ownerReferences") for p in kept)
    assert all(p["status"]["phase"] == "Running" for p in kept)


def test_the_core_v1_default_for_a_replication_controller_is_orphan(cluster: Cluster) -> None:
    cluster.api.delete("replicationcontrollers", "web")
    cluster.settle()
    assert len(labelled(cluster, "web")) == 2


def test_foreground_keeps_the_owner_until_its_blocking_pods_are_gone(cluster: Cluster) -> None:
    gone: list[tuple[int, str]] = []

    def record(event: WatchEvent) -> None:
        if event.type == "DELETED":
            gone.append((int(objects.rv_of(event.object)), event.object["kind"]))

    since = str(cluster.store.revision)
    for resource in ("pods", "replicationcontrollers"):
        cluster.api.watch(resource, record, resource_version=since)
    cluster.api.delete("replicationcontrollers", "web", propagation_policy="Foreground")
    cluster.advance(0.05)  # the collector has deleted the pods; their containers still stop
    owner = cluster.api.get("replicationcontrollers", "web")
    assert objects.meta(owner)["finalizers"] == ["foregroundDeletion"]
    pods = labelled(cluster, "web")
    assert len(pods) == 2 and all(objects.meta(p).get("deletionTimestamp") for p in pods)
    cluster.settle()
    assert labelled(cluster, "web") == []
    with pytest.raises(errors.NotFound):
        cluster.api.get("replicationcontrollers", "web")
    assert [kind for _, kind in sorted(gone)] == ["Pod", "Pod", "ReplicationController"]


def test_a_pod_whose_owner_does_not_exist_is_collected(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    body = pod("stray")
    body["metadata"]["ownerReferences"] = [
        {"apiVersion": "v1", "kind": "ReplicationController", "name": "gone", "uid": "no-such-uid"}
    ]
    cluster.apply(body)
    cluster.settle()
    assert [p for p in cluster.pods() if objects.name_of(p) == "stray"] == []


def test_a_pod_keeps_living_owners_and_loses_the_reference_to_a_gone_one(
    cluster: Cluster,
) -> None:
    rc = cluster.api.get("replicationcontrollers", "web")
    body = pod("shared")
    body["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "name": "web",
            "uid": objects.uid_of(rc),
        },
        {"apiVersion": "v1", "kind": "ReplicationController", "name": "gone", "uid": "no-such-uid"},
    ]
    cluster.apply(body)
    cluster.settle()
    refs = objects.meta(cluster.api.get("pods", "shared"))["ownerReferences"]
    assert [r["uid"] for r in refs] == [objects.uid_of(rc)]
