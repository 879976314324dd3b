"""The `listwatch` command: the main job, its trace, the spec commands, and bad input."""

from __future__ import annotations

import importlib.metadata
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from listwatch.cli import main
from listwatch.clock import SystemClock
from listwatch.loop import Loop
from listwatch.runtime import dockernames
from tests.conftest import ROOT, SPEC
from tests.dockerengine import BUSYBOX, docker_runtime


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_main_job_prints_the_thirteen_steps_in_order_and_ends_with_two_running_pods() -> None:
    code, out, err = run("run")
    assert code == 0, err
    selector_steps = re.findall(r"\] (LW-\d\d)  .*\n +default/pod-example-selector:", out)
    assert selector_steps == [f"LW-{n:02d}" for n in range(2, 14)]
    assert out.index("LW-01") < out.index("LW-02")
    table = out.split("$ kubectl get pods -o wide\n")[1].split("\n\n")[0].splitlines()
    assert table[0].split() == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED",
        "NODE",
        "READINESS",
        "GATES",
    ]
    rows = {line.split()[0]: line.split() for line in table[1:]}
    assert rows["pod-example"][1:3] == ["1/1", "Running"] and rows["pod-example"][6] == "node01"
    assert (
        rows["pod-example-selector"][1:3] == ["1/1", "Running"]
        and rows["pod-example-selector"][6] == "node02"
    )
    node_name_events = out.split("$ kubectl describe pod pod-example   # its events\n")[1].split(
        "$ kubectl"
    )[0]
    assert "Scheduled" not in node_name_events and "Started container nginx" in node_name_events
    selector_events = out.split("$ kubectl describe pod pod-example-selector   # its events\n")[1]
    assert re.search(
        r"Normal +Scheduled +\S+ +default-scheduler +Successfully assigned "
        r"default/pod-example-selector to node02",
        selector_events,
    )


def test_run_writes_a_trace_of_watch_events_and_steps(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    code, out, err = run("run", "--trace", str(trace))
    assert code == 0, err
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    kinds = {r["type"] for r in records}
    assert {"ADDED", "MODIFIED", "STEP"} <= kinds
    steps = [
        r["step"]
        for r in records
        if r["type"] == "STEP" and r.get("object", {}).get("name") == "pod-example-selector"
    ]
    assert steps == [f"LW-{n:02d}" for n in range(2, 14)]
    pods = [
        r["object"]
        for r in records
        if r["type"] in ("ADDED", "MODIFIED") and r["object"]["kind"] == "Pod"
    ]
    assert pods[-1]["status"]["phase"] == "Running"
    assert f"records written to {trace}" in out


def test_run_applies_user_manifests_with_node_labels(tmp_path: Path) -> None:
    manifest = tmp_path / "pods.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  nodeSelector: {disk: ssd}\n  "
        "containers: [{name: c, image: nginx:1.15}]\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  nodeSelector: {disk: "
        "hdd}\n  containers: [{name: c, image: nginx:1.15}]\n"
    )
    code, out, err = run("run", str(manifest), "--nodes", "n1,n2,n3", "--label", "n3:disk=ssd")
    assert code == 0, err
    rows = {
        line.split()[0]: line.split()
        for line in out.split("$ kubectl get pods -o wide\n")[1].splitlines()[1:3]
    }
    assert rows["a"][2] == "Running" and rows["a"][6] == "n3"
    assert rows["b"][2] == "Pending" and rows["b"][6] == "<none>"
    assert "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector." in out


def test_a_bad_manifest_exits_1_naming_file_path_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers: []\n")
    code, out, err = run("run", str(bad))
    assert code == 1
    assert err.startswith(f"error: {bad}:6: at spec.containers: Required value")
    assert "kubectl create" not in out


def test_a_bad_label_option_is_refused() -> None:
    code, _, err = run("run", "--label", "node09:cz=bob")
    assert code == 1 and "no node 'node09'" in err


