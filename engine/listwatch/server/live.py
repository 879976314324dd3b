"""The simulated cluster, live: its event loop on a thread of its own, under the system clock.

Its kubelets' runtime is the memory runtime, or a Docker Engine (`runtime="docker"`: pods become
real containers, removed when the cluster stops).

Nothing in the engine is thread-safe, so exactly one thread, the loop thread, ever touches the
cluster. Other threads (one per HTTP connection) hand it work:
- `call(fn, *args)` runs `fn` on the loop thread and returns its result, or raises its exception,
  in the calling thread;
- `post(fn, *args)` queues `fn` and returns at once.

Objects the API server hands out are never mutated once stored (`apiserver.objects`), so a
caller may read and serialise what `call` returned on its own thread without holding the loop.

An exception that escapes a component's callback is reported on `err` and the loop goes on: a
served cluster outlives a bug in one reconcile, as a real control plane outlives a crash of one
controller's worker.
"""

from __future__ import annotations

import concurrent.futures
import secrets
import threading
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any, TypeVar

from listwatch import errors
from listwatch.apiserver.api import APIServer
from listwatch.clock import SystemClock
from listwatch.cluster import Cluster
from listwatch.engine import Engine
from listwatch.loop import Loop
from listwatch.runtime import RUNTIMES, runtime_for

T = TypeVar("T")

#: How long a request waits for the loop before it is answered 504 Timeout.
DEFAULT_CALL_TIMEOUT = 30.0


class LiveCluster:
    """A `Cluster` under the system clock, run by its own thread until `stop`."""

    def __init__(
        self,
        engine: Engine,
        *,
        nodes: Sequence[str],
        without: Iterable[str] = (),
        seed: int | None = None,
        err: IO[str] | None = None,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        runtime: str = "memory",
        speed: float = 1.0,
        trace_actions: bool = False,
    ) -> None:
        """`runtime` names the kubelets' container runtime (`listwatch.runtime.RUNTIMES`); one
        that cannot run here raises BackendUnavailable, before any thread starts. `speed` above 1
        runs the cluster's clock that many times faster than real time (the memory runtime only:
        real containers keep real time). `trace_actions`: the components report their acts
        (what the web view's steps are made of; off, they cost nothing)."""
        if speed != 1 and RUNTIMES[runtime].real_time:
            raise errors.ListwatchError(
                f"--speed {speed:g}: the {runtime} runtime runs real containers in real time; a "
                "faster clock needs the memory runtime"
            )
        if not speed >= 1:
            raise errors.ListwatchError(f"--speed {speed:g}: give 1 or more")
        self.clock = SystemClock(speed)
        loop = Loop(self.clock)
        # A fresh seed per start: uids and generated names differ from one served cluster to the
        # next.
        seed = secrets.randbits(31) if seed is None else seed
        self.cluster = Cluster(
            engine,
            nodes=nodes,
            loop=loop,
            runtime=runtime_for(runtime, loop, seed=seed),
            without=without,
            seed=seed,
            trace_actions=trace_actions,
        )
        self.err = err
        self.call_timeout = call_timeout
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="listwatch-loop", daemon=True)
        self._closed_unstarted = False

    @property
    def api(self) -> APIServer:
        return self.cluster.api

    @property
    def loop(self) -> Loop:
        return self.cluster.loop

    @property
    def running(self) -> bool:
        return self._ready.is_set() and not self._stop.is_set() and self._thread.is_alive()

    def start(self, *, timeout: float = 60.0) -> None:
        """Start the loop thread; return once every component has listed and is watching."""
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise errors.ServiceUnavailable(
                f"the simulated cluster did not start within {timeout:g}s"
            )
        if self._failure is not None:
            raise errors.ServiceUnavailable(
                f"the simulated cluster failed to start: {self._failure}"
            ) from self._failure

    def _run(self) -> None:
        try:
            self.cluster.start()
        except BaseException as exc:  # reported to `start`, which raises it in the caller's thread
            self._failure = exc
            self._ready.set()
            return
        self._ready.set()
        while not self._stop.is_set():
            try:
                self.loop.run_forever(self._stop)
            except Exception:  # a bug in one callback: report it, keep serving
                self._report(traceback.format_exc())
        try:
            self.cluster.close()  # on the docker backend: its containers are removed
        except Exception:
            self._report(traceback.format_exc())
        finally:
            self.loop.close()

    def _report(self, text: str) -> None:
        if self.err is not None:
            self.err.write(f"listwatch: an error in the simulated cluster (it goes on):\n{text}")
            self.err.flush()

    def call(
        self, fn: Callable[..., T], /, *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> T:
        """Run `fn(*args, **kwargs)` on the loop thread and return its result (or raise its
        exception).

        `timeout` (default: `call_timeout`) bounds the wait; past it the call is a 504 Timeout.
        """
        if threading.current_thread() is self._thread:
            return fn(*args, **kwargs)
        if not self.running:
            raise errors.ServiceUnavailable("the simulated cluster is not running")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to the caller's thread, never lost in the loop
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        wait = self.call_timeout if timeout is None else timeout
        try:
            return future.result(wait)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise errors.Timeout(f"the simulated cluster did not answer within {wait:g}s") from None

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue `fn(*args)` on the loop thread without waiting (nothing, if the loop has
        stopped)."""
        if self._thread.is_alive() and not self._stop.is_set():
            self.loop.call_soon_threadsafe(fn, *args)

    def stop(self, *, timeout: float = 90.0) -> None:
        """Stop the loop thread; the components are stopped on it before it ends (at most
        `timeout` seconds: the docker backend removes its containers then). A cluster whose thread
        never started is closed here."""
        self._stop.set()
        self.loop.wake()
        if self._thread.ident is None:
            if not self._closed_unstarted:
                self._closed_unstarted = True
                self.cluster.close()
                self.loop.close()
            return
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def __enter__(self) -> LiveCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
