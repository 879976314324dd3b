"""A copy of the shipped spec for each test that breaks it (text edits: `spec_copies.edit`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SPEC


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    target = tmp_path / "spec"
    shutil.copytree(SPEC, target)
    return target
