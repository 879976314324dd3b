"""The served API's watch fan-out under load: many watchers, creates, /healthz, many connects.

    python benchmarks/load_watchers.py [--quick] [--watchers 1000] [--pods 500] [--connects 200]
        [--phase-timeout 300]

Each phase starts a fresh `python -m listwatch serve` (a free port, the kubeconfig written into a
temporary directory) in a process of its own, so that it begins from an empty cluster, and stops
it by its PID when the phase ends, however it ends. The scheduler, the kubelets and the controller
manager are left out (`--without`): the figures are the API server's (its watch cache, its
connections, the bytes it writes), not the control plane's. Nothing happens to a pod after its
create, so every watch event expected is an ADDED.

The clients are asyncio connections in this one process: TLS trusting the kubeconfig's CA, raw
HTTP/1.1 with the bearer token, the chunked bodies and the newline-delimited watch events parsed
here (an event may span chunks, a chunk may hold several). The open-files soft limit is raised to
the hard one first (the server inherits it). Every watch starts at the resourceVersion of a LIST
made before it (no event is replayed); they are set up 64 at a time, a failed connect retried
twice, and every watch has its response headers before the first create. Pods are created over
4 keep-alive connections at once, each of which first makes a dry-run create (the server's first
create loads what validation needs: a warm-up, not a figure); /healthz is asked every 50 ms on a
connection of its own from the first create until the last watcher has its last event (a request
still unanswered then counts with the time it has waited).

Phases:
0. baseline: 1 unfiltered watcher while --pods pods are created; before it, 20 connects one
   after another (TLS handshake, then GET /healthz), the baseline of phase c;
a. kubelets' watches: --watchers watchers with fieldSelector=spec.nodeName=node-i, one per node
   name (no Node objects: no kubelet runs), plus 10 unfiltered watchers, while --pods pods are
   created with spec.nodeName round-robin over those names;
b. --watchers unfiltered watchers while --pods pods are created;
c. --connects clients connecting at once, each a TLS handshake and one GET /healthz (one that
   fails counts in the p99 with the time it took to fail; asyncio gives a handshake 60 s).
A watcher must receive exactly its events: the ADDED event of each pod it selects, once, and
nothing else (a node without pods: no event at all); events of created pods not received (lost;
when a phase is cut by its timeout, those on their way too), received twice (duplicated) or not
its own (foreign) are counted, the watchers read on for 1 s after the last event expected.

Printed: a table with each figure's value, the baseline's (phase 0), their ratio (value /
baseline), the target and PASS or FAIL, including the server's peak RSS (VmHWM) and CPU time per
phase; then what went wrong, if anything. Targets: (a) a create rate at least half the
baseline's; (b) create and /healthz p99 <= 1 s; (c) handshake and answer p99 <= 1 s; in every
phase no event lost, duplicated or foreign, no failed request, and an end within
--phase-timeout (else the phase fails, with how far it got). Exit code 1 when any target fails.
Machines differ: compare ratios, and runs on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import http.client
import json
import math
import os
import resource
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
PODS_PATH = "/api/v1/namespaces/default/pods"
WATCH_PATH = "/api/v1/pods?watch=true"
FULL = {"watchers": 1000, "pods": 500, "connects": 200}
QUICK = {"watchers": 20, "pods": 40, "connects": 20}
#: Unfiltered watchers beside the kubelets' filtered ones in phase a.
UNFILTERED_WITH_KUBELETS = 10
CREATE_CONNECTIONS = 4
HEALTHZ_INTERVAL = 0.05
BASELINE_CONNECTS = 20
#: Watches being set up at once (each a TLS handshake, then the GET); a failed one is retried.
ESTABLISH_AT_ONCE = 64
WATCH_ATTEMPTS = 3
#: How long the watchers are read after the last expected event: a late duplicate or foreign
#: event is still counted.
SETTLE_SECONDS = 1.0
SERVER_START_SECONDS = 60.0
#: The lines `listwatch serve` prints when all is well; any other line in its log is reported.
BANNER = (
    "listwatch: a simulated",
    "left out:",
    "kubeconfig:",
    "  export KUBECONFIG=",
    "Stop with Ctrl-C",
    "listwatch: stopping",
)
#: What a connection can fail with: refused, reset, TLS, a cut stream, a malformed answer.
CLIENT_ERRORS = (OSError, asyncio.IncompleteReadError, ValueError)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


# -- the server ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A running `listwatch serve`: its PID, its address and how to talk to it."""

    pid: int
    host: str
    port: int
    token: str
    context: ssl.SSLContext

    def proc_status(self, key: str) -> int | None:
        """A figure of /proc/PID/status in kB (VmHWM: the peak RSS), None once it is gone."""
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith(f"{key}:"):
                    return int(line.split()[1])
        return None

    def cpu_seconds(self) -> float | None:
        """User and system CPU time so far, from /proc/PID/stat (fields 14 and 15)."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_kubeconfig(path: Path, pid: int) -> Served | None:
    """The server's address, CA and token; None while the file is missing or half-written."""
    try:
        config = yaml.safe_load(path.read_text())
        cluster = config["clusters"][0]["cluster"]
        token = config["users"][0]["user"]["token"]
        ca = base64.b64decode(cluster["certificate-authority-data"]).decode("ascii")
        url = urlsplit(cluster["server"])
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError, ValueError):
        return None
    if url.hostname is None or url.port is None:
        return None
    context = ssl.create_default_context(cadata=ca)
    return Served(pid, url.hostname, url.port, token, context)


