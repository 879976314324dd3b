"""Writing pictures to files: DOT always, SVG and PNG through Graphviz's `dot` when it is installed.

Guarantees: the DOT files are the exact text given (so the same spec writes the same bytes);
renders are made by piping that text to `dot`, so no file path is embedded in them; when `dot`
is missing, every DOT file is still written and `Written.hint` says, in one line, how to render.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import graphviz

from listwatch import errors

FORMATS = ("dot", "svg", "png")
DEFAULT_FORMATS = ("dot", "svg")


@dataclass(frozen=True, slots=True)
class Written:
    """The files written, in order, and a one-line hint when some could not be rendered (else
    "")."""

    files: tuple[Path, ...]
    hint: str = ""


def parse_formats(value: str) -> tuple[str, ...]:
    """A comma list of formats (`dot,svg`), each checked; an unknown one is a user error."""
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise errors.ListwatchError(
            f"--format {value!r}: expected a comma list of {', '.join(FORMATS)}, e.g. dot,svg"
        )
    return chosen


def dot_program() -> str | None:
    """Where Graphviz's `dot` is, or None when it is not installed."""
    return shutil.which("dot")


def hint(out_dir: Path, name: str, fmt: str) -> str:
    """How to render what was left as DOT: one line, with a command for the first picture."""
    source = out_dir / f"{name}.dot"
    target = out_dir / f"{name}.{fmt}"
    return (
        f"dot not found: install Graphviz (apt install graphviz) or run: dot -T{fmt} {source} "
        f"-o {target} (and likewise for each .dot)"
    )


def write(
    pictures: Mapping[str, str], out_dir: Path, *, formats: Sequence[str] = DEFAULT_FORMATS
) -> Written:
    """Each picture's DOT text under `out_dir`, and its renders in the other `formats` if `dot` is
    here."""
    out_dir.mkdir(parents=True, exist_ok=True)
    renders = [f for f in formats if f != "dot"]
    can_render = bool(renders) and dot_program() is not None
    files: list[Path] = []
    for name, source in pictures.items():
        if "dot" in formats or not can_render:
            files.append(_write_text(out_dir / f"{name}.dot", source))
        if not can_render:
            continue
        for fmt in renders:
            try:
                data = graphviz.pipe("dot", fmt, source.encode("utf-8"), quiet=True)
            except graphviz.ExecutableNotFound:
                can_render = False
                if out_dir / f"{name}.dot" not in files:
                    files.append(_write_text(out_dir / f"{name}.dot", source))
                break
            except graphviz.CalledProcessError as exc:
                raise errors.ListwatchError(
                    f"dot could not render {name}.{fmt}: {exc.stderr!r}"
                ) from exc
            files.append(_write_bytes(out_dir / f"{name}.{fmt}", data))
    first = next(iter(pictures), "")
    message = hint(out_dir, first, renders[0]) if renders and not can_render and first else ""
    return Written(tuple(files), message)


def svg(source: str) -> str | None:
    """A picture's DOT text rendered as SVG text (for a page to embed), or None when `dot` is not
    installed."""
    if dot_program() is None:
        return None
    try:
        drawn: bytes = graphviz.pipe("dot", "svg", source.encode("utf-8"), quiet=True)
        return drawn.decode("utf-8")
    except graphviz.ExecutableNotFound:
        return None
    except graphviz.CalledProcessError as exc:
        raise errors.ListwatchError(f"dot could not render the picture: {exc.stderr!r}") from exc


def _write_text(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8", newline="\n")
    return path


def _write_bytes(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
