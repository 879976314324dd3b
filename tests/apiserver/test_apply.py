"""Server-side apply on the API server alone: merge, prune, conflicts, and what client-side apply
still describes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch import errors
from listwatch.apiserver import apply
from listwatch.cluster import Cluster
from tests.apiserver.test_managedfields import deployment, entry


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    return make_cluster(without=("controller-manager", "scheduler", "kubelet"))


def config(**data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": data}


def test_apply_creates_owns_and_prunes_what_it_no_longer_applies(cluster: Cluster) -> None:
    api = cluster.api
    api.apply("configmaps", "cm", config(a="1", b="2"), manager="m", namespace="default")
    other = api.patch("configmaps", "cm", {"data": {"c": "3"}}, namespace="default", actor="x")
    assert other["data"] == {"a": "1", "b": "2", "c": "3"}
    again = api.apply("configmaps", "cm", config(a="1"), manager="m", namespace="default")
    assert again["data"] == {"a": "1", "c": "3"}  # b was m's alone; c is x's
    assert entry(again, "m", "Apply")["fieldsV1"] == {"f:data": {"f:a": {}}}


def test_apply_conflicts_change_nothing_and_force_takes_ownership(cluster: Cluster) -> None:
    api = cluster.api
    api.apply("configmaps", "cm", config(a="1"), manager="first", namespace="default")
    before = api.get("configmaps", "cm", namespace="default")
    with pytest.raises(errors.Conflict) as refused:
        api.apply("configmaps", "cm", config(a="2"), manager="second", namespace="default")
    assert str(refused.value) == ('Apply failed with 1 conflict: conflict with "first": .data.a')
    assert refused.value.details["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "first"', "field": ".data.a"}
    ]
    assert api.get("configmaps", "cm", namespace="default") == before
    forced = api.apply(
        "configmaps", "cm", config(a="2"), manager="second", namespace="default", force=True
    )
    assert forced["data"] == {"a": "2"}
    assert [e["manager"] for e in forced["metadata"]["managedFields"]] == ["second"]


def test_apply_merges_associative_lists_by_key_and_defaults_the_result(cluster: Cluster) -> None:
    api = cluster.api
    api.create("deployments", deployment(), manager="kubectl-create")
    sidecar = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "template": {"spec": {"containers": [{"name": "log", "image": "busybox"}]}},
        },
    }
    merged = api.apply("deployments", "web", sidecar, manager="mesh", namespace="default")
    containers = merged["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["nginx", "log"]
    assert containers[1]["imagePullPolicy"] == "Always"  # defaulted after the merge


def test_kubectl_may_take_over_what_client_side_apply_still_describes(cluster: Cluster) -> None:
    api = cluster.api
    body = deployment()
    annotated = {
        **body,
        "metadata": {
            **body["metadata"],
            "annotations": {apply.LAST_APPLIED: '{"spec":{"replicas":1}}\n'},
        },
    }
    api.create("deployments", annotated, manager="kubectl-client-side-apply")
    change = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 5},
    }
    with pytest.raises(errors.Conflict) as refused:
        api.apply("deployments", "web", change, manager="other", namespace="default")
    assert str(refused.value) == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: '
        ".spec.replicas"
    )
    taken = api.apply("deployments", "web", change, manager="kubectl", namespace="default")
    assert taken["spec"]["replicas"] == 5
    annotation = taken["metadata"]["annotations"][apply.LAST_APPLIED]
    assert annotation == (
        '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},'
        '"spec":{"replicas":5}}\n'
    )
