"""The pytest plugin of the conformance features: options, markers, the engine, a coverage summary.

Loaded by tests/conftest.py for `make test`, and by `listwatch conformance` from the installed
package. Every spec step ID, and every finding of the troubleshooting tree, is registered as a
marker (features are tagged with what they cover, and run under --strict-markers); at the end, a
table gives per step ID how many scenarios cover it and how many passed, failed or were skipped, and
lists the IDs no scenario covers.

It also keeps the spec and the engine in agreement (`TransitionCoverage`): each scenario's cluster
reports the edges of the spec's machines it fired, and a memory run of the whole feature suite
fails when a spec transition never fired and the spec does not mark it `observedOnly`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from listwatch import engine as engine_module
from listwatch import errors
from listwatch.backends import BACKENDS
from listwatch.engine import Engine
from listwatch.machines import building
from listwatch.spec.model import Spec

OUTCOMES = ("passed", "failed", "skipped")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("listwatch")
    group.addoption(
        "--backend",
        choices=BACKENDS,
        default="memory",
        help="where the features run (default: memory)",
    )
    group.addoption("--kubeconfig", default=None, help="the cluster backend's kubeconfig")


def pytest_configure(config: pytest.Config) -> None:
    spec = engine_module.load().spec
    ids = list(spec.flow.step_ids)
    for step in spec.flow.steps:
        config.addinivalue_line("markers", f"{step.id}: covers spec step {step.id}: {step.title}")
    if spec.troubleshooting is not None:
        for node in spec.troubleshooting.nodes.values():
            if node.is_finding:
                ids.append(node.id)
                config.addinivalue_line(
                    "markers",
                    f"{node.id}: covers troubleshooting finding {node.id}: {node.finding}",
                )
    config.pluginmanager.register(SpecCoverage(tuple(ids)), "listwatch-spec-coverage")
    config.pluginmanager.register(
        TransitionCoverage(spec, enforce=whole_memory_run(config)),
        "listwatch-transition-coverage",
    )


@pytest.fixture(scope="session")
def engine() -> Engine:
    return engine_module.load()


class SpecCoverage:
    """Counts, per spec step ID, the scenarios tagged with it and how they ended.

    Counted from the test reports (whose keywords carry the markers), so that the table is whole
    under pytest-xdist too, where the controlling process collects nothing itself.
    """

    def __init__(self, step_ids: tuple[str, ...]) -> None:
        self.step_ids = step_ids
        self.outcomes: dict[str, Counter[str]] = {step: Counter() for step in step_ids}
        self._tags: dict[str, list[str]] = {}

    @property
    def covered(self) -> Counter[str]:
        return Counter(tag for tags in self._tags.values() for tag in tags)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        tags = self._tags.setdefault(
            report.nodeid, [k for k in report.keywords if k in self.outcomes]
        )
        if not tags:
            return
        if (report.when == "call") or (report.when == "setup" and report.outcome != "passed"):
            for tag in tags:
                self.outcomes[tag][report.outcome] += 1

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        covered = self.covered
        if not covered:
            return
        write = terminalreporter.write_line
        terminalreporter.section("spec coverage")
        write(f"{'step':<8}{'scenarios':>10}{'passed':>8}{'failed':>8}{'skipped':>9}")
        for step in self.step_ids:
            counts = self.outcomes[step]
            if covered[step]:
                write(
                    f"{step:<8}{covered[step]:>10}"
                    + "".join(f"{counts[o]:>{8 if o != 'skipped' else 9}}" for o in OUTCOMES)
                )
        uncovered = [s for s in self.step_ids if not covered[s]]
        write(f"uncovered: {', '.join(uncovered) if uncovered else 'none'}")


#: The key under which a scenario's report carries the edges its cluster fired.
FIRED = "listwatch-fired-edges"
#: Where a scenario's `world` fixture is kept, to read its cluster's fired edges after the call.
WORLD = pytest.StashKey[object]()
#: The test module that runs every scenario of features/.
FEATURES_MODULE = Path(__file__).with_name("test_features.py").resolve()


def whole_memory_run(config: pytest.Config) -> bool:
    """Whether this run takes every scenario of features/ on the memory backend: no -k, -m,
    --deselect or --last-failed, and every path given holds the features' test module."""
    option = config.option
    if config.getoption("--backend") != "memory":
        return False
    if option.keyword or option.markexpr or getattr(option, "deselect", None):
        return False
    if getattr(option, "lf", False) or getattr(option, "failedfirst", False):
        return False
    return all(_holds_features(arg) for arg in config.args)


def _holds_features(arg: str) -> bool:
    if "::" in arg:
        return False
    path = Path(arg).resolve()
    return path == FEATURES_MODULE or path in FEATURES_MODULE.parents


class TransitionCoverage:
    """Collects the machine edges every scenario fired and, when `enforce`, fails the session if
    a spec transition never fired and is not marked observed-only.

    Each scenario's edges ride in its call report's `user_properties`, so that the union is whole
    under pytest-xdist too. They are read off the scenario's in-process cluster
    (`world.backend.cluster.fired`), the `world` fixture caught as it is set up (the steps ask for
    it by name, not the test function).
    """

    def __init__(self, spec: Spec, *, enforce: bool) -> None:
        self.spec = spec
        self.enforce = enforce
        self.fired: set[building.Edge] = set()
        self.scenarios = 0
        self.problems: list[str] = []

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
    ) -> Any:
        result = yield
        if fixturedef.argname == "world":
            request.node.stash[WORLD] = result
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        if call.when != "call":
            return
        fired = fired_edges(item.stash.get(WORLD, None))
        if fired is not None:
            item.user_properties.append((FIRED, sorted(fired.edges)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for key, value in report.user_properties:
            if key == FIRED:
                self.scenarios += 1
                self.fired.update(tuple(edge) for edge in value)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.enforce or hasattr(session.config, "workerinput"):
            return
        if not self.scenarios:
            if session.testscollected:
                self.problems = [
                    "no scenario reported the transitions its cluster fired: "
                    "the plugin no longer reaches the scenarios' clusters (see fired_edges)"
                ]
        else:
            self.problems = verdict(self.spec, self.fired)
        if self.problems and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.problems:
            return
        terminalreporter.section("spec transitions and the engine disagree", red=True)
        for line in self.problems:
            terminalreporter.write_line(line)


def fired_edges(world: object) -> building.FiredEdges | None:
    """The edges the scenario's in-process cluster (`world.backend.cluster`) fired, or None when
    there is none: another backend (no `cluster`), or an in-process one not started."""
    try:
        cluster = getattr(getattr(world, "backend", None), "cluster", None)
    except errors.BackendUnavailable:
        return None  # an in-process backend not started
    fired = getattr(cluster, "fired", None)
    return fired if isinstance(fired, building.FiredEdges) else None


def verdict(spec: Spec, fired: Iterable[Sequence[Any]]) -> list[str]:
    """What is wrong with a whole run's fired edges: each spec transition that never fired and is
    not marked observed-only."""
    real = {tuple(e) for e in fired}
    return [f"never fired, not observedOnly: {gap}" for gap in building.unfired(spec, real)]
