"""Feeding a journal from a running cluster: its watch events, the steps its actions realise, the
scheduler's explanations, and its machines' state counts.

Everything here runs on the cluster's loop: `attach` is called there (`LiveCluster.call`), and so
are the callbacks it installs. The cluster must report its actions (`trace_actions`), or no step
is ever realised.
"""

from __future__ import annotations

from collections.abc import Callable

from listwatch.cluster import Cluster
from listwatch.flow import FlowTracker, StepEvent
from listwatch.loop import Timer
from listwatch.trace import TraceWriter
from listwatch.web.journal import Journal

#: How often the machines' state counts are handed to the journal, in the cluster's seconds.
MACHINES_EVERY = 1.0


def attach(journal: Journal, cluster: Cluster) -> Callable[[], None]:
    """Feed `journal` from `cluster` from now on; return how to stop (on the loop too)."""
    writer = TraceWriter(journal.add)
    writer.observe(cluster.api)
    stopped = False

    def step(event: StepEvent) -> None:
        if not stopped:
            writer.step(event)

    cluster.sinks.add(FlowTracker(cluster.spec.flow, step))
    stop_explaining = cluster.on_explain(writer.explain)

    timer: Timer | None = None

    def count() -> None:
        nonlocal timer
        journal.set_machines(cluster.states.snapshot())
        timer = cluster.loop.call_later(MACHINES_EVERY, count, daemon=True)

    count()

    def stop() -> None:
        nonlocal stopped
        stopped = True
        writer.close()
        stop_explaining()
        if timer is not None:
            timer.cancel()
        journal.set_machines(cluster.states.snapshot())

    return stop
