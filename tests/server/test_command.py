"""`listwatch serve` as a user runs it: it prints where the kubeconfig is, serves, stops on
SIGTERM."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
import yaml

from listwatch.server import add_arguments, command
from tests.conftest import ROOT


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def get_version(kubeconfig: Path) -> dict[str, str]:
    config = yaml.safe_load(kubeconfig.read_text())
    import base64

    context = ssl.create_default_context(
        cadata=base64.b64decode(
            config["clusters"][0]["cluster"]["certificate-authority-data"]
        ).decode()
    )
    request = urllib.request.Request(
        config["clusters"][0]["cluster"]["server"] + "/version",
        headers={"Authorization": f"Bearer {config['users'][0]['user']['token']}"},
    )
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        answer: dict[str, str] = json.loads(response.read())
    return answer


def test_serve_runs_until_sigterm_and_then_exits_0(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "listwatch",
            "serve",
            "--port",
            "0",
            "--kubeconfig-out",
            str(kubeconfig),
            "--nodes",
            "a1,a2,a3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith(
            "listwatch: a simulated Kubernetes v1.32 cluster is served at https://127.0.0.1:"
        )
        assert "(nodes: a1, a2, a3)" in first
        assert process.stdout.readline() == f"kubeconfig: {kubeconfig}\n"
        assert process.stdout.readline() == f"  export KUBECONFIG={kubeconfig}\n"
        ui = process.stdout.readline()
        assert ui.startswith("UI: http://127.0.0.1:") and "/?token=" in ui
        with urllib.request.urlopen(ui.removeprefix("UI: ").strip(), timeout=10) as page:
            assert b'id="flow"' in page.read()
        assert get_version(kubeconfig)["gitVersion"] == "v1.32.0"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "listwatch: stopping" in out
    assert kubeconfig.exists()  # a kubeconfig asked for by path is kept


def test_command_serves_in_a_thread_and_removes_a_kubeconfig_it_chose() -> None:
    args = parse("--port", "0", "--without", "scheduler,controller-manager")
    args.stop_event = threading.Event()
    out, err = io.StringIO(), io.StringIO()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(command(args, out, err)))
    thread.start()
    try:
        for _ in range(200):
            if "kubeconfig:" in out.getvalue():
                break
            thread.join(0.05)
        text = out.getvalue()
        assert "left out: scheduler, controller-manager" in text
        kubeconfig = Path(text.split("kubeconfig: ")[1].split("\n")[0])
        assert get_version(kubeconfig)["major"] == "1"
    finally:
        args.stop_event.set()
        thread.join(20)
    assert result == [0] and not kubeconfig.exists()


def test_an_unknown_component_to_leave_out_is_a_user_error() -> None:
    err = io.StringIO()
    assert command(parse("--without", "etcd"), io.StringIO(), err) == 1
    assert (
        err.getvalue() == "error: --without etcd: not a component; choose from scheduler, kubelet, "
        "controller-manager, replicationcontroller-controller, replicaset-controller, "
        "node-lifecycle-controller, disruption-controller, garbage-collector-controller, "
        "namespace-controller, serviceaccount-controller, deployment-controller, job-controller, "
        "cronjob-controller, daemonset-controller, statefulset-controller\n"
    )


def test_a_faster_clock_needs_the_memory_runtime_and_a_speed_of_1_or_more() -> None:
    for argv, message in (
        (
            ("--speed", "10", "--runtime", "docker"),
            "error: --speed 10: the docker runtime runs real containers in real time; a faster "
            "clock needs the memory runtime\n",
        ),
        (("--speed", "0.5"), "error: --speed 0.5: give 1 or more\n"),
    ):
        err = io.StringIO()
        assert command(parse(*argv), io.StringIO(), err) == 1
        assert err.getvalue() == message


def test_a_port_in_use_is_a_user_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        err = io.StringIO()
        assert command(parse("--port", str(port)), io.StringIO(), err) == 1
    assert err.getvalue().startswith(f"error: cannot serve on 127.0.0.1:{port}: ")


def test_the_server_refuses_any_address_but_loopback(engine: object) -> None:
    import pytest

    from listwatch import errors
    from listwatch.server import Server

    with pytest.raises(errors.ListwatchError, match="loopback address only"):
        Server(engine, nodes=("n",), host="0.0.0.0")  # type: ignore[arg-type]


def test_serve_on_the_docker_backend_without_an_engine_says_so_in_one_line_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    out, err = io.StringIO(), io.StringIO()
    assert command(parse("--backend", "docker", "--port", "0"), out, err) == 1
    assert out.getvalue() == "" and err.getvalue().count("\n") == 1
    assert err.getvalue().startswith(
        "error: the docker backend needs a Docker Engine and none answers at "
    )


def serving_output(*argv: str) -> tuple[str, list[int]]:
    """What `listwatch serve ARGV` prints once it serves, and its exit code once stopped."""
    args = parse("--port", "0", *argv)
    args.stop_event = threading.Event()
    out, err = io.StringIO(), io.StringIO()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(command(args, out, err)))
    thread.start()
    try:
        for _ in range(400):
            if "Stop with" in out.getvalue() or not thread.is_alive():
                break
            thread.join(0.05)
    finally:
        args.stop_event.set()
        thread.join(30)
    return out.getvalue() + err.getvalue(), result


def test_no_ui_serves_no_web_view() -> None:
    text, result = serving_output("--no-ui")
    assert result == [0] and "Stop with" in text and "UI:" not in text


def test_a_web_view_port_in_use_is_a_user_error_and_nothing_is_left_serving() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        before = threading.active_count()
        text, result = serving_output("--ui-port", str(port))
    assert result == [1]
    assert text == f"error: cannot serve the web view on 127.0.0.1:{port}: Address already in use\n"
    assert threading.active_count() <= before
