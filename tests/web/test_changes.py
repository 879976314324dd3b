"""The change a write made, leaf by leaf, as the timeline shows it."""

from __future__ import annotations

from listwatch.web import changes
from listwatch.web.changes import Change


def test_each_leaf_added_removed_or_changed_is_named_by_its_path() -> None:
    old = {"metadata": {"name": "a", "labels": {"x": "1"}}, "spec": {"nodeName": None}}
    new = {"metadata": {"name": "a", "annotations": {"y": "2"}}, "spec": {"nodeName": "node02"}}
    assert changes.diff(old, new) == [
        Change("metadata.annotations.y", None, "2"),
        Change("metadata.labels.x", "1", None),
        Change("spec.nodeName", None, "node02"),
    ]
    assert [c.op for c in changes.diff(old, new)] == ["add", "remove", "add"]


def test_conditions_and_containers_are_told_apart_by_their_merge_key_not_their_place() -> None:
    old = {"status": {"conditions": [{"type": "PodScheduled", "status": "True"}]}}
    new = {
        "status": {
            "conditions": [
                {"type": "Initialized", "status": "True"},
                {"type": "PodScheduled", "status": "True"},
            ]
        }
    }
    assert changes.diff(old, new) == [
        Change("status.conditions[type=Initialized].status", None, "True")
    ]


def test_lists_without_a_merge_key_are_compared_by_index() -> None:
    assert changes.diff({"a": [1, 2]}, {"a": [1, 3, 4]}) == [
        Change("a[1]", 2, 3),
        Change("a[2]", None, 4),
    ]


def test_bookkeeping_every_write_changes_is_left_out() -> None:
    old = {"kind": "Pod", "metadata": {"resourceVersion": "1", "managedFields": [{"manager": "a"}]}}
    new = {"kind": "Pod", "metadata": {"resourceVersion": "2", "managedFields": [{"manager": "b"}]}}
    assert changes.diff(old, new) == []


def test_a_new_object_is_every_leaf_added_and_a_long_list_is_cut_and_counted() -> None:
    new = {"data": {f"k{i:02}": str(i) for i in range(changes.MOST + 5)}}
    found = changes.diff(None, new)
    assert len(found) == changes.MOST + 5 and all(c.op == "add" for c in found)
    shown = changes.as_json(found)
    assert len(shown["changes"]) == changes.MOST and shown["more"] == 5
    assert shown["changes"][0] == {"op": "add", "path": "data.k00", "old": None, "new": "0"}
