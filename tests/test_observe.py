"""`listwatch record` and `listwatch check --follow` against `listwatch serve`, each in a process of
its own as a user runs them, stopped by SIGTERM."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

from listwatch.engine import Engine
from tests.served import official_client, serving

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class Lines:
    """A stream's lines, read on a thread of their own, waited for with a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)

    def rest(self) -> str:
        """Everything, once the stream has ended."""
        self._reader.join(30)
        while not self._queue.empty():
            self.seen.append(self._queue.get())
        return "".join(self.seen)

    def wait_for(self, text: str, *, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} in {timeout} s: {self.seen}")


@contextmanager
def listwatch(*argv: str) -> Iterator[tuple[subprocess.Popen[str], Lines, Lines]]:
    """`python -m listwatch ARGV` with its stdout and stderr read line by line; killed if a test
    leaves it running."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "listwatch", *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        yield proc, Lines(proc.stdout), Lines(proc.stderr)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def a_pod(name: str, **spec: Any) -> Any:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx")], **spec),
    )


def test_check_follow_prints_a_bind_that_breaks_a_node_selector_when_it_happens(
    engine: Engine,
) -> None:
    with serving(engine, without=("scheduler",)) as server, official_client(server) as api:
        v1 = client.CoreV1Api(api)
        with listwatch("check", "--follow", "--kubeconfig", str(server.kubeconfig)) as (
            proc,
            out,
            err,
        ):
            err.wait_for("watching pods and events")
            v1.create_namespaced_pod("default", a_pod("picky", node_selector={"disk": "ssd"}))
            binding = client.V1Binding(
                metadata=client.V1ObjectMeta(name="picky"),
                target=client.V1ObjectReference(kind="Node", name="node01"),
            )
            bound_at = time.monotonic()
            v1.create_namespaced_binding("default", binding, _preload_content=False)
            line = out.wait_for("default/picky")
            delay = time.monotonic() - bound_at
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 1
            report = out.rest()
        assert line.startswith("live:") and "LW-10" in line and "node01" in line, line
        print(f"violation printed {delay:.2f} s after the bind")
        assert "FAILED" in report.splitlines()[-1], report


def test_record_writes_a_trace_that_check_accepts(engine: Engine, tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    with serving(engine) as server, official_client(server) as api:
        v1 = client.CoreV1Api(api)
        with listwatch("record", "--kubeconfig", str(server.kubeconfig), "-o", str(trace)) as (
            proc,
            _,
            err,
        ):
            err.wait_for("watching pods and events")
            v1.create_namespaced_pod("default", a_pod("recorded"))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not _running(trace, "recorded"):
                time.sleep(0.1)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
            err.wait_for("recorded ")
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    kinds = {(r.get("object") or r).get("kind") for r in records}
    assert {"Pod", "Event", "Node"} <= kinds, kinds
    reasons = [
        r["object"].get("reason") for r in records if r.get("object", {}).get("kind") == "Event"
    ]
    assert "Scheduled" in reasons and "Started" in reasons, reasons
    checked = subprocess.run(
        [sys.executable, "-m", "listwatch", "check", str(trace)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "default/recorded" in checked.stdout and "pass" in checked.stdout, checked.stdout


def _running(trace: Path, name: str) -> bool:
    for line in trace.read_text().splitlines() if trace.exists() else ():
        obj = json.loads(line).get("object") or {}
        if (
            obj.get("kind") == "Pod"
            and obj["metadata"]["name"] == name
            and (obj.get("status") or {}).get("phase") == "Running"
        ):
            return True
    return False


def test_check_wants_a_trace_or_follow_but_not_both(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_text("")
    for argv in (["check"], ["check", str(trace), "--follow"]):
        done = subprocess.run(
            [sys.executable, "-m", "listwatch", *argv],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 1, done
        assert done.stderr.startswith("error: check: give a TRACE"), done.stderr
