"""The controller manager's cronjob controller: each CronJob (a `Scheduled`) runs the spec's
`cronjob` machine.

A sync first reads the Jobs the CronJob owns: a finished one leaves status.active (a
SawCompletedJob event; lastSuccessfulTime for a Complete one). Unless suspended, it then finds the
latest schedule time missed since lastScheduleTime (or the CronJob's creation, or
startingDeadlineSeconds ago, whichever is later) and, if there is one, starts its Job: named
`<cronjob>-<minutes since the epoch>`, from the job template, owned by the CronJob, annotated with
its scheduled time. concurrencyPolicy Forbid skips the time while a Job is active; Replace deletes
the active ones first. Finished Jobs beyond the history limits are deleted, oldest first; the
CronJob syncs again at its next schedule time. Schedules are read in wall-clock time (in
spec.timeZone, UTC without one), as the cluster's timestamps are.
"""

from __future__ import annotations

import contextlib
import zoneinfo
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.clock import parse_rfc3339, rfc3339
from listwatch.components.events import EventRecorder
from listwatch.components.failures import Failures
from listwatch.components.workqueue import Tracked, WorkQueue
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard
from listwatch.rules import cron

SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"


class Scheduled(Tracked):
    """A CronJob under reconciliation; `cronjob` is its machine state."""

    __slots__ = ("cronjob", "due", "status")

    def __init__(self, obj: Obj) -> None:
        super().__init__(obj)
        self.cronjob = ""
        self.status: dict[str, Any] = {}
        #: The schedule time this sync is to start a Job for, if any.
        self.due: datetime | None = None


