"""Server-side apply and managedFields against `listwatch serve`: the real kubectl (v1.32)
`apply --server-side`, `--force-conflicts` and `get --show-managed-fields`, the official client's
`server_side_apply`, and the raw answers to bad apply patches.

One served cluster for the module; each test works on objects of its own names.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import Client, official_client, serving
from tests.server.test_crds import CRD, crontab
from tests.server.test_kubectl import KUBECTL, Kubectl

APPLY = "application/apply-patch+yaml"
APPLIED = "deployment.apps/{} serverside-applied\n"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: nginx
        image: {image}
"""


@pytest.fixture(scope="module")
def served(engine: Engine) -> Iterator[Server]:
    with serving(engine) as server:
        yield server


@pytest.fixture
def kubectl(served: Server, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    if not os.access(KUBECTL, os.X_OK):
        pytest.skip("kubectl is not installed")
    return Kubectl(served, tmp_path_factory.mktemp("apply"))


@pytest.fixture
def client(served: Server) -> Client:
    return Client(served)


def write(kubectl: Kubectl, name: str, replicas: int = 1, image: str = "nginx:1.14") -> str:
    path = kubectl.workdir / f"{name}.yaml"
    path.write_text(DEPLOYMENT.format(name=name, replicas=replicas, image=image))
    return str(path)


def managers(obj: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["manager"], e["operation"]): e for e in obj["metadata"].get("managedFields") or []}


def apply(client: Client, path: str, config: Any, **query: str) -> Any:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    text = config if isinstance(config, str) else yaml.safe_dump(config)
    return client.request("PATCH", f"{path}?{params}", raw=text.encode(), content_type=APPLY)


# -- kubectl --------------------------------------------------------------------------------------


