"""The controller manager's job controller: each Job (a `TrackedJob`) runs the spec's `job` machine.

A sync looks at the pods the Job owns (by controller reference) and decides, in v1.32's order:
a pod failure policy rule with FailJob, more failures than backoffLimit, or an exceeded
activeDeadlineSeconds makes the Job fail (FailureTarget, then Failed once no pod of it is
terminating); enough successful pods make it succeed (SuccessCriteriaMet, then Complete); a
suspended Job has its active pods deleted; otherwise it keeps `parallelism` pods active (no more
than the completions still missing), creating a replacement for a failed pod only after the pod
failure back-off (10 s, doubling with each failure since the last success, at most 10 min).

Finished pods are counted as v1.32 counts them: each pod carries the
`batch.kubernetes.io/job-tracking` finalizer; a finished pod's UID first goes to
status.uncountedTerminatedPods, then its finalizer is removed, then it moves to the succeeded or
failed count. A pod the pod failure policy Ignores, or one deleted for a suspension, is not
counted. When a Job is gone, its pods lose the finalizer and the garbage collector deletes them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.clock import parse_rfc3339
from listwatch.components.base import Acts
from listwatch.components.events import EventRecorder
from listwatch.components.failures import Failures
from listwatch.components.workqueue import Tracked, WorkQueue
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard

FINISHED = ("Succeeded", "Failed")


@dataclass
class View:
    """What one sync sees of a Job and its pods (computed once, before the machine fires)."""

    active: list[Obj] = field(default_factory=list)
    terminating: list[Obj] = field(default_factory=list)
    #: Finished pods still carrying the tracking finalizer, not yet in uncountedTerminatedPods.
    new_succeeded: list[Obj] = field(default_factory=list)
    new_failed: list[Obj] = field(default_factory=list)
    #: Finished pods whose finalizer goes without their being counted.
    ignored: list[Obj] = field(default_factory=list)
    succeeded: int = 0
    failed: int = 0
    #: (reason, message) of the failure the Job meets, if any.
    failure: tuple[str, str] | None = None
    complete: bool = False
    #: The Job already had its Complete or Failed condition (its final Event was recorded).
    finished: bool = False


class TrackedJob(Tracked):
    """A Job under reconciliation; `job` is its machine state."""

    __slots__ = (
        "failures_since_success",
        "job",
        "last_failure",
        "pending_adds",
        "pending_deletes",
        "status",
        "suspend_deleted",
        "view",
    )

    def __init__(self, obj: Obj) -> None:
        super().__init__(obj)
        self.job = ""
        self.pending_adds = 0
        self.pending_deletes: set[str] = set()
        self.status: dict[str, Any] = {}
        self.view = View()
        self.failures_since_success = 0
        self.last_failure = 0.0
        self.suspend_deleted: set[str] = set()


def _phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase", ""))


def _deleting(pod: Mapping[str, Any]) -> bool:
    return bool(objects.meta(pod).get("deletionTimestamp"))


def _ready(pod: Mapping[str, Any]) -> bool:
    return (objects.condition(pod, "Ready") or {}).get("status") == "True"


def _true(obj: Mapping[str, Any], type_: str) -> bool:
    return (objects.condition(obj, type_) or {}).get("status") == "True"


class JobController:
    """Runs every Job to completion or failure with the pods it owns."""

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        actor: str,
        act: Acts,
        machine: Machine,
        recorder: EventRecorder,
        settings: Mapping[str, Any],
        burst: int,
        failures: Failures | None = None,
    ) -> None:
        """`settings` is the spec's `jobs` block: the tracking finalizer, the back-off, the
        conditions' messages."""
        self.api = api
        self.loop = loop
        self.actor = actor
        self.act = act
        self.machine = machine
        self.recorder = recorder
        self.settings = settings
        self.finalizer = str(settings["finalizer"])
        self.messages: Mapping[str, str] = settings["messages"]
        self.burst = burst
        self.failures = failures
        self.jobs: WorkQueue[TrackedJob] = WorkQueue(loop, self._sync, failures)
        #: The pods each Job (by UID) owns, by pod UID, as the pod watch last showed them.
        self.owned: dict[str, dict[str, Obj]] = {}

    # -- events from the controller manager's watches ----------------------------------------------

    def job_changed(self, event: InformerEvent) -> None:
        self.jobs.changed(event.object, self._track)

    def _track(self, obj: Obj) -> TrackedJob:
        tracked = TrackedJob(obj)
        self.machine.start(tracked)
        self.owned.setdefault(tracked.uid, {})
        return tracked

    def job_deleted(self, event: InformerEvent) -> None:
        tracked = self.jobs.deleted(event.object)
        if tracked is not None:
            self.machine.fire(self, tracked, "delete")

    def pod_changed(self, event: InformerEvent) -> None:
        pod = event.object
        ref = objects.controller_of(pod)
        if ref is None or ref.get("kind") != "Job":
            if ref is None:
                self._release(pod)  # orphaned: no Job will count it
            return
        owner = str(ref.get("uid", ""))
        uid = objects.uid_of(pod)
        pods = self.owned.setdefault(owner, {})
        seen = uid in pods
        pods[uid] = pod
        tracked = self.jobs.get(owner)
        if tracked is None:
            if self._tracks(pod) and not self._owner_exists(pod, ref):
                self._release(pod)  # its Job is gone: nothing will count it
            return
        if not seen and tracked.pending_adds > 0:
            tracked.pending_adds -= 1
        if _deleting(pod):
            tracked.pending_deletes.discard(uid)
        self.jobs.enqueue(tracked)

    def pod_deleted(self, event: InformerEvent) -> None:
        pod = event.object
        ref = objects.controller_of(pod)
        if ref is None or ref.get("kind") != "Job":
            return
        owner = str(ref.get("uid", ""))
        uid = objects.uid_of(pod)
        self.owned.get(owner, {}).pop(uid, None)
        tracked = self.jobs.get(owner)
        if tracked is not None:
            tracked.pending_deletes.discard(uid)
            self.jobs.enqueue(tracked)

    def _sync(self, tracked: TrackedJob) -> None:
        tracked.status = dict(tracked.obj.get("status") or {})
        tracked.view = self._view(tracked)
        self.machine.fire(self, tracked, "sync")

    # -- what a sync sees --------------------------------------------------------------------------

    def _spec(self, tracked: TrackedJob) -> Mapping[str, Any]:
        return tracked.obj.get("spec") or {}

    def _view(self, tracked: TrackedJob) -> View:
        spec = self._spec(tracked)
        status = tracked.status
        uncounted = status.get("uncountedTerminatedPods") or {}
        listed = set(uncounted.get("succeeded") or []) | set(uncounted.get("failed") or [])
        view = View(finished=_true(tracked.obj, "Complete") or _true(tracked.obj, "Failed"))
        for pod in sorted(
            self.owned.get(tracked.uid, {}).values(),
            key=lambda p: str(objects.meta(p).get("creationTimestamp", "")),
        ):
            uid = objects.uid_of(pod)
            phase = _phase(pod)
            if phase in FINISHED:
                if not self._tracks(pod) or uid in listed:
                    continue
                if phase == "Succeeded":
                    view.new_succeeded.append(pod)
                elif uid in tracked.suspend_deleted:
                    view.ignored.append(pod)
                else:
                    view.new_failed.append(pod)
            elif _deleting(pod):
                view.terminating.append(pod)
            else:
                view.active.append(pod)
        policy_failure = self._apply_failure_policy(tracked, view)
        view.succeeded = (
            int(status.get("succeeded", 0))
            + len(uncounted.get("succeeded") or [])
            + len(view.new_succeeded)
        )
        view.failed = (
            int(status.get("failed", 0)) + len(uncounted.get("failed") or []) + len(view.new_failed)
        )
        if _true(tracked.obj, "FailureTarget") or _true(tracked.obj, "Failed"):
            failed = objects.condition(tracked.obj, "FailureTarget") or objects.condition(
                tracked.obj, "Failed"
            )
            assert failed is not None
            view.failure = (str(failed.get("reason", "")), str(failed.get("message", "")))
        elif policy_failure is not None:
            view.failure = policy_failure
        elif view.failed > int(spec.get("backoffLimit", 6)) or self._restarts_exceed(tracked, view):
            view.failure = ("BackoffLimitExceeded", self.messages["BackoffLimitExceeded"])
        elif self._deadline_left(tracked) == 0.0:
            view.failure = ("DeadlineExceeded", self.messages["DeadlineExceeded"])
        completions = spec.get("completions")
        if _true(tracked.obj, "SuccessCriteriaMet") or _true(tracked.obj, "Complete"):
            view.complete = True
        elif completions is not None:
            view.complete = view.succeeded >= int(completions)
        else:
            view.complete = view.succeeded > 0 and not view.active
        return view

    def _restarts_exceed(self, tracked: TrackedJob, view: View) -> bool:
        """pastBackoffLimitOnFailure: under restartPolicy OnFailure a pod's containers restart in
        place, so their restarts count against backoffLimit (any restart, when it is 0)."""
        spec = self._spec(tracked)
        template = (spec.get("template") or {}).get("spec") or {}
        if template.get("restartPolicy") != "OnFailure":
            return False
        restarts = sum(
            int(cs.get("restartCount", 0))
            for pod in view.active
            for key in ("initContainerStatuses", "containerStatuses")
            for cs in (pod.get("status") or {}).get(key) or []
        )
        limit = int(spec.get("backoffLimit", 6))
        return restarts > 0 if limit == 0 else restarts >= limit

    def _apply_failure_policy(self, tracked: TrackedJob, view: View) -> tuple[str, str] | None:
        """Match each newly failed pod against spec.podFailurePolicy's rules, in order: an Ignore
        moves it to `ignored`, the first FailJob is the Job's failure."""
        rules = (self._spec(tracked).get("podFailurePolicy") or {}).get("rules") or []
        if not rules:
            return None
        failure: tuple[str, str] | None = None
        counted = []
        for pod in view.new_failed:
            matched = _match(rules, pod)
            if matched is None:
                counted.append(pod)
                continue
            index, what = matched
            rule_action = str(rules[index].get("action"))
            if rule_action == "Ignore":
                view.ignored.append(pod)
                continue
            counted.append(pod)
            if rule_action == "FailJob" and failure is None:
                template = self.messages["exitCode" if "code" in what else "podCondition"]
                failure = (
                    "PodFailurePolicy",
                    template.format(
                        namespace=objects.namespace_of(pod),
                        pod=objects.name_of(pod),
                        action=rule_action,
                        index=index,
                        **what,
                    ),
                )
        view.new_failed = counted
        return failure

    def _deadline_left(self, tracked: TrackedJob) -> float | None:
        """Seconds until activeDeadlineSeconds runs out (0.0 once it has), None without one."""
        deadline = self._spec(tracked).get("activeDeadlineSeconds")
        start = tracked.status.get("startTime")
        if deadline is None or not start or self._spec(tracked).get("suspend"):
            return None
        clock = self.loop.clock
        elapsed = (clock.wall(clock.now()) - parse_rfc3339(str(start))).total_seconds()
        left = float(deadline) - elapsed * clock.speed
        return max(0.0, left)

    def _backoff_left(self, tracked: TrackedJob) -> float:
        failures = tracked.failures_since_success
        if failures <= 0:
            return 0.0
        base = float(self.settings["podFailureBackoffSeconds"])
        delay = min(base * 2 ** (failures - 1), float(self.settings["maxPodFailureBackoffSeconds"]))
        left: float = tracked.last_failure + delay - self.loop.clock.now()
        return max(0.0, left)

    def _wanted(self, tracked: TrackedJob) -> int:
        spec = self._spec(tracked)
        parallelism = int(spec.get("parallelism", 1))
        completions = spec.get("completions")
        if completions is None:
            return 0 if tracked.view.succeeded > 0 else parallelism
        return max(0, min(parallelism, int(completions) - tracked.view.succeeded))

    def _counted_active(self, tracked: TrackedJob) -> int:
        view = tracked.view
        if self._spec(tracked).get("podReplacementPolicy") == "Failed":
            return len(view.active) + len(view.terminating)
        return len(view.active)

    # -- the job machine's guards ------------------------------------------------------------------

    @guard
    def job_failing(self, tracked: TrackedJob) -> bool:
        return tracked.view.failure is not None

    @guard
    def completions_reached(self, tracked: TrackedJob) -> bool:
        return tracked.view.complete

    @guard
    def job_suspended(self, tracked: TrackedJob) -> bool:
        return bool(self._spec(tracked).get("suspend"))

    @guard
    def expectations_satisfied(self, tracked: TrackedJob) -> bool:
        return tracked.pending_adds <= 0 and not tracked.pending_deletes

    @guard
    def pods_terminating(self, tracked: TrackedJob) -> bool:
        view = tracked.view
        return bool(view.terminating or view.active)

    # -- the job machine's actions -----------------------------------------------------------------

    @action
    def track_finished_pods(self, tracked: TrackedJob) -> None:
        """Count the pods that finished: their UIDs to uncountedTerminatedPods (written first),
        then their finalizers removed, then they move to the succeeded and failed counts."""
        view = tracked.view
        status = tracked.status
        uncounted = {
            k: list(v)
            for k, v in (status.get("uncountedTerminatedPods") or {}).items()
            if k in ("succeeded", "failed")
        }
        if view.new_succeeded or view.new_failed:
            for key, pods in (("succeeded", view.new_succeeded), ("failed", view.new_failed)):
                if pods:
                    uncounted[key] = [*uncounted.get(key, []), *map(objects.uid_of, pods)]
            status["uncountedTerminatedPods"] = {k: v for k, v in uncounted.items() if v}
            self._write_status(tracked)
        if view.new_succeeded:
            tracked.failures_since_success = 0
        if view.new_failed:
            tracked.failures_since_success += len(view.new_failed)
            tracked.last_failure = self.loop.clock.now()
        for pod in [*view.new_succeeded, *view.new_failed, *view.ignored]:
            self._release(pod)
        owned = self.owned.get(tracked.uid, {})
        for key in ("succeeded", "failed"):
            left = []
            for uid in uncounted.get(key, []):
                seen = owned.get(uid)
                if seen is None or self.finalizer not in (
                    objects.meta(seen).get("finalizers") or []
                ):
                    status[key] = int(status.get(key, 0)) + 1
                else:
                    left.append(uid)
            uncounted[key] = left
        status["uncountedTerminatedPods"] = {k: v for k, v in uncounted.items() if v}

    @action
    def manage_pods(self, tracked: TrackedJob) -> None:
        """Keep as many active pods as the Job wants: create the missing ones (after the pod
        failure back-off), delete the surplus."""
        obj = tracked.obj
        wanted = self._wanted(tracked)
        have = self._counted_active(tracked)
        if have > wanted:
            surplus = sorted(tracked.view.active, key=_deletion_rank)[: have - wanted]
            self._delete_pods(tracked, surplus)
            return
        if have == wanted:
            return
        left = self._backoff_left(tracked)
        if left > 0:
            self.jobs.later(tracked, left + 0.001)
            return
        missing = min(wanted - have, self.burst)
        self.act(
            "reconcile",
            obj,
            result="created",
            detail=f"job {objects.name_of(obj)} wants {wanted} active pods, has {have}: "
            f"create {missing}",
        )
        tracked.pending_adds = missing
        for _ in range(missing):
            try:
                pod = self.api.create(
                    "pods",
                    self._pod_for(obj),
                    namespace=objects.namespace_of(obj),
                    actor=self.actor,
                )
            except errors.APIError as exc:
                tracked.pending_adds -= 1
                self.recorder.emit(obj, "Warning", "FailedCreate", f"Error creating: {exc}")
                continue
            self.recorder.record(obj, "SuccessfulCreate", pod=objects.name_of(pod))

    @action
    def delete_active_pods(self, tracked: TrackedJob) -> None:
        """A finished or suspended Job keeps no active pod."""
        pods = tracked.view.active
        if self._spec(tracked).get("suspend") and tracked.view.failure is None:
            tracked.suspend_deleted.update(objects.uid_of(p) for p in pods)
        self._delete_pods(tracked, pods)

    def _delete_pods(self, tracked: TrackedJob, pods: Sequence[Obj]) -> None:
        for pod in pods:
            uid = objects.uid_of(pod)
            tracked.pending_deletes.add(uid)
            try:
                self.api.delete(
                    "pods",
                    objects.name_of(pod),
                    namespace=objects.namespace_of(pod),
                    actor=self.actor,
                )
            except errors.NotFound:
                tracked.pending_deletes.discard(uid)
                continue
            self.recorder.record(tracked.obj, "SuccessfulDelete", pod=objects.name_of(pod))

    @action
    def update_job_status(self, tracked: TrackedJob) -> None:
        """Write active, ready, terminating, startTime, the counts and the conditions the Job's
        machine state stands for."""
        obj = tracked.obj
        status = tracked.status
        spec = self._spec(tracked)
        now = self.loop.stamps.now()
        view = tracked.view
        suspended = bool(spec.get("suspend"))
        conditions = [dict(c) for c in status.get("conditions") or []]
        was_suspended = any(
            c.get("type") == "Suspended" and c.get("status") == "True" for c in conditions
        )
        if tracked.job == "Suspended" and not was_suspended:
            _set_condition(conditions, "Suspended", "JobSuspended", self.messages, now)
            self.recorder.record(obj, "Suspended")
        elif not suspended and was_suspended:
            _set_condition(conditions, "Suspended", "JobResumed", self.messages, now, "False")
            status["startTime"] = now
            self.recorder.record(obj, "Resumed")
        if not suspended and not status.get("startTime"):
            status["startTime"] = now
        if tracked.job in ("FailureTarget", "Failed") and view.failure is not None:
            reason, message = view.failure
            _set_condition(conditions, "FailureTarget", reason, self.messages, now, message=message)
            if tracked.job == "Failed":
                _set_condition(conditions, "Failed", reason, self.messages, now, message=message)
        if tracked.job in ("SuccessCriteriaMet", "Complete"):
            _set_condition(
                conditions, "SuccessCriteriaMet", "CompletionsReached", self.messages, now
            )
            if tracked.job == "Complete":
                _set_condition(conditions, "Complete", "CompletionsReached", self.messages, now)
                status.setdefault("completionTime", now)
        if conditions:
            status["conditions"] = conditions
        active = [p for p in view.active if objects.uid_of(p) not in tracked.pending_deletes]
        status["active"] = len(active)
        status["ready"] = sum(1 for p in active if _ready(p))
        status["terminating"] = len(view.terminating) + len(view.active) - len(active)
        status.setdefault("uncountedTerminatedPods", {})
        self._write_status(tracked)
        left = self._deadline_left(tracked)
        if left and tracked.job == "Running":
            self.jobs.later(tracked, left + 0.001)

    @action
    def record_finished(self, tracked: TrackedJob) -> None:
        """The Job's final Event: Completed, or a Warning with its failure's reason (once: not
        again for a Job found finished when the controller starts)."""
        if tracked.view.finished:
            return
        if tracked.job == "Complete":
            self.recorder.record(tracked.obj, "Completed")
        elif tracked.view.failure is not None:
            reason, message = tracked.view.failure
            self.recorder.emit(tracked.obj, "Warning", reason, message)

    @action
    def release_pods(self, tracked: TrackedJob) -> None:
        """The Job is gone: its pods lose the tracking finalizer (the garbage collector deletes
        them, unless they were orphaned)."""
        for pod in self.owned.pop(tracked.uid, {}).values():
            self._release(pod)

    def _release(self, pod: Mapping[str, Any]) -> None:
        """Remove the tracking finalizer from the pod as it is now (read and written in one
        step, so that another finalizer added meanwhile stays)."""
        if not self._tracks(pod):
            return

        def without(current: Obj) -> Obj:
            finalizers = [
                f for f in objects.meta(current).get("finalizers") or [] if f != self.finalizer
            ]
            return objects.replace(current, "metadata.finalizers", finalizers or None)

        with contextlib.suppress(errors.NotFound, errors.Conflict):
            self.api.patch_with(
                "pods",
                objects.name_of(pod),
                without,
                namespace=objects.namespace_of(pod),
                actor=self.actor,
            )

    def _owner_exists(self, pod: Mapping[str, Any], ref: Mapping[str, Any]) -> bool:
        """Whether the Job a pod names is there (its watch may not have shown it yet)."""
        try:
            job = self.api.get(
                "jobs", str(ref.get("name", "")), namespace=objects.namespace_of(pod)
            )
        except errors.NotFound:
            return False
        return objects.uid_of(job) == ref.get("uid")

    def _tracks(self, pod: Mapping[str, Any]) -> bool:
        """Whether the pod still carries the tracking finalizer (it is not counted yet)."""
        return self.finalizer in (objects.meta(pod).get("finalizers") or [])

    def _write_status(self, tracked: TrackedJob) -> None:
        obj = tracked.obj
        status = _ordered(tracked.status)
        if obj.get("status") == status:
            return
        with contextlib.suppress(errors.APIError):
            tracked.obj = self.api.update_status(
                "jobs", {**obj, "status": status}, actor=self.actor
            )

    def _pod_for(self, obj: Obj) -> Obj:
        spec = obj.get("spec") or {}
        template = spec.get("template") or {}
        meta = dict(template.get("metadata") or {})
        meta.pop("name", None)
        meta["generateName"] = f"{objects.name_of(obj)}-"
        meta["finalizers"] = [self.finalizer]
        meta["ownerReferences"] = [
            {
                "apiVersion": obj["apiVersion"],
                "kind": obj["kind"],
                "name": objects.name_of(obj),
                "uid": objects.uid_of(obj),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": objects.deep_copy(template.get("spec") or {}),
        }


#: JobStatus's fields in the order v1.32 writes them.
_STATUS_ORDER = (
    "conditions",
    "startTime",
    "completionTime",
    "active",
    "succeeded",
    "failed",
    "terminating",
    "completedIndexes",
    "failedIndexes",
    "uncountedTerminatedPods",
    "ready",
)


def _ordered(status: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: status[k] for k in _STATUS_ORDER if k in status}
    for key in ("active", "succeeded", "failed"):  # omitempty counters
        if not out.get(key):
            out.pop(key, None)
    return out


def _set_condition(
    conditions: list[dict[str, Any]],
    type_: str,
    reason: str,
    messages: Mapping[str, str],
    now: str,
    status: str = "True",
    *,
    message: str = "",
) -> None:
    """Add a condition, or change one whose status changes (lastTransitionTime then moves)."""
    for cond in conditions:
        if cond.get("type") == type_:
            if cond.get("status") == status:
                return
            conditions.remove(cond)
            break
    conditions.append(
        {
            "type": type_,
            "status": status,
            "lastProbeTime": now,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message or messages[reason],
        }
    )


def _match(
    rules: Sequence[Mapping[str, Any]], pod: Mapping[str, Any]
) -> tuple[int, dict[str, Any]] | None:
    """The first rule a failed pod matches, with what matched (a container's exit code or a pod
    condition)."""
    statuses = [
        *((pod.get("status") or {}).get("initContainerStatuses") or []),
        *((pod.get("status") or {}).get("containerStatuses") or []),
    ]
    for index, rule in enumerate(rules):
        on_codes = rule.get("onExitCodes")
        if on_codes:
            values = set(on_codes.get("values") or [])
            for cs in statuses:
                if on_codes.get("containerName") and cs.get("name") != on_codes["containerName"]:
                    continue
                code = ((cs.get("state") or {}).get("terminated") or {}).get("exitCode")
                if code is None or code == 0:
                    continue
                if (code in values) == (on_codes.get("operator") == "In"):
                    return index, {"container": cs.get("name", ""), "code": code}
        for pattern in rule.get("onPodConditions") or []:
            cond = objects.condition(pod, str(pattern.get("type")))
            if cond is not None and cond.get("status") == pattern.get("status", "True"):
                return index, {"condition": pattern.get("type")}
    return None


def _deletion_rank(pod: Mapping[str, Any]) -> tuple[int, int, str]:
    scheduled = 1 if (pod.get("spec") or {}).get("nodeName") else 0
    phase = {"Pending": 0, "Unknown": 1, "Running": 2}.get(_phase(pod) or "Pending", 0)
    created = objects.meta(pod).get("creationTimestamp", "")
    return (scheduled, phase, "".join(chr(255 - ord(c)) for c in created))
