"""Reading traces: every shape a watch gets saved in, each record at the line where it starts, and
bad input refused."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from listwatch import tracefile
from listwatch.tracefile import TraceError
from tests.conftest import REAL_WORLD

JSON_LINES = """\
{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","uid":"u1","resourceVersion":"1"}}}

{"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"a","uid":"u1","resourceVersion":"2"}}}
{"type":"STEP","step":"LW-10","observable":true,"object":{"kind":"Pod","name":"a","uid":"u1"}}
"""

#: What `kubectl get pods,events -w -o json --output-watch-events` prints: pretty objects, one after
#: another.
KUBECTL_WATCH = """\
{
    "type": "ADDED",
    "object": {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "a", "uid": "u1", "resourceVersion": "1"}
    }
}
{
    "type": "ADDED",
    "object": {
        "apiVersion": "v1",
        "kind": "Event",
        "involvedObject": {"kind": "Pod", "name": "a", "uid": "u1"},
        "reason": "Scheduled",
        "type": "Normal"
    }
}
{
    "type": "BOOKMARK",
    "object": {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": "12746"}}
}
"""

#: What `kubespy record` saves: a JSON array of successive objects, without watch event types.
ARRAY_OF_OBJECTS = """\
[
  {
    "kind": "Pod",
    "metadata": {"name": "a", "resourceVersion": "1"}
  },
  {
    "kind": "Pod",
    "metadata": {"name": "a", "resourceVersion": "2"}
  }
]
"""

#: What an API server's list answers: the items carry no kind of their own.
POD_LIST = """\
{
  "apiVersion": "v1",
  "kind": "PodList",
  "metadata": {"resourceVersion": "10245"},
  "items": [
    {"metadata": {"name": "a"}},
    {
      "metadata": {"name": "b", "labels": {"items": "not the list's"}}
    }
  ]
}
"""

#: A 410 Gone ending a watch, as the API server sends it, then the re-list's ADDED.
WATCH_EXPIRED = (
    '{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},'
    '"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired",'
    '"code":410}}\n'
    '{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","uid":"u1",'
    '"resourceVersion":"6"}}}\n'
)


def shape(records: list[tracefile.Record]) -> list[tuple[int, str | None, str]]:
    return [(r.line, r.type, str(r.object.get("kind", ""))) for r in records]


def test_json_lines_are_read_one_record_a_line_skipping_blank_lines() -> None:
    records = tracefile.parse(JSON_LINES)
    assert shape(records) == [(1, "ADDED", "Pod"), (3, "MODIFIED", "Pod"), (4, "STEP", "")]


def test_a_step_record_is_kept_whole() -> None:
    step = tracefile.parse(JSON_LINES)[2]
    assert step.object["step"] == "LW-10" and step.object["object"]["uid"] == "u1"


def test_pretty_printed_watch_events_are_read_each_at_the_line_where_it_starts() -> None:
    records = tracefile.parse(KUBECTL_WATCH)
    assert shape(records) == [(1, "ADDED", "Pod"), (9, "ADDED", "Event"), (19, "BOOKMARK", "Pod")]


def test_an_events_own_type_does_not_make_a_bare_event_a_watch_event() -> None:
    bare = '{"kind": "Event", "type": "Warning", "reason": "FailedScheduling"}\n'
    assert shape(tracefile.parse(bare)) == [(1, None, "Event")]


def test_an_array_of_objects_yields_each_object_at_its_first_line_without_a_type() -> None:
    assert shape(tracefile.parse(ARRAY_OF_OBJECTS)) == [(2, None, "Pod"), (6, None, "Pod")]


def test_a_list_yields_its_items_at_their_own_lines_with_the_lists_kind() -> None:
    records = tracefile.parse(POD_LIST)
    assert shape(records) == [(6, None, "Pod"), (7, None, "Pod")]
    assert [r.object["metadata"]["name"] for r in records] == ["a", "b"]


def test_error_and_bookmark_records_are_watch_records() -> None:
    records = tracefile.parse(WATCH_EXPIRED)
    assert shape(records) == [(1, "ERROR", "Status"), (2, "ADDED", "Pod")]
    assert records[0].object["code"] == 410


def test_several_values_on_one_line_and_a_byte_order_mark_are_read() -> None:
    text = '\ufeff{"kind":"Pod","metadata":{"name":"a"}} {"kind":"Pod","metadata":{"name":"b"}}\n'
    assert [r.object["metadata"]["name"] for r in tracefile.parse(text)] == ["a", "b"]


def test_a_broken_json_line_is_refused_naming_its_line_before_the_next_is_read() -> None:
    text = (
        '{"type":"ADDED","object":{"kind":"Pod"}}\n'
        '{"type":"ADDED","object":{"kind":"Pod"\n'
        '{"type":"ADDED","object":{}}\n'
    )
    records = tracefile.decode(io.StringIO(text), name="run.jsonl")
    assert next(records).line == 1
    with pytest.raises(
        TraceError,
        match=r"^run\.jsonl:3: expected valid JSON: Expecting ',' delimiter .*\(in the value that "
        r"starts at line 2\)",
    ):
        next(records)


def test_invalid_json_inside_a_pretty_printed_value_names_the_line_of_the_mistake() -> None:
    text = '{\n  "type": "ADDED",\n  "object": {\n    "kind": "Pod",\n    "x": [1 2]\n  }\n}\n'
    with pytest.raises(
        TraceError,
        match=r"^t:5: expected valid JSON: Expecting ',' delimiter at column 13 \(in the value "
        r"that starts at line 1\)",
    ):
        tracefile.parse(text, name="t")


def test_a_trace_cut_inside_a_value_names_the_line_where_the_value_starts() -> None:
    text = '{"type":"ADDED","object":{"kind":"Pod"}}\n{\n  "type": "MODIFIED",\n  "object": {\n'
    with pytest.raises(
        TraceError,
        match=r"^t:2: expected a complete JSON value; the input ends inside the one that starts "
        r"here",
    ):
        tracefile.parse(text, name="t")


def test_an_unclosed_array_names_the_line_where_it_opened() -> None:
    with pytest.raises(
        TraceError,
        match=r"^t:2: expected `\]`: the input ends inside the JSON array opened at line 1",
    ):
        tracefile.parse('[\n {"kind": "Pod"},\n', name="t")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"foo": 1}\n',
            "expected a watch event (`type` and `object`), a STEP record or a Kubernetes object "
            "(`kind`); found neither `type` nor `kind`",
        ),
        (
            '{"type": "CHANGED", "object": {}}\n',
            "expected a record type of ADDED, MODIFIED, DELETED, BOOKMARK, ERROR, STEP or EXPLAIN, "
            "found 'CHANGED'",
        ),
        (
            '{"type": "ADDED", "object": [1]}\n',
            "expected the ADDED watch event's `object` to be a JSON object, found an array",
        ),
        (
            '"a string"\n',
            "expected a JSON object (a watch event, a STEP record or a Kubernetes object), found "
            "a string",
        ),
        (
            '{"kind": "PodList", "items": [3]}\n',
            "expected each item of a PodList to be a JSON object, found a number",
        ),
    ],
)
def test_a_value_that_is_no_record_is_refused_saying_what_was_expected(
    text: str, expected: str
) -> None:
    with pytest.raises(TraceError) as caught:
        tracefile.parse(text, name="t")
    assert str(caught.value) == f"t:1: {expected}"


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(TraceError, match=rf"^{missing}: cannot be read: No such file or directory"):
        list(tracefile.read(missing))


def test_bytes_that_are_not_utf8_are_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"kind":"Pod"}\n{"kind":"Pod","metadata":{"name":"caf\xe9"}}\n')
    with pytest.raises(
        TraceError,
        match=r"latin1\.jsonl:2: expected UTF-8 text: invalid continuation byte at column 38$",
    ):
        list(tracefile.read(path))


def test_a_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(JSON_LINES))
    assert [r.line for r in tracefile.read("-")] == [1, 3, 4]


def test_values_already_parsed_are_numbered_by_position() -> None:
    values = [json.loads(line) for line in JSON_LINES.splitlines() if line]
    assert shape(list(tracefile.records_of(values))) == [
        (1, "ADDED", "Pod"),
        (2, "MODIFIED", "Pod"),
        (3, "STEP", ""),
    ]


@pytest.mark.skipif(
    not REAL_WORLD.is_dir(),
    reason=f"the real-world recordings are not here ({REAL_WORLD}); CI has them",
)
@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("21_watch_pod_create_success.json", [2, 72, 151, 269]),
        ("22_watch_pod_errimagepull_imagepullbackoff.json", [2, 72, 151, 269, 389]),
        ("24_watch_pod_unschedulable_insufficient_memory.json", [2, 76]),
        ("27_watch_pod_completed_restart_never_succeeded.json", [2, 75, 157, 278]),
        ("29_watch_raw_pod_create_to_running_2017.jsonl", [1, 2, 3, 4]),
        ("31_watch_raw_pod_create_to_running_2016_v1.2era.jsonl", [1, 2, 3, 4]),
    ],
)
def test_every_real_recording_is_read_each_pod_state_at_its_first_line(
    name: str, lines: list[int]
) -> None:
    records = list(tracefile.read(REAL_WORLD / name))
    assert [r.line for r in records] == lines
    assert {r.object["kind"] for r in records} == {"Pod"}
    text = (REAL_WORLD / name).read_text().splitlines()
    assert all(text[line - 1].strip().startswith("{") for line in lines)
