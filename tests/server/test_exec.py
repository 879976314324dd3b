"""pods/exec through the served API: the real kubectl (v1.32, WebSocket v5), the official Python
client (v5, and v4 offered alone) and `listwatch exec`, into real containers (`serve --runtime
docker`), and what every refusal looks like, the memory backend's included."""

from __future__ import annotations

import io
import json
import os
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket
from kubernetes import client
from kubernetes.stream import stream

from listwatch.cli import main
from listwatch.engine import Engine
from listwatch.server import Server
from tests.dockerengine import BUSYBOX
from tests.served import Client, official_client, serving
from tests.server.test_kubectl import KUBECTL

pytestmark = pytest.mark.skipif(not os.access(KUBECTL, os.X_OK), reason="kubectl is not installed")

SLEEPER = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "sleeper"},
    "spec": {"containers": [{"name": "main", "image": BUSYBOX, "command": ["sleep", "3600"]}]},
}
FAILER = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "failer"},
    "spec": {
        "restartPolicy": "Never",
        "containers": [
            {"name": "main", "image": BUSYBOX, "command": ["sh", "-c", "echo started; exit 3"]}
        ],
    },
}


def kubectl(
    server: Server, *argv: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(server.kubeconfig)}
    return subprocess.run(
        [KUBECTL, *argv],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def create(server: Server, manifest: dict[str, Any], tmp: Path, *, wait_for: str) -> None:
    path = tmp / f"{manifest['metadata']['name']}.json"
    path.write_text(json.dumps(manifest))
    assert kubectl(server, "create", "-f", str(path)).returncode == 0
    waited = kubectl(
        server, "wait", f"--for={wait_for}", f"pod/{manifest['metadata']['name']}", "--timeout=60s"
    )
    assert waited.returncode == 0, waited.stderr


def listwatch(server: Server, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv[:1], "--kubeconfig", str(server.kubeconfig), *argv[1:]], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def docker_served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A cluster served on the docker backend, with a running pod `sleeper` and a failed one
    `failer`."""
    tmp = tmp_path_factory.mktemp("exec")
    with serving(engine, nodes=("node01",), runtime="docker") as server:
        create(server, SLEEPER, tmp, wait_for="condition=Ready")
        create(server, FAILER, tmp, wait_for="jsonpath={.status.phase}=Failed")
        yield server


@pytest.fixture(scope="module")
def memory_served(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A cluster served on the memory backend, with a running pod `web` (nginx)."""
    tmp = tmp_path_factory.mktemp("exec-memory")
    web = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.15"}]},
    }
    with serving(engine, nodes=("node01",)) as server:
        create(server, web, tmp, wait_for="condition=Ready")
        yield server


@pytest.fixture(scope="module")
def core(docker_served: Server) -> Iterator[Any]:
    with official_client(docker_served) as api_client:
        yield client.CoreV1Api(api_client)


# -- the real kubectl ------------------------------------------------------------------------------


def test_kubectl_exec_prints_the_commands_output(docker_served: Server) -> None:
    done = kubectl(docker_served, "exec", "sleeper", "--", "echo", "hello")
    assert (done.returncode, done.stdout, done.stderr) == (0, "hello\n", "")


def test_kubectl_exec_exits_with_the_commands_exit_code_and_keeps_stdout_and_stderr_apart(
    docker_served: Server,
) -> None:
    done = kubectl(
        docker_served, "exec", "sleeper", "--", "sh", "-c", "echo out; echo err >&2; exit 3"
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        3,
        "out\n",
        "err\ncommand terminated with exit code 3\n",
    )


def test_kubectl_exec_i_feeds_stdin_to_the_command_until_its_end(docker_served: Server) -> None:
    done = kubectl(
        docker_served,
        "exec",
        "-i",
        "sleeper",
        "--",
        "sh",
        "-c",
        "cat; echo done",
        stdin="line one\nline two\n",
    )
    assert (done.returncode, done.stdout) == (0, "line one\nline two\ndone\n")


