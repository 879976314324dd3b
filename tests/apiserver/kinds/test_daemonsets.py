"""DaemonSets on a write: the template generation annotation, the rolling update defaults, and
apps validation with kube-apiserver's messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch import errors
from listwatch.cluster import Cluster

GENERATION = "deprecated.daemonset.template.generation"


def daemonset(name: str = "agent", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]},
            },
            **spec,
        },
    }


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    # The API server alone: no daemonset controller writes the status.
    return make_cluster(without=("controller-manager", "scheduler", "kubelet"))


def invalid(cluster: Cluster, obj: dict[str, Any]) -> str:
    with pytest.raises(errors.Invalid) as caught:
        cluster.api.create("daemonsets", obj, namespace="default")
    return caught.value.message


def test_a_created_daemon_set_starts_at_template_generation_1(cluster: Cluster) -> None:
    created = cluster.api.create("daemonsets", daemonset(), namespace="default")
    assert created["metadata"]["annotations"] == {GENERATION: "1"}
    assert created["metadata"]["generation"] == 1
    assert created["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert created["spec"]["revisionHistoryLimit"] == 10


def test_a_new_template_raises_the_template_generation_another_change_only_the_generation(
    cluster: Cluster,
) -> None:
    created = cluster.api.create("daemonsets", daemonset(), namespace="default")
    changed = dict(created)
    changed["spec"] = {**created["spec"], "minReadySeconds": 5}
    updated = cluster.api.update("daemonsets", changed)
    assert updated["metadata"]["annotations"][GENERATION] == "1"
    assert updated["metadata"]["generation"] == 2
    template = {**updated["spec"]["template"], "metadata": {"labels": {"app": "agent", "v": "2"}}}
    updated = cluster.api.update(
        "daemonsets", {**updated, "spec": {**updated["spec"], "template": template}}
    )
    assert updated["metadata"]["annotations"][GENERATION] == "2"
    assert updated["metadata"]["generation"] == 3


def test_a_client_cannot_set_the_template_generation_on_update(cluster: Cluster) -> None:
    created = cluster.api.create("daemonsets", daemonset(), namespace="default")
    meta = {**created["metadata"], "annotations": {GENERATION: "7"}}
    updated = cluster.api.update("daemonsets", {**created, "metadata": meta})
    assert updated["metadata"]["annotations"][GENERATION] == "1"
    status = cluster.api.update_status(
        "daemonsets", {**updated, "metadata": meta, "status": {"numberReady": 1}}, actor="test"
    )
    assert status["metadata"]["annotations"][GENERATION] == "1"


def test_a_rolling_update_with_only_max_surge_still_gets_max_unavailable_1_and_is_refused(
    cluster: Cluster,
) -> None:
    obj = daemonset(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}})
    assert invalid(cluster, obj) == (
        'DaemonSet.apps "agent" is invalid: spec.updateStrategy.rollingUpdate.maxSurge: '
        'Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when '
        "maxUnavailable is non-zero"
    )
    surge = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    created = cluster.api.create("daemonsets", daemonset(updateStrategy=surge), namespace="default")
    assert created["spec"]["updateStrategy"] == surge


def test_both_zero_is_refused(cluster: Cluster) -> None:
    obj = daemonset(
        updateStrategy={
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"},
        }
    )
    assert invalid(cluster, obj).endswith(
        "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when "
        "maxSurge is 0"
    )


def test_a_selector_that_misses_the_template_labels_is_refused(cluster: Cluster) -> None:
    obj = daemonset()
    obj["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    assert invalid(cluster, obj) == (
        'DaemonSet.apps "agent" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"other"}: `selector` does not match template `labels`'
    )


def test_no_selector_an_unknown_strategy_and_a_restart_policy_other_than_always_are_refused(
    cluster: Cluster,
) -> None:
    obj = daemonset(updateStrategy={"type": "Sometimes"})
    del obj["spec"]["selector"]
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    message = invalid(cluster, obj)
    assert "spec.selector: Required value" in message
    assert (
        'spec.updateStrategy.type: Unsupported value: "Sometimes": supported values: '
        '"OnDelete", "RollingUpdate"'
    ) in message
    assert 'spec.template.spec.restartPolicy: Unsupported value: "Never"' in message


def test_the_selector_is_immutable(cluster: Cluster) -> None:
    created = cluster.api.create("daemonsets", daemonset(), namespace="default")
    spec = {
        **created["spec"],
        "selector": {"matchLabels": {"app": "agent", "x": "y"}},
        "template": {
            **created["spec"]["template"],
            "metadata": {"labels": {"app": "agent", "x": "y"}},
        },
    }
    with pytest.raises(errors.Invalid) as caught:
        cluster.api.update("daemonsets", {**created, "spec": spec})
    assert caught.value.message.endswith("field is immutable")
    assert cluster.api.get("daemonsets", "agent")["spec"]["selector"] == created["spec"]["selector"]
