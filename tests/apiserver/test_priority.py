"""PriorityClasses and the Priority admission plugin, as a v1.32 API server has them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch import errors
from listwatch.cluster import Cluster
from tests.builders import pod, priority_class


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    return make_cluster(without=("controller-manager", "scheduler", "kubelet"))


def refusal(call: Callable[[], Any]) -> errors.APIError:
    with pytest.raises(errors.APIError) as caught:
        call()
    return caught.value


def test_the_api_server_starts_with_the_two_system_classes(cluster: Cluster) -> None:
    found = {
        pc["metadata"]["name"]: (pc["value"], pc["description"], pc["preemptionPolicy"])
        for pc in cluster.api.list("priorityclasses").items
    }
    assert found == {
        "system-cluster-critical": (
            2000000000,
            "Used for system critical pods that must run in the cluster, but can be moved to "
            "another node if necessary.",
            "PreemptLowerPriority",
        ),
        "system-node-critical": (
            2000001000,
            "Used for system critical pods that must not be moved from their current node.",
            "PreemptLowerPriority",
        ),
    }


def test_a_pod_without_a_class_gets_priority_0_when_no_class_is_the_default(
    cluster: Cluster,
) -> None:
    spec = cluster.api.create("pods", pod("web"))["spec"]
    assert (spec["priority"], spec["preemptionPolicy"]) == (0, "PreemptLowerPriority")
    assert "priorityClassName" not in spec


def test_a_pod_naming_a_class_gets_its_value_and_preemption_policy(cluster: Cluster) -> None:
    cluster.api.create("priorityclasses", priority_class("batch", 10, preemptionPolicy="Never"))
    manifest = pod("job")
    manifest["spec"]["priorityClassName"] = "batch"
    spec = cluster.api.create("pods", manifest)["spec"]
    assert (spec["priority"], spec["preemptionPolicy"]) == (10, "Never")


def test_a_system_class_resolves_like_any_other(cluster: Cluster) -> None:
    manifest = pod("dns")
    manifest["spec"]["priorityClassName"] = "system-cluster-critical"
    assert cluster.api.create("pods", manifest)["spec"]["priority"] == 2000000000


def test_the_global_default_class_is_written_into_pods_that_name_none(cluster: Cluster) -> None:
    cluster.api.create("priorityclasses", priority_class("normal", 100, globalDefault=True))
    spec = cluster.api.create("pods", pod("web"))["spec"]
    assert (spec["priorityClassName"], spec["priority"]) == ("normal", 100)


def test_a_second_global_default_is_forbidden(cluster: Cluster) -> None:
    cluster.api.create("priorityclasses", priority_class("normal", 100, globalDefault=True))
    error = refusal(
        lambda: cluster.api.create(
            "priorityclasses", priority_class("other", 5, globalDefault=True)
        )
    )
    assert (error.code, error.reason) == (403, "Forbidden")
    assert error.message == (
        'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is already '
        "marked as default. Only one default can exist"
    )
    with pytest.raises(errors.NotFound):
        cluster.api.get("priorityclasses", "other")


def test_a_pod_naming_an_unknown_class_is_forbidden_and_not_stored(cluster: Cluster) -> None:
    manifest = pod("web")
    manifest["spec"]["priorityClassName"] = "foo"
    before = cluster.store.revision
    error = refusal(lambda: cluster.api.create("pods", manifest))
    assert (error.code, error.reason, error.message) == (
        403,
        "Forbidden",
        'pods "web" is forbidden: no PriorityClass with name foo was found',
    )
    assert error.status()["details"] == {"name": "web", "kind": "pods"}
    assert cluster.store.revision == before and cluster.api.list("pods").items == []


def test_a_generated_name_is_named_by_its_prefix_in_the_refusal(cluster: Cluster) -> None:
    manifest = pod("ignored")
    manifest["metadata"] = {"generateName": "web-"}
    manifest["spec"]["priorityClassName"] = "foo"
    error = refusal(lambda: cluster.api.create("pods", manifest))
    assert error.message == 'pods "web-" is forbidden: no PriorityClass with name foo was found'


def test_a_pod_that_sets_a_priority_of_its_own_is_forbidden(cluster: Cluster) -> None:
    manifest = pod("web")
    manifest["spec"]["priority"] = 7
    error = refusal(lambda: cluster.api.create("pods", manifest))
    assert (error.code, error.message) == (
        403,
        'pods "web" is forbidden: the integer value of priority (7) must not be provided in pod '
        "spec; priority admission controller computed 0 from the given PriorityClass name",
    )
    manifest["spec"]["priority"] = 0  # the value the class gives is accepted
    assert cluster.api.create("pods", manifest)["spec"]["priority"] == 0


def test_a_pod_that_sets_another_preemption_policy_is_forbidden(cluster: Cluster) -> None:
    cluster.api.create("priorityclasses", priority_class("batch", 10, preemptionPolicy="Never"))
    manifest = pod("web")
    manifest["spec"]["priorityClassName"] = "batch"
    manifest["spec"]["preemptionPolicy"] = "PreemptLowerPriority"
    error = refusal(lambda: cluster.api.create("pods", manifest))
    assert error.message == (
        'pods "web" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) '
        "must not be provided in pod spec; priority admission controller computed Never from the "
        "given PriorityClass name"
    )


def test_a_pod_update_without_the_priority_keeps_it(cluster: Cluster) -> None:
    cluster.api.create("priorityclasses", priority_class("batch", 10))
    manifest = pod("web")
    manifest["spec"]["priorityClassName"] = "batch"
    created = cluster.api.create("pods", manifest)
    body = {**created, "spec": {k: v for k, v in created["spec"].items() if k != "priority"}}
    body["metadata"] = {**created["metadata"], "labels": {"tier": "web"}}
    updated = cluster.api.update("pods", body)
    assert updated["spec"]["priority"] == 10 and updated["metadata"]["labels"] == {"tier": "web"}


@pytest.mark.parametrize(
    ("name", "value", "extra", "message"),
    [
        (
            "huge",
            1000000001,
            {},
            'PriorityClass.scheduling.k8s.io "huge" is invalid: '
            "value: Forbidden: maximum allowed value of a user "
            "defined priority is 1000000000",
        ),
        (
            "system-mine",
            5,
            {},
            'PriorityClass.scheduling.k8s.io "system-mine" is invalid: '
            "metadata.name: Forbidden: priority class "
            "names with 'system-' prefix are reserved for system use only. error: system-mine is "
            "not a known system priority class",
        ),
        (
            "lazy",
            5,
            {"preemptionPolicy": "Sometimes"},
            'PriorityClass.scheduling.k8s.io "lazy" is invalid: '
            'preemptionPolicy: Unsupported value: "Sometimes": '
            'supported values: "Never", "PreemptLowerPriority"',
        ),
    ],
)
def test_an_invalid_class_is_refused_with_v1_32_s_field_error(
    cluster: Cluster, name: str, value: int, extra: dict[str, Any], message: str
) -> None:
    error = refusal(
        lambda: cluster.api.create("priorityclasses", priority_class(name, value, **extra))
    )
    assert (error.code, error.message) == (422, message)


def test_a_system_class_cannot_be_deleted(cluster: Cluster) -> None:
    error = refusal(lambda: cluster.api.delete("priorityclasses", "system-node-critical"))
    assert (error.code, error.message) == (
        403,
        'priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system '
        "priority class and cannot be deleted",
    )
    assert cluster.api.get("priorityclasses", "system-node-critical")["value"] == 2000001000


def test_a_system_class_cannot_be_made_with_another_value(cluster: Cluster) -> None:
    error = refusal(
        lambda: cluster.api.create("priorityclasses", priority_class("system-node-critical", 1))
    )
    assert error.message.endswith(
        "error: value of system-node-critical PriorityClass must be 2000001000"
    )


def test_a_class_s_value_cannot_change(cluster: Cluster) -> None:
    created = cluster.api.create("priorityclasses", priority_class("batch", 10))
    error = refusal(lambda: cluster.api.update("priorityclasses", {**created, "value": 11}))
    assert (error.code, error.message) == (
        422,
        'PriorityClass.scheduling.k8s.io "batch" is invalid: '
        "value: Forbidden: may not be changed in an update.",
    )
    described = cluster.api.update("priorityclasses", {**created, "description": "batch jobs"})
    assert described["description"] == "batch jobs"