def test_kubectl_exec_runs_inside_the_pods_container(docker_served: Server) -> None:
    assert (
        kubectl(docker_served, "exec", "sleeper", "-c", "main", "--", "hostname").stdout
        == "sleeper\n"
    )
    assert (
        kubectl(docker_served, "exec", "sleeper", "--", "ls", "/sys/class/net").stdout == "lo\n"
    )  # network none


def test_kubectl_exec_into_a_completed_pod_is_refused_by_kubectl(docker_served: Server) -> None:
    done = kubectl(docker_served, "exec", "failer", "--", "true")
    assert (done.returncode, done.stderr) == (
        1,
        "error: cannot exec into a container in a completed pod; current phase is Failed\n",
    )


def test_kubectl_exec_refusals_before_the_upgrade_are_statuses(docker_served: Server) -> None:
    wrong = kubectl(docker_served, "exec", "sleeper", "-c", "nope", "--", "true")
    assert (wrong.returncode, wrong.stderr) == (
        1,
        "Error from server (BadRequest): container nope is not valid for pod sleeper\n",
    )
    missing = kubectl(docker_served, "exec", "nosuch", "--", "true")
    assert (missing.returncode, missing.stderr) == (
        1,
        'Error from server (NotFound): pods "nosuch" not found\n',
    )


# -- a pod that fails: its real exit code and logs -------------------------------------------------


def test_a_failed_pod_has_the_real_exit_code_and_its_logs_are_the_containers(
    docker_served: Server,
) -> None:
    code = kubectl(
        docker_served,
        "get",
        "pod",
        "failer",
        "-o",
        "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}",
    )
    assert code.stdout == "3"
    assert kubectl(docker_served, "logs", "failer").stdout == "started\n"
    assert listwatch(docker_served, "logs", "failer") == (0, "started\n", "")


# -- the official Python client --------------------------------------------------------------------


def test_the_python_clients_stream_runs_a_command(core: Any) -> None:
    # _preload_content=False only so that the test can close the socket (the preloading call leaves
    # it to the GC).
    session = stream(
        core.connect_get_namespaced_pod_exec,
        "sleeper",
        "default",
        command=["echo", "hello"],
        stdout=True,
        stderr=True,
        _preload_content=False,
    )
    session.run_forever(timeout=30)
    assert session.returncode == 0  # first: read_all empties every channel, the error channel too
    assert session.read_all() == "hello\n"
    session.close()
    session.sock.shutdown()  # after the server's close, close() leaves the socket open


def test_the_python_client_reads_the_exit_code_from_the_error_channel(core: Any) -> None:
    session = stream(
        core.connect_get_namespaced_pod_exec,
        "sleeper",
        "default",
        command=["sh", "-c", "echo started; exit 3"],
        stdout=True,
        stderr=True,
        _preload_content=False,
    )
    session.run_forever(timeout=30)
    assert (session.subprotocol, session.read_stdout(), session.returncode) == (
        "v5.channel.k8s.io",
        "started\n",
        3,
    )
    session.close()
    session.sock.shutdown()


def test_a_client_offering_only_v4_is_served_v4(docker_served: Server) -> None:
    context = ssl.create_default_context(cadata=docker_served.credentials.ca_pem.decode())
    url = f"wss://{docker_served.host}:{docker_served.port}/api/v1/namespaces/default/pods/sleeper/exec?command=sh&command=-c&command=exit+4&stdout=true"
    connection = websocket.create_connection(
        url,
        subprotocols=["v4.channel.k8s.io"],
        header=[f"Authorization: Bearer {docker_served.credentials.token}"],
        sslopt={"context": context},
        timeout=30,
    )
    try:
        assert connection.subprotocol == "v4.channel.k8s.io"
        received = []
        while True:
            opcode, data = connection.recv_data()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            received.append(data)
    finally:
        connection.close()
        connection.shutdown()  # after the server's close, close() leaves the socket open
    assert received[0] == b"\x01"  # the streams are open
    status = json.loads(received[-1][1:])
    assert received[-1][0] == 3 and status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "4"}]


