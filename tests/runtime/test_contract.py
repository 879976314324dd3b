"""One contract for every container runtime the kubelet can drive: memory and Docker.

Each test body runs against every runtime in RUNTIMES; a runtime that cannot run here is skipped
with its reason (failed where LISTWATCH_REQUIRE_DOCKER is set). Results must arrive through
callbacks on the loop, never inside the call.

Where Docker legitimately differs, the body takes it from the runtime's `Flavour`, not from an
if-statement:
- the clock: the memory runtime runs under the logical clock, a Docker Engine's containers in real
  time (a logical clock would not move while the loop waits for them);
- the image a pull can get: the memory catalogue's busybox; for Docker, busybox served by a registry
  the tests run on 127.0.0.1 (no registry outside is reachable here);
- a server that stops cleanly on SIGTERM: the catalogue's nginx; for Docker, busybox's sh trapping
  TERM (there is no nginx image here, and busybox's httpd as PID 1 ignores SIGTERM);
- a failed pull's message: the memory runtime says the reference was not found, as containerd
  does; a Docker Engine says why the registry could not be reached. Both give a message.
- the images a fresh node has: the memory runtime's nodes start with the pod sandbox image
  (registry.k8s.io/pause:3.10); a Docker Engine's images are every node's, its sandbox image
  (busybox:latest) among them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from listwatch.clock import Clock, ManualClock, SystemClock
from listwatch.loop import Loop
from listwatch.rules.images import normalize
from listwatch.runtime.base import (
    Image,
    PortUnreachable,
    PullResult,
    Runtime,
    Sandbox,
    Started,
    parse_log_timestamp,
)
from listwatch.runtime.memory import MemoryRuntime
from tests.dockerengine import docker_runtime


@dataclass(frozen=True)
class Flavour:
    """How a runtime is made, and what it has, for the contract's bodies."""

    make: Callable[[Loop], Runtime]
    clock: Callable[[], Clock]
    #: A container that serves until SIGTERM, then exits 0.
    server: dict[str, Any]
    #: An image every node has before any pull: the pod sandbox image.
    sandbox_image: str
    #: The name of a fixture giving an image reference a pull gets ("" for BUSYBOX itself).
    pullable_fixture: str = ""


BUSYBOX = "busybox:1.36"
#: The kubelet's timestamp prefix: RFC 3339 in UTC with nine fraction digits.
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z")
RUNTIMES: dict[str, Flavour] = {
    "memory": Flavour(
        MemoryRuntime,
        ManualClock,
        {"name": "web", "image": "nginx:1.15"},
        "registry.k8s.io/pause:3.10",
    ),
    "docker": Flavour(
        docker_runtime,
        SystemClock,
        {
            "name": "web",
            "image": BUSYBOX,
            "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"],
        },
        "busybox:latest",
        pullable_fixture="registry_image",
    ),
}


@dataclass
class Subject:
    """A runtime under contract, its loop, and the image a pull gets on it."""

    rt: Runtime
    loop: Loop
    flavour: Flavour
    pullable: str


@pytest.fixture(params=sorted(RUNTIMES))
def runtime(request: pytest.FixtureRequest) -> Iterator[Subject]:
    flavour = RUNTIMES[request.param]
    loop = Loop(flavour.clock())
    made = flavour.make(loop)
    pullable = (
        request.getfixturevalue(flavour.pullable_fixture) if flavour.pullable_fixture else BUSYBOX
    )
    yield Subject(made, loop, flavour, pullable)
    made.close()
    loop.close()


POD: dict[str, Any] = {"metadata": {"name": "p", "namespace": "default", "uid": "uid-1"}}


def wait(loop: Loop, done: Callable[[], bool]) -> None:
    assert loop.run(until=done, horizon=loop.clock.now() + 120), "the runtime never answered"


