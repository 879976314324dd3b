"""One contract for every container runtime the kubelet can drive (memory now; Docker later).

Each test body runs against every runtime in RUNTIMES; a runtime that cannot run here is skipped
with its reason. Results must arrive through callbacks on the loop, never inside the call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from listwatch.backends.base import PullResult, Runtime, Sandbox, Started
from listwatch.backends.memory import MemoryRuntime
from listwatch.clock import ManualClock
from listwatch.loop import Loop

RuntimeFactory = Callable[[Loop], Runtime]
RUNTIMES: dict[str, RuntimeFactory] = {"memory": lambda loop: MemoryRuntime(loop)}


@pytest.fixture(params=sorted(RUNTIMES))
def runtime(request: pytest.FixtureRequest) -> Iterator[tuple[Runtime, Loop]]:
    loop = Loop(ManualClock())
    made = RUNTIMES[request.param](loop)
    yield made, loop
    made.close()


POD: dict[str, Any] = {"metadata": {"name": "p", "namespace": "default", "uid": "uid-1"}}


def wait(loop: Loop, done: Callable[[], bool]) -> None:
    assert loop.run(until=done, horizon=loop.clock.now() + 120), "the runtime never answered"


def test_a_pull_of_a_known_image_succeeds_and_leaves_it_present(runtime: tuple[Runtime, Loop]) -> None:
    rt, loop = runtime
    results: list[PullResult] = []
    rt.pull_image("node01", POD, "busybox:1.36", results.append)
    assert results == []  # never inside the call
    wait(loop, lambda: bool(results))
    assert results[0].ok and results[0].size > 0 and results[0].image_id
    assert rt.image_present("node01", "busybox:1.36")


def test_a_pull_of_a_missing_image_fails_with_the_runtime_s_error(runtime: tuple[Runtime, Loop]) -> None:
    rt, loop = runtime
    results: list[PullResult] = []
    rt.pull_image("node01", POD, "nginx:1.13-invalid", results.append)
    wait(loop, lambda: bool(results))
    assert not results[0].ok and "not found" in results[0].error
    assert not rt.image_present("node01", "nginx:1.13-invalid")


def test_a_container_runs_its_command_exits_with_its_code_and_keeps_its_logs(runtime: tuple[Runtime, Loop]) -> None:
    rt, loop = runtime
    pulled: list[PullResult] = []
    rt.pull_image("node01", POD, "busybox:1.36", pulled.append)
    wait(loop, lambda: bool(pulled))
    sandboxes: list[Sandbox] = []
    rt.run_sandbox("node01", POD, sandboxes.append)
    wait(loop, lambda: bool(sandboxes))
    exits: list[int] = []
    started: list[Started] = []
    container = {"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", "echo started; exit 3"]}
    rt.start_container("node01", POD, container, 0, exits.append, started.append)
    wait(loop, lambda: bool(exits))
    assert started and started[0].container_id
    assert exits == [3]
    assert rt.logs(started[0].container_id) == "started\n"


def test_stopping_a_server_ends_it_cleanly(runtime: tuple[Runtime, Loop]) -> None:
    rt, loop = runtime
    pulled: list[PullResult] = []
    rt.pull_image("node01", POD, "nginx:1.15", pulled.append)
    wait(loop, lambda: bool(pulled))
    exits: list[int] = []
    started: list[Started] = []
    rt.start_container("node01", POD, {"name": "web", "image": "nginx:1.15"}, 0, exits.append, started.append)
    wait(loop, lambda: bool(started))
    loop.run(horizon=loop.clock.now() + 5)
    assert exits == []  # a server keeps running
    rt.stop_container("node01", started[0].container_id, 30)
    wait(loop, lambda: bool(exits))
    assert exits == [0] and started[0].handles_sigterm
