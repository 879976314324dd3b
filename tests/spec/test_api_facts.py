"""spec/api/types.json is what .ci/api_facts.py extracts from the mirrored v1.32 sources (skipped
where the mirrors are not)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIRRORS = [
    Path("/work/.mirror/kubernetes+api/repo"),
    Path("/work/.mirror/kubernetes+apimachinery/repo"),
]


@pytest.mark.skipif(
    not all(m.is_dir() for m in MIRRORS), reason="the kubernetes/api mirrors are not here"
)
def test_the_committed_fact_table_is_the_extractors_output() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "api_facts.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, "spec/api/types.json is stale: run python3 .ci/api_facts.py"
