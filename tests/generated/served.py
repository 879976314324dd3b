"""Generated rounds played on fresh served clusters with the built-in components, several at once:
each in a process of its own (a round is mostly waiting; the served clusters share nothing)."""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from listwatch import engine as engine_module
from listwatch import generated
from listwatch.checker.run import check_records
from listwatch.remote.kubeapi import KubeAPI
from listwatch.remote.recording import WatchRecorder
from listwatch.server import Server
from listwatch.validate import WATCHED

#: How many rounds run at once.
AT_ONCE = 4


@dataclass(frozen=True)
class Played:
    """A round's outcome: its findings, the checker's violations, the steps it saw, and the
    round's own summary."""

    seed: int
    findings: list[generated.Finding]
    violations: list[str]
    step_counts: dict[str, int]
    summary: str


def play(component: str, seed: int) -> Played:
    """The round of `seed` for `component`, played by the built-in components."""
    engine = engine_module.load(None)
    played = generated.round_for(component, seed, generated.Options())
    assert played is not None
    with Server(engine, nodes=list(played.nodes), port=0, err=sys.stderr) as server:
        api = KubeAPI(str(server.kubeconfig))
        recorder = WatchRecorder(api, WATCHED)  # what `listwatch validate` records
        try:
            played.prepare(api)
            recorder.start()
            found = played.play(api)
        finally:
            recorder.stop()
            api.close()
    report = check_records(recorder.in_revision_order(), engine.spec, name=f"seed {seed}")
    return Played(
        seed,
        found,
        [v.message for v in report.violations],
        dict(report.step_counts),
        played.summary(),
    )


def play_all(component: str, seeds: list[int]) -> list[Played]:
    """`play` for each seed, AT_ONCE at a time, in fresh interpreters."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(AT_ONCE, mp_context=context) as pool:
        return list(pool.map(play, [component] * len(seeds), seeds))