def healthz_answers(served: Served) -> bool:
    connection = http.client.HTTPSConnection(
        served.host, served.port, context=served.context, timeout=2
    )
    try:
        connection.request("GET", "/healthz", headers={"Authorization": f"Bearer {served.token}"})
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def wait_until_served(process: subprocess.Popen[bytes], kubeconfig: Path, log: Path) -> Served:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited ({process.returncode}): {log.read_text()[-1000:]}"
            )
        served = read_kubeconfig(kubeconfig, process.pid)
        if served is not None and healthz_answers(served):
            return served
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /healthz within {SERVER_START_SECONDS:g}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's PID, SIGKILL if it has not stopped within 10 s."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def serving(nodes: Sequence[str], result: PhaseResult) -> Iterator[Served]:
    """A fresh server for one phase; on the way out its peak RSS, CPU time and unexpected log
    lines go into `result`, then it is stopped."""
    with tempfile.TemporaryDirectory(prefix="load-watchers-") as tmp:
        kubeconfig, log = Path(tmp, "kubeconfig"), Path(tmp, "server.log")
        command = [
            sys.executable,
            "-m",
            "listwatch",
            "serve",
            "--port",
            "0",
            "--kubeconfig-out",
            str(kubeconfig),
            "--nodes",
            ",".join(nodes),
            "--without",
            "scheduler",
            "--without",
            "kubelet",
            "--without",
            "controller-manager",
            "--no-ui",
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
        with log.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        served: Served | None = None
        try:
            served = wait_until_served(process, kubeconfig, log)
            yield served
        finally:
            if served is not None:
                peak = served.proc_status("VmHWM")
                result.peak_rss_mib = peak / 1024 if peak is not None else None
                result.server_cpu = served.cpu_seconds()
            stop(process)
            lines = log.read_text(errors="replace").splitlines()
            result.server_log = [line for line in lines if not line.startswith(BANNER)]


# -- HTTP/1.1 over asyncio -------------------------------------------------------------------------


def request_bytes(served: Served, method: str, path: str, body: bytes = b"") -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {served.host}:{served.port}\r\n"
        f"Authorization: Bearer {served.token}\r\nAccept: application/json\r\n"
    )
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    """The status code and the headers (names in lower case)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection before answering")
    status = int(status_line.split(b" ", 2)[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


async def read_chunks(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    """The chunks of a chunked body, until the last (empty) one."""
    while True:
        size_line = await reader.readline()
        if not size_line:
            raise ConnectionError("the chunked body ended without its last chunk")
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            while await reader.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return
        data = await reader.readexactly(size + 2)
        yield data[:-2]


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return b"".join([chunk async for chunk in read_chunks(reader)])
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    return await reader.read()


class Client:
    """One keep-alive connection, opened when needed: again after an answer with Connection:
    close or a failure."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> asyncio.StreamReader:
        """Connect (TCP, then the TLS handshake) unless connected."""
        if self.reader is None:
            served = self.served
            self.reader, self.writer = await asyncio.open_connection(
                served.host, served.port, ssl=served.context
            )
        return self.reader

    async def start(self, method: str, path: str, body: bytes = b"") -> tuple[int, dict[str, str]]:
        """Send a request, read the head of its answer; the body is left to read."""
        try:
            reader = await self.open()
            assert self.writer is not None
            self.writer.write(request_bytes(self.served, method, path, body))
            return await read_head(reader)
        except BaseException:
            self.close()
            raise

    async def call(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        status, headers = await self.start(method, path, body)
        assert self.reader is not None
        try:
            answer = await read_body(self.reader, headers)
        except BaseException:
            self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, answer

    def close(self) -> None:
        """Drop the connection at once (no TLS close_notify: the server sees EOF or a reset)."""
        if self.writer is not None:
            self.writer.transport.abort()
        self.reader = self.writer = None


# -- the watchers ----------------------------------------------------------------------------------


def added_name(event: Any) -> str | None:
    """The object's name in an ADDED event; None for any other event."""
    if not isinstance(event, dict) or event.get("type") != "ADDED":
        return None
    obj = event.get("object")
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None


@dataclass(eq=False)
class Watcher:
    """One watch and what it received: `done` is set once it has all of `expected`, or has
    failed."""

    path: str
    expected: frozenset[str]
    seen: dict[str, int] = field(default_factory=dict)
    foreign: int = 0
    foreign_sample: str = ""
    events: int = 0
    received_bytes: int = 0
    completed_at: float | None = None
    error: str | None = None
    client: Client | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def open(
        self, served: Served, version: str, gate: asyncio.Semaphore, retries: list[str]
    ) -> None:
        """The watch from `version`, established (response headers read); failed connects are
        retried and recorded in `retries`."""
        async with gate:
            for _ in range(WATCH_ATTEMPTS):
                client = Client(served)
                try:
                    status, _ = await client.start("GET", f"{self.path}&resourceVersion={version}")
                except CLIENT_ERRORS as exc:
                    retries.append(f"watch connect: {describe(exc)}")
                    continue
                if status != 200:
                    client.close()
                    self.fail(f"watch answered {status}")
                    return
                self.client = client
                if not self.expected:
                    self.done.set()
                return
            self.fail(f"no watch after {WATCH_ATTEMPTS} attempts")

    def fail(self, why: str) -> None:
        self.error = why
        self.done.set()

    async def consume(self) -> None:
        """Read events until cancelled; an ended or broken stream is the watcher's error."""
        assert self.client is not None and self.client.reader is not None
        pending = b""
        try:
            async for chunk in read_chunks(self.client.reader):
                self.received_bytes += len(chunk)
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    if line.strip():
                        self.take(line)
            self.fail("the server ended the watch")
        except CLIENT_ERRORS as exc:
            self.fail(f"watch stream: {describe(exc)}")

    def take(self, line: bytes) -> None:
        self.events += 1
        name = added_name(json.loads(line))
        if name is None or name not in self.expected:
            self.foreign += 1
            self.foreign_sample = self.foreign_sample or line[:150].decode(errors="replace")
            return
        count = self.seen.get(name, 0) + 1
        self.seen[name] = count
        if count == 1 and len(self.seen) == len(self.expected):
            self.completed_at = time.perf_counter()
            self.done.set()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


# -- the phases ------------------------------------------------------------------------------------


@dataclass
class PhaseResult:
    """What one phase measured: raw samples, kept as they come, so that a phase cut by its
    timeout still tells how far it got."""

    key: str
    title: str
    pods: int = 0
    connects: int = 0
    watchers: list[Watcher] = field(default_factory=list)
    establish_seconds: float | None = None
    create_start: float | None = None
    last_create_at: float | None = None
    creates: list[float] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    healthz: list[float] = field(default_factory=list)
    handshakes: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    retries: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    timed_out: bool = False
    stopped_by: str | None = None
    client_cpu: float = 0.0
    server_cpu: float | None = None
    peak_rss_mib: float | None = None
    server_log: list[str] = field(default_factory=list)

    def create_rate(self) -> float | None:
        if self.create_start is None or self.last_create_at is None:
            return None
        return len(self.creates) / (self.last_create_at - self.create_start)

    def delivery_seconds(self) -> float | None:
        """From the first create until the last watcher had its last event."""
        times = [w.completed_at for w in self.watchers if w.expected]
        if self.create_start is None or not times or None in times:
            return None
        return max(t for t in times if t is not None) - self.create_start

    def megabytes(self) -> float:
        return sum(w.received_bytes for w in self.watchers) / 1e6

    def delivery_rate(self) -> float | None:
        seconds = self.delivery_seconds()
        return self.megabytes() / seconds if seconds else None

    def lost(self) -> int:
        """Events of created pods (answered 201) that a watcher expected and has not received:
        in a phase cut by its timeout, those still on their way count too."""
        return sum(len((w.expected & self.created) - w.seen.keys()) for w in self.watchers)

    def duplicated(self) -> int:
        return sum(count - 1 for w in self.watchers for count in w.seen.values())

    def foreign(self) -> int:
        return sum(w.foreign for w in self.watchers)

    def watch_errors(self) -> Counter[str]:
        return Counter(w.error for w in self.watchers if w.error is not None)

    def progress(self) -> str:
        if self.connects:
            failed = f"{len(self.failures)} of them failed"
            return f"{len(self.answers)} of {self.connects} clients finished, {failed}"
        established = sum(w.client is not None for w in self.watchers)
        received = sum(w.events for w in self.watchers)
        expected = sum(len(w.expected) for w in self.watchers)
        return (
            f"{established} of {len(self.watchers)} watches established, {len(self.creates)} of "
            f"{self.pods} creates answered, {received} of {expected} events received"
        )


def pod_body(name: str, node: str | None) -> bytes:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx:1.14"}]}
    if node is not None:
        spec["nodeName"] = node
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}
    return json.dumps(pod).encode()


