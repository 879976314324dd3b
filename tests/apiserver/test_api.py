"""API server semantics: resourceVersion, optimistic concurrency, selectors, watch, binding,
deletion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch import errors
from listwatch.apiserver.watchcache import WatchEvent
from listwatch.cluster import Cluster
from tests.builders import pod


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    # No components: the API server alone, so that nothing else writes.
    return make_cluster(without=("controller-manager", "scheduler", "kubelet"))


def run(cluster: Cluster) -> None:
    cluster.loop.run()


def test_create_fills_in_what_a_v1_32_api_server_fills_in(cluster: Cluster) -> None:
    created = cluster.api.create("pods", pod("web"), actor="kubectl")
    meta, spec = created["metadata"], created["spec"]
    assert (
        meta["namespace"] == "default" and meta["uid"] and meta["creationTimestamp"].endswith("Z")
    )
    assert int(meta["resourceVersion"]) == cluster.store.revision
    assert spec["schedulerName"] == "default-scheduler" and spec["restartPolicy"] == "Always"
    assert spec["dnsPolicy"] == "ClusterFirst" and spec["terminationGracePeriodSeconds"] == 30
    assert spec["priority"] == 0 and spec["enableServiceLinks"] is True
    assert spec["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert spec["containers"][0]["terminationMessagePath"] == "/dev/termination-log"
    assert [t["key"] for t in spec["tolerations"]] == [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ]
    assert created["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_latest_or_untagged_images_are_always_pulled(cluster: Cluster) -> None:
    created = cluster.api.create("pods", pod("web", image="busybox"), actor="kubectl")
    assert created["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_a_stale_update_is_a_conflict_and_changes_nothing(cluster: Cluster) -> None:
    first = cluster.api.create("pods", pod("web"), actor="kubectl")
    relabelled = {**first, "metadata": {**first["metadata"], "labels": {"app": "v2"}}}
    cluster.api.update("pods", relabelled, actor="a")
    stale = {**first, "metadata": {**first["metadata"], "labels": {"app": "v3"}}}
    before = cluster.store.revision
    with pytest.raises(
        errors.Conflict,
        match='Operation cannot be fulfilled on pods "web": the object has been modified',
    ):
        cluster.api.update("pods", stale, actor="b")
    assert cluster.store.revision == before
    assert cluster.api.get("pods", "web")["metadata"]["labels"] == {"app": "v2"}


def test_an_existing_name_is_already_exists(cluster: Cluster) -> None:
    cluster.api.create("pods", pod("web"), actor="kubectl")
    with pytest.raises(errors.AlreadyExists, match='pods "web" already exists'):
        cluster.api.create("pods", pod("web"), actor="kubectl")


def test_a_pod_without_containers_is_invalid_with_the_field_path(cluster: Cluster) -> None:
    bad = pod("web")
    bad["spec"]["containers"] = []
    with pytest.raises(errors.Invalid) as caught:
        cluster.api.create("pods", bad, actor="kubectl")
    assert caught.value.message == 'Pod "web" is invalid: spec.containers: Required value'
    assert caught.value.status()["code"] == 422


def test_a_missing_namespace_is_not_found(cluster: Cluster) -> None:
    with pytest.raises(errors.NotFound, match='namespaces "nowhere" not found'):
        cluster.api.create("pods", pod("web"), namespace="nowhere", actor="kubectl")


def test_binding_sets_node_and_pod_scheduled_in_one_write(cluster: Cluster) -> None:
    cluster.api.create("pods", pod("web"), actor="kubectl")
    before = cluster.store.revision
    bound = cluster.api.bind("default", "web", "node01")
    assert cluster.store.revision == before + 1
    assert bound["spec"]["nodeName"] == "node01"
    assert [(c["type"], c["status"]) for c in bound["status"]["conditions"]] == [
        ("PodScheduled", "True")
    ]


def test_binding_a_bound_pod_is_a_conflict(cluster: Cluster) -> None:
    cluster.api.create("pods", pod("web"), actor="kubectl")
    cluster.api.bind("default", "web", "node01")
    with pytest.raises(errors.Conflict) as caught:
        cluster.api.bind("default", "web", "node02")
    assert (
        caught.value.message
        == 'Operation cannot be fulfilled on pods/binding "web": pod web is already assigned to '
        'node "node01"'
    )
    assert cluster.api.get("pods", "web")["spec"]["nodeName"] == "node01"


def test_binding_a_terminating_pod_is_a_conflict(cluster: Cluster) -> None:
    cluster.api.create("pods", pod("web", node_name="node01"), actor="kubectl")
    cluster.api.delete("pods", "web")  # bound: graceful, so it stays with a deletionTimestamp
    unbound = pod("other")
    cluster.api.create("pods", unbound, actor="kubectl")
    current = cluster.api.get("pods", "other")
    marked = {
        **current,
        "metadata": {**current["metadata"], "deletionTimestamp": "2026-01-01T00:00:30Z"},
    }
    cluster.store.update("/registry/pods/default/other", marked)
    with pytest.raises(
        errors.Conflict, match="pod other is being deleted, cannot be assigned to a host"
    ):
        cluster.api.bind("default", "other", "node01")


def test_deleting_a_bound_pod_is_graceful_and_an_unbound_one_immediate(cluster: Cluster) -> None:
    cluster.api.create("pods", pod("bound", node_name="node01"), actor="kubectl")
    cluster.api.create("pods", pod("free"), actor="kubectl")
    marked = cluster.api.delete("pods", "bound")
    assert (
        marked["metadata"]["deletionGracePeriodSeconds"] == 30
        and marked["metadata"]["deletionTimestamp"]
    )
    assert cluster.api.get("pods", "bound")
    cluster.api.delete("pods", "free")
    with pytest.raises(errors.NotFound):
        cluster.api.get("pods", "free")


def test_list_filters_by_label_and_field_selector_and_namespace(cluster: Cluster) -> None:
    cluster.api.create("pods", pod("a", labels={"tier": "web"}), actor="kubectl")
    cluster.api.create("pods", pod("b", labels={"tier": "db"}, node_name="node01"), actor="kubectl")
    cluster.api.create(
        "pods", pod("c", labels={"tier": "web"}), namespace="kube-system", actor="kubectl"
    )
    names = lambda **kw: [p["metadata"]["name"] for p in cluster.api.list("pods", **kw).items]  # noqa: E731
    assert names(namespace="default") == ["a", "b"]
    assert names() == ["a", "b", "c"]
    assert names(label_selector="tier=web") == ["a", "c"]
    assert names(field_selector="spec.nodeName=node01") == ["b"]
    assert names(
        field_selector="spec.nodeName=", label_selector="tier=web", namespace="default"
    ) == ["a"]
    assert int(cluster.api.list("pods").resource_version) == cluster.store.revision


def test_a_watch_sees_an_object_enter_and_leave_its_selector(cluster: Cluster) -> None:
    seen: list[tuple[str, str]] = []
    cluster.api.watch(
        "pods",
        lambda e: seen.append((e.type, e.object["spec"].get("nodeName", ""))),
        field_selector="spec.nodeName=node01",
    )
    cluster.api.create("pods", pod("web"), actor="kubectl")
    cluster.api.bind("default", "web", "node01")
    cluster.api.delete("pods", "web", grace_period_seconds=0)
    run(cluster)
    # A pod's delete, even with grace 0, first marks it (deletionTimestamp), then removes it.
    assert seen == [("ADDED", "node01"), ("MODIFIED", "node01"), ("DELETED", "node01")]


def test_a_watch_from_a_resource_version_replays_exactly_what_came_after(cluster: Cluster) -> None:
    cluster.api.create("pods", pod("a"), actor="kubectl")
    rv = cluster.api.list("pods").resource_version
    cluster.api.create("pods", pod("b"), actor="kubectl")
    seen: list[WatchEvent] = []
    cluster.api.watch("pods", seen.append, resource_version=rv)
    run(cluster)
    assert [(e.type, e.object["metadata"]["name"]) for e in seen] == [("ADDED", "b")]


def test_a_watch_from_a_compacted_revision_gets_410_gone(cluster: Cluster) -> None:
    cluster.api.create("pods", pod("a"), actor="kubectl")
    old = cluster.api.list("pods").resource_version
    cluster.api.create("pods", pod("b"), actor="kubectl")
    cluster.api.compact()
    seen: list[WatchEvent] = []
    watch = cluster.api.watch("pods", seen.append, resource_version=old)
    run(cluster)
    assert len(seen) == 1 and seen[0].type == "ERROR"
    status: dict[str, Any] = seen[0].object
    assert status["code"] == 410 and status["reason"] == "Expired"
    assert status["message"].startswith(f"too old resource version: {old} (")
    assert not watch.active


def test_a_stopped_watch_receives_nothing_and_is_forgotten(cluster: Cluster) -> None:
    seen: list[WatchEvent] = []
    watch = cluster.api.watch("pods", seen.append)
    watches_before = len(cluster.api.caches["pods"].watches())
    watch.stop()
    cluster.api.create("pods", pod("a"), actor="kubectl")
    run(cluster)
    assert seen == []
    assert len(cluster.api.caches["pods"].watches()) == watches_before - 1


def test_bookmarks_carry_the_current_resource_version(cluster: Cluster) -> None:
    seen: list[WatchEvent] = []
    cluster.api.watch("pods", seen.append, allow_bookmarks=True)
    cluster.api.create("pods", pod("a"), actor="kubectl")
    cluster.advance(61)
    bookmarks = [e for e in seen if e.type == "BOOKMARK"]
    assert bookmarks and bookmarks[0].object == {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": str(cluster.store.revision)},
    }


def test_the_api_server_compacts_history_older_than_one_interval(cluster: Cluster) -> None:
    cluster.api.create("pods", pod("a"), actor="kubectl")
    seen_at = cluster.store.revision
    cluster.advance(301)
    cluster.api.create("pods", pod("b"), actor="kubectl")
    cluster.advance(300)
    assert cluster.store.compacted >= seen_at


def test_a_no_op_update_does_not_write(cluster: Cluster) -> None:
    created = cluster.api.create("pods", pod("a"), actor="kubectl")
    before = cluster.store.revision
    cluster.api.update("pods", created, actor="kubectl")
    assert cluster.store.revision == before


def test_a_patch_merges_labels_into_a_node(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(without=("controller-manager", "scheduler"))
    patched = cluster.api.patch(
        "nodes", "node01", {"metadata": {"labels": {"cz": "alice"}}}, actor="kubectl"
    )
    assert patched["metadata"]["labels"]["cz"] == "alice"
    assert patched["metadata"]["labels"]["kubernetes.io/hostname"] == "node01"


def test_an_unknown_resource_is_not_found(cluster: Cluster) -> None:
    with pytest.raises(errors.NotFound, match="the server could not find the requested resource"):
        cluster.api.list("widgets")


def test_a_spec_change_raises_the_generation_of_a_kind_with_scheme_defaults(
    cluster: Cluster,
) -> None:
    """StatefulSets declare defaults (their on_write makes new metadata): the generation still
    follows the spec, and an update that leaves the spec alone keeps it."""
    template = {
        "metadata": {"labels": {"a": "b"}},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
    }
    spec = {"serviceName": "s", "selector": {"matchLabels": {"a": "b"}}, "template": template}
    created = cluster.api.create(
        "statefulsets",
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "x"}, "spec": spec},
    )
    assert created["metadata"]["generation"] == 1
    scaled = cluster.api.update("statefulsets", {**created, "spec": {**spec, "replicas": 3}})
    assert scaled["metadata"]["generation"] == 2
    labelled = {**scaled, "metadata": {**scaled["metadata"], "labels": {"x": "y"}}}
    assert cluster.api.update("statefulsets", labelled)["metadata"]["generation"] == 2
