"""What the kubelet keeps per pod and per container while it drives them (their machine states
included)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.components.backoff import Backoff
from listwatch.runtime.base import PullResult


class ContainerRecord:
    """One container of a pod on this node; `container` is its state in the spec machine."""

    __slots__ = (
        "backoff",
        "container",
        "container_id",
        "exit_code",
        "finished",
        "finished_at",
        "handles_sigterm",
        "image_backoff",
        "image_id",
        "index",
        "keeps",
        "killed",
        "last_terminated",
        "name",
        "pod",
        "pull",
        "pull_error",
        "pull_started",
        "ready",
        "reported",
        "restart_count",
        "spec",
        "started_at",
        "terminated",
        "timer",
        "waiting_message",
    )

    def __init__(self, pod: PodRecord, spec: Mapping[str, Any], index: int) -> None:
        self.pod = pod
        self.spec = spec
        self.name: str = spec["name"]
        self.index = index
        self.container = ""
        self.restart_count = 0
        self.exit_code: int | None = None
        self.started_at = ""
        self.finished_at = ""
        self.finished = 0.0
        self.last_terminated: dict[str, Any] | None = None
        self.terminated: dict[str, Any] | None = None
        self.container_id = ""
        self.image_id = ""
        self.pull: PullResult | None = None
        self.pull_started = 0.0
        self.pull_error = ""
        self.waiting_message = ""
        # Readiness: None without a readinessProbe (ready once running), else the probe's verdict.
        self.ready: bool | None = None
        #: The status last reported for it, reported again while a restart or a pull retry
        #: makes a new instance (what kuberuntime keeps until the new one runs).
        self.reported: dict[str, Any] | None = None
        #: Whether `reported` is what the status shows now (set by the containers part).
        self.keeps = False
        self.backoff: Backoff | None = None
        self.image_backoff: Backoff | None = None
        self.handles_sigterm = True
        # Stopped by the kubelet (its pod is being deleted): its end is the machine's `kill`.
        self.killed = False
        self.timer: Any = None

    @property
    def field_path(self) -> str:
        return f"spec.containers{{{self.name}}}"


class PodRecord:
    """A pod on this node; `pod_worker` and `pod_phase` are its states in the spec machines."""

    __slots__ = (
        "containers",
        "dirty",
        "grace",
        "ip",
        "message",
        "pod",
        "pod_phase",
        "pod_worker",
        "reason",
        "sandbox_ready",
        "start_time",
        "stopping",
        "uid",
        "written",
    )

    def __init__(self, pod: Obj) -> None:
        self.pod = pod
        self.uid = objects.uid_of(pod)
        self.pod_worker = ""
        self.pod_phase = ""
        self.containers: list[ContainerRecord] = []
        self.sandbox_ready = False
        self.start_time = ""
        self.ip = ""
        self.reason = ""
        self.message = ""
        self.dirty = False
        self.written: Obj | None = None
        self.stopping = 0
        #: The grace period its containers were given to stop (a later DELETE may shorten it).
        self.grace = 0.0
