"""The docker backend: pods become real containers in a Docker Engine.

These tests need an engine (`make test` starts the project's own with `.ci/dockerd run`); without
one they are skipped with the backend's reason. They look at the engine through the runtime's own
client, and leave nothing behind (the `no_containers_left_behind` fixture checks).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from listwatch.apiserver import objects
from listwatch.clock import SystemClock
from listwatch.cluster import Cluster
from listwatch.engine import Engine
from listwatch.errors import BackendUnavailable
from listwatch.loop import Loop
from listwatch.runtime import runtime_for
from listwatch.runtime.base import PortUnreachable, Sandbox, Started
from listwatch.runtime.docker import DockerRuntime
from listwatch.runtime.dockernames import OWNER, owner_alive, process_owner
from tests.builders import events_of
from tests.dockerengine import BUSYBOX, docker_runtime

POD: dict[str, Any] = {"metadata": {"name": "p", "namespace": "default", "uid": "uid-1"}}
SLEEPER: dict[str, Any] = {"name": "app", "image": BUSYBOX, "command": ["sleep", "3600"]}


def wait(loop: Loop, done: Callable[[], bool], seconds: float = 60) -> None:
    assert loop.run(until=done, horizon=loop.clock.now() + seconds), "the engine never answered"


def sandbox(rt: DockerRuntime, pod: dict[str, Any] = POD, node: str = "node01") -> str:
    made: list[Sandbox] = []
    rt.run_sandbox(node, pod, made.append)
    wait(rt.loop, lambda: bool(made))
    return made[0].sandbox_id


def run(
    rt: DockerRuntime,
    container: dict[str, Any],
    exits: list[int],
    *,
    pod: dict[str, Any] = POD,
    attempt: int = 0,
) -> str:
    started: list[Started] = []
    rt.start_container("node01", pod, container, attempt, exits.append, started.append)
    wait(rt.loop, lambda: bool(started))
    return started[0].container_id


def inspect(rt: DockerRuntime, container_id: str) -> dict[str, Any]:
    return dict(rt.client.api.inspect_container(container_id))


def pod_manifest(name: str, container: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [container], **spec},
    }


@pytest.fixture
def cluster(engine: Engine, real_loop: Loop) -> Iterator[Cluster]:
    """The engine's control plane with two nodes whose kubelets run containers in the Docker
    Engine."""
    made = Cluster(engine, loop=real_loop, runtime=docker_runtime(real_loop))
    made.start()
    yield made
    made.close()


def docker_of(cluster: Cluster) -> DockerRuntime:
    assert isinstance(cluster.runtime, DockerRuntime)
    return cluster.runtime


def container_status(pod: dict[str, Any]) -> dict[str, Any]:
    return dict(pod["status"]["containerStatuses"][0])


# -- pods as a user sees them ---------------------------------------------------------------------


def test_a_pod_that_echoes_then_exits_3_under_never_ends_failed_with_code_3_and_its_real_logs(
    cluster: Cluster,
) -> None:
    cluster.apply(
        pod_manifest(
            "job",
            {"name": "main", "image": BUSYBOX, "command": ["sh", "-c", "echo started; exit 3"]},
            restartPolicy="Never",
        )
    )
    assert cluster.settle(
        until=lambda: cluster.pod("job")["status"].get("phase") == "Failed", horizon=60
    )
    status = container_status(cluster.pod("job"))
    assert (
        status["state"]["terminated"]["exitCode"] == 3
        and status["state"]["terminated"]["reason"] == "Error"
    )
    scheme, _, container_id = status["containerID"].partition("://")
    real = inspect(docker_of(cluster), container_id)
    assert (
        scheme == "docker"
        and real["State"]["ExitCode"] == 3
        and real["State"]["Status"] == "exited"
    )
    assert real["Name"] == f"/k8s_main_job_default_{objects.uid_of(cluster.pod('job'))}_0"
    assert cluster.logs("job") == "started\n"


def test_logs_previous_reads_the_real_container_of_the_run_before_the_restart(
    cluster: Cluster,
) -> None:
    script = (
        "cat /proc/sys/kernel/random/uuid; sleep 1; exit 1"  # each run writes a line of its own
    )
    cluster.apply(
        pod_manifest("flaky", {"name": "main", "image": BUSYBOX, "command": ["sh", "-c", script]})
    )

    def restarted_and_running() -> bool:
        status = container_status(cluster.pod("flaky"))
        return status["restartCount"] >= 1 and "running" in status["state"]

    assert cluster.settle(until=restarted_and_running, horizon=60)
    status = container_status(cluster.pod("flaky"))
    previous, current = cluster.logs("flaky", previous=True), cluster.logs("flaky")
    assert re.fullmatch(r"[0-9a-f-]{36}\n", previous) and re.fullmatch(
        r"[0-9a-f-]{36}\n", current
    ), (previous, current)
    assert previous != current
    earlier = status["lastState"]["terminated"]["containerID"].partition("://")[2]
    assert docker_of(cluster).logs(earlier) == previous


def test_the_tutorial_s_nginx_1_15_cannot_be_pulled_so_its_pod_stays_pending_with_no_restarts(
    cluster: Cluster,
) -> None:
    cluster.apply(
        pod_manifest("pod-example", {"name": "app", "image": "nginx:1.15"}, nodeName="node01")
    )
    seen: list[str] = []

    def reasons() -> bool:
        waiting = container_status(cluster.pod("pod-example"))["state"].get("waiting") or {}
        if not seen or seen[-1] != waiting.get("reason"):
            seen.append(str(waiting.get("reason")))
        return "ImagePullBackOff" in seen

    assert cluster.settle(until=reasons, horizon=60), seen
    assert "ErrImagePull" in seen and seen.index("ErrImagePull") < seen.index("ImagePullBackOff")
    pod = cluster.pod("pod-example")
    assert pod["status"]["phase"] == "Pending" and container_status(pod)["restartCount"] == 0
    failed = [e["message"] for e in cluster.events_for(pod) if e["reason"] == "Failed"]
    assert failed[0].startswith(
        'Failed to pull image "nginx:1.15": rpc error: code = Unknown desc = Error response from '
        "daemon: "
    )
    assert "Error: ErrImagePull" in failed and "Error: ImagePullBackOff" in failed
    kinds = [c["Labels"]["io.kubernetes.docker.type"] for c in docker_of(cluster).containers()]
    assert kinds == ["podsandbox"]  # the sandbox runs; no container was ever created


def test_a_present_image_is_not_pulled_again(cluster: Cluster) -> None:
    cluster.apply(pod_manifest("web", dict(SLEEPER)))
    assert cluster.settle(
        until=lambda: cluster.pod("web")["status"].get("phase") == "Running", horizon=60
    )
    events = cluster.events_for(cluster.pod("web"))
    assert [e["message"] for e in events if e["reason"] == "Pulled"] == [
        f'Container image "{BUSYBOX}" already present on machine'
    ]
    assert not [e for e in events if e["reason"] == "Pulling"]


def test_several_simulated_nodes_share_one_engine_each_container_labelled_with_its_node(
    cluster: Cluster,
) -> None:
    for node in ("node01", "node02"):
        cluster.apply(pod_manifest(f"on-{node}", dict(SLEEPER), nodeName=node))
    assert cluster.settle(
        until=lambda: all(p["status"].get("phase") == "Running" for p in cluster.pods()), horizon=60
    )
    placed = {
        (c["Labels"]["io.kubernetes.pod.name"], c["Labels"]["io.listwatch.node"])
        for c in docker_of(cluster).containers()
    }
    assert placed == {("on-node01", "node01"), ("on-node02", "node02")}


def test_deleting_a_pod_stops_and_removes_its_containers(cluster: Cluster) -> None:
    cluster.apply(pod_manifest("web", dict(SLEEPER)))
    assert cluster.settle(
        until=lambda: cluster.pod("web")["status"].get("phase") == "Running", horizon=60
    )
    assert len(docker_of(cluster).containers()) == 2
    cluster.delete(
        "pods", "web", grace_period_seconds=1
    )  # busybox sleep ignores SIGTERM: killed after 1s
    assert cluster.settle(
        until=lambda: not cluster.pods() and not docker_of(cluster).containers(), horizon=60
    )


# -- containers as the engine shows them -----------------------------------------------------------


def test_a_pod_s_containers_are_named_and_labelled_as_the_kubelet_s_docker_integration_did(
    docker_rt: DockerRuntime,
) -> None:
    sandbox_id = sandbox(docker_rt)
    container_id = run(docker_rt, dict(SLEEPER), [], attempt=2)
    box, app = inspect(docker_rt, sandbox_id), inspect(docker_rt, container_id)
    assert (
        box["Name"] == "/k8s_POD_p_default_uid-1_0" and app["Name"] == "/k8s_app_p_default_uid-1_2"
    )
    expected = {
        "io.kubernetes.pod.name": "p",
        "io.kubernetes.pod.namespace": "default",
        "io.kubernetes.pod.uid": "uid-1",
    }
    expected |= {
        "io.listwatch.node": "node01",
        "io.listwatch.runtime": docker_rt.id,
        OWNER: process_owner(),
    }
    assert box["Config"]["Labels"] == expected | {
        "io.kubernetes.container.name": "POD",
        "io.kubernetes.docker.type": "podsandbox",
    }
    assert app["Config"]["Labels"] == expected | {
        "io.kubernetes.container.name": "app",
        "io.kubernetes.docker.type": "container",
        "io.kubernetes.sandbox.id": sandbox_id,
        "annotation.io.kubernetes.container.restartCount": "2",
    }
    assert (
        box["HostConfig"]["NetworkMode"] == "none"
        and app["HostConfig"]["NetworkMode"] == f"container:{sandbox_id}"
    )


def test_a_pod_has_no_network_but_its_loopback_shared_by_its_containers(
    docker_rt: DockerRuntime,
) -> None:
    sandbox(docker_rt)
    container_id = run(docker_rt, dict(SLEEPER), [])
    assert docker_rt.exec(container_id, ["ls", "/sys/class/net"]) == (0, "lo\n")
    assert docker_rt.exec(container_id, ["hostname"]) == (
        0,
        "p\n",
    )  # the sandbox's, named for the pod


def test_command_replaces_the_entrypoint_args_replace_the_cmd_and_env_reaches_the_process(
    docker_rt: DockerRuntime,
) -> None:
    cases = {
        "args": ({"args": ["echo", "from args"]}, "from args\n"),
        "command": (
            {"command": ["echo", "from command"]},
            "from command\n",
        ),  # the image's CMD ["sh"] is dropped
        "both": (
            {
                "command": ["sh", "-c"],
                "args": ["echo $GREETING"],
                "env": [{"name": "GREETING", "value": "hello"}],
            },
            "hello\n",
        ),
    }
    for name, (fields, output) in cases.items():
        exits: list[int] = []
        container_id = run(docker_rt, {"name": name, "image": BUSYBOX, **fields}, exits)
        wait(docker_rt.loop, lambda exits=exits: bool(exits))
        assert (exits, docker_rt.logs(container_id)) == ([0], output), name


def test_a_container_the_engine_cannot_start_is_reported_started_then_exited_with_the_engine_s_code(
    docker_rt: DockerRuntime,
) -> None:
    exits: list[int] = []
    run(docker_rt, {"name": "bad", "image": BUSYBOX, "command": ["no-such-command"]}, exits)
    wait(docker_rt.loop, lambda: bool(exits))
    assert exits == [127]


def test_a_process_that_handles_sigterm_stops_before_the_grace_period_ends(
    docker_rt: DockerRuntime,
) -> None:
    exits: list[int] = []
    trapping = {
        "name": "trap",
        "image": BUSYBOX,
        "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"],
    }
    container_id = run(docker_rt, trapping, exits)
    stopped_at = docker_rt.loop.clock.now()
    docker_rt.stop_container("node01", container_id, 30)
    wait(docker_rt.loop, lambda: bool(exits))
    assert exits == [0] and docker_rt.loop.clock.now() - stopped_at < 10


def test_logs_keep_the_last_lines_asked_for(docker_rt: DockerRuntime) -> None:
    exits: list[int] = []
    container_id = run(
        docker_rt,
        {"name": "count", "image": BUSYBOX, "command": ["sh", "-c", "echo 1; echo 2; echo 3"]},
        exits,
    )
    wait(docker_rt.loop, lambda: bool(exits))
    assert docker_rt.logs(container_id, tail=2) == "2\n3\n"
    assert docker_rt.logs(container_id, tail=0) == "" and docker_rt.logs("no-such-container") == ""


def test_exec_runs_a_command_inside_the_container_and_returns_its_code_and_output(
    docker_rt: DockerRuntime,
) -> None:
    container_id = run(docker_rt, dict(SLEEPER), [])
    assert docker_rt.exec(container_id, ["sh", "-c", "echo inside; exit 4"]) == (4, "inside\n")


def test_a_name_in_use_gets_a_random_suffix_as_dockershim_did(
    docker_rt: DockerRuntime, real_loop: Loop
) -> None:
    first = sandbox(docker_rt)
    other = docker_runtime(
        real_loop
    )  # another cluster on the same engine, whose pod has the same UID
    try:
        second = sandbox(other)
        name = inspect(docker_rt, second)["Name"]
        assert (
            second != first
            and name.startswith("/k8s_POD_p_default_uid-1_0_")
            and len(name) == len("/k8s_POD_p_default_uid-1_0_") + 8
        )
    finally:
        other.close()


def test_closing_the_runtime_removes_every_container_it_created(
    docker_rt: DockerRuntime, real_loop: Loop
) -> None:
    closing = docker_runtime(real_loop)
    sandbox(closing)
    run(closing, dict(SLEEPER), [])
    run(closing, {"name": "done", "image": BUSYBOX, "command": ["true"]}, [])
    label = f"io.listwatch.runtime={closing.id}"
    assert len(docker_rt.client.api.containers(all=True, filters={"label": label})) == 3
    closing.close()
    assert docker_rt.client.api.containers(all=True, filters={"label": label}) == []


# -- a listwatch process that dies -----------------------------------------------------------------

MID_RUN = textwrap.dedent(
    """
    from listwatch.runtime.docker import DockerRuntime
    from listwatch.runtime.base import Sandbox, Started
    from listwatch.clock import SystemClock
    from listwatch.loop import Loop

    loop = Loop(SystemClock())
    runtime = DockerRuntime(loop)
    pod = {"metadata": {"name": "victim", "namespace": "default", "uid": "uid-victim"}}
    boxes, started = [], []
    runtime.run_sandbox("node01", pod, boxes.append)
    loop.run(until=lambda: bool(boxes), horizon=loop.clock.now() + 60)
    container = {"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"]}
    runtime.start_container("node01", pod, container, 0, lambda code: None, started.append)
    loop.run(until=lambda: bool(started), horizon=loop.clock.now() + 60)
    print(runtime.owner, flush=True)
    loop.run(until=lambda: False, horizon=loop.clock.now() + 600)  # mid-run, until killed
    """
)


def test_a_listwatch_process_killed_mid_run_leaves_no_orphans_once_listwatch_starts_again(
    docker_rt: DockerRuntime, real_loop: Loop
) -> None:
    victim = subprocess.Popen([sys.executable, "-c", MID_RUN], stdout=subprocess.PIPE, text=True)
    try:
        assert victim.stdout is not None
        owner = victim.stdout.readline().strip()
        assert owner, "the listwatch process did not get its pod running"
        by_owner = {
            "label": f"{OWNER}={owner}"
        }  # docker ps -a --filter label=io.listwatch.owner=...
        assert len(docker_rt.client.api.containers(all=True, filters=by_owner)) == 2
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        if victim.stdout is not None:
            victim.stdout.close()
    assert (
        len(docker_rt.client.api.containers(all=True, filters=by_owner)) == 2
    )  # orphaned: nobody removed them
    again = docker_runtime(real_loop)  # listwatch starts again
    try:
        assert sorted(again.removed_orphans) == [
            "k8s_POD_victim_default_uid-victim_0",
            "k8s_app_victim_default_uid-victim_0",
        ]
        assert docker_rt.client.api.containers(all=True, filters=by_owner) == []
    finally:
        again.close()


def test_a_running_listwatch_s_containers_are_not_taken_for_orphans(
    docker_rt: DockerRuntime, real_loop: Loop
) -> None:
    sandbox_id = sandbox(docker_rt)
    later = docker_runtime(real_loop)
    try:
        assert inspect(docker_rt, sandbox_id)["State"]["Running"]
    finally:
        later.close()


def test_an_owner_is_alive_only_while_its_process_runs() -> None:
    assert owner_alive(process_owner())
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not owner_alive(f"{socket.gethostname()}:{finished.stdout.strip()}:1")
    assert not owner_alive(
        f"{socket.gethostname()}:{os.getpid()}:1"
    )  # this PID, but another start: reused
    assert owner_alive("elsewhere:1:1")  # another host's process cannot be checked: left alone


# -- without an engine -----------------------------------------------------------------------------


def test_without_an_engine_the_backend_says_so_in_one_line_and_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/docker.sock")
    with pytest.raises(BackendUnavailable) as raised:
        runtime_for("docker", Loop(SystemClock()))
    message = str(raised.value)
    assert "\n" not in message and f"none answers at unix://{tmp_path}/docker.sock" in message
    assert ".ci/dockerd start" in message and "DOCKER_HOST" in message


# -- what troubleshooting asks of a runtime --------------------------------------------------------


def test_listening_ports_and_probes_are_read_inside_the_pod(docker_rt: DockerRuntime) -> None:
    sandbox(docker_rt)
    serving = {
        "name": "web",
        "image": BUSYBOX,
        "command": ["sh", "-c", "echo ok > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"],
    }
    container_id = run(docker_rt, serving, [])
    assert docker_rt.loop.run(
        until=lambda: docker_rt.listening(container_id) == frozenset({8080}),
        horizon=docker_rt.loop.clock.now() + 10,
    )
    assert docker_rt.probe(
        container_id, {"httpGet": {"port": 8080, "path": "/"}}, ip="10.244.0.9"
    ) == (True, "")
    assert docker_rt.probe(
        container_id, {"httpGet": {"port": 8080, "path": "/missing"}}, ip="10.244.0.9"
    ) == (
        False,
        "HTTP probe failed with statuscode: 404",
    )
    assert docker_rt.probe(container_id, {"tcpSocket": {"port": 80}}, ip="10.244.0.9") == (
        False,
        "dial tcp 10.244.0.9:80: connect: connection refused",
    )
    assert docker_rt.probe(
        container_id, {"exec": {"command": ["sh", "-c", "echo no; exit 1"]}}, ip=""
    ) == (False, "no")
    assert docker_rt.probe(container_id, {"tcpSocket": {"port": 8080}}, ip="")[0]


def test_every_node_lists_the_engine_s_images_by_the_engine_s_names(
    docker_rt: DockerRuntime,
) -> None:
    listed = docker_rt.images("node01")
    assert set(listed) == set(
        docker_rt.images("node02")
    )  # images belong to the engine (listed in no set order)
    tags = {tag for image in listed for tag in image.repo_tags}
    assert {"busybox:1.36", "busybox:1.37", "busybox:latest"} <= tags
    assert not [
        name
        for image in listed
        for name in (*image.repo_tags, *image.repo_digests)
        if name.startswith("<none>")
    ]
    assert all(image.size > 0 and image.id.startswith("sha256:") for image in listed)


def test_a_cluster_given_a_loop_runs_on_that_loop_s_clock_and_refuses_another(
    engine: Engine,
) -> None:
    loop = Loop(SystemClock())
    assert Cluster(engine, loop=loop).clock is loop.clock
    with pytest.raises(ValueError, match="give the loop or the clock, not both"):
        Cluster(engine, loop=loop, clock=SystemClock())


def test_connect_reaches_a_port_on_the_pods_own_loopback(docker_rt: DockerRuntime) -> None:
    pod = {"metadata": {"name": "forwarded", "namespace": "default", "uid": "uid-forwarded"}}
    sandbox(docker_rt, pod)
    serving = {
        "name": "web",
        "image": BUSYBOX,
        "command": [
            "sh",
            "-c",
            "echo hi > /tmp/index.html; exec httpd -f -p 127.0.0.1:8080 -h /tmp",
        ],
    }
    container_id = run(docker_rt, serving, [], pod=pod)
    assert docker_rt.loop.run(
        until=lambda: docker_rt.listening(container_id) == frozenset({8080}),
        horizon=docker_rt.loop.clock.now() + 10,
    )
    with docker_rt.connect("node01", "uid-forwarded", 8080) as connection:
        connection.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
        reply = b""
        while chunk := connection.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 OK") and reply.endswith(b"\r\n\r\nhi\n")
    with pytest.raises(PortUnreachable) as refused:
        docker_rt.connect("node01", "uid-forwarded", 8081)
    assert "127.0.0.1:8081: connect: connection refused IPv6 dial tcp6" in refused.value.reason


def test_config_map_and_empty_dir_volumes_are_mounted_where_the_volume_mounts_say(
    cluster: Cluster,
) -> None:
    cluster.apply(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"k": "v1"}}
    )
    container = {
        **SLEEPER,
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/config"},
            {"name": "scratch", "mountPath": "/scratch"},
        ],
    }
    volumes = [
        {"name": "config", "configMap": {"name": "cfg"}},
        {"name": "scratch", "emptyDir": {}},
    ]
    cluster.apply(
        pod_manifest("mounts", container, volumes=volumes, terminationGracePeriodSeconds=1)
    )
    assert cluster.settle(
        until=lambda: cluster.pod("mounts")["status"].get("phase") == "Running", horizon=60
    )
    container_id = container_status(cluster.pod("mounts"))["containerID"].partition("://")[2]
    runtime = docker_of(cluster)
    assert runtime.exec(container_id, ["cat", "/etc/config/k"]) == (0, "v1")
    assert runtime.exec(container_id, ["readlink", "/etc/config/..data"])[1].startswith("..20")
    code, output = runtime.exec(container_id, ["sh", "-c", "echo x > /etc/config/new"])
    assert code != 0 and "Read-only file system" in output
    assert runtime.exec(container_id, ["sh", "-c", "echo x > /scratch/f && cat /scratch/f"]) == (
        0,
        "x\n",
    )
    mounts = inspect(runtime, container_id)["Mounts"]
    (config,) = [m for m in mounts if m["Destination"] == "/etc/config"]
    host = Path(config["Source"])
    assert host.parts[-2:] == ("kubernetes.io~configmap", "config") and not config["RW"]
    cluster.delete("pods", "mounts")
    assert cluster.settle(until=lambda: not host.exists(), horizon=60)


@pytest.mark.parametrize(
    ("image", "command", "output"),
    [
        ("python", ["python", "-c", "print(6 * 7)"], "42\n"),
        ("nginx", ["sh", "-c", "nginx && wget -qO- http://127.0.0.1/ | grep h1"], None),
    ],
)
def test_latest_images_are_pulled_from_the_engine_s_mirror_every_time(
    cluster: Cluster, image: str, command: list[str], output: str | None
) -> None:
    """`.ci/dockerd` gives the engine the project's registry as its Docker Hub mirror: an image
    at `latest` (pull policy Always) is really pulled, as from Docker Hub."""
    cluster.apply(
        pod_manifest(
            "latest", {"name": "app", "image": image, "command": command}, restartPolicy="Never"
        )
    )
    assert cluster.settle(
        until=lambda: cluster.pod("latest")["status"].get("phase") == "Succeeded", horizon=120
    )
    pulled = [m for _, r, m in events_of(cluster, "latest") if r == "Pulled"]
    assert pulled and pulled[0].startswith(f'Successfully pulled image "{image}" in ')
    logs = cluster.logs("latest")
    assert logs == output if output is not None else "<h1>Welcome to nginx!</h1>" in logs
