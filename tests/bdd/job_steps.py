"""Step definitions for features/job.feature: Jobs, their pods, status, conditions and Events,
through the backend interface only."""

from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, then, when

from listwatch import errors
from listwatch.apiserver import objects

from .steps import events, source
from .world import World


def _job(world: World, name: str) -> dict[str, Any] | None:
    try:
        return world.backend.get("jobs", name)
    except errors.NotFound:
        return None


def _status(world: World, name: str) -> dict[str, Any]:
    return dict((_job(world, name) or {}).get("status") or {})


def _condition(world: World, name: str, type_: str) -> dict[str, Any]:
    return dict(objects.condition(_job(world, name) or {}, type_) or {})


def _active_pods(world: World, name: str) -> list[dict[str, Any]]:
    return [
        p
        for p in world.owned_pods(name)
        if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        and not objects.meta(p).get("deletionTimestamp")
    ]


@when(
    parsers.re(
        r'I create a (?P<suspended>suspended )?job "(?P<name>[^"]+)" running "(?P<script>[^"]*)"'
        r"(?: with (?P<settings>.+))?$"
    )
)
def create_job(
    world: World, name: str, script: str, suspended: str | None, settings: str | None
) -> None:
    """`settings`: `parallelism 2 and completions 4`, `backoffLimit 0`, `activeDeadlineSeconds 3`,
    `a pod failure policy that fails the job on exit code 42` (joined by `and`)."""
    spec: dict[str, Any] = {}
    for part in (settings or "").split(" and "):
        words = part.split()
        if not words:
            continue
        if part.startswith("a pod failure policy that fails the job on exit code "):
            spec["podFailurePolicy"] = {
                "rules": [
                    {
                        "action": "FailJob",
                        "onExitCodes": {"operator": "In", "values": [int(words[-1])]},
                    }
                ]
            }
        else:
            assert len(words) == 2, f"not a job setting: {part!r}"
            spec[words[0]] = int(words[1])
    if suspended:
        spec["suspend"] = True
    world.backend.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name},
            "spec": {
                **spec,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "terminationGracePeriodSeconds": 1,
                        "containers": [
                            {
                                "name": "main",
                                "image": "busybox:1.36",
                                "command": ["sh", "-c", script],
                            }
                        ],
                    }
                },
            },
        }
    )


@when(parsers.parse('I resume the job "{name}"'))
def resume_job(world: World, name: str) -> None:
    world.backend.patch("jobs", name, {"spec": {"suspend": False}})


@when(parsers.parse('I delete the job "{name}"'))
def delete_job(world: World, name: str) -> None:
    world.backend.delete("jobs", name)


@then(
    parsers.re(
        r'the job "(?P<name>[^"]+)" is (?P<final>Complete|Failed)'
        r'(?: with reason (?P<reason>\w+)(?:: "(?P<message>.*)")?)?$'
    )
)
def job_finished(
    world: World, name: str, final: str, reason: str | None, message: str | None
) -> None:
    assert world.wait(lambda: _condition(world, name, final).get("status") == "True"), (
        f"the job {name} is not {final}: {_status(world, name)}"
    )
    condition = _condition(world, name, final)
    target = "SuccessCriteriaMet" if final == "Complete" else "FailureTarget"
    before = _condition(world, name, target)
    assert before.get("status") == "True", (
        f"no {target} condition before {final}: {_status(world, name)}"
    )
    assert (before.get("reason"), before.get("message")) == (
        condition.get("reason"),
        condition.get("message"),
    )
    if reason is not None:
        assert condition.get("reason") == reason, condition
    if message is not None:
        assert condition.get("message") == message, condition
    status = _status(world, name)
    assert ("completionTime" in status) == (final == "Complete"), status
    assert status.get("startTime"), status