@dataclass(frozen=True)
class Plan:
    """The pods to create (name, spec.nodeName) and the watches (path, the pods each expects)."""

    pods: Sequence[tuple[str, str | None]]
    watches: Sequence[tuple[str, frozenset[str]]]


def pod_names(pods: int) -> list[str]:
    return [f"pod-{i:05d}" for i in range(pods)]


def node_names(count: int) -> list[str]:
    return [f"node-{i}" for i in range(count)]


def unfiltered_plan(watchers: int, pods: int) -> Plan:
    names = pod_names(pods)
    everything = frozenset(names)
    return Plan([(name, None) for name in names], [(WATCH_PATH, everything)] * watchers)


def kubelets_plan(watchers: int, pods: int) -> Plan:
    """`watchers` filtered watches, one per node, and the unfiltered ones beside them."""
    nodes = node_names(watchers)
    placed = [(name, nodes[i % watchers]) for i, name in enumerate(pod_names(pods))]
    on_node: dict[str, set[str]] = {node: set() for node in nodes}
    for name, node in placed:
        on_node[node].add(name)
    filtered = [
        (f"{WATCH_PATH}&fieldSelector=spec.nodeName%3D{node}", frozenset(on_node[node]))
        for node in nodes
    ]
    everything = frozenset(name for name, _ in placed)
    return Plan(placed, filtered + [(WATCH_PATH, everything)] * UNFILTERED_WITH_KUBELETS)


