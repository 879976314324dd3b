"""Seeded fuzzing of every write endpoint of the served API (`apifuzz`): 2,000 mutated bodies.

Guarantees checked: no answer is a 5xx; every error answer is a Status and leaves the store as it
was (the revision, read in the same loop turn); every answer arrives over HTTPS too (a sample is
sent on the wire); /healthz answers throughout; afterwards every resource lists and a watch
replays every stored object as JSON; each kubelet still posts its node's status; and no component
raised (the cluster reports that on its error stream and in its component errors, which
must both stay empty).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import Client, serving
from tests.server import apifuzz

CASES = 2_000
SEED = 20_241_203
WIRE_EVERY = 40


@pytest.fixture(scope="module")
def fuzzed(engine: Engine) -> Iterator[tuple[Server, io.StringIO]]:
    err = io.StringIO()
    with serving(engine, err=err, seed=7) as server:
        apifuzz.setup(server)
        yield server, err


def test_mutated_bodies_on_every_write_endpoint_never_break_the_server(
    fuzzed: tuple[Server, io.StringIO],
) -> None:
    server, err = fuzzed
    client = Client(server)
    fuzzer = apifuzz.Fuzzer(SEED)
    read = apifuzz.current_object(server)
    tally = apifuzz.Tally()
    for i in range(CASES):
        case = fuzzer.case(read)
        tally.add(case, apifuzz.run_case(server, case))
        if i % WIRE_EVERY == 0:
            wire = fuzzer.case(read)
            reply = client.request(
                wire.method,
                wire.path + "?" + "&".join(f"{k}={v}" for k, v in wire.query),
                raw=wire.body,
                content_type=wire.content_type,
            )
            assert reply.json is not None, (reply, str(wire))
            assert reply.status < 500, (reply, str(wire))
            assert client.get("/healthz").status == 200
    assert not tally.violations, "\n".join(tally.violations[:10]) + "\n" + tally.summary()
    assert set(tally.endpoints) >= {
        "bind",
        "scale PUT",
        "create pods",
        "update nodes",
        "strategic patch replicationcontrollers",
        "merge patch scale",
        "delete services",
        "update deployments",
        "strategic patch cronjobs",
        "delete apiservices",
        f"create {apifuzz.CUSTOM}",
        f"merge patch {apifuzz.CUSTOM}",
    }, tally.endpoints
    for path in apifuzz.COLLECTIONS.values():
        reply = client.get(path)
        assert reply.status == 200 and reply.json["items"], reply
    with client.watch("/api/v1/pods?watch=true&resourceVersion=0&timeoutSeconds=1") as stream:
        events = []
        while (event := stream.next()) is not None:
            events.append(event)
    assert events and all(e["type"] != "ERROR" for e in events), events[-1]
    for kubelet in server.live.cluster.kubelets.values():  # a heartbeat reads the node as stored
        server.live.call(kubelet.node_status.post)
    assert client.get("/healthz").status == 200
    assert err.getvalue() == "", err.getvalue()[-3000:]
    # A component that meets an object it cannot handle logs it and goes on; none may have.
    failed = server.live.call(lambda: [str(e) for e in server.live.cluster.component_errors])
    assert failed == [], failed[:20]


def test_the_fuzzed_cases_are_the_same_for_the_same_seed() -> None:
    def cases(seed: int) -> list[str]:
        fuzzer = apifuzz.Fuzzer(seed)
        return [str(fuzzer.case(lambda resource, name: None)) for _ in range(50)]

    assert cases(1) == cases(1) != cases(2)
    assert all(json.dumps(c) for c in cases(3))