def start(subject: Subject, container: dict[str, Any], exits: list[int]) -> Started:
    """Pull the image if it is missing (as the kubelet does under IfNotPresent), then start the
    container."""
    rt, loop = subject.rt, subject.loop
    if not rt.image_present("node01", container["image"]):
        pulled: list[PullResult] = []
        rt.pull_image("node01", POD, container["image"], pulled.append)
        wait(loop, lambda: bool(pulled))
    started: list[Started] = []
    rt.start_container("node01", POD, container, 0, exits.append, started.append)
    assert started == []  # never inside the call
    wait(loop, lambda: bool(started))
    return started[0]


def test_a_pull_of_a_known_image_succeeds_and_leaves_it_present(runtime: Subject) -> None:
    rt, loop = runtime.rt, runtime.loop
    results: list[PullResult] = []
    rt.pull_image("node01", POD, runtime.pullable, results.append)
    assert results == []  # never inside the call
    wait(loop, lambda: bool(results))
    assert results[0].ok and results[0].size > 0 and results[0].image_id, results[0]
    assert rt.image_present("node01", runtime.pullable)


def test_a_pull_of_a_missing_image_fails_with_the_runtime_s_error(runtime: Subject) -> None:
    rt, loop = runtime.rt, runtime.loop
    results: list[PullResult] = []
    rt.pull_image("node01", POD, "nginx:1.13-invalid", results.append)
    wait(loop, lambda: bool(results))
    assert not results[0].ok and results[0].error
    assert not rt.image_present("node01", "nginx:1.13-invalid")


def test_a_container_runs_its_command_exits_with_its_code_and_keeps_its_logs(
    runtime: Subject,
) -> None:
    rt, loop = runtime.rt, runtime.loop
    sandboxes: list[Sandbox] = []
    rt.run_sandbox("node01", POD, sandboxes.append)
    assert sandboxes == []  # never inside the call
    wait(loop, lambda: bool(sandboxes))
    exits: list[int] = []
    started = start(
        runtime,
        {"name": "main", "image": BUSYBOX, "command": ["sh", "-c", "echo started; exit 3"]},
        exits,
    )
    wait(loop, lambda: bool(exits))
    assert started.container_id and exits == [3]
    assert rt.logs(started.container_id) == "started\n"