async def list_version(served: Served) -> str:
    client = Client(served)
    try:
        status, answer = await client.call("GET", "/api/v1/pods")
    finally:
        client.close()
    if status != 200:
        raise RuntimeError(f"LIST pods answered {status}: {answer[:200]!r}")
    return str(json.loads(answer)["metadata"]["resourceVersion"])


async def poll_healthz(client: Client, result: PhaseResult) -> None:
    """GET /healthz every HEALTHZ_INTERVAL seconds (start to start) until cancelled."""
    asked: float | None = None
    try:
        while True:
            asked = time.perf_counter()
            try:
                status, _ = await client.call("GET", "/healthz")
                if status != 200:
                    result.failures.append(f"/healthz answered {status}")
            except CLIENT_ERRORS as exc:
                result.failures.append(f"/healthz: {describe(exc)}")
            latency = time.perf_counter() - asked
            result.healthz.append(latency)
            asked = None
            await asyncio.sleep(max(0.0, HEALTHZ_INTERVAL - latency))
    finally:
        if asked is not None:
            result.healthz.append(time.perf_counter() - asked)


async def create_pods(
    clients: list[Client], pods: Sequence[tuple[str, str | None]], result: PhaseResult
) -> None:
    """Create `pods`, each client taking the next one as soon as its previous create answered."""
    queue = iter(pods)

    async def creator(client: Client) -> None:
        for name, node in queue:
            asked = time.perf_counter()
            try:
                status, answer = await client.call("POST", PODS_PATH, pod_body(name, node))
                if status == 201:
                    result.created.add(name)
                else:
                    result.failures.append(f"create {name} answered {status}: {answer[:200]!r}")
            except CLIENT_ERRORS as exc:
                result.failures.append(f"create {name}: {describe(exc)}")
            result.last_create_at = time.perf_counter()
            result.creates.append(result.last_create_at - asked)

    await asyncio.gather(*(creator(client) for client in clients))


