"""The page: the flow picture drawn from the spec, and a report that needs nothing but itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from listwatch import errors
from listwatch.engine import Engine
from listwatch.web import page
from listwatch.web.journal import REPORT, Journal
from tests.builders import pod


def test_every_step_of_the_spec_has_edges_in_the_picture_named_for_it(engine: Engine) -> None:
    svg = page.flow_svg(engine.spec)
    ids = set(re.findall(r'<g id="([^"]+)" class="edge"', svg))
    drawn = {i.replace("&#45;", "-").split(".")[0] for i in ids}
    assert drawn == {step.id for step in engine.spec.flow.steps}


def test_a_report_carries_its_script_style_and_data_and_links_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    view = Journal(engine.spec, mode=REPORT)
    created = pod("web") | {"metadata": {"name": "web", "namespace": "default", "uid": "u1"}}
    view.add({"type": "ADDED", "object": created})
    written = page.write_report(view, tmp_path / "report.html")
    text = written.read_text(encoding="utf-8")
    assert not re.search(r'\b(src|href)="(?!data:|#)', text), "the report links a file"
    assert "http://" not in text.replace("http://www.w3.org", "")
    boot = re.search(r'<script id="listwatch-boot" type="application/json">(.*?)</script>', text)
    assert boot is not None
    data = json.loads(boot.group(1))
    assert data["mode"] == "report" and list(data["details"]) == ["u1"]
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_what_the_data_says_cannot_end_the_script_or_fill_a_placeholder(engine: Engine) -> None:
    boot = {"mode": "report", "note": "</script><script>alert(1)</script> {{script}} <!--"}
    text = page.document(engine.spec, boot=boot, inline=True)
    assert text.count("</script>") == 2  # the boot data's and the app's own
    boot_text = text.split('type="application/json">')[1].split("</script>")[0]
    assert json.loads(boot_text) == boot


def test_a_report_that_cannot_be_written_is_a_user_error_and_leaves_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "report.html"
    with pytest.raises(errors.ListwatchError, match="cannot write the report"):
        page.write_report(Journal(engine.spec, mode=REPORT), target)
    assert not (tmp_path / "missing").exists()
