"""The MVCC store: one global revision, history since the compaction point, compare-and-swap."""

from __future__ import annotations

import pytest

from listwatch import errors
from listwatch.store.mvcc import DELETE, PUT, KeyExistsError, MVCCStore, RevisionMismatchError


def test_every_write_takes_the_next_global_revision() -> None:
    store = MVCCStore()
    a = store.create("/registry/pods/default/a", 1)
    b = store.create("/registry/nodes/n1", 2)
    a2 = store.update("/registry/pods/default/a", 3)
    assert (a.mod_revision, b.mod_revision, a2.mod_revision) == (1, 2, 3)
    assert a2.create_revision == 1 and a2.version == 2
    assert store.revision == 3


def test_range_reads_one_resource_sorted_with_the_read_revision() -> None:
    store = MVCCStore()
    store.create("/registry/pods/default/b", "b")
    store.create("/registry/pods/default/a", "a")
    store.create("/registry/nodes/n1", "n")
    items, revision = store.range("/registry/pods/")
    assert [kv.key for kv in items] == ["/registry/pods/default/a", "/registry/pods/default/b"]
    assert revision == 3
    assert [kv.value for kv in store.range("/registry/")[0]] == ["n", "a", "b"]


def test_events_since_follow_the_worked_example_of_the_docstring() -> None:
    store = MVCCStore()
    store.create("a", 1)
    store.create("b", 1)
    store.update("a", 2)
    store.delete("b")
    store.compact(2)
    assert [(e.type, e.kv.key, e.revision) for e in store.events_since(2)] == [
        (PUT, "a", 3),
        (DELETE, "b", 4),
    ]
    with pytest.raises(errors.CompactedError) as caught:
        store.events_since(1)
    assert caught.value.requested == 1 and caught.value.compacted == 2
    store.compact(4)
    assert store.events_since(4) == []


def test_a_delete_event_carries_the_value_it_removed() -> None:
    store = MVCCStore()
    store.create("k", "v")
    store.delete("k")
    (event,) = store.events_since(1)
    assert event.type == DELETE and event.prev is not None and event.prev.value == "v"
    assert store.get("k") is None


def test_compare_and_swap_refuses_a_stale_revision() -> None:
    store = MVCCStore()
    first = store.create("k", 1)
    store.update("k", 2, expect_mod_revision=first.mod_revision)
    with pytest.raises(RevisionMismatchError):
        store.update("k", 3, expect_mod_revision=first.mod_revision)
    assert store.get("k").value == 2  # type: ignore[union-attr]


def test_creating_an_existing_key_fails_without_a_new_revision() -> None:
    store = MVCCStore()
    store.create("k", 1)
    with pytest.raises(KeyExistsError):
        store.create("k", 2)
    assert store.revision == 1


def test_a_future_revision_is_an_error() -> None:
    store = MVCCStore()
    with pytest.raises(errors.FutureRevisionError):
        store.events_since(5)


def test_range_at_a_past_revision_rewinds_the_docstrings_worked_example() -> None:
    store = MVCCStore()
    store.create("a", 1)
    store.create("b", 1)
    store.update("a", 2)
    store.delete("b")
    store.compact(2)
    assert [(kv.key, kv.value) for kv in store.range_at("", 2)] == [("a", 1), ("b", 1)]
    assert [(kv.key, kv.value) for kv in store.range_at("", 3)] == [("a", 2), ("b", 1)]
    assert [(kv.key, kv.value) for kv in store.range_at("", 4)] == [("a", 2)]
    with pytest.raises(errors.CompactedError):
        store.range_at("", 1)


def test_range_at_leaves_out_keys_created_later_and_keeps_deleted_and_recreated_ones() -> None:
    store = MVCCStore()
    store.create("/registry/pods/default/old", "v1")
    mark = store.revision
    store.delete("/registry/pods/default/old")
    store.create("/registry/pods/default/old", "v2")
    store.create("/registry/pods/default/new", "n")
    store.create("/registry/nodes/n1", "node")
    past = store.range_at("/registry/pods/", mark)
    assert [(kv.key, kv.value, kv.mod_revision) for kv in past] == [
        ("/registry/pods/default/old", "v1", 1)
    ]
    assert [kv.value for kv in store.range_at("/registry/pods/", store.revision)] == ["n", "v2"]