async def warm_up(creators: list[Client], health: Client) -> None:
    """Connect, and make the server's first create (slow: it loads what validation needs) a
    dry run, which stores nothing and sends no event."""
    for client in creators:
        status, answer = await client.call(
            "POST", f"{PODS_PATH}?dryRun=All", pod_body("warm", None)
        )
        if status != 201:
            raise RuntimeError(f"a dry-run create answered {status}: {answer[:200]!r}")
    await health.call("GET", "/healthz")


async def watch_phase(served: Served, result: PhaseResult, *, plan: Plan) -> None:
    """Establish every watch, then create the pods while /healthz is polled; done when every
    watcher has its events (or failed), and SETTLE_SECONDS after."""
    version = await list_version(served)
    result.watchers = [Watcher(path, expected) for path, expected in plan.watches]
    clients = [Client(served) for _ in range(CREATE_CONNECTIONS + 1)]
    tasks: list[asyncio.Task[None]] = []
    try:
        started = time.perf_counter()
        gate = asyncio.Semaphore(ESTABLISH_AT_ONCE)
        await asyncio.gather(
            *(w.open(served, version, gate, result.retries) for w in result.watchers)
        )
        result.establish_seconds = time.perf_counter() - started
        tasks = [asyncio.create_task(w.consume()) for w in result.watchers if w.client]
        await warm_up(clients[:-1], clients[-1])
        health = asyncio.create_task(poll_healthz(clients[-1], result))
        tasks.append(health)
        result.create_start = time.perf_counter()
        await create_pods(clients[:-1], plan.pods, result)
        await asyncio.gather(*(w.done.wait() for w in result.watchers))
        health.cancel()
        await asyncio.sleep(SETTLE_SECONDS)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for watcher in result.watchers:
            watcher.close()
        for client in clients:
            client.close()


async def connect_once(served: Served, result: PhaseResult, clients: list[Client]) -> None:
    """A new connection (its TLS handshake timed) and one GET /healthz on it (timed from the
    connect's start); one that fails counts with the time it took to fail. The connection stays
    open until the caller closes `clients`."""
    client = Client(served)
    clients.append(client)
    started = time.perf_counter()
    connected = False
    try:
        await client.open()
        connected = True
        result.handshakes.append(time.perf_counter() - started)
        status, _ = await client.call("GET", "/healthz")
        if status != 200:
            result.failures.append(f"/healthz answered {status}")
    except CLIENT_ERRORS as exc:
        result.failures.append(f"connect: {describe(exc)}")
        if not connected:
            result.handshakes.append(time.perf_counter() - started)
    result.answers.append(time.perf_counter() - started)


async def baseline_phase(served: Served, result: PhaseResult, *, plan: Plan) -> None:
    clients: list[Client] = []
    try:
        for _ in range(BASELINE_CONNECTS):
            await connect_once(served, result, clients)
    finally:
        for client in clients:
            client.close()
    await watch_phase(served, result, plan=plan)


async def connects_phase(served: Served, result: PhaseResult) -> None:
    clients: list[Client] = []
    try:
        await asyncio.gather(
            *(connect_once(served, result, clients) for _ in range(result.connects))
        )
    finally:
        for client in clients:
            client.close()


