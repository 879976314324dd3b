"""The pytest plugin of the conformance features: options, markers, the engine, a coverage summary.

Loaded by tests/conftest.py for `make test`, and by `listwatch conformance` from the installed
package. Every spec step ID, and every finding of the troubleshooting tree, is registered as a marker
(features are tagged with what they cover, and run under --strict-markers); at the end, a table gives per step ID how many scenarios
cover it and how many passed, failed or were skipped, and lists the IDs no scenario covers.
"""

from __future__ import annotations

from collections import Counter

import pytest

from listwatch import engine as engine_module
from listwatch.backends import BACKENDS
from listwatch.engine import Engine

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