def _finished(job: Mapping[str, Any]) -> str:
    """ "Complete" or "Failed" when the Job finished, else ""."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return str(cond["type"])
    return ""


class CronJobController:
    """Starts each CronJob's Jobs on its schedule."""

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        actor: str,
        machine: Machine,
        recorder: EventRecorder,
        failures: Failures | None = None,
    ) -> None:
        self.api = api
        self.loop = loop
        self.actor = actor
        self.machine = machine
        self.recorder = recorder
        self.failures = failures
        self.cronjobs: WorkQueue[Scheduled] = WorkQueue(loop, self._sync, failures)
        #: The Jobs each CronJob (by UID) owns, by Job UID, as the job watch last showed them.
        self.owned: dict[str, dict[str, Obj]] = {}

    # -- events from the controller manager's watches ----------------------------------------------

    def cronjob_changed(self, event: InformerEvent) -> None:
        self.cronjobs.changed(event.object, self._track)

    def _track(self, obj: Obj) -> Scheduled:
        scheduled = Scheduled(obj)
        self.machine.start(scheduled)
        return scheduled

    def cronjob_deleted(self, event: InformerEvent) -> None:
        scheduled = self.cronjobs.deleted(event.object)
        if scheduled is not None:
            self.owned.pop(scheduled.uid, None)
            self.machine.fire(self, scheduled, "delete")

    def job_changed(self, event: InformerEvent) -> None:
        owner = self._owner(event.object)
        if owner is None:
            return
        jobs = self.owned.setdefault(owner, {})
        before = jobs.get(objects.uid_of(event.object))
        jobs[objects.uid_of(event.object)] = event.object
        scheduled = self.cronjobs.get(owner)
        if scheduled is not None and (
            before is None or _finished(before) != _finished(event.object)
        ):
            self.cronjobs.enqueue(scheduled)

    def job_deleted(self, event: InformerEvent) -> None:
        owner = self._owner(event.object)
        if owner is None:
            return
        self.owned.get(owner, {}).pop(objects.uid_of(event.object), None)
        scheduled = self.cronjobs.get(owner)
        if scheduled is not None:
            self.cronjobs.enqueue(scheduled)

    def _owner(self, job: Mapping[str, Any]) -> str | None:
        ref = objects.controller_of(job)
        if ref is None or ref.get("kind") != "CronJob":
            return None
        return str(ref.get("uid", ""))

    def _sync(self, scheduled: Scheduled) -> None:
        scheduled.status = dict(scheduled.obj.get("status") or {})
        scheduled.due = self._due(scheduled)
        self.machine.fire(self, scheduled, "sync")

    # -- schedule times ----------------------------------------------------------------------------

    def _spec(self, scheduled: Scheduled) -> Mapping[str, Any]:
        return scheduled.obj.get("spec") or {}

    def _now(self) -> datetime:
        return self.loop.clock.wall(self.loop.clock.now())

    def _zone(self, scheduled: Scheduled) -> zoneinfo.ZoneInfo | None:
        zone = self._spec(scheduled).get("timeZone")
        if not zone:
            return None
        try:
            return zoneinfo.ZoneInfo(str(zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None

    def _schedule(self, scheduled: Scheduled) -> cron.Schedule | None:
        try:
            return cron.Schedule.parse(str(self._spec(scheduled).get("schedule", "")))
        except cron.CronError:
            return None

    def _due(self, scheduled: Scheduled) -> datetime | None:
        """The latest schedule time missed and not yet started, if any (mostRecentScheduleTime)."""
        schedule = self._schedule(scheduled)
        if schedule is None or objects.meta(scheduled.obj).get("deletionTimestamp"):
            return None
        zone = self._zone(scheduled) or UTC
        last = scheduled.status.get("lastScheduleTime") or objects.meta(scheduled.obj).get(
            "creationTimestamp"
        )
        earliest = parse_rfc3339(str(last))
        now = self._now()
        deadline = self._spec(scheduled).get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now - timedelta(seconds=int(deadline)))
        found, missed = schedule.last_between(earliest.astimezone(zone), now.astimezone(zone))
        if missed > 100:
            self.recorder.emit(
                scheduled.obj,
                "Warning",
                "TooManyMissedTimes",
                f"too many missed start times: {missed}. Set or decrease "
                ".spec.startingDeadlineSeconds or check clock skew",
            )
        return found.astimezone(UTC) if found is not None else None

    # -- the cronjob machine's guards --------------------------------------------------------------

    @guard
    def cronjob_suspended(self, scheduled: Scheduled) -> bool:
        return bool(self._spec(scheduled).get("suspend"))

    @guard
    def schedule_due(self, scheduled: Scheduled) -> bool:
        return scheduled.due is not None

    # -- the cronjob machine's actions -------------------------------------------------------------

    @action
    def track_jobs(self, scheduled: Scheduled) -> None:
        """status.active keeps the Jobs that run; a finished one is seen (SawCompletedJob)."""
        jobs = self.owned.get(scheduled.uid, {})
        active = []
        for ref in scheduled.status.get("active") or []:
            job = jobs.get(str(ref.get("uid", "")))
            if job is None:
                continue  # deleted: no longer active
            finished = _finished(job)
            if not finished:
                active.append(ref)
                continue
            self.recorder.record(
                scheduled.obj, "SawCompletedJob", job=objects.name_of(job), condition=finished
            )
            completed = (job.get("status") or {}).get("completionTime")
            if finished == "Complete" and completed:
                last = scheduled.status.get("lastSuccessfulTime")
                if not last or parse_rfc3339(str(completed)) > parse_rfc3339(str(last)):
                    scheduled.status["lastSuccessfulTime"] = completed
        listed = {str(ref.get("uid")) for ref in scheduled.status.get("active") or []}
        for uid, job in jobs.items():  # a running Job it owns but has not listed yet
            if uid not in listed and not _finished(job):
                active.append(_reference(job))
        scheduled.status["active"] = active

    @action
    def start_job(self, scheduled: Scheduled) -> None:
        """Start the Job of the due schedule time, as concurrencyPolicy allows."""
        due = scheduled.due
        assert due is not None
        obj = scheduled.obj
        policy = self._spec(scheduled).get("concurrencyPolicy", "Allow")
        active = scheduled.status.get("active") or []
        if policy == "Forbid" and active:
            self.recorder.record(obj, "JobAlreadyActive")
            return
        if policy == "Replace":
            for ref in list(active):
                self._delete_job(scheduled, str(ref.get("name", "")))
            scheduled.status["active"] = []
        name = f"{objects.name_of(obj)}-{int(due.timestamp()) // 60}"
        try:
            job = self.api.create(
                "jobs",
                self._job_for(scheduled, name, due),
                namespace=objects.namespace_of(obj),
                actor=self.actor,
            )
        except errors.AlreadyExists:
            job = None  # started by an earlier sync whose status write was lost
        except errors.APIError as exc:
            self.recorder.emit(obj, "Warning", "FailedCreate", f"Error creating job: {exc}")
            return
        if job is not None:
            # No `reconcile` act: that is the flow's LW-06, a controller creating pods; the
            # CronJob creates a Job, whose pods the job controller creates.
            self.recorder.record(obj, "CreatedJob", job=name)
            scheduled.status["active"] = [*scheduled.status.get("active", []), _reference(job)]
            self.owned.setdefault(scheduled.uid, {})[objects.uid_of(job)] = job
        scheduled.status["lastScheduleTime"] = rfc3339(due)

    @action
    def remove_old_jobs(self, scheduled: Scheduled) -> None:
        """Delete the finished Jobs beyond successfulJobsHistoryLimit and failedJobsHistoryLimit,
        the oldest first."""
        spec = self._spec(scheduled)
        jobs = list(self.owned.get(scheduled.uid, {}).values())
        for condition, limit_field in (
            ("Complete", "successfulJobsHistoryLimit"),
            ("Failed", "failedJobsHistoryLimit"),
        ):
            limit = spec.get(limit_field)
            if limit is None:
                continue
            done = sorted(
                (
                    j
                    for j in jobs
                    if _finished(j) == condition and not objects.meta(j).get("deletionTimestamp")
                ),
                key=lambda j: str(
                    (j.get("status") or {}).get("startTime")
                    or objects.meta(j).get("creationTimestamp", "")
                ),
            )
            for job in done[: max(0, len(done) - int(limit))]:
                self._delete_job(scheduled, objects.name_of(job))

    def _delete_job(self, scheduled: Scheduled, name: str) -> None:
        with contextlib.suppress(errors.NotFound):
            self.api.delete(
                "jobs",
                name,
                namespace=objects.namespace_of(scheduled.obj),
                propagation_policy="Background",
                actor=self.actor,
            )
            self.recorder.record(scheduled.obj, "DeletedJob", job=name)

    @action
    def update_cronjob_status(self, scheduled: Scheduled) -> None:
        obj = scheduled.obj
        status = {k: v for k, v in scheduled.status.items() if v not in (None, [], "")}
        if obj.get("status") == status:
            return
        with contextlib.suppress(errors.APIError):
            scheduled.obj = self.api.update_status(
                "cronjobs", {**obj, "status": status}, actor=self.actor
            )

    @action
    def wait_for_next_schedule(self, scheduled: Scheduled) -> None:
        """Sync again at the next schedule time (and 100 ms, as the controller requeues)."""
        schedule = self._schedule(scheduled)
        if schedule is None:
            return
        zone = self._zone(scheduled) or UTC
        now = self._now()
        following = schedule.next_after(now.astimezone(zone)).astimezone(UTC)
        delay = (following - now).total_seconds() * self.loop.clock.speed + 0.1
        self.cronjobs.later(scheduled, delay)

    def _job_for(self, scheduled: Scheduled, name: str, due: datetime) -> Obj:
        obj = scheduled.obj
        template = self._spec(scheduled).get("jobTemplate") or {}
        tmeta = template.get("metadata") or {}
        zone = self._zone(scheduled)
        annotations = {
            **(tmeta.get("annotations") or {}),
            SCHEDULED_ANNOTATION: _rfc3339_in(due, zone),
        }
        meta: dict[str, Any] = {"name": name, "annotations": annotations}
        if tmeta.get("labels"):
            meta["labels"] = dict(tmeta["labels"])
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
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": meta,
            "spec": objects.deep_copy(template.get("spec") or {}),
        }


def _reference(job: Mapping[str, Any]) -> dict[str, Any]:
    """The ObjectReference status.active lists a Job by."""
    meta = objects.meta(job)
    return {
        "kind": "Job",
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "apiVersion": "batch/v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }


def _rfc3339_in(moment: datetime, zone: zoneinfo.ZoneInfo | None) -> str:
    """RFC 3339 in the CronJob's time zone (`Z` in UTC), as Go's time.Format writes it."""
    if zone is None:
        return rfc3339(moment)
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    suffix = "Z" if offset == "+0000" else f"{offset[:3]}:{offset[3:]}"
    return local.strftime("%Y-%m-%dT%H:%M:%S") + suffix