@then(parsers.parse('the job "{name}" has {succeeded:d} succeeded and {failed:d} failed pods'))
def job_counts(world: World, name: str, succeeded: int, failed: int) -> None:
    def counts() -> tuple[int, int, int]:
        status = _status(world, name)
        return (
            int(status.get("succeeded", 0)),
            int(status.get("failed", 0)),
            len((status.get("uncountedTerminatedPods") or {}).get("succeeded") or [])
            + len((status.get("uncountedTerminatedPods") or {}).get("failed") or []),
        )

    assert world.wait(lambda: counts() == (succeeded, failed, 0)), counts()


@then(parsers.parse('the job "{name}" has {count:d} active pods'))
def job_active(world: World, name: str, count: int) -> None:
    assert world.wait(
        lambda: (
            len(_active_pods(world, name)) == count
            and _status(world, name).get("active", 0) == count
        )
    ), f"{len(_active_pods(world, name))} active pods, status {_status(world, name)}"


@then(parsers.parse('the job "{name}" never had more than {count:d} active pods'))
def never_more_active(world: World, name: str, count: int) -> None:
    """Every pod of the Job, by when it started and finished: at no moment more than `count`
    ran at once."""
    moments: list[tuple[str, int]] = []
    for pod in world.owned_pods(name):
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            state = (cs.get("state") or {}).get("terminated") or {}
            if state.get("startedAt") and state.get("finishedAt"):
                moments += [(state["startedAt"], 1), (state["finishedAt"], -1)]
    running = peak = 0
    for _, step in sorted(moments, key=lambda m: (m[0], m[1])):
        running += step
        peak = max(peak, running)
    assert moments and peak <= count, f"{peak} pods ran at once"


@then(parsers.parse('the job "{name}" is suspended and has no pods'))
def job_suspended(world: World, name: str) -> None:
    assert world.wait(
        lambda: _condition(world, name, "Suspended").get("reason") == "JobSuspended"
    ), _status(world, name)
    assert _condition(world, name, "Suspended")["message"] == "Job suspended"
    assert world.owned_pods(name) == []
    assert "startTime" not in _status(world, name)


@then(
    parsers.parse(
        'each pod of the job "{name}" has the job\'s labels and the tracking finalizer removed'
    )
)
def pods_of_job(world: World, name: str) -> None:
    job = _job(world, name)
    assert job is not None
    uid = objects.uid_of(job)

    def released() -> bool:
        pods = world.owned_pods(name)
        return bool(pods) and all(
            "batch.kubernetes.io/job-tracking" not in (objects.meta(p).get("finalizers") or [])
            for p in pods
        )

    assert world.wait(released), [objects.meta(p).get("finalizers") for p in world.owned_pods(name)]
    for pod in world.owned_pods(name):
        labels = objects.labels_of(pod)
        assert labels.get("batch.kubernetes.io/controller-uid") == uid
        assert labels.get("batch.kubernetes.io/job-name") == name
        assert labels.get("job-name") == name
        assert (
            objects.name_of(pod).startswith(f"{name}-")
            and len(objects.name_of(pod)) == len(name) + 6
        )
        ref = objects.controller_of(pod) or {}
        assert (ref.get("kind"), ref.get("uid"), ref.get("blockOwnerDeletion")) == (
            "Job",
            uid,
            True,
        )


@then(
    parsers.re(
        r'the job "(?P<name>[^"]+)" has the events (?P<reasons>[\w, ]+) from (?P<component>[\w-]+)$'
    )
)
def job_events(world: World, name: str, reasons: str, component: str) -> None:
    wanted = [r.strip() for r in reasons.split(",")]

    def seen() -> list[str]:
        job = _job(world, name)
        if job is None:
            return []
        return [
            e["reason"]
            for e in sorted(events(world, job), key=lambda e: str(e.get("firstTimestamp") or ""))
            if source(e) == component
        ]

    assert world.wait(lambda: sorted(set(seen())) == sorted(set(wanted))), seen()


@then(parsers.parse('the job "{name}" has a {type:w} event {reason:w}: "{message}"'))
def job_event(world: World, name: str, type: str, reason: str, message: str) -> None:
    def matching() -> list[dict[str, Any]]:
        job = _job(world, name)
        return [
            e
            for e in (events(world, job) if job else [])
            if (e["type"], e["reason"], e["message"]) == (type, reason, message)
        ]

    assert world.wait(lambda: bool(matching())), f"no {type} {reason} event: {message!r}"


