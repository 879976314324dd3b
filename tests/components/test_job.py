"""The job controller on the memory cluster: pods made and counted as v1.32 counts them, the
pod failure back-off, the pod failure policy, suspension, the deadline, deletion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch.apiserver import objects
from listwatch.apiserver.watchcache import WatchEvent
from listwatch.cluster import Cluster
from listwatch.components import job as job_controller

FINALIZER = "batch.kubernetes.io/job-tracking"


def job(name: str, script: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            **spec,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", script]}
                    ],
                }
            },
        },
    }


def pods_of(cluster: Cluster, name: str) -> list[dict[str, Any]]:
    return [p for p in cluster.pods() if (objects.controller_of(p) or {}).get("name") == name]


def conditions(cluster: Cluster, name: str) -> list[tuple[str, str, str]]:
    status = cluster.api.get("jobs", name).get("status") or {}
    return [(c["type"], c["status"], c.get("reason", "")) for c in status.get("conditions") or []]


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    return make_cluster()


def test_a_finished_pod_is_listed_uncounted_then_loses_its_finalizer_then_is_counted(
    cluster: Cluster,
) -> None:
    statuses: list[dict[str, Any]] = []
    cluster.api.watch(
        "jobs", lambda e: statuses.append(dict(e.object.get("status") or {})), resource_version="0"
    )
    cluster.apply(job("once", "exit 0"))
    cluster.settle()
    (pod,) = pods_of(cluster, "once")
    uncounted = [s for s in statuses if (s.get("uncountedTerminatedPods") or {}).get("succeeded")]
    assert uncounted and uncounted[0]["uncountedTerminatedPods"] == {
        "succeeded": [objects.uid_of(pod)]
    }
    assert "succeeded" not in uncounted[0]
    assert objects.meta(pod).get("finalizers") is None
    final = cluster.api.get("jobs", "once")["status"]
    assert final["succeeded"] == 1 and final["uncountedTerminatedPods"] == {}
    assert conditions(cluster, "once") == [
        ("SuccessCriteriaMet", "True", "CompletionsReached"),
        ("Complete", "True", "CompletionsReached"),
    ]


def test_a_pod_is_made_from_the_template_with_the_tracking_finalizer(cluster: Cluster) -> None:
    cluster.apply(job("long", "sleep 3600"))
    cluster.advance(5)
    (pod,) = pods_of(cluster, "long")
    meta = objects.meta(pod)
    assert meta["finalizers"] == [FINALIZER]
    assert meta["name"].startswith("long-") and len(meta["name"]) == len("long-") + 5
    status = cluster.api.get("jobs", "long")["status"]
    assert {k: status[k] for k in ("active", "ready", "terminating")} == {
        "active": 1,
        "ready": 1,
        "terminating": 0,
    }
    assert status["uncountedTerminatedPods"] == {} and "startTime" in status


def test_a_failed_pod_is_replaced_only_after_the_back_off(cluster: Cluster) -> None:
    cluster.apply(job("flaky", "exit 1", backoffLimit=3))
    cluster.advance(5)  # the first pod failed within a second or two
    assert len(pods_of(cluster, "flaky")) == 1
    cluster.advance(10)
    assert len(pods_of(cluster, "flaky")) == 2
    cluster.advance(10)  # the second back-off is 20 s
    assert len(pods_of(cluster, "flaky")) == 2
    cluster.settle()
    assert cluster.api.get("jobs", "flaky")["status"]["failed"] == 4
    assert conditions(cluster, "flaky")[-1] == ("Failed", "True", "BackoffLimitExceeded")


def test_a_failjob_rule_names_the_container_and_its_exit_code(cluster: Cluster) -> None:
    policy = {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [3]}}]}
    cluster.apply(job("strict", "exit 3", podFailurePolicy=policy))
    cluster.settle()
    (pod,) = pods_of(cluster, "strict")
    failed = objects.condition(cluster.api.get("jobs", "strict"), "Failed") or {}
    assert failed["reason"] == "PodFailurePolicy"
    assert failed["message"] == (
        f"Container main for pod default/{objects.name_of(pod)} failed with exit code 3 "
        "matching FailJob rule at index 0"
    )


def test_an_ignored_failure_is_not_counted_and_the_pod_is_replaced(cluster: Cluster) -> None:
    policy = {"rules": [{"action": "Ignore", "onExitCodes": {"operator": "In", "values": [7]}}]}
    cluster.apply(job("tolerant", "exit 7", podFailurePolicy=policy, backoffLimit=0))
    cluster.advance(30)
    status = cluster.api.get("jobs", "tolerant")["status"]
    assert "failed" not in status and not conditions(cluster, "tolerant")
    assert len(pods_of(cluster, "tolerant")) >= 2
    assert all(
        objects.meta(p).get("finalizers") is None
        for p in pods_of(cluster, "tolerant")
        if p["status"]["phase"] == "Failed"
    )


def test_suspending_a_running_job_deletes_its_pod_without_counting_a_failure(
    cluster: Cluster,
) -> None:
    cluster.apply(job("pausable", "sleep 3600"))
    cluster.advance(5)
    cluster.api.patch("jobs", "pausable", {"spec": {"suspend": True}})
    cluster.settle()
    assert [
        p for p in pods_of(cluster, "pausable") if not objects.meta(p).get("deletionTimestamp")
    ] == []
    status = cluster.api.get("jobs", "pausable")["status"]
    assert "failed" not in status
    assert conditions(cluster, "pausable") == [("Suspended", "True", "JobSuspended")]
    cluster.api.patch("jobs", "pausable", {"spec": {"suspend": False}})
    cluster.advance(5)
    assert conditions(cluster, "pausable") == [("Suspended", "False", "JobResumed")]
    assert cluster.api.get("jobs", "pausable")["status"]["active"] == 1


def test_the_deadline_deletes_the_active_pod_and_fails_the_job(cluster: Cluster) -> None:
    cluster.apply(job("slow", "sleep 3600", activeDeadlineSeconds=10))
    cluster.settle()
    assert conditions(cluster, "slow") == [
        ("FailureTarget", "True", "DeadlineExceeded"),
        ("Failed", "True", "DeadlineExceeded"),
    ]
    status = cluster.api.get("jobs", "slow")["status"]
    assert status["failed"] == 1 and status.get("active", 0) == 0
    assert all(p["status"]["phase"] == "Failed" for p in pods_of(cluster, "slow"))


def test_a_job_deleted_without_a_policy_orphans_its_pods_as_batch_v1_does(
    cluster: Cluster,
) -> None:
    cluster.apply(job("kept", "sleep 3600"))
    cluster.advance(5)
    cluster.api.delete("jobs", "kept")
    cluster.settle()
    (pod,) = [p for p in cluster.pods() if objects.labels_of(p).get("job-name") == "kept"]
    assert not objects.meta(pod).get("ownerReferences")
    assert objects.meta(pod).get("finalizers") is None


def test_a_job_deleted_in_the_background_takes_its_pods(cluster: Cluster) -> None:
    gone: list[str] = []

    def record(event: WatchEvent) -> None:
        if event.type == "DELETED":
            gone.append(objects.name_of(event.object))

    cluster.apply(job("doomed", "sleep 3600"))
    cluster.advance(5)
    (pod,) = pods_of(cluster, "doomed")
    cluster.api.watch("pods", record, resource_version=str(cluster.store.revision))
    cluster.api.delete("jobs", "doomed", propagation_policy="Background")
    cluster.settle()
    assert gone == [objects.name_of(pod)]


def test_restarts_in_place_count_against_the_backoff_limit_under_on_failure(
    cluster: Cluster,
) -> None:
    obj = job("restarting", "exit 1", backoffLimit=2)
    obj["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    cluster.apply(obj)
    cluster.settle()
    assert conditions(cluster, "restarting")[-1] == ("Failed", "True", "BackoffLimitExceeded")
    # one pod, restarted in place until the limit, then deleted and counted
    assert cluster.api.get("jobs", "restarting")["status"]["failed"] == 1


def test_a_rule_on_a_pod_condition_matches_a_failed_pod_with_it() -> None:
    """(The kubelet of the memory cluster does not keep DisruptionTarget in the status it writes
    when the pod stops, so this is checked on the pod as the controller would see it.)"""
    rules = [
        {"action": "Ignore", "onExitCodes": {"operator": "In", "values": [2]}},
        {"action": "FailJob", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
    ]
    pod = {
        "status": {
            "phase": "Failed",
            "conditions": [{"type": "DisruptionTarget", "status": "True"}],
            "containerStatuses": [{"name": "m", "state": {"terminated": {"exitCode": 137}}}],
        }
    }
    assert job_controller._match(rules, pod) == (1, {"condition": "DisruptionTarget"})
    pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] = 2
    assert job_controller._match(rules, pod) == (0, {"container": "m", "code": 2})
