"""`listwatch conformance`: the packaged features, run by pytest-bdd, with reports and a spec
summary."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from listwatch import conformance
from tests.bdd.world import REQUIRE_DOCKER
from tests.conftest import ROOT


def options(**kwargs: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    conformance.add_arguments(parser)
    args = parser.parse_args([])
    for key, value in kwargs.items():
        setattr(args, key, value)
    return args


def test_the_pytest_command_line_carries_the_backend_and_the_reports() -> None:
    argv = conformance.pytest_arguments(
        options(backend="cluster", kubeconfig="/k", junit="j.xml", cucumber_json="c.json")
    )
    assert argv[0].endswith("test_features.py")
    assert argv[1] == "--backend=cluster" and "--strict-markers" in argv
    assert "--kubeconfig=/k" in argv
    assert "--junitxml=j.xml" in argv and "--cucumberjson=c.json" in argv


def test_conformance_runs_the_features_writes_reports_and_summarises_by_step(
    tmp_path: Path,
) -> None:
    junit, cucumber = tmp_path / "j.xml", tmp_path / "c.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "listwatch",
            "conformance",
            "--junit",
            str(junit),
            "--cucumber-json",
            str(cucumber),
            "-k",
            "kubelet_rejects or thirteen",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "spec coverage" in done.stdout
    assert "NN-03" in done.stdout and "uncovered: LW-01, " in done.stdout
    cases = [c.get("name") for c in ElementTree.parse(junit).getroot().iter("testcase")]
    assert "test_a_pod_created_with_kubectl_goes_through_the_thirteen_steps_in_order" in cases
    assert f"{len(cases)} passed" in done.stdout and len(cases) == 2
    features = json.loads(cucumber.read_text())
    assert {f["name"] for f in features} >= {
        "List-Watch: how a pod is created",
        "nodeName: a pod that names its node skips the scheduler",
    }


def test_an_unavailable_backend_skips_with_its_reason(tmp_path: Path) -> None:
    nowhere = {k: v for k, v in os.environ.items() if k != REQUIRE_DOCKER} | {
        "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"
    }
    done = subprocess.run(
        [sys.executable, "-m", "listwatch", "conformance", "--backend", "docker", "-k", "thirteen"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=nowhere,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout and "needs a Docker Engine and none answers" in done.stdout


def test_a_kubeconfig_that_exists_is_an_option_not_a_test_path(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "listwatch",
            "conformance",
            "--backend",
            "cluster",
            "--kubeconfig",
            str(kubeconfig),
            "-k",
            "thirteen",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert "unrecognized arguments" not in done.stderr, done.stderr
    assert f"cannot use the kubeconfig {kubeconfig}" in done.stdout, done.stdout
