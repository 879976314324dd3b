"""What every generated round shares: what it finds wrong, and waiting until the component under
test is done with the workload.

A round is judged from the objects at its end, so it must not end while the component still
works: `settle` waits until the objects stop changing, briefly when they look done and much longer
when they do not (a component still starting, on a busy machine, has not yet acted; one that will
never finish is given that long, not forever).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from listwatch.remote.kubeapi import KubeAPI
from listwatch.rules import resources

Obj = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    """What the component did wrong in a round, at a spec step, in one sentence."""

    step: str
    subject: str
    sentence: str


class Round(Protocol):
    """One seeded round: what to make before the component starts, then the workload and its
    judgement."""

    #: The served cluster's nodes for this round.
    nodes: Sequence[str]

    @property
    def seed(self) -> int: ...

    def prepare(self, api: KubeAPI) -> None: ...

    def play(self, api: KubeAPI) -> list[Finding]: ...

    def summary(self) -> str: ...


def settle(
    read: Callable[[], list[Obj]],
    done: Callable[[list[Obj]], bool],
    *,
    timeout: float = 60.0,
    quiet: float = 1.0,
    patience: float = 10.0,
) -> list[Obj]:
    """The objects `read` gives once nothing changed for `quiet` seconds while `done`, or for
    `patience` seconds while not, or at `timeout`."""
    deadline = time.monotonic() + timeout
    last, since = "", time.monotonic()
    while True:
        objects = read()
        versions = ",".join(sorted(str(o["metadata"].get("resourceVersion")) for o in objects))
        now = time.monotonic()
        if versions != last:
            last, since = versions, now
        if now - since >= (quiet if done(objects) else patience) or now >= deadline:
            return objects
        time.sleep(0.1)


def shown(resource: str, value: int) -> str:
    """An amount as a person reads it: CPU in millicores, memory in MiB."""
    if resource == resources.CPU:
        return f"{value}m"
    if resource == resources.MEMORY:
        return f"{value // 2**20}Mi"
    return str(value)
