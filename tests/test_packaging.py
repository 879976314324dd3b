"""The wheel carries every package, the spec, the features and the conformance steps."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT


def test_every_engine_package_is_listed_in_pyproject() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    engine = ROOT / "engine"
    found = {".".join(p.parent.relative_to(engine).parts) for p in engine.rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


@pytest.mark.slow
def test_an_installed_wheel_validates_its_spec_and_runs_its_features(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("listwatch-*.whl")
    target = tmp_path / "site"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    validate = subprocess.run(
        [
            sys.executable,
            "-c",
            "import listwatch.cli, sys; sys.exit(listwatch.cli.main(['spec', 'validate']))",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert validate.returncode == 0, validate.stderr
    assert str(target) in validate.stdout and "valid. 13 steps" in validate.stdout
    conformance = subprocess.run(
        [
            sys.executable,
            "-c",
            "import listwatch.cli, sys; sys.exit(listwatch.cli.main(['conformance', '-k', "
            "'thirteen']))",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert conformance.returncode == 0, conformance.stdout + conformance.stderr
    assert "1 passed" in conformance.stdout
    # The web view's page and its files come with the wheel.
    report = subprocess.run(
        [
            sys.executable,
            "-c",
            "import listwatch.cli, sys; sys.exit(listwatch.cli.main(['run', '--html', 'r.html']))",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert report.returncode == 0, report.stdout + report.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "function humanDuration" in page and "#step-log" in page and 'id="flow"' in page
