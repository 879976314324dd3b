"""The statefulset controller on the memory cluster: ordered, stable pods and their claims,
OrderedReady and Parallel, scaling, RollingUpdate with a partition, OnDelete, revisions, status
and Events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from listwatch.apiserver import objects
from listwatch.cluster import Cluster
from listwatch.components import statefulpods as sp
from listwatch.components.statefulpods import REVISION_LABEL


def stateful_set(
    name: str = "web", replicas: int = 3, *, tag: str = "nginx:1.14", **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "serviceName": "nginx",
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": tag}]},
            },
            **spec,
        },
    }


def image(tag: str) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": tag}]}}}}


CLAIMS = [
    {
        "metadata": {"name": "www"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
]


def pods_of(cluster: Cluster, name: str = "web") -> dict[str, dict[str, Any]]:
    return {
        objects.name_of(p): p
        for p in cluster.pods()
        if (objects.controller_of(p) or {}).get("name") == name
    }


def ready(pod: dict[str, Any]) -> bool:
    return pod["status"].get("phase") == "Running" and any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", [])
    )


def status(cluster: Cluster, name: str = "web") -> dict[str, Any]:
    return dict(cluster.api.get("statefulsets", name)["status"])


def events(cluster: Cluster, name: str = "web") -> list[tuple[str, str]]:
    found = cluster.events_for(cluster.api.get("statefulsets", name))
    assert all(e["source"]["component"] == "statefulset-controller" for e in found)
    ordered = sorted(found, key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [(e["reason"], e["message"]) for e in ordered]


def watching(cluster: Cluster, check: Callable[[dict[str, dict[str, Any]]], None]) -> None:
    """Run the cluster for a minute, checking `check` on the pods between every batch of work."""

    def observe() -> bool:
        check(pods_of(cluster))
        return False

    cluster.settle(until=observe, horizon=60)


def test_pods_get_stable_names_labels_identity_and_owner(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    sts = cluster.apply(stateful_set())
    cluster.settle()
    pods = pods_of(cluster)
    assert sorted(pods) == ["web-0", "web-1", "web-2"]
    revision = status(cluster)["updateRevision"]
    for ordinal in range(3):
        pod = pods[f"web-{ordinal}"]
        assert pod["metadata"]["labels"] == {
            "app": "web",
            "statefulset.kubernetes.io/pod-name": f"web-{ordinal}",
            "apps.kubernetes.io/pod-index": str(ordinal),
            REVISION_LABEL: revision,
        }
        assert pod["metadata"]["generateName"] == "web-"
        assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == (f"web-{ordinal}", "nginx")
        assert pod["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "name": "web",
                "uid": objects.uid_of(sts),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        assert ready(pod)


def test_status_counts_revisions_and_generation(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set())
    cluster.settle()
    got = status(cluster)
    revision = got["updateRevision"]
    assert got == {
        "observedGeneration": 1,
        "replicas": 3,
        "readyReplicas": 3,
        "currentReplicas": 3,
        "updatedReplicas": 3,
        "currentRevision": revision,
        "updateRevision": revision,
        "collisionCount": 0,
        "availableReplicas": 3,
    }
    (cr,) = cluster.api.list("controllerrevisions").items
    assert objects.name_of(cr) == revision and cr["revision"] == 1
    assert revision == f"web-{cr['metadata']['labels'][REVISION_LABEL]}"
    assert cr["metadata"]["labels"]["app"] == "web"
    assert cr["data"]["spec"]["template"]["$patch"] == "replace"
    assert (objects.controller_of(cr) or {}).get("kind") == "StatefulSet"


def test_events_name_each_pod_in_v1_32_words(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=2))
    cluster.settle()
    assert events(cluster) == [
        ("SuccessfulCreate", "create Pod web-0 in StatefulSet web successful"),
        ("SuccessfulCreate", "create Pod web-1 in StatefulSet web successful"),
    ]


def test_ordered_ready_creates_each_pod_once_its_predecessors_are_ready(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=3))
    seen: set[str] = set()

    def predecessors_ready(pods: dict[str, dict[str, Any]]) -> None:
        for name in pods:
            ordinal = int(name.rsplit("-", 1)[1])
            for before in range(ordinal):
                assert ready(pods[f"web-{before}"]), f"{name} exists, web-{before} is not Ready"
        seen.update(pods)

    watching(cluster, predecessors_ready)
    assert seen == {"web-0", "web-1", "web-2"}


def test_a_pod_that_never_gets_ready_holds_back_its_successors(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=3, tag="nginx:0.0-no-such-tag"))
    cluster.advance(60)
    assert sorted(pods_of(cluster)) == ["web-0"]
    assert status(cluster)["replicas"] == 1
    assert "readyReplicas" not in status(cluster)


def test_parallel_creates_every_pod_at_once(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(
        stateful_set(replicas=3, podManagementPolicy="Parallel", tag="nginx:0.0-no-such-tag")
    )
    cluster.advance(30)
    assert sorted(pods_of(cluster)) == ["web-0", "web-1", "web-2"]
    assert not any(ready(p) for p in pods_of(cluster).values())


def test_scaling_down_deletes_from_the_highest_ordinal_one_at_a_time(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=4))
    cluster.settle()
    cluster.scale("statefulsets", "web", 1)

    def one_terminating_the_highest(pods: dict[str, dict[str, Any]]) -> None:
        going = [n for n, p in pods.items() if p["metadata"].get("deletionTimestamp")]
        assert len(going) <= 1, going
        if going:
            assert going[0] == max(pods, key=lambda n: int(n.rsplit("-", 1)[1])), going

    watching(cluster, one_terminating_the_highest)
    assert sorted(pods_of(cluster)) == ["web-0"]
    deleted = [m for r, m in events(cluster) if r == "SuccessfulDelete"]
    assert deleted == [f"delete Pod web-{i} in StatefulSet web successful" for i in (3, 2, 1)]
    assert status(cluster)["replicas"] == 1


def test_a_deleted_pod_comes_back_with_the_same_name(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=2))
    cluster.settle()
    before = pods_of(cluster)["web-1"]
    cluster.delete("pods", "web-1")
    cluster.settle()
    after = pods_of(cluster)["web-1"]
    assert objects.uid_of(after) != objects.uid_of(before)
    assert ready(after) and after["spec"]["hostname"] == "web-1"


def test_a_failed_pod_is_deleted_and_created_again(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=1))
    cluster.settle()
    pod = pods_of(cluster)["web-0"]
    cluster.api.update_status(
        "pods", {**pod, "status": {**pod["status"], "phase": "Failed"}}, actor="test"
    )
    cluster.settle()
    again = pods_of(cluster)["web-0"]
    assert objects.uid_of(again) != objects.uid_of(pod) and ready(again)
    assert ("SuccessfulDelete", "delete Pod web-0 in StatefulSet web successful") in events(cluster)


def test_a_rolling_update_replaces_pods_from_the_highest_ordinal(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=3))
    cluster.settle()
    first = status(cluster)["currentRevision"]
    cluster.patch("statefulsets", "web", image("nginx:1.15"))
    cluster.settle()
    got = status(cluster)
    assert got["updateRevision"] != first and got["currentRevision"] == got["updateRevision"]
    assert got["updatedReplicas"] == got["currentReplicas"] == got["readyReplicas"] == 3
    assert got["observedGeneration"] == 2
    pods = pods_of(cluster)
    assert {p["spec"]["containers"][0]["image"] for p in pods.values()} == {"nginx:1.15"}
    deleted = [m for r, m in events(cluster) if r == "SuccessfulDelete"]
    assert deleted == [f"delete Pod web-{i} in StatefulSet web successful" for i in (2, 1, 0)]
    numbers = sorted(r["revision"] for r in cluster.api.list("controllerrevisions").items)
    assert numbers == [1, 2]


def test_a_partition_keeps_the_pods_below_it_at_the_current_revision(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(
        stateful_set(
            replicas=3, updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
        )
    )
    cluster.settle()
    cluster.patch("statefulsets", "web", image("nginx:1.15"))
    cluster.settle()
    images = {n: p["spec"]["containers"][0]["image"] for n, p in pods_of(cluster).items()}
    assert images == {"web-0": "nginx:1.14", "web-1": "nginx:1.14", "web-2": "nginx:1.15"}
    got = status(cluster)
    assert got["currentRevision"] != got["updateRevision"]
    assert (got["currentReplicas"], got["updatedReplicas"]) == (2, 1)
    cluster.delete("pods", "web-0")
    cluster.settle()
    assert pods_of(cluster)["web-0"]["spec"]["containers"][0]["image"] == "nginx:1.14"


def test_on_delete_updates_a_pod_only_when_it_is_deleted(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=2, updateStrategy={"type": "OnDelete"}))
    cluster.settle()
    cluster.patch("statefulsets", "web", image("nginx:1.15"))
    cluster.settle()
    images = {n: p["spec"]["containers"][0]["image"] for n, p in pods_of(cluster).items()}
    assert images == {"web-0": "nginx:1.14", "web-1": "nginx:1.14"}
    assert "updatedReplicas" not in status(cluster)
    cluster.delete("pods", "web-1")
    cluster.settle()
    assert pods_of(cluster)["web-1"]["spec"]["containers"][0]["image"] == "nginx:1.15"
    got = status(cluster)
    assert (got["currentReplicas"], got["updatedReplicas"]) == (1, 1)


def test_rolling_back_renumbers_the_equal_revision(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=1))
    cluster.settle()
    first = status(cluster)["currentRevision"]
    cluster.patch("statefulsets", "web", image("nginx:1.15"))
    cluster.settle()
    cluster.patch("statefulsets", "web", image("nginx:1.14"))
    cluster.settle()
    assert status(cluster)["currentRevision"] == first
    revisions = cluster.api.list("controllerrevisions").items
    numbers = {objects.name_of(r): r["revision"] for r in revisions}
    assert numbers[first] == 3 and sorted(numbers.values()) == [2, 3]


def test_revisions_beyond_the_history_limit_are_deleted(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=1, revisionHistoryLimit=1))
    cluster.settle()
    for tag in ("1.15", "1.16", "1.19"):
        cluster.patch("statefulsets", "web", image(f"nginx:{tag}"))
        cluster.settle()
    numbers = sorted(r["revision"] for r in cluster.api.list("controllerrevisions").items)
    assert numbers == [3, 4]


def test_claims_are_made_before_their_pods_and_stay(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=2, volumeClaimTemplates=CLAIMS))
    cluster.settle()
    claims = {objects.name_of(c): c for c in cluster.api.list("persistentvolumeclaims").items}
    assert sorted(claims) == ["www-web-0", "www-web-1"]
    assert all(c["status"]["phase"] == "Pending" for c in claims.values())
    assert all(c["metadata"]["labels"] == {"app": "web"} for c in claims.values())
    assert all(not c["metadata"].get("ownerReferences") for c in claims.values())
    volumes = pods_of(cluster)["web-1"]["spec"]["volumes"]
    assert volumes[0] == {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}}
    assert events(cluster)[:2] == [
        ("SuccessfulCreate", "create Claim www-web-0 Pod web-0 in StatefulSet web success"),
        ("SuccessfulCreate", "create Pod web-0 in StatefulSet web successful"),
    ]
    cluster.scale("statefulsets", "web", 0)
    cluster.settle()
    assert not pods_of(cluster)
    assert len(cluster.api.list("persistentvolumeclaims").items) == 2


def test_deleting_the_set_deletes_its_pods_and_revisions(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=2))
    cluster.settle()
    cluster.delete("statefulsets", "web", propagation="Foreground")
    cluster.settle()
    assert not pods_of(cluster)
    assert not cluster.api.list("statefulsets").items
    assert not cluster.api.list("controllerrevisions").items


def test_a_start_ordinal_shifts_the_names(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(stateful_set(replicas=2, ordinals={"start": 5}))
    cluster.settle()
    assert sorted(pods_of(cluster)) == ["web-5", "web-6"]


def test_a_revision_name_taken_by_other_data_counts_a_collision(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    created = cluster.apply(stateful_set(replicas=1))
    template = created["spec"]["template"]
    taken = sp.revision_name(created, sp.revision_hash(template, 0))
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {"name": taken, "labels": {"app": "other"}},
            "data": {"other": True},
            "revision": 1,
        }
    )
    cluster.settle()
    got = status(cluster)
    assert got["collisionCount"] == 1
    assert got["updateRevision"] == sp.revision_name(created, sp.revision_hash(template, 1))
    assert got["updateRevision"] != taken and got["readyReplicas"] == 1
    assert pods_of(cluster)["web-0"]["metadata"]["labels"][REVISION_LABEL] == got["updateRevision"]