def test_spec_validate_accepts_the_shipped_spec_and_refuses_a_broken_copy(tmp_path: Path) -> None:
    code, out, _ = run("spec", "validate", str(SPEC))
    assert code == 0 and "valid. 13 steps (LW-01 to LW-13)" in out
    broken = tmp_path / "spec"
    shutil.copytree(SPEC, broken)
    flow = broken / "flow.yaml"
    flow.write_text(flow.read_text().replace("next: [LW-04]", "next: [LW-44]", 1))
    code, _, err = run("spec", "validate", str(broken))
    assert code == 1 and re.match(
        r"error: spec/flow.yaml:\d+: at steps\[2\]\.next\[0\]: the id of a declared step, found "
        r"'LW-44'",
        err,
    )


def test_spec_show_lists_steps_machines_and_watches() -> None:
    code, out, _ = run("spec", "show")
    assert code == 0
    assert "LW-10  scheduler \u2192 apiserver  (observable)" in out
    assert "Queued --schedule [node_found]--> Bound / bind_pod" in out
    assert "kubelet: pods fieldSelector=spec.nodeName={node}" in out


def test_python_dash_m_listwatch_is_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "listwatch", "spec", "validate"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0 and "valid" in done.stdout


def test_run_on_the_docker_backend_ends_with_the_pod_running_and_leaves_no_container(
    tmp_path: Path,
) -> None:
    loop = Loop(SystemClock())
    try:
        docker_runtime(
            loop
        ).close()  # skips without an engine (fails under LISTWATCH_REQUIRE_DOCKER)
    finally:
        loop.close()
    manifest = tmp_path / "pods.yaml"
    manifest.write_text(
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: sleeper}}\nspec:\n  containers: "
        f"[{{name: main, image: '{BUSYBOX}', command: [sleep, '3600']}}]\n"
        f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: job}}\nspec:\n  restartPolicy: Never\n"
        "  containers: "
        f"[{{name: main, image: '{BUSYBOX}', command: [sh, -c, 'echo started; exit 3']}}]\n"
    )
    code, out, err = run("run", str(manifest), "--runtime", "docker", "--diagnose")
    assert code == 0, err
    assert "on the docker (Docker Engine" in out.splitlines()[0]
    selector_steps = re.findall(r"\] (LW-\d\d)  .*\n +default/sleeper:", out)
    assert selector_steps == [f"LW-{n:02d}" for n in range(2, 14)]
    rows = {
        line.split()[0]: line.split()
        for line in out.split("$ kubectl get pods -o wide\n")[1].splitlines()[1:3]
    }
    assert rows["sleeper"][1:4] == ["1/1", "Running", "0"]
    assert rows["job"][1:3] == ["0/1", "Error"]
    assert "TS-31" in out and "started" in out  # the diagnosis reads the real container's log
    runtime_loop = Loop(SystemClock())
    runtime = docker_runtime(runtime_loop)
    try:
        left = runtime.client.api.containers(
            all=True, filters={"label": f"{dockernames.OWNER}={runtime.owner}"}
        )
        assert [c for c in left if c["Labels"].get(dockernames.RUNTIME) != runtime.id] == []
    finally:
        runtime.close()
        runtime_loop.close()


def test_run_on_the_docker_backend_without_an_engine_says_so_in_one_line_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    code, out, err = run("run", "--backend", "docker")  # --runtime's former name, still taken
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith(
        "error: the docker backend needs a Docker Engine and none answers at "
        f"unix://{tmp_path}/no-engine.sock"
    )


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"listwatch {importlib.metadata.version('listwatch')}\n"


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

POD_HEAD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"