def run_phase(
    result: PhaseResult,
    nodes: Sequence[str],
    body: Callable[[Served, PhaseResult], Coroutine[Any, Any, None]],
    timeout: float,
) -> PhaseResult:
    """One phase on a fresh server, cut at `timeout` seconds; an error ends the phase (reported),
    not the run."""
    print(f"phase {result.key}: {result.title} ...", flush=True)
    cpu = time.process_time()
    try:
        with serving(nodes, result) as served:
            started = time.monotonic()
            try:
                asyncio.run(asyncio.wait_for(body(served, result), timeout))
            finally:
                result.elapsed = time.monotonic() - started
    except TimeoutError:
        result.timed_out = True
    except Exception as exc:
        result.stopped_by = describe(exc)
    result.client_cpu = time.process_time() - cpu
    ended = "TIMED OUT" if result.timed_out else "STOPPED" if result.stopped_by else "ended"
    print(f"  {ended} after {result.elapsed:.1f} s: {result.progress()}", flush=True)
    return result


# -- the report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    text: str
    met: Callable[[float, float | None], bool]  # (value, ratio to the baseline)


ZERO = Target("= 0", lambda value, _: value == 0)


def at_most(limit: float, unit: str) -> Target:
    return Target(f"<= {limit:g} {unit}", lambda value, _: value <= limit)


def ratio_at_least(limit: float) -> Target:
    return Target(f"ratio >= {limit:g}", lambda _, ratio: ratio is not None and ratio >= limit)


@dataclass(frozen=True)
class Row:
    phase: str
    label: str
    value: float | None
    unit: str
    baseline: float | None = None
    target: Target | None = None

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        if self.value is None:
            return "FAIL"
        return "PASS" if self.target.met(self.value, self.ratio) else "FAIL"


def p99(values: Sequence[float]) -> float | None:
    """The 99th percentile (nearest rank)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


#: A figure of a phase: its label, how it is read from a PhaseResult, its unit.
Figure = tuple[str, Callable[[PhaseResult], float | None], str]

WATCH_FIGURES: list[Figure] = [
    ("all watches established after", lambda r: r.establish_seconds, "s"),
    ("create rate", lambda r: r.create_rate(), "pods/s"),
    ("create latency p99", lambda r: p99(r.creates), "s"),
    ("/healthz latency p99", lambda r: p99(r.healthz), "s"),
    ("first create to the last watcher's last event", lambda r: r.delivery_seconds(), "s"),
    ("watch event bytes, all watchers", lambda r: r.megabytes(), "MB"),
    ("delivery rate", lambda r: r.delivery_rate(), "MB/s"),
]
CONNECT_FIGURES: list[Figure] = [
    ("connect: TLS handshake p99", lambda r: p99(r.handshakes), "s"),
    ("connect: /healthz answered p99", lambda r: p99(r.answers), "s"),
]
RESOURCE_FIGURES: list[Figure] = [
    ("server peak RSS (VmHWM)", lambda r: r.peak_rss_mib, "MiB"),
    ("server CPU time", lambda r: r.server_cpu, "s"),
    ("benchmark client CPU time", lambda r: r.client_cpu, "s"),
]


def figure_rows(
    r: PhaseResult,
    base: PhaseResult | None,
    figures: list[Figure],
    targets: dict[str, Target],
) -> list[Row]:
    """Each figure of `r` beside the baseline's (none for the baseline itself)."""
    return [
        Row(r.key, label, read(r), unit, read(base) if base else None, targets.get(label))
        for label, read, unit in figures
    ]


def event_rows(r: PhaseResult) -> list[Row]:
    return [
        Row(r.key, "events lost (of the pods created)", r.lost(), "", target=ZERO),
        Row(r.key, "events duplicated", r.duplicated(), "", target=ZERO),
        Row(r.key, "events foreign", r.foreign(), "", target=ZERO),
        Row(r.key, "watches failed", sum(r.watch_errors().values()), "", target=ZERO),
        Row(r.key, "watch connects retried", len(r.retries), ""),
    ]


def end_rows(r: PhaseResult, timeout: float) -> list[Row]:
    within = Target(f"< {timeout:g} s", lambda _, __: not r.timed_out and not r.stopped_by)
    return [
        Row(r.key, "failed requests", len(r.failures), "", target=ZERO),
        Row(r.key, "phase time (once the server is up)", r.elapsed, "s", target=within),
    ]


def cell(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "":
        return f"{value:,.0f}"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:,.1f} {unit}"


