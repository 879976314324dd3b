"""The served API against two Python Kubernetes API stand-ins, through the official client.

    python benchmarks/bench_served_api.py [--pods 2000] [--watch 1000] [--nodes 30]
        [--only listwatch,kmock,mockernetes] [--ui]

The same client code (the official `kubernetes` package: CoreV1Api and watch.Watch, pods built
as V1Pod models) runs against:
- listwatch: `python -m listwatch serve` in a process of its own, over HTTPS with the token; it
  runs the whole control plane (scheduler, kubelets on `--nodes` nodes, events), so every pod is
  scheduled and started while the client works;
- kmock (PyPI): its KubernetesEmulator on aiohttp, plain HTTP, in a process of its own; it only
  stores objects;
- mockernetes (PyPI): it patches the client's API classes in-process (no HTTP at all); it needs
  Python >= 3.12, so its run happens in a separate interpreter.
The stand-ins are installed into virtual environments of their own under ~/.cache/listwatch/bench
(kmock brings a pytest plugin that needs pytest-asyncio, which would break this project's tests
if it lived in the project's environment).

Figures, per target: the time to create `--pods` pods one after another; the time to list them
(the median of 3 lists); the time until a watcher has received `--watch` ADDED events while
another client creates that many pods (from the first create); and the time to receive `--watch`
ADDED events from a fresh watch over the pods that exist. Then the ratios listwatch / stand-in
(below 1: listwatch is faster). A stand-in that cannot serve a figure says why.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "listwatch" / "bench"
FIGURES = ("create", "list", "list_raw", "watch_live", "watch_replay")
LABELS = {
    "create": "create {pods} pods",
    "list": "list {pods} pods",
    "list_raw": "list {pods} pods, not deserialised",
    "watch_live": "watch: {watch} ADDED while created",
    "watch_replay": "watch: {watch} ADDED from a fresh watch",
}


# -- the client code, the same for every target ----------------------------------------------------


def make_pod(client: Any, namespace: str, name: str, labels: dict[str, str]) -> Any:
    # The namespace is in the body too (as kubectl sends it): kmock routes watch events by it.
    return client.V1Pod(
        api_version="v1",
        kind="Pod",
        metadata=client.V1ObjectMeta(name=name, namespace=namespace, labels=labels),
        spec=client.V1PodSpec(containers=[client.V1Container(name="nginx", image="nginx:1.15")]),
    )


def run_client(v1: Any, *, pods: int, watch_count: int) -> dict[str, Any]:
    """Create, list and watch through `v1` (a CoreV1Api); the figures in seconds, or why not."""
    from kubernetes import client, watch

    figures: dict[str, Any] = {}
    for namespace in ("bench", "bench-watch"):
        try:
            v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
        except (
            Exception
        ) as exc:  # a stand-in that does not serve namespaces still serves pods in them
            figures.setdefault("notes", []).append(f"create namespace: {type(exc).__name__}")

    start = time.perf_counter()
    for i in range(pods):
        v1.create_namespaced_pod(
            "bench", make_pod(client, "bench", f"pod-{i:05d}", {"bench": "create"})
        )
    figures["create"] = time.perf_counter() - start

    times = []
    for _ in range(3):
        start = time.perf_counter()
        listed = v1.list_namespaced_pod("bench")
        times.append(time.perf_counter() - start)
        if len(listed.items) != pods:
            figures["list"] = f"listed {len(listed.items)} pods, expected {pods}"
            break
    else:
        figures["list"] = statistics.median(times)
    # The same list without the client's model deserialisation (_preload_content=False): what the
    # server and the wire cost, apart from turning JSON into V1Pod objects.
    try:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            raw = v1.list_namespaced_pod("bench", _preload_content=False).data
            times.append(time.perf_counter() - start)
        figures["list_raw"] = statistics.median(times)
        figures["bytes_per_pod"] = len(raw) // max(pods, 1)
    except Exception as exc:
        figures["list_raw"] = f"cannot list without deserialising ({type(exc).__name__})"

    figures["watch_live"] = _watch_live(v1, client, watch, watch_count)
    figures["watch_replay"] = _watch_replay(v1, watch, watch_count)
    return figures


def _watch_live(v1: Any, client: Any, watch: Any, count: int) -> float | str:
    """A watcher on an (almost) empty namespace; then `count` pods are created there."""
    v1.create_namespaced_pod(
        "bench-watch", make_pod(client, "bench-watch", "sentinel", {"bench": "watch"})
    )
    ready = threading.Event()
    done = threading.Event()
    received: list[float] = []
    failure: list[str] = []

    def watcher() -> None:
        w = watch.Watch()
        try:
            for event in w.stream(v1.list_namespaced_pod, "bench-watch", timeout_seconds=600):
                if event["type"] != "ADDED":
                    continue
                if event["object"].metadata.name == "sentinel":
                    ready.set()
                    continue
                received.append(time.perf_counter())
                if len(received) >= count:
                    break
        except Exception as exc:
            failure.append(f"{type(exc).__name__}: {exc}"[:200])
        finally:
            w.stop()
            ready.set()
            done.set()

    thread = threading.Thread(target=watcher, daemon=True)
    thread.start()
    if not ready.wait(60) or failure:
        return f"cannot serve a watch ({failure[0] if failure else 'no event within 60s'})"
    start = time.perf_counter()
    for i in range(count):
        v1.create_namespaced_pod(
            "bench-watch", make_pod(client, "bench-watch", f"watched-{i:05d}", {"bench": "watch"})
        )
    if not done.wait(600) or failure or len(received) < count:
        return f"received {len(received)} of {count} ADDED events" + (
            f" ({failure[0]})" if failure else ""
        )
    return received[-1] - start


def _watch_replay(v1: Any, watch: Any, count: int) -> float | str:
    """A fresh watch (no resourceVersion) over the pods that exist: ADDED for each, first."""
    w = watch.Watch()
    got = 0
    start = time.perf_counter()
    try:
        for event in w.stream(v1.list_namespaced_pod, "bench", timeout_seconds=600):
            if event["type"] == "ADDED":
                got += 1
                if got >= count:
                    break
    except Exception as exc:
        return f"cannot serve a watch ({type(exc).__name__}: {exc})"[:200]
    finally:
        w.stop()
    if got < count:
        return f"received {got} of {count} ADDED events"
    return time.perf_counter() - start


# -- the targets -----------------------------------------------------------------------------------


def _venv(name: str, python: str, packages: list[str]) -> Path:
    """A virtual environment of its own under the cache, with `packages` installed (once)."""
    directory = CACHE / name
    interpreter = directory / "bin" / "python"
    stamp = directory / ".installed"
    if stamp.exists() and stamp.read_text() == " ".join(packages):
        return interpreter
    if python == sys.executable:
        venv.EnvBuilder(with_pip=True, clear=True).create(directory)
    else:
        subprocess.run([python, "-m", "venv", "--clear", str(directory)], check=True)
    subprocess.run(
        [str(interpreter), "-m", "pip", "install", "--quiet", *packages],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    stamp.write_text(" ".join(packages))
    return interpreter


def _wait_line(process: subprocess.Popen[str], prefix: str, timeout: float = 60) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(
                f"the server exited: {process.stderr.read() if process.stderr else ''}"
            )
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    raise RuntimeError(f"no {prefix!r} line within {timeout}s")


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def bench_listwatch(args: argparse.Namespace) -> dict[str, Any]:
    from kubernetes import client, config

    nodes = ",".join(f"node{i:02d}" for i in range(1, args.nodes + 1))
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp, "kubeconfig")
        env = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
        command = [
            sys.executable,
            "-m",
            "listwatch",
            "serve",
            "--port",
            "0",
            "--nodes",
            nodes,
            "--kubeconfig-out",
            str(kubeconfig),
            *(() if args.ui else ("--no-ui",)),
        ]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        try:
            _wait_line(process, "kubeconfig:")
            configuration = client.Configuration()
            config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
            with client.ApiClient(configuration) as api_client:
                return run_client(
                    client.CoreV1Api(api_client), pods=args.pods, watch_count=args.watch
                )
        finally:
            _stop(process)


KMOCK_SERVER = """
import asyncio, kmock
async def main():
    async with kmock.KubernetesEmulator() as handler, kmock.Server(handler, port=0) as server:
        print("port:", server.port, flush=True)
        await asyncio.Event().wait()