def test_kubectl_server_side_apply_creates_then_reapplies_unchanged(kubectl: Kubectl) -> None:
    path = write(kubectl, "ssa-web")
    assert kubectl(f"apply --server-side -f {path}") == APPLIED.format("ssa-web")
    first = json.loads(kubectl("get deploy ssa-web -o json --show-managed-fields"))
    assert kubectl(f"apply --server-side -f {path}") == APPLIED.format("ssa-web")
    again = json.loads(kubectl("get deploy ssa-web -o json --show-managed-fields"))
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    entry = managers(again)[("kubectl", "Apply")]
    assert entry["apiVersion"] == "apps/v1" and entry["fieldsType"] == "FieldsV1"
    spec = entry["fieldsV1"]["f:spec"]
    assert spec["f:replicas"] == {} and spec["f:selector"] == {}
    container = spec["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']
    assert container == {".": {}, "f:image": {}, "f:name": {}}


def test_kubectl_server_side_apply_changes_and_removes_what_it_no_longer_applies(
    kubectl: Kubectl,
) -> None:
    path = kubectl.workdir / "ssa-labels.yaml"
    body = yaml.safe_load(DEPLOYMENT.format(name="ssa-labels", replicas=1, image="nginx:1.14"))
    body["metadata"]["labels"] = {"team": "a", "tier": "web"}
    path.write_text(yaml.safe_dump(body))
    kubectl(f"apply --server-side -f {path}")
    del body["metadata"]["labels"]["tier"]
    body["spec"]["replicas"] = 2
    path.write_text(yaml.safe_dump(body))
    kubectl(f"apply --server-side -f {path}")
    got = json.loads(kubectl("get deploy ssa-labels -o json"))
    assert got["metadata"]["labels"] == {"team": "a"}
    assert got["spec"]["replicas"] == 2
    assert "managedFields" not in got["metadata"]  # kubectl hides them unless asked


def test_kubectl_conflict_then_force_conflicts(kubectl: Kubectl) -> None:
    kubectl(f"create -f {write(kubectl, 'ssa-conflict', replicas=1)}")
    out = kubectl(
        f"apply --server-side -f {write(kubectl, 'ssa-conflict', replicas=3)}", check=False
    )
    assert (
        'error: Apply failed with 1 conflict: conflict with "kubectl-create" using apps/v1: '
        ".spec.replicas" in out
    )
    assert "--force-conflicts" in out  # kubectl's advice, given for a FieldManagerConflict
    assert json.loads(kubectl("get deploy ssa-conflict -o json"))["spec"]["replicas"] == 1
    path = write(kubectl, "ssa-conflict", replicas=3)
    done = kubectl(f"apply --server-side --force-conflicts -f {path}")
    assert done == "deployment.apps/ssa-conflict serverside-applied\n"
    got = json.loads(kubectl("get deploy ssa-conflict -o json --show-managed-fields"))
    assert got["spec"]["replicas"] == 3
    owners = managers(got)
    assert "f:replicas" in owners[("kubectl", "Apply")]["fieldsV1"]["f:spec"]
    assert "f:replicas" not in owners[("kubectl-create", "Update")]["fieldsV1"]["f:spec"]


def test_kubectl_server_side_apply_dry_run_changes_nothing(kubectl: Kubectl) -> None:
    kubectl(f"apply --server-side -f {write(kubectl, 'ssa-dry', replicas=1)}")
    before = json.loads(kubectl("get deploy ssa-dry -o json --show-managed-fields"))
    path = write(kubectl, "ssa-dry", replicas=4)
    out = kubectl(f"apply --server-side --dry-run=server -f {path}")
    assert out == "deployment.apps/ssa-dry serverside-applied (server dry run)\n"
    after = json.loads(kubectl("get deploy ssa-dry -o json --show-managed-fields"))
    assert _applied_state(after) == _applied_state(before) and after["spec"]["replicas"] == 1


def test_kubectl_server_side_apply_takes_over_from_client_side_apply(kubectl: Kubectl) -> None:
    kubectl(f"apply -f {write(kubectl, 'ssa-upgrade', replicas=1)}")
    path = write(kubectl, "ssa-upgrade", replicas=2)
    other = kubectl(f"apply --server-side --field-manager=other -f {path}", check=False)
    assert (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: '
        ".spec.replicas" in other
    )
    assert kubectl(f"apply --server-side -f {path}") == APPLIED.format("ssa-upgrade")
    got = json.loads(kubectl("get deploy ssa-upgrade -o json"))
    assert got["spec"]["replicas"] == 2
    last = json.loads(got["metadata"]["annotations"][LAST_APPLIED])
    assert last["spec"]["replicas"] == 2 and "annotations" not in last["metadata"]


def test_kubectl_create_and_client_side_apply_record_their_managers(kubectl: Kubectl) -> None:
    kubectl(f"apply -f {write(kubectl, 'ssa-csa')}")
    got = json.loads(kubectl("get deploy ssa-csa -o yaml --show-managed-fields -o json"))
    entry = managers(got)[("kubectl-client-side-apply", "Update")]
    assert entry["time"].endswith("Z") and "subresource" not in entry
    assert (
        "f:kubectl.kubernetes.io/last-applied-configuration"
        in (entry["fieldsV1"]["f:metadata"]["f:annotations"])
    )
    status = [e for e in got["metadata"]["managedFields"] if e.get("subresource") == "status"]
    assert status and status[0]["manager"] == "kube-controller-manager"
    assert set(status[0]["fieldsV1"]) == {"f:status"}
    assert kubectl(f"apply -f {kubectl.workdir / 'ssa-csa.yaml'}").endswith("unchanged\n")


def test_kubectl_get_shows_managed_fields_only_when_asked(kubectl: Kubectl) -> None:
    kubectl(f"create -f {write(kubectl, 'ssa-show')}")
    assert "managedFields" not in kubectl("get deploy ssa-show -o yaml")
    shown = kubectl("get deploy ssa-show -o yaml --show-managed-fields")
    assert "manager: kubectl-create" in shown and "operation: Update" in shown


def test_kubectl_server_side_apply_of_a_custom_resource(kubectl: Kubectl) -> None:
    crd = kubectl.workdir / "crd.yaml"
    crd.write_text(yaml.safe_dump(CRD))
    kubectl(f"apply --server-side -f {crd}")
    kubectl("wait --for condition=established crd/crontabs.stable.example.com --timeout=30s")
    path = kubectl.workdir / "ssa-ct.yaml"
    path.write_text(yaml.safe_dump(crontab("ssa-ct", image="cron:1")))
    assert kubectl(f"apply --server-side -f {path}") == (
        "crontab.stable.example.com/ssa-ct serverside-applied\n"
    )
    path.write_text(yaml.safe_dump(crontab("ssa-ct")))
    kubectl(f"apply --server-side -f {path}")
    got = json.loads(kubectl("get crontab ssa-ct -o json --show-managed-fields"))
    assert "image" not in got["spec"] and got["spec"]["replicas"] == 1  # pruned; defaulted
    assert managers(got)[("kubectl", "Apply")]["fieldsV1"] == {"f:spec": {"f:cronSpec": {}}}


# -- the official client --------------------------------------------------------------------------


def test_official_client_server_side_apply(served: Server) -> None:
    from kubernetes import dynamic

    with official_client(served) as api_client:
        configmaps = dynamic.DynamicClient(api_client).resources.get(
            api_version="v1", kind="ConfigMap"
        )
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "ssa-cm", "namespace": "default"},
            "data": {"a": "1"},
        }
        made = configmaps.server_side_apply(
            body=body, namespace="default", field_manager="my-manager"
        )
        assert made.data.a == "1"
        body["data"] = {"b": "2"}
        again = configmaps.patch(
            body=body,
            namespace="default",
            name="ssa-cm",
            content_type=APPLY,
            field_manager="my-manager",
        )
        assert dict(again.data) == {"b": "2"}  # "a" was its own, and it applies it no more
        entry = again.metadata.managedFields[0]
        assert (entry.manager, entry.operation) == ("my-manager", "Apply")
        assert entry.fieldsV1.to_dict() == {"f:data": {"f:b": {}}}