def print_table(rows: list[Row]) -> None:
    print(
        f"\n{'':2} {'figure':48} {'value':>14} {'baseline':>14} {'ratio':>7}  {'target':14} result"
    )
    for row in rows:
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else ""
        baseline = cell(row.baseline, row.unit) if row.baseline is not None else ""
        target = row.target.text if row.target is not None else ""
        print(
            f"{row.phase:2} {row.label:48} {cell(row.value, row.unit):>14} {baseline:>14} "
            f"{ratio:>7}  {target:14} {row.verdict}"
        )


def print_problems(results: list[PhaseResult]) -> None:
    for r in results:
        notes = Counter(r.failures) + r.watch_errors() + Counter(r.retries)
        samples = {w.foreign_sample for w in r.watchers if w.foreign_sample}
        if r.timed_out:
            print(f"\nphase {r.key}: timed out after {r.elapsed:.0f} s: {r.progress()}")
        if r.stopped_by:
            print(f"\nphase {r.key}: stopped by {r.stopped_by}: {r.progress()}")
        if notes or samples or r.server_log:
            print(f"\nphase {r.key}, what went wrong:")
        for note, count in notes.most_common(8):
            print(f"  {count:5} x {note}")
        for sample in sorted(samples)[:3]:
            print(f"  a foreign event: {sample}")
        if r.server_log:
            print(f"  server log: {len(r.server_log)} unexpected lines; the first ones:")
            for line in r.server_log[:8]:
                print(f"    {line[:200]}")


# -- main ------------------------------------------------------------------------------------------


def raise_open_files_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 16)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def revision() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"tiny sizes: {QUICK}")
    for name, full in FULL.items():
        parser.add_argument(f"--{name}", type=int, default=None, help=f"default {full}")
    parser.add_argument("--phase-timeout", type=float, default=300.0, help="seconds per phase")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    for name in FULL:
        if getattr(args, name) is None:
            setattr(args, name, sizes[name])
    return args


def main() -> int:
    args = parse_args()
    limit = raise_open_files_limit()
    timeout = args.phase_timeout
    print(
        f"load_watchers: listwatch {revision()}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, open files limit {limit}; {args.watchers} watchers, "
        f"{args.pods} pods, {args.connects} connects, phase timeout {timeout:g} s",
        flush=True,
    )
    kubelet_title = f"{args.watchers} watchers by spec.nodeName + {UNFILTERED_WITH_KUBELETS} all"
    base = run_phase(
        PhaseResult("0", "baseline: 1 unfiltered watcher", pods=args.pods),
        node_names(1),
        functools.partial(baseline_phase, plan=unfiltered_plan(1, args.pods)),
        timeout,
    )
    kubelets = run_phase(
        PhaseResult("a", kubelet_title, pods=args.pods),
        node_names(args.watchers),
        functools.partial(watch_phase, plan=kubelets_plan(args.watchers, args.pods)),
        timeout,
    )
    everyone = run_phase(
        PhaseResult("b", f"{args.watchers} unfiltered watchers", pods=args.pods),
        node_names(1),
        functools.partial(watch_phase, plan=unfiltered_plan(args.watchers, args.pods)),
        timeout,
    )
    connects = run_phase(
        PhaseResult("c", f"{args.connects} clients connecting at once", connects=args.connects),
        node_names(1),
        connects_phase,
        timeout,
    )
    one_second = at_most(1, "s")
    watch_figures = WATCH_FIGURES + RESOURCE_FIGURES
    rows = [
        *figure_rows(base, None, WATCH_FIGURES + CONNECT_FIGURES + RESOURCE_FIGURES, {}),
        *event_rows(base),
        *end_rows(base, timeout),
        *figure_rows(kubelets, base, watch_figures, {"create rate": ratio_at_least(0.5)}),
        *event_rows(kubelets),
        *end_rows(kubelets, timeout),
        *figure_rows(
            everyone,
            base,
            watch_figures,
            {"create latency p99": one_second, "/healthz latency p99": one_second},
        ),
        *event_rows(everyone),
        *end_rows(everyone, timeout),
        *figure_rows(
            connects,
            base,
            CONNECT_FIGURES + RESOURCE_FIGURES,
            {label: one_second for label, _, _ in CONNECT_FIGURES},
        ),
        *end_rows(connects, timeout),
    ]
    print_table(rows)
    print_problems([base, kubelets, everyone, connects])
    failed = sum(row.verdict == "FAIL" for row in rows)
    print(f"\n{failed} of {sum(bool(row.verdict) for row in rows)} checks failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
