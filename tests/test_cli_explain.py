"""`listwatch explain POD`: the tutorial's run simulated, or a live cluster; `serve --explain` and
the annotation, read with the real kubectl; the EXPLAIN records of `run --trace`."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from listwatch import checker, tracefile
from listwatch.cli import main
from listwatch.components.scheduler.explain import ANNOTATION
from listwatch.engine import Engine
from listwatch.server import add_arguments, command

KUBECTL = "/usr/bin/kubectl"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_explain_the_tutorials_node_selector_pod() -> None:
    code, out, err = run("explain", "pod-example-selector")
    assert code == 0, err
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if "node0" in line}
    assert rows["node01"] == ["Passed", "Passed", "Passed", "Rejected", "Skipped", "no"]
    assert rows["node02"] == ["Passed", "Passed", "Passed", "Passed", "Passed", "yes"]
    assert "node01: NodeAffinity: node(s) didn't match Pod's node affinity/selector" in out
    assert "2 of 2 node(s) evaluated" in out
    assert out.rstrip().endswith("Chosen: node02")


def test_a_pod_that_names_its_node_has_nothing_to_explain() -> None:
    code, out, _ = run("explain", "pod-example")
    assert code == 0
    assert "names its node (spec.nodeName: node01): the scheduler never sees it" in out


def test_an_unknown_pod_is_one_error_line_and_exit_1() -> None:
    code, out, err = run("explain", "nope", "-n", "default")
    assert code == 1 and out == ""
    assert err.startswith('error: pods "nope" not found in namespace default')
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_run_trace_holds_explain_records_and_still_checks(tmp_path: Path, engine: Engine) -> None:
    trace = tmp_path / "run.jsonl"
    code, _, err = run("run", "--trace", str(trace))
    assert code == 0, err
    records = list(tracefile.read(trace))
    explained = [r.object for r in records if r.type == tracefile.EXPLAIN]
    assert [r["pod"]["name"] for r in explained] == ["pod-example-selector"]
    record = explained[0]
    assert record["chosen"] == "node02" and record["attempt"] == 1
    steps = [r.object for r in records if r.type == tracefile.STEP]
    binding = next(s for s in steps if s["step"] == "LW-10")
    assert binding["time"] >= record["time"] > 0
    report = checker.check_records(records, engine.spec)
    assert report.violations == () and report.exit_code() == 0


# -- a served cluster, read with the real kubectl ----------------------------------------------


@contextmanager
def serve(*argv: str) -> Iterator[Path]:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--port", "0", *argv])
    args.stop_event = threading.Event()
    out, err = io.StringIO(), io.StringIO()
    thread = threading.Thread(target=lambda: command(args, out, err))
    thread.start()
    try:
        for _ in range(400):
            if "kubeconfig:" in out.getvalue() or not thread.is_alive():
                break
            thread.join(0.05)
        assert "kubeconfig:" in out.getvalue(), err.getvalue()
        yield Path(out.getvalue().split("kubeconfig: ")[1].split("\n")[0])
    finally:
        args.stop_event.set()
        thread.join(20)


def kubectl(kubeconfig: Path, *argv: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [KUBECTL, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


POD = """apiVersion: v1
kind: Pod
metadata: {name: NAME}
spec:
  nodeSelector: {cz: SELECTOR}
  containers: [{name: nginx, image: nginx:1.14}]
"""


def create(kubeconfig: Path, name: str, selector: str) -> None:
    kubectl(
        kubeconfig,
        "create",
        "-f",
        "-",
        stdin=POD.replace("NAME", name).replace("SELECTOR", selector),
    )


def wait_for(kubeconfig: Path, name: str, jsonpath: str) -> str:
    for _ in range(200):
        value = kubectl(kubeconfig, "get", "pod", name, "-o", f"jsonpath={jsonpath}")
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{name}: {jsonpath} stayed empty")


pytestmark_kubectl = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="no kubectl")


@pytestmark_kubectl
def test_serve_explain_annotates_bound_and_unschedulable_pods() -> None:
    with serve("--explain") as kubeconfig:
        kubectl(kubeconfig, "label", "nodes", "node02", "cz=bob")
        create(kubeconfig, "web", "bob")
        create(kubeconfig, "nowhere", "carol")
        key = ANNOTATION.replace(".", r"\.")
        web = json.loads(wait_for(kubeconfig, "web", f"{{.metadata.annotations.{key}}}"))
        assert wait_for(kubeconfig, "web", "{.spec.nodeName}") == "node02"
        assert web["type"] == "EXPLAIN" and web["chosen"] == "node02"
        node01 = next(n for n in web["nodes"] if n["node"] == "node01")
        assert [f["verdict"] for f in node01["filters"]][3] == "Rejected"
        nowhere = json.loads(wait_for(kubeconfig, "nowhere", f"{{.metadata.annotations.{key}}}"))
        message = wait_for(
            kubeconfig, "nowhere", '{.status.conditions[?(@.type=="PodScheduled")].message}'
        )
        assert nowhere["chosen"] is None
        assert nowhere["message"] == message
        # Its events are what a real cluster's are: Scheduled, nothing about the annotation.
        events = kubectl(
            kubeconfig,
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=web",
            "-o",
            "jsonpath={.items[*].reason}",
        )
        assert "Scheduled" in events.split()
        # `listwatch explain --kubeconfig`: the pod is bound; explained without itself.
        code, out, err = run("explain", "web", "--kubeconfig", str(kubeconfig))
        assert code == 0, err
        assert out.startswith("pod default/web is bound to node02; explained against the cluster")
        assert "Chosen: node02" in out
        code, out, err = run("explain", "missing", "--kubeconfig", str(kubeconfig))
        assert code == 1 and "not found" in err and "Traceback" not in err


@pytestmark_kubectl
def test_without_explain_no_annotation_appears() -> None:
    with serve() as kubeconfig:
        kubectl(kubeconfig, "label", "nodes", "node02", "cz=bob")
        create(kubeconfig, "web", "bob")
        assert wait_for(kubeconfig, "web", "{.spec.nodeName}") == "node02"
        annotations = kubectl(kubeconfig, "get", "pod", "web", "-o", "jsonpath={.metadata}")
        assert "scheduling-explanation" not in annotations
        assert "listwatch.io" not in annotations


def test_serve_explain_without_a_scheduler_serves_as_usual() -> None:
    with serve("--explain", "--without", "scheduler") as kubeconfig:
        assert "node01" in kubectl(kubeconfig, "get", "nodes", "-o", "name")
