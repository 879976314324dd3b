"""A changed copy of the shipped spec, loaded: the seam for "change the spec, see the picture
change".

Changes are made on the parsed YAML (not on its text), so they keep working while the wording
of the shipped spec evolves; comments are lost in the copy, which is all it is.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from listwatch.spec import loading
from listwatch.spec.model import Spec
from tests.conftest import SPEC


def changed_spec(tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None]) -> Spec:
    """The spec with `change` applied to the document `name` (a path under spec/), loaded and
    checked."""
    root = tmp_path / "spec"
    if not root.exists():
        shutil.copytree(SPEC, root)
    path = root / name
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return loading.load(root)


def edit(root: Path, name: str, old: str, new: str) -> None:
    """Replace the first `old` with `new` in the document `name` of a spec copy, as text (for
    mistakes the parsed YAML cannot show: a line, a comment, a misspelt key in place)."""
    path = root / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def step_of(flow: dict[str, Any], step_id: str) -> dict[str, Any]:
    """The step `step_id` of a parsed flow document."""
    return next(s for s in flow["steps"] if s["id"] == step_id)


def remove_step(flow: dict[str, Any], step_id: str) -> None:
    """Drop a step and every mention of it (in `next`, variants, simplified arrows)."""
    flow["steps"] = [s for s in flow["steps"] if s["id"] != step_id]
    for step in flow["steps"]:
        step["next"] = [n for n in step.get("next", []) if n != step_id]
    flow["variants"] = [v for v in flow.get("variants", []) if step_id not in v["steps"]]
    for arrow in flow.get("simplified", []):
        arrow["steps"] = [s for s in arrow["steps"] if s != step_id]
