"""Discovery and OpenAPI v3 documents: what kubectl reads before it reads objects."""

from __future__ import annotations

import json
import re
from typing import Any

from listwatch.server import discovery


def doc(path: str) -> Any:
    return discovery.document(path, server_address="127.0.0.1:6443")


def test_version_claims_kubernetes_v1_32() -> None:
    version = doc("/version")
    assert (version["major"], version["minor"], version["gitVersion"]) == ("1", "32", "v1.32.0")


def test_api_and_apis_list_the_core_version_and_the_named_groups() -> None:
    assert doc("/api")["versions"] == ["v1"]
    groups = doc("/apis")["groups"]
    # kube-apiserver's order (the aggregator's group priorities), not alphabetical
    assert [g["name"] for g in groups] == [
        "apiregistration.k8s.io",
        "apps",
        "events.k8s.io",
        "batch",
        "policy",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "apiextensions.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
    ]
    assert groups[1]["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    assert doc("/apis/apps")["kind"] == "APIGroup"
    assert doc("/apis/networking.k8s.io") is None


def test_pods_eviction_is_found_in_the_policy_group_as_kubectl_drain_looks_for_it() -> None:
    (eviction,) = [r for r in doc("/api/v1")["resources"] if r["name"] == "pods/eviction"]
    assert eviction == {
        "name": "pods/eviction",
        "singularName": "",
        "namespaced": True,
        "group": "policy",
        "version": "v1",
        "kind": "Eviction",
        "verbs": ["create"],
    }
    names = {r["name"]: r for r in doc("/apis/policy/v1")["resources"]}
    assert set(names) == {"poddisruptionbudgets", "poddisruptionbudgets/status"}
    assert names["poddisruptionbudgets"]["shortNames"] == ["pdb"]
    (pc,) = doc("/apis/scheduling.k8s.io/v1")["resources"]
    assert (pc["name"], pc["namespaced"], pc["shortNames"]) == ("priorityclasses", False, ["pc"])


def test_the_core_resource_list_has_verbs_short_names_and_subresources() -> None:
    resources = {r["name"]: r for r in doc("/api/v1")["resources"]}
    assert resources["pods"]["shortNames"] == ["po"] and resources["pods"]["categories"] == ["all"]
    assert [r for r in resources if resources[r].get("categories") == ["all"]] == [
        "pods",
        "replicationcontrollers",
        "services",
    ]
    assert "services/status" in resources and "configmaps/status" not in resources
    assert "categories" not in resources["events"] and "categories" not in resources["nodes"]
    assert resources["pods"]["namespaced"] is True and resources["nodes"]["namespaced"] is False
    assert (
        "watch" in resources["pods"]["verbs"]
        and "deletecollection" not in resources["namespaces"]["verbs"]
    )
    assert resources["pods/binding"] == {
        "name": "pods/binding",
        "singularName": "",
        "namespaced": True,
        "kind": "Binding",
        "verbs": ["create"],
    }
    assert resources["pods/log"]["verbs"] == ["get"] and resources["pods/status"]["verbs"] == [
        "get",
        "patch",
        "update",
    ]
    assert resources["bindings"]["kind"] == "Binding"
    scale = resources["replicationcontrollers/scale"]
    assert (scale["group"], scale["version"], scale["kind"], scale["verbs"]) == (
        "autoscaling",
        "v1",
        "Scale",
        ["get", "patch", "update"],
    )
    assert [r["name"] for r in doc("/apis/apps/v1")["resources"]] == [
        "controllerrevisions",
        "daemonsets",
        "daemonsets/status",
        "deployments",
        "deployments/scale",
        "deployments/status",
        "replicasets",
        "replicasets/scale",
        "replicasets/status",
        "statefulsets",
        "statefulsets/scale",
        "statefulsets/status",
    ]


def test_openapi_v3_index_points_at_each_group_version_by_a_content_hash() -> None:
    index = doc("/openapi/v3")["paths"]
    assert set(index) == {
        "api/v1",
        "apis/apiextensions.k8s.io/v1",
        "apis/apiregistration.k8s.io/v1",
        "apis/apps/v1",
        "apis/coordination.k8s.io/v1",
        "apis/batch/v1",
        "apis/events.k8s.io/v1",
        "apis/policy/v1",
        "apis/rbac.authorization.k8s.io/v1",
        "apis/scheduling.k8s.io/v1",
        "apis/storage.k8s.io/v1",
    }
    assert index["api/v1"]["serverRelativeURL"].startswith("/openapi/v3/api/v1?hash=")
    assert doc("/openapi/v3") == doc("/openapi/v3")  # the hash is stable


def test_events_k8s_io_v1_serves_events_with_their_own_schema() -> None:
    (events,) = doc("/apis/events.k8s.io/v1")["resources"]
    assert (events["name"], events["kind"], events["namespaced"], events["shortNames"]) == (
        "events",
        "Event",
        True,
        ["ev"],
    )
    schemas = doc("/openapi/v3/apis/events.k8s.io/v1")["components"]["schemas"]
    event = schemas["io.k8s.api.events.v1.Event"]
    assert {"note", "regarding", "deprecatedCount", "reportingController"} <= set(
        event["properties"]
    )
    assert event["x-kubernetes-group-version-kind"] == [
        {"group": "events.k8s.io", "version": "v1", "kind": "Event"}
    ]


def test_openapi_v3_declares_field_validation_on_each_patch_so_kubectl_validates_server_side() -> (
    None
):
    paths = doc("/openapi/v3/api/v1")["paths"]
    patch = paths["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert any(p["name"] == "fieldValidation" and p["in"] == "query" for p in patch["parameters"])
    node_patch = paths["/api/v1/nodes/{name}"]["patch"]
    assert node_patch["x-kubernetes-group-version-kind"]["kind"] == "Node"
    apps = doc("/openapi/v3/apis/apps/v1")["paths"]
    assert (
        apps["/apis/apps/v1/namespaces/{namespace}/replicasets/{name}"]["patch"][
            "x-kubernetes-group-version-kind"
        ]["group"]
        == "apps"
    )


def test_openapi_v3_has_each_kinds_full_schema_with_descriptions_and_every_reference_resolves() -> (
    None
):
    for path in ("/openapi/v3/api/v1", "/openapi/v3/apis/apps/v1"):
        schemas = doc(path)["components"]["schemas"]
        refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc(path)))
        assert refs and set(refs) <= set(schemas), set(refs) - set(schemas)
    schemas = doc("/openapi/v3/api/v1")["components"]["schemas"]
    pod = schemas["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "version": "v1", "kind": "Pod"}]
    assert pod["description"].startswith(
        "Pod is a collection of containers that can run on a host."
    )
    assert pod["properties"]["spec"] == {
        "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}]
    }
    selector = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["nodeSelector"]
    assert (selector["type"], selector["additionalProperties"]) == ("object", {"type": "string"})
    assert selector["description"].startswith(
        "NodeSelector is a selector which must be true for the pod to fit on a node."
    )
    assert "containers" in schemas["io.k8s.api.core.v1.PodSpec"]["required"]
    target = schemas["io.k8s.api.core.v1.ServicePort"]["properties"]["targetPort"]
    assert target["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}
    ]
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in schemas
    assert '{"type": "null"}' not in json.dumps(schemas) and '"title": ' not in json.dumps(schemas)


def test_paths_that_are_no_document_give_none() -> None:
    for path in ("/api/v2", "/openapi/v3/api/v2", "/openapi/v2", "/api/v1/pods"):
        assert doc(path) is None, path
