"""`listwatch conformance`: the Gherkin features, run by pytest-bdd against a chosen backend.

    listwatch conformance [--backend memory|docker|cluster] [--kubeconfig K] [--junit FILE]
        [--cucumber-json FILE]

The features and their step definitions ship inside the package, so an installed listwatch can
validate any backend; in a checkout they are `features/` and `tests/bdd/`. `--backend cluster`
runs them against the Kubernetes API the kubeconfig points at (`--kubeconfig`, else $KUBECONFIG,
else ~/.kube/config), each scenario in a namespace of its own (`listwatch.remote.cluster`);
scenarios needing what only a simulator can do are skipped, each with its reason. The exit code is
pytest's: 0 when every scenario passed, 1 when one failed. A per-step-ID summary (covered,
passed, failed, and the uncovered IDs) ends the output.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO

from listwatch import paths
from listwatch.backends import BACKENDS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="memory",
        help="where to run the features (default: memory)",
    )
    parser.add_argument(
        "--kubeconfig",
        help="the kubeconfig of the cluster backend (default: $KUBECONFIG, else ~/.kube/config)",
    )
    parser.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    parser.add_argument("--cucumber-json", metavar="FILE", help="also write a Cucumber JSON report")
    parser.add_argument(
        "-k",
        dest="keyword",
        metavar="EXPRESSION",
        help="only the scenarios matching the pytest -k expression",
    )


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    """The pytest command line that runs the packaged features with the packaged steps."""
    directory = paths.conformance_dir()
    argv = [
        str(directory / "test_features.py"),
        f"--backend={args.backend}",
        "--strict-markers",
        "-rs",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
    ]
    argv += ["--rootdir", str(directory)]
    if directory == paths.SOURCE / "tests" / "bdd":
        # A checkout: tests/conftest.py registers the plugin and the steps itself.
        if str(paths.SOURCE) not in sys.path:
            sys.path.insert(0, str(paths.SOURCE))
    else:
        for module in ("plugin", "steps", "troubleshooting_steps"):
            argv += ["-p", f"listwatch._conformance.{module}"]
    if args.kubeconfig:
        # One word: pytest reads a path standing alone before it knows the plugin's options as a
        # test path of its own, and the features' conftest is then left out.
        argv += [f"--kubeconfig={args.kubeconfig}"]
    if args.junit:
        argv += [f"--junitxml={args.junit}"]
    if args.cucumber_json:
        argv += [f"--cucumberjson={args.cucumber_json}"]
    if args.keyword:
        argv += ["-k", args.keyword]
    return argv


def command(args: argparse.Namespace, out: IO[str]) -> int:
    import pytest

    out.flush()
    return int(pytest.main(pytest_arguments(args)))
