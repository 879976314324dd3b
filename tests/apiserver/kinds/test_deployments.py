"""Deployments on a write: v1.32's defaults, generation and status rules, and apps validation
with kube-apiserver's messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch import errors
from listwatch.apiserver.kinds import deployments
from listwatch.cluster import Cluster


def deployment(name: str = "web", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14"}]},
            },
            **spec,
        },
    }


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    # The API server alone: no deployment controller writes the status.
    return make_cluster(without=("controller-manager", "scheduler", "kubelet"))


def invalid(cluster: Cluster, obj: dict[str, Any]) -> str:
    with pytest.raises(errors.Invalid) as caught:
        cluster.api.create("deployments", obj, namespace="default")
    return caught.value.message


def test_a_created_deployment_gets_set_defaults_deployment_and_generation_1(
    cluster: Cluster,
) -> None:
    created = cluster.api.create("deployments", deployment(), namespace="default")
    spec = created["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert (spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (10, 600)
    template = spec["template"]["spec"]
    assert template["restartPolicy"] == "Always" and template["dnsPolicy"] == "ClusterFirst"
    assert created["metadata"]["generation"] == 1 and created["status"] == {}


def test_recreate_gets_no_rolling_update_defaults() -> None:
    written = deployments.on_write(deployment(strategy={"type": "Recreate"}))
    assert written["spec"]["strategy"] == {"type": "Recreate"}


def test_a_spec_or_annotation_change_bumps_the_generation_a_label_does_not(
    cluster: Cluster,
) -> None:
    cluster.api.create("deployments", deployment(), namespace="default")
    scaled = cluster.api.patch("deployments", "web", {"spec": {"replicas": 3}})
    assert scaled["metadata"]["generation"] == 2
    noted = cluster.api.patch("deployments", "web", {"metadata": {"annotations": {"a": "b"}}})
    assert noted["metadata"]["generation"] == 3
    labelled = cluster.api.patch("deployments", "web", {"metadata": {"labels": {"x": "y"}}})
    assert labelled["metadata"]["generation"] == 3


def test_the_status_subresource_writes_status_and_annotations_not_spec(cluster: Cluster) -> None:
    created = cluster.api.create("deployments", deployment(), namespace="default")
    body = {
        **created,
        "metadata": {
            **created["metadata"],
            "annotations": {"deployment.kubernetes.io/revision": "1"},
        },
        "spec": {**created["spec"], "replicas": 7},
        "status": {"observedGeneration": 1, "replicas": 1},
    }
    written = cluster.api.update_status("deployments", body, actor="deployment-controller")
    assert written["status"] == {"observedGeneration": 1, "replicas": 1}
    assert written["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}
    assert written["spec"]["replicas"] == 1 and written["metadata"]["generation"] == 1


def test_a_selector_that_does_not_match_the_template_is_refused(cluster: Cluster) -> None:
    obj = deployment()
    obj["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    assert invalid(cluster, obj) == (
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"web"}: `selector` does not match template `labels`'
    )


def test_a_missing_selector_is_required(cluster: Cluster) -> None:
    obj = deployment()
    del obj["spec"]["selector"]
    assert (
        invalid(cluster, obj) == 'Deployment.apps "web" is invalid: spec.selector: Required value'
    )


def test_an_empty_selector_is_invalid_for_a_deployment(cluster: Cluster) -> None:
    assert "empty selector is invalid for deployment" in invalid(cluster, deployment(selector={}))


def test_the_template_must_restart_always() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert deployments.validate_deployment(deployments.on_write(obj)) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'
    ]


def test_max_surge_and_max_unavailable_may_not_both_be_0() -> None:
    obj = deployment(
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}}
    )
    assert deployments.validate_deployment(deployments.on_write(obj)) == [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "
        'intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0'
    ]


def test_max_unavailable_over_100_percent_is_refused_max_surge_is_not() -> None:
    obj = deployment(
        strategy={
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "200%", "maxUnavailable": "120%"},
        }
    )
    assert deployments.validate_deployment(deployments.on_write(obj)) == [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "
        'intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%'
    ]


def test_recreate_may_not_have_rolling_update_parameters() -> None:
    obj = deployments.on_write(deployment())
    obj["spec"]["strategy"]["type"] = "Recreate"
    assert deployments.validate_deployment(obj) == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is "
        "'Recreate'"
    ]


def test_the_progress_deadline_must_exceed_min_ready_seconds() -> None:
    obj = deployments.on_write(deployment(minReadySeconds=30, progressDeadlineSeconds=30))
    assert deployments.validate_deployment(obj) == [
        "spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds"
    ]


def test_the_selector_is_immutable_in_apps_v1(cluster: Cluster) -> None:
    cluster.api.create("deployments", deployment(), namespace="default")
    with pytest.raises(errors.Invalid) as caught:
        cluster.api.patch(
            "deployments",
            "web",
            {
                "spec": {
                    "selector": {"matchLabels": {"app": "web", "tier": "x"}},
                    "template": {"metadata": {"labels": {"app": "web", "tier": "x"}}},
                }
            },
        )
    assert caught.value.message.endswith(
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", '
        '"tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable'
    )


@pytest.mark.parametrize(
    ("surge", "unavailable", "replicas", "expected"),
    [
        ("25%", "25%", 3, (1, 0)),
        ("25%", "25%", 10, (3, 2)),
        (0, 0, 4, (0, 1)),
        (2, "50%", 5, (2, 2)),
    ],
)
def test_fenceposts_round_surge_up_and_unavailable_down(
    surge: Any, unavailable: Any, replicas: int, expected: tuple[int, int]
) -> None:
    spec = {
        "replicas": replicas,
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
        },
    }
    assert deployments.fenceposts(spec) == expected
