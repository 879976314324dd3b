"""`listwatch view TRACE` and `listwatch run --html`: a recorded run in the web view."""

from __future__ import annotations

import http.client
import io
import json
import threading
from pathlib import Path

from listwatch import cli


def run_with_trace(tmp_path: Path) -> Path:
    trace = tmp_path / "run.jsonl"
    out = io.StringIO()
    assert cli.main(["run", "--trace", str(trace)], out=out, err=io.StringIO()) == 0
    return trace


def test_run_html_writes_one_file_with_every_pod_and_its_timeline(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    out = io.StringIO()
    assert cli.main(["run", "--html", str(report)], out=out, err=io.StringIO()) == 0
    assert f"web view of this run: {report}" in out.getvalue()
    text = report.read_text(encoding="utf-8")
    data = json.loads(text.split('type="application/json">')[1].split("</script>")[0])
    names = sorted(r["cells"][1] for r in data["pods"])
    assert names == ["pod-example", "pod-example-selector"]
    for detail in data["details"].values():
        assert [e["step"] for e in detail["timeline"] if e["kind"] == "step"][-1] == "LW-13"
    machines = {m["name"]: m["counts"] for m in data["machines"]}
    assert machines["pod-phase"]["Running"] == 2
    assert machines["scheduling"]["Bound"] == 1  # pod-example names its node: never queued


def test_view_html_writes_the_recorded_runs_view(tmp_path: Path) -> None:
    trace = run_with_trace(tmp_path)
    report = tmp_path / "view.html"
    out = io.StringIO()
    assert cli.main(["view", str(trace), "--html", str(report)], out=out, err=io.StringIO()) == 0
    data = json.loads(report.read_text().split('type="application/json">')[1].split("</script>")[0])
    assert data["mode"] == "trace" and len(data["pods"]) == 2
    explained = [a["chosen"] for d in data["details"].values() for a in d["explanations"]]
    assert explained == ["node02"]  # pod-example names its node: no attempt


def test_view_serves_the_trace_read_only_until_stopped(tmp_path: Path) -> None:
    trace = run_with_trace(tmp_path)
    args = cli.build_parser().parse_args(["view", str(trace)])
    args.stop_event = threading.Event()
    out, err = io.StringIO(), io.StringIO()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(cli.viewing.command(args, out, err)))
    thread.start()
    try:
        for _ in range(200):
            if "UI: " in out.getvalue():
                break
            thread.join(0.05)
        url = out.getvalue().split("UI: ")[1].split("\n")[0]
        port, token = int(url.split(":")[2].split("/")[0]), url.split("token=")[1]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", f"/api/changes?since=0&token={token}")
        changed = json.loads(connection.getresponse().read())
        connection.close()
        assert changed["closed"] and len(changed["pods"]) == 2
    finally:
        args.stop_event.set()
        thread.join(10)
    assert result == [0] and "read-only" in out.getvalue()


def test_a_trace_that_cannot_be_read_names_its_line_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    trace = tmp_path / "bad.jsonl"
    trace.write_text('{"type": "ADDED", "object": {"kind": "Pod"}}\n{"type": \n', encoding="utf-8")
    report = tmp_path / "view.html"
    err = io.StringIO()
    assert cli.main(["view", str(trace), "--html", str(report)], out=io.StringIO(), err=err) == 1
    assert err.getvalue().startswith(f"error: {trace}:2: ") and not report.exists()