asyncio.run(main())
"""


def bench_kmock(args: argparse.Namespace) -> dict[str, Any]:
    from kubernetes import client

    python = _venv("kmock", sys.executable, ["kmock==0.8"])
    process = subprocess.Popen(
        [str(python), "-c", KMOCK_SERVER], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        port = _wait_line(process, "port:")
        configuration = client.Configuration()
        configuration.host = f"http://127.0.0.1:{port}"
        with client.ApiClient(configuration) as api_client:
            return run_client(client.CoreV1Api(api_client), pods=args.pods, watch_count=args.watch)
    finally:
        _stop(process)


def bench_mockernetes(args: argparse.Namespace) -> dict[str, Any]:
    python = args.python312 or _python312()
    if not python:
        return {
            "why": "mockernetes needs Python >= 3.12 and none was found (give one with --python312)"
        }
    interpreter = _venv("mockernetes", python, ["mockernetes==0.2.0"])
    command = [
        str(interpreter),
        __file__,
        "--in-process-mockernetes",
        "--pods",
        str(args.pods),
        "--watch",
        str(args.watch),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
    if done.returncode != 0:
        return {"why": f"mockernetes run failed: {done.stderr.strip()[-300:]}"}
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _python312() -> str | None:
    """A Python >= 3.12 that runs (a pyenv shim of an inactive version does not)."""
    candidates = [shutil.which(f"python3.{minor}") for minor in (12, 13, 14)]
    candidates += [
        str(p) for p in sorted(Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python3"))
    ]
    for candidate in candidates:
        if (
            candidate
            and subprocess.run(
                [candidate, "-c", "import sys; assert sys.version_info >= (3, 12)"],
                capture_output=True,
                check=False,
            ).returncode
            == 0
        ):
            return candidate
    return None


def in_process_mockernetes(args: argparse.Namespace) -> None:
    """Run the client code in this interpreter, with mockernetes patching the client."""
    from kubernetes import client
    from mockernetes import mock_kubernetes

    with mock_kubernetes():
        figures = run_client(client.CoreV1Api(), pods=args.pods, watch_count=args.watch)
    print(json.dumps(figures))


TARGETS = {
    "listwatch": ("listwatch (HTTPS, whole control plane)", bench_listwatch),
    "kmock": ("kmock 0.8 (aiohttp, HTTP)", bench_kmock),
    "mockernetes": ("mockernetes 0.2.0 (in-process patch)", bench_mockernetes),
}


def _cell(value: Any, count: int) -> str:
    if isinstance(value, float):
        return f"{value:8.3f} s  ({count / value:7.0f}/s)" if count else f"{value:8.3f} s"
    return "n/a"


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    from kubernetes import __version__ as client_version

    counts = {
        "create": args.pods,
        "list": 0,
        "list_raw": 0,
        "watch_live": args.watch,
        "watch_replay": args.watch,
    }
    names = list(results)
    print(
        f"\nServed API benchmark: official kubernetes client {client_version}, {args.pods} pods, "
        f"{args.watch} watch events\n"
    )
    width = 42
    print(" " * width + "".join(f"{TARGETS[n][0]:<42}" for n in names))
    for figure in FIGURES:
        label = LABELS[figure].format(pods=args.pods, watch=args.watch)
        print(
            f"{label:<{width}}"
            + "".join(f"{_cell(results[n].get(figure), counts[figure]):<42}" for n in names)
        )
    sizes = [
        f"{n} {results[n]['bytes_per_pod']} B"
        for n in names
        if isinstance(results[n].get("bytes_per_pod"), int)
    ]
    if sizes:
        print("bytes per pod in a list: " + ", ".join(sizes))
    for name in names:
        why = [
            f"{f}: {v}"
            for f, v in results[name].items()
            if f in FIGURES and not isinstance(v, float)
        ]
        if results[name].get("why"):
            why.insert(0, results[name]["why"])
        if why:
            print(f"  {name}: " + "; ".join(why))
    base = results.get("listwatch", {})
    for name in names:
        if name == "listwatch":
            continue
        ratios = []
        for figure in FIGURES:
            mine, theirs = base.get(figure), results[name].get(figure)
            if isinstance(mine, float) and isinstance(theirs, float) and theirs > 0:
                ratios.append(f"{figure} {mine / theirs:.2f}")
        print(
            f"listwatch / {name}: "
            + (", ".join(ratios) if ratios else "no figure to compare")
            + "  (below 1: listwatch faster)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, default=2000)
    parser.add_argument("--watch", type=int, default=1000)
    parser.add_argument(
        "--nodes", type=int, default=30, help="nodes of the listwatch cluster (110 pods each)"
    )
    parser.add_argument("--only", default=",".join(TARGETS), help="comma-separated targets")
    parser.add_argument(
        "--ui",
        action="store_true",
        help="serve listwatch with its web view (as `listwatch serve` does by default: the "
        "components then report their acts to it); without, the API alone is measured",
    )
    parser.add_argument(
        "--python312", default=None, help="a Python >= 3.12 interpreter for mockernetes"
    )
    parser.add_argument("--in-process-mockernetes", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process_mockernetes:
        in_process_mockernetes(args)
        return
    results: dict[str, dict[str, Any]] = {}
    for name in [n.strip() for n in args.only.split(",") if n.strip()]:
        print(f"running {name} ...", flush=True)
        try:
            results[name] = TARGETS[name][1](args)
        except Exception as exc:
            results[name] = {"why": f"{type(exc).__name__}: {exc}"[:300]}
        print(f"  {name}: {json.dumps(results[name])}", flush=True)
    report(results, args)


if __name__ == "__main__":
    main()