# -- raw answers ----------------------------------------------------------------------------------


CM = "/api/v1/namespaces/default/configmaps"


def test_apply_creates_with_201_and_updates_with_200(client: Client) -> None:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "raw"}, "data": {}}
    created = apply(client, f"{CM}/raw", config, fieldManager="m")
    assert created.status == 201, created
    assert managers(created.json)[("m", "Apply")]["fieldsV1"] == {"f:data": {}}
    again = apply(client, f"{CM}/raw", {**config, "data": {"x": "1"}}, fieldManager="m")
    assert again.status == 200 and again.json["data"] == {"x": "1"}


def test_apply_without_field_manager_is_the_422(client: Client) -> None:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nomgr"}}
    reply = apply(client, f"{CM}/nomgr", config)
    assert reply.status == 422
    assert reply.json["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for '
        "apply patch"
    )
    assert client.get(f"{CM}/nomgr").status == 404


def test_bad_apply_bodies_are_400s_that_change_nothing(client: Client) -> None:
    name = f"{CM}/bad"
    cases = {
        "a: [": "error decoding YAML: ",
        "- 1\n": "error decoding YAML: json: cannot unmarshal array into Go value of type "
        "map[string]interface {}",
        "apiVersion: v2\nkind: ConfigMap\nmetadata: {name: bad}\n": (
            "Incorrect version specified in apply patch. Specified patch version: v2, expected: v1"
        ),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n": (
            "the name of the object (other) does not match the name on the URL (bad)"
        ),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, managedFields: []}\n": (
            "metadata.managedFields must be nil"
        ),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\nspec: {}\n": (
            "failed to create typed patch object (default/bad; /v1, Kind=ConfigMap): .spec: "
            "field not declared in schema"
        ),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {a: 1}\n": (
            "failed to create typed patch object (default/bad; /v1, Kind=ConfigMap): .data.a: "
            "expected string, got &value.valueUnstructured{Value:1}"
        ),
    }
    for text, message in cases.items():
        reply = apply(client, name, text, fieldManager="m")
        assert reply.status == 400, (text, reply)
        assert reply.json["message"].startswith(message), (text, reply.json["message"])
    assert client.get(name).status == 404


def test_conflict_is_the_409_with_field_manager_causes(client: Client) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "owned"},
        "data": {"a": "1", "b": "1"},
    }
    assert apply(client, f"{CM}/owned", config, fieldManager="first").status == 201
    before = client.get(f"{CM}/owned").json
    changed = {**config, "data": {"a": "2", "b": "2"}}
    reply = apply(client, f"{CM}/owned", changed, fieldManager="second")
    assert reply.status == 409
    assert reply.json["reason"] == "Conflict"
    assert reply.json["message"] == (
        'Apply failed with 2 conflicts: conflicts with "first":\n- .data.a\n- .data.b'
    )
    assert reply.json["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "first"', "field": ".data.a"},
        {"reason": "FieldManagerConflict", "message": 'conflict with "first"', "field": ".data.b"},
    ]
    assert client.get(f"{CM}/owned").json == before
    same = apply(client, f"{CM}/owned", config, fieldManager="second")
    assert same.status == 200  # the same values: shared ownership, no conflict
    forced = apply(client, f"{CM}/owned", changed, fieldManager="second", force="true")
    assert forced.status == 200 and forced.json["data"] == {"a": "2", "b": "2"}
    assert ("first", "Apply") not in managers(forced.json)


