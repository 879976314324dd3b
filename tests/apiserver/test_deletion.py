"""Deletion as kube-apiserver v1.32 does it: grace periods, finalizers, propagation policies,
namespaces being terminated (the API server alone: no controller runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch import errors
from listwatch.apiserver.watchcache import WatchEvent
from listwatch.cluster import Cluster
from tests.builders import pod, replication_controller


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    return make_cluster(without=("controller-manager", "scheduler", "kubelet"))


def watched(cluster: Cluster, resource: str = "pods") -> list[WatchEvent]:
    seen: list[WatchEvent] = []
    cluster.api.watch(resource, seen.append, resource_version=str(cluster.store.revision))
    return seen


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["metadata"]  # type: ignore[no-any-return]


# -- pods: the two-phase graceful delete -----------------------------------------------------------


def test_a_pod_deleted_with_grace_0_is_marked_then_removed_two_watch_events(
    cluster: Cluster,
) -> None:
    cluster.api.create("pods", pod("free"), actor="kubectl")
    seen = watched(cluster)
    cluster.api.delete("pods", "free")
    cluster.loop.run()
    assert [e.type for e in seen] == ["MODIFIED", "DELETED"]
    marked = meta(seen[0].object)
    assert marked["deletionGracePeriodSeconds"] == 0 and marked["deletionTimestamp"]
    assert int(meta(seen[1].object)["resourceVersion"]) == int(marked["resourceVersion"]) + 1


def test_a_second_delete_may_only_shorten_the_grace_period(cluster: Cluster) -> None:
    cluster.api.create("pods", pod("web", node_name="node01"), actor="kubectl")
    first = meta(cluster.api.delete("pods", "web"))
    assert first["deletionGracePeriodSeconds"] == 30
    assert first["deletionTimestamp"] == "2026-01-01T00:00:30Z"
    shorter = meta(cluster.api.delete("pods", "web", grace_period_seconds=10))
    assert shorter["deletionGracePeriodSeconds"] == 10
    assert shorter["deletionTimestamp"] == "2026-01-01T00:00:10Z"
    revision = cluster.store.revision
    longer = meta(cluster.api.delete("pods", "web", grace_period_seconds=20))
    assert longer["deletionGracePeriodSeconds"] == 10 and cluster.store.revision == revision


def test_the_kubelets_final_delete_sets_grace_0_with_the_timestamp_moved_back_then_removes(
    cluster: Cluster,
) -> None:
    created = cluster.api.create("pods", pod("web", node_name="node01"), actor="kubectl")
    cluster.api.delete("pods", "web")
    seen = watched(cluster)
    cluster.api.delete("pods", "web", grace_period_seconds=0, uid=meta(created)["uid"])
    cluster.loop.run()
    assert [e.type for e in seen] == ["MODIFIED", "DELETED"]
    assert meta(seen[0].object)["deletionGracePeriodSeconds"] == 0
    assert meta(seen[0].object)["deletionTimestamp"] == "2026-01-01T00:00:00Z"
    assert meta(seen[1].object)["deletionGracePeriodSeconds"] == 0


def test_a_delete_with_another_uid_is_a_conflict_and_changes_nothing(cluster: Cluster) -> None:
    created = cluster.api.create("pods", pod("web", node_name="node01"), actor="kubectl")
    revision = cluster.store.revision
    with pytest.raises(errors.Conflict) as caught:
        cluster.api.delete("pods", "web", uid="not-its-uid")
    assert caught.value.message == (
        'Operation cannot be fulfilled on Pod "web": the UID in the precondition (not-its-uid) '
        f"does not match the UID in record ({meta(created)['uid']}). The object might have been "
        "deleted and then recreated"
    )
    assert cluster.store.revision == revision


# -- finalizers ------------------------------------------------------------------------------------


def test_a_pod_with_a_finalizer_is_only_marked_and_goes_when_the_finalizer_is_removed(
    cluster: Cluster,
) -> None:
    body = pod("held")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    cluster.api.create("pods", body, actor="kubectl")
    cluster.api.delete("pods", "held", grace_period_seconds=0)
    held = cluster.api.get("pods", "held")
    assert meta(held)["deletionTimestamp"] and meta(held)["deletionGracePeriodSeconds"] == 0
    seen = watched(cluster)
    cluster.api.patch("pods", "held", {"metadata": {"finalizers": None}})
    cluster.loop.run()
    assert [e.type for e in seen] == ["DELETED"]
    assert meta(seen[0].object)["finalizers"] == ["example.com/hold"]  # the state last stored
    with pytest.raises(errors.NotFound):
        cluster.api.get("pods", "held")


def test_no_finalizer_can_be_added_to_an_object_being_deleted(cluster: Cluster) -> None:
    body = pod("held")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    cluster.api.create("pods", body, actor="kubectl")
    cluster.api.delete("pods", "held")
    revision = cluster.store.revision
    with pytest.raises(errors.Invalid) as caught:
        cluster.api.patch(
            "pods", "held", {"metadata": {"finalizers": ["example.com/hold", "example.com/more"]}}
        )
    assert caught.value.message == (
        'Pod "held" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added '
        'if the object is being deleted, found new finalizers []string{"example.com/more"}'
    )
    assert cluster.store.revision == revision


def test_orphan_and_foreground_finalizers_cannot_be_both_set(cluster: Cluster) -> None:
    body = pod("both")
    body["metadata"]["finalizers"] = ["orphan", "foregroundDeletion"]
    with pytest.raises(errors.Invalid, match="finalizer orphan and foregroundDeletion cannot be"):
        cluster.api.create("pods", body, actor="kubectl")


# -- propagation policies --------------------------------------------------------------------------


def test_a_replication_controller_deleted_without_a_policy_gets_the_orphan_finalizer(
    cluster: Cluster,
) -> None:
    cluster.api.create("replicationcontrollers", replication_controller("web", 1))
    marked = cluster.api.delete("replicationcontrollers", "web")
    assert meta(marked)["finalizers"] == ["orphan"]
    assert meta(marked)["deletionGracePeriodSeconds"] == 0 and meta(marked)["generation"] == 2


@pytest.mark.parametrize(
    ("policy", "finalizers"), [("Foreground", ["foregroundDeletion"]), ("Orphan", ["orphan"])]
)
def test_a_policy_puts_the_garbage_collectors_finalizer_on_the_owner(
    cluster: Cluster, policy: str, finalizers: list[str]
) -> None:
    cluster.api.create("replicationcontrollers", replication_controller("web", 1))
    marked = cluster.api.delete("replicationcontrollers", "web", propagation_policy=policy)
    assert meta(marked)["finalizers"] == finalizers and meta(marked)["deletionTimestamp"]


def test_background_removes_a_replication_controller_at_once(cluster: Cluster) -> None:
    cluster.api.create("replicationcontrollers", replication_controller("web", 1))
    cluster.api.delete("replicationcontrollers", "web", propagation_policy="Background")
    with pytest.raises(errors.NotFound):
        cluster.api.get("replicationcontrollers", "web")


def test_a_bad_propagation_policy_is_refused_before_anything_is_looked_up(
    cluster: Cluster,
) -> None:
    with pytest.raises(errors.Invalid) as caught:
        cluster.api.delete("pods", "no-such-pod", propagation_policy="Sometimes")
    assert caught.value.message == (
        'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
        '"Sometimes": supported values: "Foreground", "Background", "Orphan", "nil"'
    )
    assert caught.value.status()["details"] == {
        "group": "meta.k8s.io",
        "kind": "DeleteOptions",
        "causes": [
            {
                "reason": "FieldValueNotSupported",
                "message": 'Unsupported value: "Sometimes": supported values: "Foreground", '
                '"Background", "Orphan", "nil"',
                "field": "propagationPolicy",
            }
        ],
    }


# -- namespaces ------------------------------------------------------------------------------------


def test_a_deleted_namespace_is_terminating_and_refuses_new_content(cluster: Cluster) -> None:
    cluster.api.create(
        "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}}
    )
    deleted = cluster.api.delete("namespaces", "doomed")
    assert deleted["status"]["phase"] == "Terminating" and meta(deleted)["deletionTimestamp"]
    assert deleted["spec"]["finalizers"] == ["kubernetes"]
    assert "deletionGracePeriodSeconds" not in meta(deleted)
    revision = cluster.store.revision
    with pytest.raises(errors.Forbidden) as caught:
        cluster.api.create("pods", pod("late"), namespace="doomed")
    assert caught.value.message == (
        'pods "late" is forbidden: unable to create new content in namespace doomed because it '
        "is being terminated"
    )
    assert caught.value.status()["details"] == {
        "name": "late",
        "kind": "pods",
        "causes": [
            {
                "reason": "NamespaceTerminating",
                "message": "namespace doomed is being terminated",
                "field": "metadata.namespace",
            }
        ],
    }
    assert cluster.store.revision == revision


def test_a_namespace_goes_when_its_last_finalizer_is_removed_through_finalize(
    cluster: Cluster,
) -> None:
    cluster.api.create(
        "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}}
    )
    cluster.api.delete("namespaces", "doomed")
    assert cluster.api.get("namespaces", "doomed")  # a second look: still there
    cluster.api.delete("namespaces", "doomed")
    assert cluster.api.get("namespaces", "doomed")["spec"]["finalizers"] == ["kubernetes"]
    cluster.api.finalize("doomed", [])
    with pytest.raises(errors.NotFound):
        cluster.api.get("namespaces", "doomed")


def test_an_update_cannot_remove_a_namespaces_spec_finalizers(cluster: Cluster) -> None:
    created = cluster.api.create(
        "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kept"}}
    )
    updated = cluster.api.update("namespaces", {**created, "spec": {}})
    assert updated["spec"]["finalizers"] == ["kubernetes"]


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public"])
def test_the_built_in_namespaces_may_not_be_deleted(cluster: Cluster, name: str) -> None:
    with pytest.raises(errors.Forbidden) as caught:
        cluster.api.delete("namespaces", name)
    assert (
        caught.value.message
        == f'namespaces "{name}" is forbidden: this namespace may not be deleted'
    )
    assert cluster.api.get("namespaces", name)["status"]["phase"] == "Active"


# -- service accounts ------------------------------------------------------------------------------


def test_service_accounts_are_served_with_their_short_name(cluster: Cluster) -> None:
    created = cluster.api.create(
        "sa", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}}
    )
    assert created["kind"] == "ServiceAccount" and meta(created)["namespace"] == "default"
    with pytest.raises(errors.Invalid, match=r"metadata\.name: Invalid value"):
        cluster.api.create(
            "serviceaccounts",
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "Not_Valid"}},
        )
