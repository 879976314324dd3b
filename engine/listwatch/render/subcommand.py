"""`listwatch diagrams`: the options, the command, and drawing a run for `listwatch run`.

    listwatch diagrams [--out DIR] [--format dot,svg,png] [--trace FILE]

Without `--trace`: every picture of the spec (see `catalogue`) into DIR. With `--trace FILE`: the
run recorded in FILE drawn over the flow, as `run.dot` (and its renders) in DIR. The CLI wires
the subcommand with `add_arguments` and `command`; it owns the parser and the spec loading.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from listwatch import tracefile
from listwatch.render import catalogue, coverage, overlay, style, writing
from listwatch.spec.model import Spec

DEFAULT_OUT = "diagrams"
RUN = "run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `listwatch diagrams`: --out DIR, --format LIST, --trace FILE."""
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"where to write the pictures (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--format",
        default=",".join(writing.DEFAULT_FORMATS),
        metavar="LIST",
        help=f"comma list of {', '.join(writing.FORMATS)} (default: "
        f"{','.join(writing.DEFAULT_FORMATS)}); svg and png need Graphviz's dot",
    )
    parser.add_argument(
        "--trace",
        metavar="FILE",
        help="draw the run recorded in FILE (JSON Lines or kubectl watch JSON) over the flow",
    )


def command(args: argparse.Namespace, out: IO[str], spec: Spec) -> int:
    """Write the spec's pictures, or with --trace the run's, and say what was written; 0 on
    success."""
    formats = writing.parse_formats(args.format)
    out_dir = Path(args.out)
    if args.trace:
        records = list(tracefile.read(args.trace))
        written = write_run_diagrams(spec, records, out_dir, formats=formats)
        out.write(f"the run in {args.trace}, drawn over the flow: {_listing(written)}\n")
    else:
        written = writing.write(catalogue.sources(spec), out_dir, formats=formats)
        count = len({f.stem for f in written.files})
        out.write(
            f"{count} pictures of the spec written to {out_dir}/ "
            f"({', '.join(sorted({f.suffix[1:] for f in written.files}))})\n"
        )
    if written.hint:
        out.write(written.hint + "\n")
    return 0


def run_source(
    spec: Spec,
    trace_records: Iterable[tracefile.Record | Mapping[str, Any]],
    *,
    counts: Mapping[str, int] | None = None,
    violations: Sequence[tuple[str, str]] = (),
) -> str:
    """The DOT text of a run drawn over the flow (see `coverage.of_trace` for counts and
    violations)."""
    run = coverage.of_trace(spec, trace_records, counts=counts, violations=violations)
    return str(overlay.picture(spec, style.palette(spec), run, name=RUN).source)


def write_run_diagrams(
    spec: Spec,
    trace_records: Iterable[tracefile.Record | Mapping[str, Any]],
    out_dir: Path | str,
    *,
    counts: Mapping[str, int] | None = None,
    violations: Sequence[tuple[str, str]] = (),
    formats: Sequence[str] = writing.DEFAULT_FORMATS,
) -> writing.Written:
    """Draw a run over the flow into `out_dir` as run.dot (and run.svg ...): for `listwatch run` and
    the checker.

    `trace_records` are the run's records as `listwatch run --trace` writes them (watch events and
    STEP records) or as a real cluster's watch sends them. The checker judges them: its violations
    are drawn in red with its messages; `counts` and `violations` add the caller's own.
    """
    source = run_source(spec, trace_records, counts=counts, violations=violations)
    return writing.write({RUN: source}, Path(out_dir), formats=formats)


def _listing(written: writing.Written) -> str:
    return ", ".join(str(f) for f in written.files) or "nothing written"
