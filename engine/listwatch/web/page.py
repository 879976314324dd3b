"""The page: one HTML document with the flow picture drawn from the spec, and the script that
fills it.

Served (`uiserver`), the page links its script and style and asks the server for its data; written
as a report (`write_report`), it carries them inline with every pod's detail, so that the file
opens anywhere with no server and nothing fetched.
"""

from __future__ import annotations

import html
import json
import os
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from listwatch import errors, render
from listwatch.spec.model import Spec
from listwatch.web.journal import Journal

#: The page's own files, served under /static/.
ASSETS = {"app.js": "text/javascript", "style.css": "text/css"}


@cache
def asset(name: str) -> str:
    """The text of one of the page's files (`ASSETS`)."""
    return resources.files("listwatch.web").joinpath("static", name).read_text(encoding="utf-8")


def flow_svg(spec: Spec) -> str:
    """The spec's flow picture (every step; each edge's id starts with its step's) as SVG, or a
    note where the picture would be when Graphviz is missing."""
    drawn = render.svg(render.live_flow(spec))
    if drawn is None:
        return '<p class="note">Graphviz\'s dot is not installed: the flow picture is missing.</p>'
    return drawn[drawn.index("<svg") :]


def document(spec: Spec, *, boot: dict[str, Any], inline: bool, svg: str | None = None) -> str:
    """The page. `boot` is the data the script starts from (its `mode` at least); `inline` puts the
    script and style in the page instead of linking them."""
    if inline:
        style = f"<style>{asset('style.css')}</style>"
        script = f"<script>{_inline_script(asset('app.js'))}</script>"
    else:
        style = '<link rel="stylesheet" href="static/style.css">'
        script = '<script src="static/app.js"></script>'
    values = {
        "title": html.escape(f"listwatch: {spec.flow.name}"),
        "style": style,
        "flow": svg if svg is not None else flow_svg(spec),
        # Every "<" of the data escaped: no text in it can end the script element early.
        "boot": json.dumps(boot, separators=(",", ":")).replace("<", "\\u003c"),
        "script": script,
    }
    # One pass: what one value holds (a pod's Event message, say) is never read as a placeholder.
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], asset("index.html"))


def write_report(journal: Journal, path: str | os.PathLike[str]) -> Path:
    """The journal's run as one self-contained HTML file at `path` (written whole, or not at
    all)."""
    boot = {**journal.snapshot(), "details": journal.details()}
    text = document(journal.spec, boot=boot, inline=True)
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise errors.ListwatchError(
            f"--html {path}: cannot write the report: {exc.strerror or exc}"
        ) from exc
    return target


def _inline_script(text: str) -> str:
    """The page's script, safe inside a <script> element (it writes "</" only inside strings,
    where "<\\/" means the same)."""
    return text.replace("</", "<\\/")
