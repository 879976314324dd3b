"""Which spec transitions a run fired: the observer each cluster owns, and the features' verdict."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from listwatch import errors
from listwatch.cluster import Cluster
from listwatch.engine import Engine
from listwatch.machines import building
from tests.bdd import plugin
from tests.builders import pod
from tests.conftest import ROOT


class Context:
    pass


def every_edge_but(engine: Engine, *dropped: tuple[str, str]) -> set[building.Edge]:
    """Every edge of the spec's machines, less those of the (machine, trigger) pairs `dropped`."""
    return {
        (m.name, t.trigger, s, t.dest)
        for m in engine.spec.machines.values()
        for t in m.transitions
        for s in t.sources
        if (m.name, t.trigger) not in dropped
    }


def test_an_observed_machine_reports_each_state_change_and_the_engines_stays_silent(
    engine: Engine,
) -> None:
    fired = building.FiredEdges()
    shared = engine.machines["pod-phase"]
    observed = shared.observed(fired)
    context = Context()
    observed.start(context)
    assert observed.fire(None, context, "reject") == "Failed"
    assert fired.edges == {("pod-phase", "reject", "Pending", "Failed")}
    assert shared.observer is None
    assert observed.fire(None, context, "node_recovered") is None  # nothing happened, nothing said
    assert len(fired.edges) == 1


def test_each_cluster_keeps_the_edges_it_fired_apart_from_another(
    make_cluster: Callable[..., Cluster],
) -> None:
    busy, idle = make_cluster(), make_cluster()
    busy.apply(pod("web", node_name="node01"))
    busy.settle()
    assert ("pod-phase", "sync", "Pending", "Running") in busy.fired.edges
    assert ("container", "start", "Waiting", "Pulling") in busy.fired.edges
    assert not any(edge[0] in ("pod-phase", "container") for edge in idle.fired.edges)


def test_a_transition_fired_from_one_of_its_sources_is_not_owed(engine: Engine) -> None:
    fired = every_edge_but(engine, ("container", "restart"))
    fired.add(("container", "restart", "Error", "Restarting"))
    gaps = building.unfired(engine.spec, fired)
    assert [(g.machine.name, g.machine.transitions[g.index].dest) for g in gaps] == [
        ("container", "CrashLoopBackOff")
    ]
    assert "container: restart Completed | Error -> CrashLoopBackOff" in str(gaps[0])
    assert "spec/objects/container.yaml:" in str(gaps[0])


def test_the_verdict_names_a_transition_no_scenario_fired(engine: Engine) -> None:
    fired = every_edge_but(engine, ("scheduling", "schedule"))
    problems = plugin.verdict(engine.spec, fired)
    assert len(problems) == 3  # bound, unschedulable after preempting, unschedulable
    assert all(
        p.startswith("never fired, not observedOnly: scheduling: schedule") for p in problems
    )


def test_observed_only_transitions_are_owed_by_no_run(engine: Engine) -> None:
    fired = every_edge_but(engine, ("pod-phase", "node_lost"), ("pod-phase", "node_recovered"))
    assert plugin.verdict(engine.spec, fired) == []


@pytest.mark.parametrize(
    ("args", "options", "whole"),
    [
        (["tests"], {}, True),
        (["tests/bdd/test_features.py"], {}, True),
        (["."], {}, True),
        (["tests/bdd/test_features.py::test_x"], {}, False),
        (["tests/spec"], {}, False),
        (["tests"], {"keyword": "image"}, False),
        (["tests"], {"markexpr": "LW-12"}, False),
        (["tests"], {"backend": "docker"}, False),
    ],
)
def test_only_a_memory_run_of_every_scenario_is_judged(
    args: list[str], options: dict[str, str], whole: bool
) -> None:
    class Option:
        keyword = options.get("keyword", "")
        markexpr = options.get("markexpr", "")

    class Config:
        option = Option()

        def __init__(self) -> None:
            self.args = [str(ROOT / arg) for arg in args]

        def getoption(self, name: str) -> str:
            assert name == "--backend"
            return options.get("backend", "memory")

    assert plugin.whole_memory_run(Config()) is whole  # type: ignore[arg-type]


def test_the_fired_edges_are_found_on_the_world_s_in_process_backend(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()

    class InProcess:
        def __init__(self) -> None:
            self.cluster = cluster

    class NotStarted:
        @property
        def cluster(self) -> Cluster:
            raise errors.BackendUnavailable("the in-process cluster has not been started")

    class Remote:
        pass

    class World:
        def __init__(self, backend: object) -> None:
            self.backend = backend

    assert plugin.fired_edges(World(InProcess())) is cluster.fired
    assert plugin.fired_edges(World(NotStarted())) is None
    assert plugin.fired_edges(World(Remote())) is None
    assert plugin.fired_edges(None) is None
