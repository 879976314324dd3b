"""Readiness probes: the kubelet runs each container's readinessProbe and reports it in Ready.

As the kubelet's prober does: a container with a readinessProbe is not ready until the probe
succeeds; the probe runs first after initialDelaySeconds, then every periodSeconds; successThreshold
consecutive successes make it ready, failureThreshold consecutive failures make it not ready
again; every failure is a Warning `Unhealthy` event ("Readiness probe failed: ...").
Probe timers are housekeeping (daemon timers): they never keep a simulated run from settling.
A probe stops by itself once its container is no longer the one it started for, or stops running.
"""

from __future__ import annotations

from collections.abc import Callable

from listwatch.components.events import EventRecorder
from listwatch.components.kubelet.records import ContainerRecord, PodRecord
from listwatch.loop import Loop
from listwatch.runtime.base import Runtime


class Probes:
    """Runs readiness probes through the runtime; writes each verdict to the container's record."""

    def __init__(
        self,
        *,
        loop: Loop,
        runtime: Runtime,
        recorder: EventRecorder,
        on_change: Callable[[PodRecord], None],
    ) -> None:
        self.loop = loop
        self.runtime = runtime
        self.recorder = recorder
        #: Called with the pod whose readiness changed (its status needs writing).
        self.on_change = on_change

    def start(self, container: ContainerRecord) -> None:
        """The container started: probe it if it has a readinessProbe (else it is ready as it
        runs)."""
        probe = container.spec.get("readinessProbe")
        if not probe:
            container.ready = None
            return
        container.ready = False
        self.loop.call_later(
            float(probe.get("initialDelaySeconds", 0)),
            self._probe,
            container,
            container.container_id,
            0,
            0,
            daemon=True,
        )

    def _probe(
        self, container: ContainerRecord, container_id: str, successes: int, failures: int
    ) -> None:
        if (
            container.container_id != container_id
            or container.container != "Running"
            or container.pod.pod_worker != "Syncing"
        ):
            return
        probe = container.spec["readinessProbe"]
        ok, output = self.runtime.probe(container_id, probe, ip=container.pod.ip)
        successes, failures = (successes + 1, 0) if ok else (0, failures + 1)
        ready = container.ready
        if ok and successes >= int(probe.get("successThreshold", 1)):
            ready = True
        elif not ok and failures >= int(probe.get("failureThreshold", 3)):
            ready = False
        if not ok:
            self.recorder.record(
                container.pod.pod, "Unhealthy", field_path=container.field_path, output=output
            )
        if ready != container.ready:
            container.ready = ready
            self.on_change(container.pod)
        period = float(probe.get("periodSeconds", 10))
        self.loop.call_later(
            period, self._probe, container, container_id, successes, failures, daemon=True
        )
