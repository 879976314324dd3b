"""Reading a trace in the shapes users save: JSON Lines, kubectl's watch output, a JSON array."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from listwatch.errors import ListwatchError
from listwatch.render import tracefile

POD = {"kind": "Pod", "metadata": {"name": "web", "namespace": "default", "uid": "u1"}}
STEP = {"type": "STEP", "step": "LW-02", "observable": True}


def test_json_lines_are_read_record_by_record() -> None:
    text = json.dumps({"type": "ADDED", "object": POD}) + "\n" + json.dumps(STEP) + "\n\n"
    assert [r["type"] for r in tracefile.parse(text)] == ["ADDED", "STEP"]


def test_pretty_printed_watch_output_from_kubectl_is_read_as_a_stream_of_objects() -> None:
    text = json.dumps({"type": "ADDED", "object": POD}, indent=4) + "\n" + json.dumps({"type": "MODIFIED", "object": POD}, indent=4)
    assert [r["type"] for r in tracefile.parse(text)] == ["ADDED", "MODIFIED"]


def test_an_array_of_bare_objects_is_added_then_modified_per_object() -> None:
    other = {"kind": "Pod", "metadata": {"name": "db", "namespace": "default", "uid": "u2"}}
    records = tracefile.parse(json.dumps([POD, POD, other, POD]))
    assert [(r["type"], r["object"]["metadata"]["uid"]) for r in records] == [
        ("ADDED", "u1"),
        ("MODIFIED", "u1"),
        ("ADDED", "u2"),
        ("MODIFIED", "u1"),
    ]


def test_a_bare_event_is_an_object_even_though_it_has_a_type_of_its_own() -> None:
    event = {"kind": "Event", "type": "Normal", "reason": "Scheduled", "metadata": {"name": "e", "uid": "e1"}}
    assert tracefile.parse(json.dumps([event])) == [{"type": "ADDED", "object": event}]


def test_a_kubernetes_list_gives_its_items() -> None:
    text = json.dumps({"kind": "List", "apiVersion": "v1", "items": [POD, POD]})
    assert [r["type"] for r in tracefile.parse(text)] == ["ADDED", "MODIFIED"]


def test_bad_json_is_refused_with_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text(json.dumps(STEP) + "\n{not json\n")
    with pytest.raises(ListwatchError, match=r"run.jsonl:2: not JSON"):
        tracefile.read(path)


def test_a_value_that_is_neither_a_record_nor_an_object_is_refused() -> None:
    with pytest.raises(ListwatchError, match="value 1: expected a watch record"):
        tracefile.parse('{"metadata": {}}')
    with pytest.raises(ListwatchError, match="expected a JSON object, found int"):
        tracefile.parse("[1]")


def test_a_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ListwatchError, match="cannot read the trace"):
        tracefile.read(tmp_path / "absent.jsonl")
