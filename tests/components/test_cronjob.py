"""The cronjob controller on the memory cluster (its logical clock starts at midnight, so the
schedule times fall on whole minutes of the run): Jobs named for their schedule time, the
concurrency policies, the history limits, suspension."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch.apiserver import objects
from listwatch.clock import parse_rfc3339
from listwatch.cluster import Cluster


def cronjob(name: str, script: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {
            "schedule": "* * * * *",
            **spec,
            "jobTemplate": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [
                                {
                                    "name": "c",
                                    "image": "busybox:1.36",
                                    "command": ["sh", "-c", script],
                                }
                            ],
                        }
                    }
                },
            },
        },
    }


def jobs_of(cluster: Cluster, name: str) -> list[dict[str, Any]]:
    return sorted(
        (
            j
            for j in cluster.api.list("jobs").items
            if (objects.controller_of(j) or {}).get("name") == name
            and not objects.meta(j).get("deletionTimestamp")
        ),
        key=objects.name_of,
    )


def reasons(cluster: Cluster, name: str) -> list[str]:
    return [
        e["reason"]
        for e in cluster.api.list("events").items
        if e["involvedObject"].get("kind") == "CronJob" and e["involvedObject"]["name"] == name
    ]


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    return make_cluster()


def test_a_job_per_minute_named_for_its_schedule_time(cluster: Cluster) -> None:
    cluster.apply(cronjob("tick", "exit 0"))
    cluster.advance(125)
    jobs = jobs_of(cluster, "tick")
    assert len(jobs) == 2
    for job in jobs:
        scheduled = objects.meta(job)["annotations"][
            "batch.kubernetes.io/cronjob-scheduled-timestamp"
        ]
        minutes = int(objects.name_of(job).rsplit("-", 1)[1])
        assert minutes == int(parse_rfc3339(scheduled).timestamp()) // 60
        assert objects.labels_of(job)["app"] == "tick"
    status = cluster.api.get("cronjobs", "tick")["status"]
    assert (
        status["lastScheduleTime"]
        == objects.meta(jobs[-1])["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    )
    assert "lastSuccessfulTime" in status and "active" not in status
    assert reasons(cluster, "tick").count("SawCompletedJob") == 2


def test_forbid_skips_a_time_while_a_job_runs(cluster: Cluster) -> None:
    cluster.apply(cronjob("long", "sleep 3600", concurrencyPolicy="Forbid"))
    cluster.advance(185)
    assert len(jobs_of(cluster, "long")) == 1
    assert "JobAlreadyActive" in reasons(cluster, "long")
    active = cluster.api.get("cronjobs", "long")["status"]["active"]
    assert [a["name"] for a in active] == [objects.name_of(jobs_of(cluster, "long")[0])]


def test_replace_deletes_the_running_job_for_the_next(cluster: Cluster) -> None:
    cluster.apply(cronjob("swap", "sleep 3600", concurrencyPolicy="Replace"))
    cluster.advance(65)
    (first,) = jobs_of(cluster, "swap")
    cluster.advance(60)
    (second,) = jobs_of(cluster, "swap")
    assert objects.name_of(second) != objects.name_of(first)
    assert "SuccessfulDelete" in reasons(cluster, "swap")


def test_finished_jobs_beyond_the_history_limit_are_deleted(cluster: Cluster) -> None:
    cluster.apply(cronjob("kept", "exit 0", successfulJobsHistoryLimit=1))
    cluster.advance(245)
    assert len(jobs_of(cluster, "kept")) == 1
    assert reasons(cluster, "kept").count("SuccessfulDelete") == 3


def test_a_suspended_cronjob_starts_nothing(cluster: Cluster) -> None:
    cluster.apply(cronjob("paused", "exit 0", suspend=True))
    cluster.advance(180)
    assert jobs_of(cluster, "paused") == []
    assert cluster.api.get("cronjobs", "paused").get("status") == {}
