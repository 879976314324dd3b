"""The trace writer: an EXPLAIN record is written as it is handed over, one JSON line, and reads
back as its own record type."""

from __future__ import annotations

import io
import json

from listwatch import tracefile
from listwatch.trace import EXPLAIN, TraceWriter


def test_an_explanation_is_one_json_line_of_type_explain() -> None:
    stream = io.StringIO()
    writer = TraceWriter.to_stream(stream)
    record = {
        "type": "EXPLAIN",
        "time": 2.5,
        "attempt": 1,
        "pod": {"namespace": "default", "name": "web", "uid": "u1"},
        "evaluated": 1,
        "total": 1,
        "filters": [],
        "nodes": [],
        "ranking": ["node01"],
        "chosen": "node01",
        "message": "",
    }
    writer.explain(record)
    assert writer.records == 1
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and json.loads(lines[0]) == record
    (read,) = tracefile.parse(stream.getvalue())
    assert read.type == EXPLAIN == tracefile.EXPLAIN
    assert read.object["chosen"] == "node01" and read.line == 1
