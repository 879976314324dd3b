"""pods/{name}/log with timestamps, sinceSeconds and sinceTime, as the kubelet reads a log and
kube-apiserver v1.32 checks the options: over HTTPS, and with the real kubectl."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from listwatch.engine import Engine
from listwatch.runtime.base import parse_log_timestamp
from listwatch.server import Server, logoptions
from tests.served import Client, pod, serving, wait_until

PODS = "/api/v1/namespaces/default/pods"
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"
#: early, then five seconds later late, then nothing more.
SCRIPT = ["sh", "-c", "echo early; sleep 5; echo late; sleep 3600"]


@pytest.fixture(scope="module")
def served(engine: Engine) -> Iterator[Server]:
    with serving(engine) as server:
        yield server


@pytest.fixture(scope="module")
def logged(served: Server) -> Client:
    """A client, and a pod `timed` whose log has `early` and, five seconds later, `late`."""
    client = Client(served)
    body = pod("timed", node="node01", image="busybox")
    body["spec"]["containers"][0]["command"] = SCRIPT
    client.post(PODS, body)
    assert wait_until(lambda: b"late" in client.get(f"{PODS}/timed/log").raw, timeout=30)
    return client


def kubectl(server: Server, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert server.kubeconfig is not None
    env = {**os.environ, "KUBECONFIG": str(server.kubeconfig), "HOME": str(tmp_path)}
    return subprocess.run(
        [KUBECTL, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def stamps(text: str) -> list[tuple[datetime, str]]:
    found = []
    for line in text.splitlines():
        stamp, _, rest = line.partition(" ")
        nanos = parse_log_timestamp(stamp)
        assert nanos is not None and re.fullmatch(STAMP, stamp), line
        found.append((datetime.fromtimestamp(nanos / 1e9, UTC), rest))
    return found


def test_timestamps_prefix_each_line_with_the_time_it_was_written(logged: Client) -> None:
    reply = logged.get(f"{PODS}/timed/log?timestamps=true")
    lines = stamps(reply.raw.decode())
    assert [text for _, text in lines] == ["early", "late"]
    assert timedelta(seconds=4) <= lines[1][0] - lines[0][0] <= timedelta(seconds=8)


def test_since_time_and_since_seconds_leave_out_older_lines(logged: Client) -> None:
    (_, _), (late, _) = stamps(logged.get(f"{PODS}/timed/log?timestamps=true").raw.decode())
    since = late.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert logged.get(f"{PODS}/timed/log?sinceTime={since}").raw == b"late\n"
    assert logged.get(f"{PODS}/timed/log?sinceTime=2000-01-01T00:00:00Z").raw == b"early\nlate\n"
    assert logged.get(f"{PODS}/timed/log?sinceSeconds=3600").raw == b"early\nlate\n"
    recent = datetime.now(UTC) - late
    assert recent < timedelta(seconds=60)
    seconds = int(recent.total_seconds()) + 2  # late is within them, early 5 s before is not
    assert logged.get(f"{PODS}/timed/log?sinceSeconds={seconds}").raw == b"late\n"


def test_both_since_options_are_422_with_v1_32s_words(logged: Client) -> None:
    reply = logged.get(f"{PODS}/timed/log?sinceSeconds=10&sinceTime=2026-01-01T00:00:00Z")
    forbidden = "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"
    assert reply.status == 422
    assert reply.json["message"] == f'PodLogOptions "timed" is invalid: : {forbidden}'
    assert reply.json["reason"] == "Invalid"
    assert reply.json["details"] == {
        "name": "timed",
        "kind": "PodLogOptions",
        "causes": [{"reason": "FieldValueForbidden", "message": forbidden}],
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "sinceSeconds=0",
            'PodLogOptions "timed" is invalid: sinceSeconds: Invalid value: 0: must be greater '
            "than 0",
        ),
        (
            "tailLines=-1",
            'PodLogOptions "timed" is invalid: tailLines: Invalid value: -1: must be greater than '
            "or equal to 0",
        ),
        (
            "limitBytes=0",
            'PodLogOptions "timed" is invalid: limitBytes: Invalid value: 0: must be greater than '
            "0",
        ),
    ],
)
def test_out_of_range_numbers_are_422(logged: Client, query: str, message: str) -> None:
    reply = logged.get(f"{PODS}/timed/log?{query}")
    assert (reply.status, reply.json["message"]) == (422, message)


def test_a_since_time_that_is_no_rfc3339_time_is_400_with_gos_parse_error(
    logged: Client,
) -> None:
    reply = logged.get(f"{PODS}/timed/log?sinceTime=yesterday")
    assert (reply.status, reply.json["message"]) == (
        400,
        'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as '
        '"2006"',
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-13-01T00:00:00Z", 'parsing time "2026-13-01T00:00:00Z": month out of range'),
        ("2026-02-30T00:00:00Z", 'parsing time "2026-02-30T00:00:00Z": day out of range'),
        (
            "2026-01-01 00:00:00Z",
            'parsing time "2026-01-01 00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse '
            '" 00:00:00Z" as "T"',
        ),
        (
            "2026-01-01T00:00:00",
            'parsing time "2026-01-01T00:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" '
            'as "Z07:00"',
        ),
        (
            "2026-01-01T00:00:00Zx",
            'parsing time "2026-01-01T00:00:00Zx": extra text: "x"',
        ),
    ],
)
def test_rfc3339_parse_errors_are_worded_as_gos(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        logoptions.parse_rfc3339(value)


def test_rfc3339_with_a_fraction_and_an_offset_is_read_in_utc() -> None:
    assert logoptions.parse_rfc3339("2026-01-01T02:30:00.25+02:30") == datetime(
        2026, 1, 1, 0, 0, 0, 250000, tzinfo=UTC
    )


# -- the real kubectl ------------------------------------------------------------------------------

needs_kubectl = pytest.mark.skipif(
    not os.access(KUBECTL, os.X_OK), reason="kubectl is not installed"
)


@needs_kubectl
def test_kubectl_logs_timestamps_and_since_time(
    served: Server, logged: Client, tmp_path: Path
) -> None:
    done = kubectl(served, tmp_path, "logs", "timed", "--timestamps")
    assert done.returncode == 0, done.stderr
    lines = stamps(done.stdout)
    assert [text for _, text in lines] == ["early", "late"]
    since = lines[1][0].replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = kubectl(served, tmp_path, "logs", "timed", f"--since-time={since}")
    assert (later.returncode, later.stdout) == (0, "late\n")


@needs_kubectl
def test_kubectl_logs_since_a_duration(served: Server, logged: Client, tmp_path: Path) -> None:
    assert kubectl(served, tmp_path, "logs", "timed", "--since=1h").stdout == "early\nlate\n"
    (_, _), (late, _) = stamps(logged.get(f"{PODS}/timed/log?timestamps=true").raw.decode())
    seconds = int((datetime.now(UTC) - late).total_seconds()) + 2
    recent = kubectl(served, tmp_path, "logs", "timed", f"--since={seconds}s")
    assert (recent.returncode, recent.stdout) == (0, "late\n")


@needs_kubectl
def test_kubectl_logs_follow_with_timestamps_streams_stamped_lines(
    served: Server, logged: Client, tmp_path: Path
) -> None:
    client = logged
    body = pod("ticker", node="node02", image="busybox")
    body["spec"]["containers"][0]["command"] = ["sh", "-c", "echo one; sleep 1; echo two; sleep 1"]
    body["spec"]["restartPolicy"] = "Never"
    client.post(PODS, body)
    assert wait_until(lambda: client.get(f"{PODS}/ticker/log").status == 200, timeout=15)
    done = kubectl(served, tmp_path, "logs", "ticker", "-f", "--timestamps")
    assert done.returncode == 0, done.stderr
    assert [text for _, text in stamps(done.stdout)] == ["one", "two"]