#: The malformed manifests that printed a traceback before: the text, and the one error line
#: (after `error: FILE`) it now gives.
REPRODUCERS = {
    "empty image": (
        POD_HEAD + "spec:\n  containers:\n  - name: c\n    image:\n",
        ":8: at spec.containers[0].image: Required value",
    ),
    "items a mapping": (
        "apiVersion: v1\nkind: PodList\nitems: {a: b}\n",
        ":3: at items: expected a list of Kubernetes objects in a PodList, found a mapping",
    ),
    "an item not an object": (
        "apiVersion: v1\nkind: List\nitems:\n- x\n",
        ":4: at items[0]: expected a Kubernetes object (a mapping with apiVersion and kind), "
        "found string 'x'",
    ),
    "a bad !!int": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: !!int x\n",
        ":4: at metadata.name: 'x' cannot be read as !!int: expected an integer",
    ),
    "a self-referencing alias": (
        "apiVersion: v1\nkind: Pod\nmetadata: &m\n  name: p\n  self: *m\n",
        ":5: at metadata.self: a recursive alias",
    ),
    "spec a hex int": (
        POD_HEAD + "spec: 0x1F\n",
        ':5: at spec: Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal '
        "number into Go struct field Pod.spec of type v1.PodSpec",
    ),
    "billion laughs": (
        BILLION_LAUGHS,
        ":5: at e[0][2][0][6][7]: aliases expand to more than 10000 nodes",
    ),
    "deep nesting": (
        POD_HEAD + "spec: " + "[" * 5000 + "]" * 5000 + "\n",
        ":5: at spec[0][0]",  # ... nested deeper than 100 levels
    ),
    "a python tag": (
        POD_HEAD + "spec: !!python/object/apply:os.system [ls]\n",
        ":5: at spec: the YAML tag !!python/object/apply:os.system is not supported",
    ),
    "bad UTF-8": (
        POD_HEAD.replace("name: p", "name: p\xff"),
        ":4: at (document): not UTF-8: byte 0xff",
    ),
}


@pytest.mark.parametrize("case", sorted(REPRODUCERS))
def test_a_malformed_manifest_is_one_error_line_with_exit_code_1(case: str, tmp_path: Path) -> None:
    text, expected = REPRODUCERS[case]
    path = tmp_path / "bad.yaml"
    if case == "bad UTF-8":
        path.write_bytes(text.encode("latin-1"))
    else:
        path.write_text(text)
    code, out, err = run("run", str(path))
    assert code == 1
    assert err.startswith(f"error: {path}{expected}"), err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "created" not in out


def test_a_file_over_the_size_limit_is_refused_before_it_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(POD_HEAD + "  annotations:\n    a: " + "x" * (3 * 1024 * 1024) + "\n")
    code, _, err = run("run", str(path))
    assert code == 1
    assert err == (
        f"error: {path}: at (document): larger than 3145728 bytes, the limit for one file "
        "(the Kubernetes API server's limit on a request body); split it into smaller files\n"
    )


def test_a_good_file_and_a_bad_one_create_nothing(tmp_path: Path) -> None:
    good = tmp_path / "a.yaml"
    good.write_text((ROOT / "examples" / "pod5.yaml").read_text())
    bad = tmp_path / "b.yaml"
    bad.write_text(REPRODUCERS["spec a hex int"][0])
    code, out, err = run("run", str(good), str(bad))
    assert code == 1 and err.startswith(f"error: {bad}:5: at spec:")
    assert "created" not in out and "kubectl create" not in out


def test_an_unexpected_exception_is_one_line_with_exit_code_70(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object, **_kwargs: object) -> object:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("listwatch.cli.cmd_spec", broken)
    monkeypatch.delenv("LISTWATCH_TRACEBACK", raising=False)
    out, err = io.StringIO(), io.StringIO()
    parser_code = main(["spec", "show"], out=out, err=err)
    assert parser_code == 70
    assert err.getvalue().startswith("error: internal error at test_cli.py:")
    assert "ZeroDivisionError: division by zero" in err.getvalue()
    assert len(err.getvalue().splitlines()) == 1


def test_check_refuses_a_trace_nested_too_deeply_in_one_line(tmp_path: Path) -> None:
    trace = tmp_path / "deep.jsonl"
    trace.write_text('{"type": "ADDED", "object": ' + "[" * 100_000 + "\n")
    code, _, err = run("check", str(trace))
    assert code == 2
    assert err == (
        f"error: {trace}:1: expected a watch event or a Kubernetes object; this JSON value is "
        "nested too deeply to read (hundreds of levels)\n"
    )
