"""Field ownership as kube-apiserver v1.32 keeps it: the Update entries of create,
update and status writes, and server-side apply (merge, prune, conflicts), on the API server
alone."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from listwatch.apiserver import managedfields as mf
from listwatch.cluster import Cluster


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    return make_cluster(without=("controller-manager", "scheduler", "kubelet"))


def deployment(name: str = "web", replicas: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx", "ports": [{"containerPort": 80}]}
                    ]
                },
            },
        },
    }


def entry(obj: dict[str, Any], manager: str, operation: str = "Update") -> dict[str, Any]:
    found = [
        e
        for e in obj["metadata"]["managedFields"]
        if (e["manager"], e["operation"]) == (manager, operation)
    ]
    assert len(found) == 1, obj["metadata"]["managedFields"]
    return found[0]


# -- Update entries -------------------------------------------------------------------------------


def test_create_records_the_creator_with_scheme_defaults_and_atomic_selector(
    cluster: Cluster,
) -> None:
    made = cluster.api.create("deployments", deployment(), manager="kubectl-create")
    [only] = made["metadata"]["managedFields"]
    assert (only["manager"], only["operation"], only["apiVersion"]) == (
        "kubectl-create",
        "Update",
        "apps/v1",
    )
    assert only["fieldsType"] == "FieldsV1"
    assert only["time"] == made["metadata"]["creationTimestamp"]
    spec = only["fieldsV1"]["f:spec"]
    assert spec["f:selector"] == {}  # LabelSelector is an atomic struct
    assert spec["f:strategy"]["f:rollingUpdate"] == {
        ".": {},
        "f:maxSurge": {},
        "f:maxUnavailable": {},
    }  # a pointer struct that appeared; strategy itself was there as a zero value
    ports = spec["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']["f:ports"]
    assert list(ports) == [".", 'k:{"containerPort":80,"protocol":"TCP"}']
    assert "f:status" not in only["fieldsV1"] and "f:name" not in only["fieldsV1"]["f:metadata"]


def test_what_admission_adds_to_a_pod_is_nobodys(cluster: Cluster) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }
    made = cluster.api.create("pods", pod, actor="OpenAPI-Generator/32.0.1/python")
    fields = entry(made, "OpenAPI-Generator")["fieldsV1"]["f:spec"]
    assert "f:volumes" not in fields and "f:tolerations" not in fields
    assert "f:serviceAccountName" not in fields and "f:priority" not in fields
    assert "f:volumeMounts" not in fields["f:containers"]['k:{"name":"c"}']
    assert "f:enableServiceLinks" in fields and "f:dnsPolicy" in fields  # scheme defaults


def test_an_update_takes_changed_fields_from_their_owner(cluster: Cluster) -> None:
    cluster.api.create("deployments", deployment(), manager="kubectl-create")
    updated = cluster.api.patch(
        "deployments",
        "web",
        {"spec": {"replicas": 4}},
        namespace="default",
        actor="kubectl/v1.32.0",
    )
    assert entry(updated, "kubectl")["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in entry(updated, "kubectl-create")["fieldsV1"]["f:spec"]


def test_a_status_write_is_recorded_under_its_subresource(cluster: Cluster) -> None:
    cluster.api.create("deployments", deployment(), manager="kubectl-create")
    current = cluster.api.get("deployments", "web", namespace="default")
    written = cluster.api.update_status(
        "deployments", {**current, "status": {"replicas": 1}}, actor="controller-manager"
    )
    status = entry(written, "kube-controller-manager")
    assert status["subresource"] == "status"
    assert status["fieldsV1"] == {"f:status": {"f:replicas": {}}}


def test_a_write_that_changes_nothing_keeps_the_entries(cluster: Cluster) -> None:
    made = cluster.api.create("deployments", deployment(), manager="kubectl-create")
    again = cluster.api.update("deployments", made, namespace="default", manager="other")
    assert again["metadata"]["managedFields"] == made["metadata"]["managedFields"]
    assert again["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


def test_an_empty_list_resets_the_entries(cluster: Cluster) -> None:
    made = copy.deepcopy(cluster.api.create("deployments", deployment(), manager="kubectl-create"))
    made["metadata"]["managedFields"] = []
    made["spec"]["replicas"] = 2
    reset = cluster.api.update("deployments", made, namespace="default", manager="resetter")
    assert [e["manager"] for e in reset["metadata"]["managedFields"]] == ["resetter"]


def test_components_are_named_after_their_binaries() -> None:
    assert mf.manager_of("kubelet/node01") == "kubelet"
    assert mf.manager_of("replicaset-controller") == "kube-controller-manager"
    assert mf.manager_of("scheduler") == "kube-scheduler"
    assert mf.manager_of("kubectl/v1.32.0 (linux/amd64) kubernetes/abc") == "kubectl"
