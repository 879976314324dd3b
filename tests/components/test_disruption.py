"""PodDisruptionBudgets: the disruption controller's status, and the eviction subresource that
reads it (logical clock, the whole control plane)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch import errors
from listwatch.apiserver import eviction, objects
from listwatch.cluster import Cluster
from tests.builders import condition, pod, replication_controller


def budget(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": name}}, **spec},
    }


def status_of(cluster: Cluster, name: str) -> dict[str, Any]:
    return dict(cluster.api.get("poddisruptionbudgets", name, namespace="default")["status"])


def counts(cluster: Cluster, name: str) -> tuple[int, int, int, int]:
    """(disruptionsAllowed, currentHealthy, desiredHealthy, expectedPods)."""
    s = status_of(cluster, name)
    return (s["disruptionsAllowed"], s["currentHealthy"], s["desiredHealthy"], s["expectedPods"])


def evict(cluster: Cluster, name: str, **options: Any) -> None:
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}}
    if options:
        body["deleteOptions"] = options
    eviction.evict(cluster.api, "default", name, body, actor="kubectl")


@pytest.fixture
def web(make_cluster: Callable[..., Cluster]) -> Cluster:
    """Three Running replicas of `web`, guarded by a budget of minAvailable 2."""
    cluster = make_cluster()
    cluster.apply(replication_controller("web", 3))
    cluster.settle()
    cluster.apply(budget("web", minAvailable=2))
    cluster.settle()
    return cluster


def test_a_budget_counts_its_ready_pods_and_allows_the_surplus(web: Cluster) -> None:
    status = status_of(web, "web")
    assert counts(web, "web") == (1, 3, 2, 3)
    assert status["observedGeneration"] == 1
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in status["conditions"]] == [
        ("DisruptionAllowed", "True", "SufficientPods", "")
    ]


def test_max_unavailable_as_a_percentage_counts_the_controller_s_replicas(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(replication_controller("web", 3))
    cluster.apply(budget("web", maxUnavailable="50%"))
    cluster.settle()
    # 50% of 3 rounded up is 2 unavailable: 1 must stay healthy.
    assert counts(cluster, "web") == (2, 3, 1, 3)


def test_a_budget_that_selects_no_pod_allows_nothing_and_says_so(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(budget("ghost", minAvailable=1))
    cluster.settle()
    assert counts(cluster, "ghost") == (0, 0, 1, 0)
    assert (condition(cluster.api.get("poddisruptionbudgets", "ghost"), "DisruptionAllowed") or {})[
        "reason"
    ] == "InsufficientPods"
    reasons = {
        (e["reason"], e["message"], e["source"]["component"])
        for e in cluster.api.list("events", namespace="default").items
        if e["involvedObject"]["kind"] == "PodDisruptionBudget"
    }
    assert reasons == {("NoPods", "No matching pods found", "controllermanager")}


def test_an_allowed_eviction_marks_the_pod_and_deletes_it_and_uses_the_budget(web: Cluster) -> None:
    name = objects.name_of(web.pods()[0])
    evict(web, name)
    evicted = web.pod(name)
    target = condition(evicted, "DisruptionTarget")
    assert target is not None
    assert (target["status"], target["reason"], target["message"]) == (
        "True",
        "EvictionByEvictionAPI",
        "Eviction API: evicting",
    )
    assert evicted["metadata"]["deletionTimestamp"]
    status = status_of(web, "web")
    assert status["disruptionsAllowed"] == 0 and list(status["disruptedPods"]) == [name]
    web.settle()
    assert name not in {objects.name_of(p) for p in web.pods()}
    assert counts(web, "web") == (1, 3, 2, 3)  # the replacement is Ready: one disruption again
    assert "disruptedPods" not in status_of(web, "web")


def test_an_eviction_the_budget_does_not_allow_is_429_and_changes_nothing(web: Cluster) -> None:
    first, second = (objects.name_of(p) for p in web.pods()[:2])
    evict(web, first)
    before = web.store.revision
    with pytest.raises(errors.TooManyRequests) as caught:
        evict(web, second)
    assert caught.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Cannot evict pod as it would violate the pod's disruption budget.",
        "reason": "TooManyRequests",
        "code": 429,
        "details": {
            "causes": [
                {
                    "reason": "DisruptionBudget",
                    "message": "The disruption budget web needs 2 healthy pods and has 3 currently",
                }
            ]
        },
    }
    assert web.store.revision == before


def test_a_budget_not_yet_observed_refuses_with_a_retry_after(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster(without=("controller-manager",))
    cluster.apply(pod("web"))
    cluster.settle()
    cluster.apply(budget("web", minAvailable=0))
    with pytest.raises(errors.TooManyRequests) as caught:
        evict(cluster, "web")
    assert caught.value.details == {
        "causes": [
            {
                "reason": "DisruptionBudget",
                "message": "The disruption budget web is still being processed by the server.",
            }
        ],
        "retryAfterSeconds": 10,
    }


def test_a_pending_pod_is_evicted_whatever_its_budget_says(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster(without=("scheduler",))
    cluster.apply(pod("web"))
    cluster.apply(budget("web", minAvailable=5))
    cluster.settle()
    evict(cluster, "web")
    with pytest.raises(errors.NotFound):
        cluster.api.get("pods", "web", namespace="default")


def test_a_pod_with_two_budgets_cannot_be_evicted(web: Cluster) -> None:
    web.apply({**budget("web", minAvailable=0), "metadata": {"name": "web-too"}})
    web.settle()
    with pytest.raises(errors.APIError) as caught:
        evict(web, objects.name_of(web.pods()[0]))
    assert caught.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "This pod has more than one PodDisruptionBudget, which the eviction "
        "subresource does not support.",
        "code": 500,
    }


def test_a_dry_run_eviction_writes_nothing(web: Cluster) -> None:
    before = web.store.revision
    evict(web, objects.name_of(web.pods()[0]), dryRun=["All"])
    assert web.store.revision == before


def test_a_uid_precondition_that_does_not_hold_is_a_conflict(web: Cluster) -> None:
    name = objects.name_of(web.pods()[0])
    with pytest.raises(errors.Conflict) as caught:
        evict(web, name, preconditions={"uid": "not-the-uid"})
    assert caught.value.message.startswith(
        f'Operation cannot be fulfilled on Pod "{name}": the UID in the precondition '
        "(not-the-uid) does not match the UID in record"
    )
    assert "deletionTimestamp" not in web.pod(name)["metadata"]
    assert counts(web, "web") == (1, 3, 2, 3) and "disruptedPods" not in status_of(web, "web")


def test_a_stale_resource_version_precondition_is_a_conflict_and_uses_no_budget(
    web: Cluster,
) -> None:
    before = web.store.revision
    with pytest.raises(errors.Conflict) as caught:
        evict(web, objects.name_of(web.pods()[0]), preconditions={"resourceVersion": "1"})
    assert "the ResourceVersion in the precondition (1) does not match" in caught.value.message
    assert web.store.revision == before


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"minAvailable": 1, "maxUnavailable": 1},
            "spec: Invalid value: minAvailable and maxUnavailable cannot be both set",
        ),
        (
            {"minAvailable": -1},
            "spec.minAvailable: Invalid value: -1: must be greater than or equal to 0",
        ),
        (
            {"maxUnavailable": "120%"},
            "spec.maxUnavailable: Invalid value: "
            'intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
        ),
    ],
)
def test_an_invalid_budget_is_refused(
    make_cluster: Callable[..., Cluster], spec: dict[str, Any], message: str
) -> None:
    cluster = make_cluster(without=("controller-manager", "scheduler", "kubelet"))
    with pytest.raises(errors.Invalid) as caught:
        cluster.apply(budget("web", **spec))
    assert caught.value.message == f'PodDisruptionBudget.policy "web" is invalid: {message}'