@then(parsers.parse('the job "{name}" and its pods are gone'))
def job_gone(world: World, name: str) -> None:
    assert world.wait(lambda: _job(world, name) is None and not world.owned_pods(name)), (
        f"left: job {_job(world, name) is not None}, pods {len(world.owned_pods(name))}"
    )


# -- CronJobs --------------------------------------------------------------------------------------


def _cronjob(world: World, name: str) -> dict[str, Any] | None:
    try:
        return world.backend.get("cronjobs", name)
    except errors.NotFound:
        return None


def _jobs_of(world: World, cronjob: str) -> list[dict[str, Any]]:
    return [
        j
        for j in world.backend.list("jobs")
        if (objects.controller_of(j) or {}).get("name") == cronjob
    ]


@when(
    parsers.parse('I create a CronJob "{name}" with the schedule "{schedule}" running "{script}"')
)
def create_cronjob(world: World, name: str, schedule: str, script: str) -> None:
    world.backend.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": name},
            "spec": {
                "schedule": schedule,
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "restartPolicy": "OnFailure",
                                "containers": [
                                    {
                                        "name": "main",
                                        "image": "busybox:1.36",
                                        "command": ["sh", "-c", script],
                                    }
                                ],
                            }
                        }
                    }
                },
            },
        }
    )


@then(parsers.parse('the CronJob "{name}" started a Job that is Complete'))
def cronjob_started_job(world: World, name: str) -> None:
    def complete() -> list[dict[str, Any]]:
        return [
            j
            for j in _jobs_of(world, name)
            if (objects.condition(j, "Complete") or {}).get("status") == "True"
        ]

    assert world.wait(lambda: bool(complete())), [objects.name_of(j) for j in _jobs_of(world, name)]
    (job, *_) = complete()
    annotations = objects.meta(job).get("annotations") or {}
    scheduled = annotations.get("batch.kubernetes.io/cronjob-scheduled-timestamp", "")
    minutes = int(objects.name_of(job).rsplit("-", 1)[1])
    assert scheduled and scheduled.endswith(":00Z"), annotations
    assert world.wait(
        lambda: ((_cronjob(world, name) or {}).get("status") or {}).get("lastSuccessfulTime")
    ), (_cronjob(world, name) or {}).get("status")
    status = (_cronjob(world, name) or {}).get("status") or {}
    assert status.get("lastScheduleTime", "") >= scheduled, status
    assert minutes * 60 > 0


@then(parsers.parse('the CronJob "{name}" has a {type:w} event {reason:w}'))
def cronjob_event(world: World, name: str, type: str, reason: str) -> None:
    def matching() -> list[dict[str, Any]]:
        cj = _cronjob(world, name)
        return [
            e
            for e in (events(world, cj) if cj else [])
            if (e["type"], e["reason"]) == (type, reason)
        ]

    assert world.wait(lambda: bool(matching())), f"no {type} {reason} event"
    assert all(source(e) == "cronjob-controller" for e in matching())


@when(parsers.parse('I suspend the CronJob "{name}" for a second'))
def suspend_cronjob(world: World, name: str) -> None:
    """Suspend it, and let a second of the cluster's clock pass (its controller sees it)."""
    world.backend.patch("cronjobs", name, {"spec": {"suspend": True}})
    world.run_for(1)


@when(parsers.parse('I delete the CronJob "{name}"'))
def delete_cronjob(world: World, name: str) -> None:
    world.backend.delete("cronjobs", name)


@then(parsers.parse('the CronJob "{name}" and its Jobs are gone'))
def cronjob_gone(world: World, name: str) -> None:
    assert world.wait(lambda: _cronjob(world, name) is None and not _jobs_of(world, name)), (
        f"left: {[objects.name_of(j) for j in _jobs_of(world, name)]}"
    )
