"""Fuzz the served API's write endpoints for longer than the test suite does, and print the counts.

    python benchmarks/fuzz_api.py [--cases 10000] [--seed 1] [--wire-every 25] [--settle 20]

An in-process `listwatch serve` (127.0.0.1, a free port, the memory runtime, every component)
takes `--cases` mutated bodies from `tests/server/apifuzz.py` over every write endpoint, each
answered on the cluster's loop thread with the store's revision read before and after; every
`--wire-every`th case is also sent over HTTPS, followed by /healthz. Printed: the answers by
status code and by endpoint, the violations (a 5xx, an error answer that changed the store, an
answer that is not JSON), whether /healthz and every list answered after `--settle` seconds
more of the cluster's life, and what it reported on its error stream (an exception in a
component). Exit 1 on any violation.
"""

from __future__ import annotations

import argparse
import http.client
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "engine"))
sys.path.insert(0, str(ROOT))

from tests.served import Client, serving  # noqa: E402
from tests.server import apifuzz  # noqa: E402

from listwatch import engine as engine_module  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wire-every", type=int, default=25)
    parser.add_argument(
        "--settle",
        type=float,
        default=20.0,
        help="seconds the cluster runs on after the last case (probes, heartbeats, controllers)",
    )
    args = parser.parse_args()
    err = io.StringIO()
    started = time.monotonic()
    with serving(engine_module.load(), err=err, seed=args.seed) as server:
        client = Client(server)
        apifuzz.setup(server)
        fuzzer = apifuzz.Fuzzer(args.seed)
        read = apifuzz.current_object(server)
        tally = apifuzz.Tally()
        wire = apifuzz.Tally()
        healthz_failures = 0
        for i in range(args.cases):
            case = fuzzer.case(read)
            outcome = apifuzz.run_case(server, case)
            tally.add(case, outcome)
            if any(p.startswith(apifuzz.STUCK) for p in outcome.problems):
                print(f"stopped after case {i}: {outcome.problems[0]}\n  case: {case}")
                break
            if i % args.wire_every == 0:
                sent = fuzzer.case(read)
                query = "&".join(f"{k}={v}" for k, v in sent.query)
                try:
                    reply = client.request(
                        sent.method,
                        f"{sent.path}?{query}",
                        raw=sent.body,
                        content_type=sent.content_type,
                    )
                except (OSError, http.client.HTTPException) as exc:
                    wire.add(sent, apifuzz.Outcome(0, [f"no answer on the wire: {exc!r}"]))
                else:
                    ok = reply.status < 500 and reply.json is not None
                    wire.add(sent, apifuzz.Outcome(reply.status, [] if ok else [repr(reply)]))
                try:
                    healthz_failures += client.get("/healthz").status != 200
                except (OSError, http.client.HTTPException):
                    healthz_failures += 1
        time.sleep(args.settle)
        lists = {path: client.get(path).status for path in apifuzz.COLLECTIONS.values()}
        healthz = client.get("/healthz").status
    elapsed = time.monotonic() - started
    print(f"in-loop: {tally.summary()}")
    print(f"on the wire: {wire.summary()}")
    print("by endpoint:")
    for endpoint, count in sorted(tally.endpoints.items()):
        print(f"  {endpoint:40} {count}")
    print(f"/healthz failures during the run: {healthz_failures}; at the end: {healthz}")
    print(f"lists at the end: {lists}")
    print(f"cluster error stream: {len(err.getvalue())} characters")
    print(f"elapsed: {elapsed:.1f}s")
    for violation in (tally.violations + wire.violations)[:20]:
        print(violation)
    if err.getvalue():
        print(err.getvalue()[-4000:])
    failed = (
        tally.violations
        or wire.violations
        or healthz_failures
        or healthz != 200
        or any(code != 200 for code in lists.values())
        or err.getvalue()
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