# -- listwatch exec --------------------------------------------------------------------------------


def test_listwatch_exec_prints_the_output_and_exits_with_the_commands_code(
    docker_served: Server,
) -> None:
    assert listwatch(docker_served, "exec", "sleeper", "--", "echo", "hello") == (0, "hello\n", "")
    assert listwatch(
        docker_served,
        "exec",
        "sleeper",
        "-c",
        "main",
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ) == (
        3,
        "out\n",
        "err\ncommand terminated with exit code 3\n",
    )


def test_listwatch_exec_says_what_kubectl_says_when_it_cannot(docker_served: Server) -> None:
    assert listwatch(docker_served, "exec", "failer", "--", "true") == (
        1,
        "",
        "error: cannot exec into a container in a completed pod; current phase is Failed\n",
    )
    assert listwatch(docker_served, "exec", "sleeper", "-c", "nope", "--", "true") == (
        1,
        "",
        "Error from server (BadRequest): container nope is not valid for pod sleeper\n",
    )


# -- the memory backend, and refusals --------------------------------------------------------------

PLAIN = (
    "cannot exec into a container on the memory backend: its containers are simulated, with no "
    "process to run a command in; "
    "serve the cluster with `listwatch serve --runtime docker` to exec into real containers"
)


def test_on_the_memory_backend_kubectl_exec_says_plainly_it_cannot(memory_served: Server) -> None:
    done = kubectl(memory_served, "exec", "web", "--", "echo", "hello")
    assert (done.returncode, done.stdout, done.stderr) == (1, "", f"error: {PLAIN}\n")


def test_on_the_memory_backend_listwatch_exec_says_plainly_it_cannot(memory_served: Server) -> None:
    assert listwatch(memory_served, "exec", "web", "--", "echo", "hello") == (
        1,
        "",
        f"error: {PLAIN}\n",
    )


@pytest.mark.parametrize(
    ("query", "headers", "code", "message"),
    [
        ("stdout=true", {}, 400, "you must specify at least one command for the container"),
        (
            "command=ls",
            {"Upgrade": "websocket"},
            400,
            "you must specify at least 1 of stdin, stdout, stderr",
        ),
        ("command=ls&stdout=true", {}, 400, "Upgrade request required"),
        (
            "command=ls&stdout=true&container=nope",
            {},
            400,
            "container nope is not valid for pod web",
        ),
    ],
)
def test_exec_requests_that_cannot_be_served_get_a_status(
    memory_served: Server, query: str, headers: dict[str, str], code: int, message: str
) -> None:
    reply = Client(memory_served).get(
        f"/api/v1/namespaces/default/pods/web/exec?{query}", headers=headers
    )
    assert (reply.status, reply.json["kind"], reply.json["message"]) == (code, "Status", message)


def test_spdy_is_refused_with_a_status_that_names_the_websocket_protocols(
    memory_served: Server,
) -> None:
    reply = Client(memory_served).request(
        "POST",
        "/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true",
        headers={"Connection": "Upgrade", "Upgrade": "SPDY/3.1"},
    )
    assert reply.status == 400
    assert reply.json["message"].startswith(
        "listwatch serves pods/exec over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io), not "
        "SPDY/3.1"
    )


def test_an_unknown_subprotocol_is_refused(memory_served: Server) -> None:
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    reply = Client(memory_served).get(
        "/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true",
        headers={**headers, "Sec-WebSocket-Protocol": "channel.k8s.io"},
    )
    assert (reply.status, reply.json["message"]) == (
        400,
        "requested protocol(s) are not supported: [channel.k8s.io]; supports [v5.channel.k8s.io "
        "v4.channel.k8s.io]",
    )
