"""`listwatch view TRACE` and `listwatch run --html`: a recorded run in the web view."""

from __future__ import annotations

import http.client
import io
import json
import random
import threading
from pathlib import Path

from listwatch import cli, errors
from listwatch.web import page, viewing


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


def test_a_record_of_the_wrong_shape_is_named_by_its_line(tmp_path: Path) -> None:
    trace = tmp_path / "odd.jsonl"
    trace.write_text(
        '{"type": "ADDED", "object": {"kind": "Node", "metadata": {"name": "n1"}}}\n'
        '{"type": "STEP", "step": "LW-02", "time": "soon"}\n',
        encoding="utf-8",
    )
    err = io.StringIO()
    assert cli.main(["view", str(trace), "--html", str(tmp_path / "v.html")], err=err) == 1
    assert err.getvalue().startswith(f"error: {trace}:2: the web view cannot read this STEP record")
    assert not (tmp_path / "v.html").exists()


def test_mutated_traces_are_viewed_or_refused_with_their_line_never_a_crash(
    tmp_path: Path,
) -> None:
    lines = run_with_trace(tmp_path).read_text(encoding="utf-8").splitlines()
    chance = random.Random(7)
    odd_values: list[object] = [None, 0, -1, 1e308, "", "x", [], {}, [1], {"a": 1}, True]
    for case in range(25):
        records = [json.loads(line) for line in lines]
        for _ in range(3):
            target = chance.choice(records)
            path: list[object] = []
            node: object = target
            while isinstance(node, dict | list) and node and chance.random() < 0.8:
                key = (
                    chance.choice(list(node))
                    if isinstance(node, dict)
                    else chance.randrange(len(node))
                )
                path.append(key)
                node = node[key]  # type: ignore[index]
            if path:
                parent: object = target
                for key in path[:-1]:
                    parent = parent[key]  # type: ignore[index]
                parent[path[-1]] = chance.choice(odd_values)  # type: ignore[index]
        trace = tmp_path / f"mutated-{case}.jsonl"
        trace.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
        try:
            page.write_report(viewing.read(None, str(trace)), tmp_path / "v.html")
        except errors.ListwatchError as exc:
            assert str(exc).startswith(f"{trace}:"), exc