def test_logs_carry_the_time_each_line_was_written_and_since_filters_by_it(
    runtime: Subject,
) -> None:
    rt, loop = runtime.rt, runtime.loop
    exits: list[int] = []
    started = start(
        runtime,
        {
            "name": "main",
            "image": BUSYBOX,
            "command": ["sh", "-c", "echo early; sleep 2; echo late; exit 0"],
        },
        exits,
    )
    wait(loop, lambda: bool(exits))
    stamped = rt.logs(started.container_id, timestamps=True).splitlines()
    assert [line.partition(" ")[2] for line in stamped] == ["early", "late"]
    assert all(STAMP.fullmatch(line.partition(" ")[0]) for line in stamped), stamped
    early, late = (parse_log_timestamp(line.partition(" ")[0]) or 0 for line in stamped)
    assert 1.5e9 <= late - early <= 10e9
    at_late = datetime.fromtimestamp(late // 1_000_000_000, UTC)  # whole seconds, as sinceTime
    assert rt.logs(started.container_id, since=at_late) == "late\n"
    assert rt.logs(started.container_id, tail=1, since=at_late - timedelta(hours=1)) == "late\n"
    assert rt.logs(started.container_id, tail=1, since=at_late + timedelta(hours=1)) == ""


def test_stopping_a_server_ends_it_cleanly(runtime: Subject) -> None:
    rt, loop = runtime.rt, runtime.loop
    exits: list[int] = []
    started = start(runtime, runtime.flavour.server, exits)
    loop.run(until=lambda: bool(exits), horizon=loop.clock.now() + 2)
    assert exits == []  # a server keeps running
    rt.stop_container("node01", started.container_id, 30)
    wait(loop, lambda: bool(exits))
    assert exits == [0] and started.handles_sigterm


def test_a_process_that_ignores_sigterm_is_killed_when_the_grace_period_ends(
    runtime: Subject,
) -> None:
    rt, loop = runtime.rt, runtime.loop
    exits: list[int] = []
    started = start(
        runtime, {"name": "sleeper", "image": BUSYBOX, "command": ["sleep", "3600"]}, exits
    )
    stopped_at = loop.clock.now()
    rt.stop_container("node01", started.container_id, 2)
    wait(loop, lambda: bool(exits))
    assert exits == [137]  # busybox sleep as PID 1 has no SIGTERM handler: SIGKILL after the grace
    assert loop.clock.now() - stopped_at >= 2


def test_removing_a_pod_forgets_its_containers(runtime: Subject) -> None:
    rt, loop = runtime.rt, runtime.loop
    exits: list[int] = []
    start(runtime, {"name": "sleeper", "image": BUSYBOX, "command": ["sleep", "3600"]}, exits)
    rt.remove_pod("node01", "uid-1")
    loop.run(until=lambda: bool(exits), horizon=loop.clock.now() + 2)
    assert exits == []  # no exit is reported for a removed pod's container


def named(images: list[Image], image: str) -> Image | None:
    """The listed image one of whose tag names is `image` (compared as full references)."""
    reference = normalize(image)[0]
    return next(
        (i for i in images if any(normalize(tag)[0] == reference for tag in i.repo_tags)), None
    )


def test_a_fresh_node_lists_its_sandbox_image(runtime: Subject) -> None:
    sandbox = named(runtime.rt.images("node01"), runtime.flavour.sandbox_image)
    assert sandbox is not None and sandbox.size > 0 and sandbox.id


def test_a_pulled_image_is_listed_with_its_tag_its_digest_and_its_size(runtime: Subject) -> None:
    rt, loop = runtime.rt, runtime.loop
    results: list[PullResult] = []
    rt.pull_image("node01", POD, runtime.pullable, results.append)
    wait(loop, lambda: bool(results))
    pulled = named(rt.images("node01"), runtime.pullable)
    assert pulled is not None and pulled.size == results[0].size
    assert any("@sha256:" in digest for digest in pulled.repo_digests), pulled


def test_a_failed_pull_lists_nothing_new(runtime: Subject) -> None:
    rt, loop = runtime.rt, runtime.loop
    before = rt.images("node01")
    results: list[PullResult] = []
    rt.pull_image("node01", POD, "nginx:1.13-invalid", results.append)
    wait(loop, lambda: bool(results))
    assert sorted(i.id for i in rt.images("node01")) == sorted(i.id for i in before)
    assert named(rt.images("node01"), "nginx:1.13-invalid") is None


def test_a_port_nobody_listens_on_is_refused_in_containerds_words(runtime: Subject) -> None:
    rt, loop = runtime.rt, runtime.loop
    pod = {"metadata": {"name": "forwarded", "namespace": "default", "uid": "uid-forwarded"}}
    with pytest.raises(PortUnreachable) as unsandboxed:
        rt.connect("node01", "uid-forwarded", 80)
    assert unsandboxed.value.reason == "failed to find sandbox for pod uid-forwarded"
    sandboxes: list[Sandbox] = []
    rt.run_sandbox("node01", pod, sandboxes.append)
    wait(loop, lambda: bool(sandboxes))
    with pytest.raises(PortUnreachable) as refused:
        rt.connect("node01", "uid-forwarded", 81)
    sandbox_id = sandboxes[0].sandbox_id
    assert refused.value.sandbox_id == sandbox_id
    # IPv6's reason depends on the namespace: a Docker Engine's has no ::1 (`cannot assign
    # requested address`)
    assert re.fullmatch(
        f'failed to connect to localhost:81 inside namespace "{sandbox_id}", IPv4: dial tcp4 '
        r"127\.0\.0\.1:81: connect: connection refused IPv6 dial tcp6 \[::1\]:81: connect: "
        r"(connection refused|cannot assign requested address) ",
        refused.value.reason,
    )
    rt.remove_pod("node01", "uid-forwarded")
    with pytest.raises(PortUnreachable):
        rt.connect("node01", "uid-forwarded", 81)
