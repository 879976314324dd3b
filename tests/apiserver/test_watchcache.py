"""The watch cache's own watch on etcd: broken, resumed from the last revision, re-listed on
ErrCompacted."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from listwatch.apiserver.selectors import parse_field_selector, parse_label_selector
from listwatch.apiserver.watchcache import WatchCache, WatchEvent
from listwatch.cluster import Cluster
from tests.builders import pod


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    # No components: the API server alone, so that nothing else writes.
    return make_cluster(without=("controller-manager", "scheduler", "kubelet"))


def pods_cache(cluster: Cluster) -> WatchCache:
    return cluster.api.caches["pods"]


def client_watch(cache: WatchCache, seen: list[WatchEvent], *, rv: str) -> None:
    cache.watch(
        seen.append,
        labels=parse_label_selector(""),
        fields=parse_field_selector(""),
        resource_version=rv,
    )


def test_a_resumed_watch_sends_what_it_missed_once_to_the_clients_that_stayed(
    cluster: Cluster,
) -> None:
    cache = pods_cache(cluster)
    seen: list[WatchEvent] = []
    client_watch(cache, seen, rv=str(cluster.store.revision))
    cache.interrupt()
    assert cache.etcd_watcher.etcd_watch == "Cancelled" and not cache.connected
    cluster.api.create("pods", pod("web"), actor="kubectl")
    cluster.loop.run()
    assert seen == [] and cache.revision < cluster.store.revision
    cache.resume()
    cluster.loop.run()
    assert [(e.type, e.object["metadata"]["name"]) for e in seen] == [("ADDED", "web")]
    assert cache.connected and cache.lists == 1 and cache.revision == cluster.store.revision


def test_a_watch_resumed_past_a_compaction_relists_and_ends_every_client_watch(
    cluster: Cluster,
) -> None:
    cache = pods_cache(cluster)
    before = str(cluster.store.revision)
    seen: list[WatchEvent] = []
    client_watch(cache, seen, rv=before)
    cache.interrupt()
    cluster.api.create("pods", pod("web"), actor="kubectl")
    cluster.store.compact(cluster.store.revision)
    cache.resume()
    assert cache.etcd_watcher.etcd_watch == "Compacted"
    cluster.loop.run()
    assert cache.connected and cache.lists == 2 and cache.revision == cluster.store.revision
    assert seen == [] and cache.watches() == []  # ended, not sent what it missed


def test_after_a_relist_a_watch_from_before_the_list_is_gone_and_one_from_the_list_sees_new_pods(
    cluster: Cluster,
) -> None:
    cache = pods_cache(cluster)
    cluster.api.create("pods", pod("old"), actor="kubectl")
    before = str(cluster.store.revision)
    cache.interrupt()
    cluster.api.create("pods", pod("web"), actor="kubectl")
    cluster.store.compact(cluster.store.revision)
    cache.resume()
    cluster.loop.run()
    listed = str(cluster.store.revision)
    stale: list[WatchEvent] = []
    client_watch(cache, stale, rv=before)
    fresh: list[WatchEvent] = []
    client_watch(cache, fresh, rv=listed)
    cluster.api.create("pods", pod("new"), actor="kubectl")
    cluster.loop.run()
    assert [e.type for e in stale] == ["ERROR"]
    assert stale[0].object["code"] == 410
    assert stale[0].object["message"] == f"too old resource version: {before} ({listed})"
    assert [(e.type, e.object["metadata"]["name"]) for e in fresh] == [("ADDED", "new")]


def test_a_cancelled_etcd_watch_gets_nothing_already_committed_but_not_yet_delivered(
    cluster: Cluster,
) -> None:
    cache = pods_cache(cluster)
    seen: list[WatchEvent] = []
    client_watch(cache, seen, rv=str(cluster.store.revision))
    cluster.api.create("pods", pod("web"), actor="kubectl")  # committed; delivery is queued
    cache.interrupt()
    cluster.loop.run()
    assert seen == []
    cache.resume()
    cluster.loop.run()
    assert [e.object["metadata"]["name"] for e in seen] == ["web"]


def test_watchers_that_see_the_same_change_get_the_same_event_and_others_their_own(
    cluster: Cluster,
) -> None:
    cache = pods_cache(cluster)
    rv = str(cluster.store.revision)
    first: list[WatchEvent] = []
    second: list[WatchEvent] = []
    labelled: list[WatchEvent] = []
    client_watch(cache, first, rv=rv)
    client_watch(cache, second, rv=rv)
    cache.watch(
        labelled.append,
        labels=parse_label_selector("app=web"),
        fields=parse_field_selector(""),
        resource_version=rv,
    )
    cluster.api.create("pods", pod("a", labels={"app": "db"}))
    cluster.api.patch("pods", "a", {"metadata": {"labels": {"app": "web"}}}, namespace="default")
    cluster.loop.run()
    assert [e.type for e in first] == ["ADDED", "MODIFIED"]
    assert all(a is b for a, b in zip(first, second, strict=True))  # one event, encoded once
    assert [e.type for e in labelled] == ["ADDED"]  # the label came: ADDED for this watcher
    assert labelled[0] is not first[1] and labelled[0].object is first[1].object
