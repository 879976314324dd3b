"""The memory runtime's catalogue and busybox-style command interpreter."""

from __future__ import annotations

import pytest

from listwatch.rules.images import normalize
from listwatch.runtime.memory import FOREVER, interpret


@pytest.mark.parametrize(
    ("command", "args", "exit_code", "runtime", "lines"),
    [
        (["sh", "-c", "echo hello; exit 0"], [], 0, 0.0, ["hello"]),
        (["sh", "-c", "echo started && exit 3"], [], 3, 0.0, ["started"]),
        (["sh", "-c", "sleep 5; echo done"], [], 0, 5.0, ["", "done"]),
        (["sleep", "30"], [], 0, 30.0, [""]),
        (["sh"], ["-c", "false"], 1, 0.0, []),
        (["sh", "-c", "frobnicate"], [], 127, 0.0, ["sh: frobnicate: not found"]),
        ([], [], 0, 0.0, []),
    ],
)
def test_busybox_commands_are_interpreted(
    command: list[str], args: list[str], exit_code: int, runtime: float, lines: list[str]
) -> None:
    program = interpret("command", command, args)
    assert (program.exit_code, program.runtime) == (exit_code, runtime)
    assert [line for _, line in program.steps] == lines


def test_a_loop_or_sleep_infinity_runs_forever() -> None:
    assert (
        interpret("command", ["sh", "-c", "while true; do echo tick; sleep 1; done"], []).runtime
        == FOREVER
    )
    assert interpret("command", ["sleep", "infinity"], []).runtime == FOREVER
    assert interpret("server", [], []).runtime == FOREVER


def test_image_references_are_normalised_as_containerd_does() -> None:
    assert normalize("nginx:1.15") == ("docker.io/library/nginx:1.15", "nginx", "1.15")
    assert normalize("busybox") == ("docker.io/library/busybox:latest", "busybox", "latest")
    assert normalize("registry.k8s.io/pause:3.10")[0] == "registry.k8s.io/pause:3.10"