def test_update_entries_name_the_field_manager_or_the_user_agent(client: Client) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "agent"}, "data": {}}
    made = client.post(CM, body, headers={"User-Agent": "my-tool/1.0 (linux)"})
    assert [(e["manager"], e["operation"]) for e in made.json["metadata"]["managedFields"]] == [
        ("my-tool", "Update")
    ]
    patched = client.request(
        "PATCH",
        f"{CM}/agent?fieldManager=patcher",
        {"data": {"k": "v"}},
        content_type="application/merge-patch+json",
    )
    entry = managers(patched.json)[("patcher", "Update")]
    assert entry["fieldsV1"] == {"f:data": {"f:k": {}}}
    plain = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bare"}}
    assert "managedFields" not in client.post(CM, plain).json["metadata"]  # nothing it owns


def test_force_on_a_non_apply_patch_is_the_422(client: Client) -> None:
    client.post(CM, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "noforce"}})
    reply = client.request(
        "PATCH",
        f"{CM}/noforce?force=true",
        {"data": {"k": "v"}},
        content_type="application/merge-patch+json",
    )
    assert reply.status == 422
    assert reply.json["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for '
        "non-apply patch"
    )


def test_an_apply_patch_in_cbor_is_the_415(client: Client) -> None:
    reply = client.request(
        "PATCH",
        f"{CM}/cbor?fieldManager=m",
        raw=b"\xa0",
        content_type="application/apply-patch+cbor",
    )
    assert reply.status == 415
    assert reply.json["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
        "application/strategic-merge-patch+json"
    )


def _mutations(value: Any, rng: random.Random) -> Any:
    """`value` with one node replaced by a value of another kind (or removed)."""
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(sorted(value))
        out = dict(value)
        if rng.random() < 0.2:
            del out[key]
        else:
            out[key] = _mutations(value[key], rng)
        return out
    if isinstance(value, list) and value and rng.random() < 0.7:
        i = rng.randrange(len(value))
        return [*value[:i], _mutations(value[i], rng), *value[i + 1 :]]
    return rng.choice([None, 0, -1, 1.5, True, "", "x", [], {}, [1], {"k": "v"}, "5Gi"])


def _applied_state(obj: dict[str, Any]) -> Any:
    """What an apply may change (the controller writes status meanwhile)."""
    meta = obj["metadata"]
    entries = [e for e in meta.get("managedFields") or [] if not e.get("subresource")]
    return obj["spec"], meta.get("labels"), meta.get("annotations"), entries


def test_mutated_apply_bodies_get_no_5xx_and_refusals_change_nothing(client: Client) -> None:
    path = "/apis/apps/v1/namespaces/default/deployments/fuzzed"
    base = yaml.safe_load(DEPLOYMENT.format(name="fuzzed", replicas=1, image="nginx"))
    assert apply(client, path, base, fieldManager="fuzz").status == 201
    rng = random.Random(7)
    for case in range(150):
        before = client.get(path).json
        body = _mutations(base, rng)
        manager = rng.choice(["fuzz", "other"])
        reply = apply(client, path, body, fieldManager=manager, force=rng.choice(["true", "false"]))
        assert reply.status < 500, (case, body, reply)
        assert isinstance(reply.json, dict), (case, reply)
        if reply.status >= 400:
            after = client.get(path).json
            assert _applied_state(after) == _applied_state(before), (case, body, reply)
        elif reply.json.get("metadata", {}).get("name") != "fuzzed":
            raise AssertionError((case, body, reply))


def test_a_bodys_managed_fields_replace_the_stored_ones(client: Client) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "odd"}, "data": {}}
    made = client.post(CM, body, headers={"User-Agent": "maker/1"}).json
    made["metadata"]["managedFields"] = [
        {"manager": "x", "operation": "Update", "fieldsV1": {"f:data": {"k:not-json": {}}}}
    ]
    made["data"] = {"k": "v"}
    reply = client.request("PUT", f"{CM}/odd", made, headers={"User-Agent": "editor/1"})
    assert reply.status == 200, reply
    found = {e["manager"]: e["fieldsV1"] for e in reply.json["metadata"]["managedFields"]}
    assert found == {"editor": {"f:data": {"f:k": {}}}}  # the body's entry, its key unreadable
