"""`python -m listwatch.render [--spec DIR] [--out DIR] [--format LIST] [--trace FILE]`: the
diagrams command on its own.

The same as `listwatch diagrams`, for use before (or without) the main command line.
"""

from __future__ import annotations

import argparse
import sys

from listwatch import engine, errors
from listwatch.render import subcommand


def main(argv: list[str] | None = None) -> int:
    """Parse the options, load the spec, write the pictures; 1 with a message on a user error."""
    parser = argparse.ArgumentParser(
        prog="python -m listwatch.render",
        description="Draw the spec's diagrams, or a run over the flow.",
    )
    parser.add_argument(
        "--spec", default=None, help="the spec directory (default: the spec shipped with listwatch)"
    )
    subcommand.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return subcommand.command(args, sys.stdout, engine.load(args.spec).spec)
    except errors.ListwatchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
