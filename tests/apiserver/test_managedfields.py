"""Field ownership as kube-apiserver v1.32 keeps it: FieldsV1, the Update entries of create,
update and status writes, and server-side apply (merge, prune, conflicts), on the API server
alone."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from listwatch import errors
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


# -- FieldsV1 -------------------------------------------------------------------------------------


def test_fieldsv1_round_trips_with_dot_for_members_that_have_children() -> None:
    fields = frozenset(
        {
            (("f", "metadata"), ("f", "labels")),
            (("f", "metadata"), ("f", "labels"), ("f", "app")),
            (("f", "spec"), ("f", "ports"), ("k", '{"port":80,"protocol":"TCP"}')),
            (("f", "spec"), ("f", "ports"), ("k", '{"port":80,"protocol":"TCP"}'), ("f", "port")),
            (("f", "metadata"), ("f", "finalizers"), ("v", '"a"')),
        }
    )
    encoded = mf.encode(fields)
    assert encoded == {
        "f:metadata": {
            "f:finalizers": {'v:"a"': {}},
            "f:labels": {".": {}, "f:app": {}},
        },
        "f:spec": {"f:ports": {'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}}},
    }
    assert list(encoded["f:metadata"]["f:labels"]) == [".", "f:app"]
    assert mf.decode(encoded) == fields


def test_paths_print_as_structured_merge_diff_prints_them() -> None:
    path = (("f", "spec"), ("f", "containers"), ("k", '{"name":"web"}'), ("f", "image"))
    assert mf.path_text(path) == '.spec.containers[name="web"].image'
    assert mf.path_text((("f", "finalizers"), ("v", '"x"'))) == '.finalizers[="x"]'


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


# -- apply ----------------------------------------------------------------------------------------


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
            "annotations": {mf.LAST_APPLIED: '{"spec":{"replicas":1}}\n'},
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
    annotation = taken["metadata"]["annotations"][mf.LAST_APPLIED]
    assert annotation == (
        '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},'
        '"spec":{"replicas":5}}\n'
    )


def test_bad_apply_configurations_are_described_by_path() -> None:
    shape = mf.builtin("apps/v1", "Deployment")
    assert mf.problems({"spec": {"replicas": "two", "nope": 1}}, shape) == [
        ".spec.replicas: expected numeric (int or float), got string",
        ".spec.nope: field not declared in schema",
    ]


def test_custom_resources_take_list_types_from_their_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "ports": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                    },
                    "args": {"type": "array", "items": {"type": "string"}},
                },
            }
        },
    }
    shape = mf.custom(schema)
    value = {"spec": {"ports": [{"name": "http"}], "args": ["a"]}}
    assert mf.encode(mf.field_set(value, shape)) == {
        "f:spec": {
            "f:args": {},
            "f:ports": {'k:{"name":"http"}': {".": {}, "f:name": {}}},
        }
    }


def test_components_are_named_after_their_binaries() -> None:
    assert mf.manager_of("kubelet/node01") == "kubelet"
    assert mf.manager_of("replicaset-controller") == "kube-controller-manager"
    assert mf.manager_of("scheduler") == "kube-scheduler"
    assert mf.manager_of("kubectl/v1.32.0 (linux/amd64) kubernetes/abc") == "kubectl"
