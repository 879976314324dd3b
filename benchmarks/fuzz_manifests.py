"""Fuzz `listwatch run FILE` with mutated manifests, each in its own process, time and memory
measured.

    python benchmarks/fuzz_manifests.py [--count 1000] [--seed 7] [--keep DIR]

Each of `count` mutated manifests (tests/manifest_mutations.py: the examples with fields deleted,
replaced or retyped, YAML tags, aliases, billion laughs, deep nesting, huge scalars, bad UTF-8)
runs as `python -m listwatch run FILE`; its wall time and peak RSS come from os.wait4. First a
valid manifest's run is measured the same way, the baseline for the ratios.

Prints the counts and figures, and exits 1 unless: no traceback on stderr, every run exits 0 (no
stderr) or 1 (one `error:` line), the slowest run under 5 s and the largest under 200 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.manifest_mutations import mutations  # noqa: E402

MAX_SECONDS = 5.0
MAX_RSS_MB = 200.0


@dataclass(frozen=True)
class Outcome:
    name: str
    code: int
    seconds: float
    rss_mb: float
    stderr: str


def run_one(name: str, path: Path) -> Outcome:
    """One `python -m listwatch run FILE`, its wall time and peak RSS (ru_maxrss, KiB on Linux)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "listwatch", "run", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            cwd=ROOT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return Outcome(name, proc.returncode, seconds, usage.ru_maxrss / 1024, text)


def verdict(outcome: Outcome, path: Path) -> str | None:
    """None if the run succeeded or refused its file in one line; else what was wrong."""
    if "Traceback" in outcome.stderr:
        return "traceback"
    lines = outcome.stderr.splitlines()
    if outcome.code == 0 and not lines:
        return None
    if outcome.code == 1 and len(lines) == 1 and lines[0].startswith(f"error: {path}"):
        return None
    return f"exit {outcome.code}, {len(lines)} stderr lines"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the failing manifests in this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        baseline = run_one("baseline", ROOT / "examples" / "pod5.yaml")
        assert baseline.code == 0, baseline.stderr
        outcomes: list[Outcome] = []
        failures: list[tuple[Outcome, str]] = []
        for name, raw in mutations(args.seed, args.count):
            path = work / f"{name}.yaml"
            path.write_bytes(raw)
            outcome = run_one(name, path)
            outcomes.append(outcome)
            problem = verdict(outcome, path)
            if problem is not None:
                failures.append((outcome, problem))
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    (args.keep / path.name).write_bytes(raw)
            path.unlink()
    tracebacks = sum(1 for _, problem in failures if problem == "traceback")
    slowest = max(outcomes, key=lambda o: o.seconds)
    largest = max(outcomes, key=lambda o: o.rss_mb)
    print(f"manifests: {len(outcomes)} (seed {args.seed})")
    print(f"  ran (exit 0): {sum(o.code == 0 for o in outcomes)}")
    print(f"  refused in one line (exit 1): {sum(o.code == 1 for o in outcomes) - len(failures)}")
    print(f"  tracebacks: {tracebacks}")
    print(f"  other failures: {len(failures) - tracebacks}")
    for outcome, problem in failures[:10]:
        print(f"    {outcome.name}: {problem}: {outcome.stderr.strip()[-300:]!r}")
    print(f"baseline (a valid manifest): {baseline.seconds:.2f} s, {baseline.rss_mb:.0f} MB")
    print(
        f"max seconds: {slowest.seconds:.2f} ({slowest.name}; "
        f"{slowest.seconds / baseline.seconds:.1f}x the baseline; limit {MAX_SECONDS:g})"
    )
    print(
        f"max RSS: {largest.rss_mb:.0f} MB ({largest.name}; "
        f"{largest.rss_mb / baseline.rss_mb:.1f}x the baseline; limit {MAX_RSS_MB:g})"
    )
    total = sum(o.seconds for o in outcomes)
    print(f"total: {total:.0f} s, mean {total / len(outcomes):.2f} s a run")
    ok = not failures and slowest.seconds < MAX_SECONDS and largest.rss_mb < MAX_RSS_MB
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
