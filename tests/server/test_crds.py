"""CustomResourceDefinitions with the real kubectl and the official client against
`listwatch serve`: a CRD becomes a served resource (discovery, OpenAPI, tables), its objects are
pruned, defaulted and validated by its schema as apiextensions-apiserver does, and deleting the CRD
deletes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml

from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import Client, serving, wait_until
from tests.server.test_builtin_kinds import patch
from tests.server.test_kubectl import KUBECTL, Kubectl, table

pytestmark = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "crontabs.stable.example.com"},
    "spec": {
        "group": "stable.example.com",
        "scope": "Namespaced",
        "names": {"plural": "crontabs", "kind": "CronTab", "shortNames": ["ct"]},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {
                    "status": {},
                    "scale": {
                        "specReplicasPath": ".spec.replicas",
                        "statusReplicasPath": ".status.replicas",
                    },
                },
                "additionalPrinterColumns": [
                    {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
                    {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "required": ["cronSpec"],
                                "properties": {
                                    "cronSpec": {"type": "string", "pattern": r"^(\S+\s+){4}\S+$"},
                                    "image": {"type": "string"},
                                    "replicas": {
                                        "type": "integer",
                                        "minimum": 1,
                                        "maximum": 10,
                                        "default": 1,
                                    },
                                },
                            },
                            "status": {
                                "type": "object",
                                "properties": {"phase": {"type": "string"}},
                            },
                        },
                    }
                },
            }
        ],
    },
}


def crontab(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "stable.example.com/v1",
        "kind": "CronTab",
        "metadata": {"name": name},
        "spec": {"cronSpec": "* * * * */5", **spec},
    }


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[Server]:
    with serving(engine) as served:
        yield served


@pytest.fixture(scope="module")
def kubectl(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    run = Kubectl(server, tmp_path_factory.mktemp("crds"))
    apply(run, CRD)
    run("wait --for condition=established crd/crontabs.stable.example.com --timeout=30s")
    return run


def apply(kubectl: Kubectl, obj: dict[str, Any], *, check: bool = True) -> str:
    path = kubectl.workdir / f"{obj['metadata']['name']}.yaml"
    path.write_text(yaml.safe_dump(obj))
    return kubectl(f"apply -f {path.name}", check=check)


def test_the_crd_is_established_and_listed(kubectl: Kubectl) -> None:
    crd = json.loads(kubectl("get crd crontabs.stable.example.com -o json"))
    conditions = {c["type"]: (c["status"], c["reason"]) for c in crd["status"]["conditions"]}
    assert conditions == {
        "NamesAccepted": ("True", "NoConflicts"),
        "Established": ("True", "InitialNamesAccepted"),
    }
    assert crd["status"]["acceptedNames"]["listKind"] == "CronTabList"
    assert crd["status"]["storedVersions"] == ["v1"]
    [row] = table(kubectl("get crd"))
    assert list(row) == ["NAME", "CREATED AT"] and row["NAME"] == "crontabs.stable.example.com"


def test_a_custom_resource_is_served_with_its_columns_and_defaults(kubectl: Kubectl) -> None:
    assert apply(kubectl, crontab("nightly", image="cron:1")).strip() == (
        "crontab.stable.example.com/nightly created"
    )
    [row] = table(kubectl("get ct nightly"))
    assert list(row) == ["NAME", "SPEC", "REPLICAS", "AGE"]
    assert (row["NAME"], row["SPEC"], row["REPLICAS"]) == ("nightly", "* * * * */5", "1")
    stored = json.loads(kubectl("get crontab nightly -o json"))
    assert stored["spec"]["replicas"] == 1 and stored["metadata"]["generation"] == 1
    assert "crontabs" in kubectl("api-resources --api-group=stable.example.com")
    explained = kubectl("explain crontab.spec.replicas")
    assert "integer" in explained


def test_unknown_fields_are_refused_under_strict_validation(kubectl: Kubectl) -> None:
    out = apply(kubectl, crontab("odd", bogus=True), check=False)
    assert 'strict decoding error: unknown field "spec.bogus"' in out
    kubectl("apply --validate=false -f odd.yaml")
    assert "bogus" not in json.loads(kubectl("get crontab odd -o json"))["spec"]


def test_the_schema_is_validated_in_kube_openapis_words(kubectl: Kubectl) -> None:
    out = apply(kubectl, crontab("bad", replicas="three"), check=False)
    assert (
        'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: '
        '"string"' in out
    )
    out = apply(kubectl, crontab("big", replicas=11), check=False)
    assert (
        "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"
        in out
    )
    out = apply(kubectl, {**crontab("none"), "spec": {"image": "x"}}, check=False)
    assert "spec.cronSpec: Required value" in out
    assert "bad" not in kubectl("get crontabs -o name")


def test_status_is_written_through_its_subresource_only(kubectl: Kubectl) -> None:
    apply(kubectl, crontab("hourly"))
    kubectl(patch("crontab hourly", {"status": {"phase": "Run"}}, "--subresource=status"))
    kubectl(patch("crontab hourly", {"status": {"phase": "Lost"}, "spec": {"replicas": 2}}))
    stored = json.loads(kubectl("get crontab hourly -o json"))
    assert stored["status"] == {"phase": "Run"}
    assert (stored["spec"]["replicas"], stored["metadata"]["generation"]) == (2, 2)


def test_kubectl_scale_sets_the_path_the_crd_names(kubectl: Kubectl) -> None:
    apply(kubectl, crontab("scaled"))
    assert kubectl("scale crontab scaled --replicas=4").strip() == (
        "crontab.stable.example.com/scaled scaled"
    )
    assert json.loads(kubectl("get crontab scaled -o json"))["spec"]["replicas"] == 4
    scale = json.loads(kubectl("get crontab scaled --subresource=scale -o json"))
    assert (scale["kind"], scale["spec"], scale["status"]) == (
        "Scale",
        {"replicas": 4},
        {"replicas": 0},
    )


def test_a_strategic_merge_patch_is_refused_as_for_any_custom_resource(kubectl: Kubectl) -> None:
    apply(kubectl, crontab("weekly"))
    out = kubectl(
        patch("crontab weekly", {"spec": {"replicas": 3}}).replace(" --type=merge", ""), check=False
    )
    assert "the body of the request was in an unknown format" in out


def test_metadata_that_is_not_an_object_is_refused_and_changes_nothing(
    server: Server, kubectl: Kubectl
) -> None:
    """apiextensions-apiserver cannot read such metadata: a create is a 400, a patch that makes
    it the 422 of a patch that cannot be decoded."""
    client = Client(server)
    path = "/apis/stable.example.com/v1/namespaces/default/crontabs"
    created = client.request("POST", path, {**crontab("listed"), "metadata": [{"name": "x"}]})
    assert (created.status, created.json["message"]) == (
        400,
        "invalid metadata: expected object, got []interface {}",
    )
    assert client.request("POST", path, crontab("meta")).status == 201
    before = client.get(f"{path}/meta").json["metadata"]["resourceVersion"]
    patched = client.request(
        "PATCH",
        f"{path}/meta",
        raw=b'{"metadata": "x"}',
        content_type="application/merge-patch+json",
    )
    assert patched.status == 422
    assert patched.json["message"].endswith("invalid metadata: expected object, got string")
    assert client.get(f"{path}/meta").json["metadata"]["resourceVersion"] == before


def test_the_official_client_reads_and_watches_custom_objects(
    server: Server, kubectl: Kubectl
) -> None:
    assert server.kubeconfig is not None
    client = kubernetes.config.new_client_from_config(str(server.kubeconfig))
    custom = kubernetes.client.CustomObjectsApi(client)
    custom.create_namespaced_custom_object(
        "stable.example.com", "v1", "default", "crontabs", crontab("daily")
    )
    listed = custom.list_namespaced_custom_object("stable.example.com", "v1", "default", "crontabs")
    assert "daily" in [o["metadata"]["name"] for o in listed["items"]]
    watch = kubernetes.watch.Watch()
    seen = []
    for event in watch.stream(
        custom.list_namespaced_custom_object,
        "stable.example.com",
        "v1",
        "default",
        "crontabs",
        timeout_seconds=5,
    ):
        seen.append(event["object"]["metadata"]["name"])
        if "daily" in seen:
            watch.stop()
    assert "daily" in seen


def test_deleting_the_crd_deletes_its_objects_and_stops_serving_it(
    server: Server, tmp_path: Path
) -> None:
    run = Kubectl(server, tmp_path)
    other = json.loads(json.dumps(CRD).replace("crontabs", "gizmos").replace("CronTab", "Gizmo"))
    other["spec"]["names"]["shortNames"] = ["gz"]
    apply(run, other)
    run("wait --for condition=established crd/gizmos.stable.example.com --timeout=30s")
    gizmo = {**crontab("one"), "kind": "Gizmo"}
    apply(run, gizmo)
    run("delete crd gizmos.stable.example.com --timeout=60s")
    assert wait_until(lambda: "gizmos" not in run("api-resources", check=False))
    assert "the server doesn't have a resource type" in run("get gizmos", check=False)
