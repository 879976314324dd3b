"""kubectl's typed commands, which send protobuf (`kubectl create namespace|serviceaccount|service|
priorityclass`), and client-side apply, with the real kubectl (v1.32) against `listwatch serve`."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from listwatch.engine import Engine
from tests.served import serving
from tests.server.test_kubectl import KUBECTL, Kubectl, table

pytestmark = pytest.mark.skipif(not os.access(KUBECTL, os.X_OK), reason="kubectl is not installed")

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: applied
  labels:
    app: web
spec:
  containers:
  - name: nginx
    image: nginx:1.14
    ports:
    - containerPort: 80
    env:
    - name: MODE
      value: demo
"""


@pytest.fixture(scope="module")
def kubectl(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    with serving(engine) as server:
        yield Kubectl(server, tmp_path_factory.mktemp("typed"))


def test_kubectl_create_namespace_creates_it_in_protobuf(kubectl: Kubectl) -> None:
    assert kubectl("create namespace dev") == "namespace/dev created\n"
    row = {r["NAME"]: r for r in table(kubectl("get namespaces"))}["dev"]
    assert row["STATUS"] == "Active"
    assert kubectl("get namespace dev -o jsonpath={.spec.finalizers}") == '["kubernetes"]'


def test_kubectl_create_negotiates_protobuf_both_ways(kubectl: Kubectl) -> None:
    output = kubectl("create namespace staging -v=8", check=False)
    request, _, response = output.partition("Response Status:")
    assert "Content-Type: application/vnd.kubernetes.protobuf" in request
    assert "Accept: application/vnd.kubernetes.protobuf,application/json" in request
    assert "201 Created" in response
    assert "Content-Type: application/vnd.kubernetes.protobuf" in response


def test_kubectl_create_serviceaccount_and_service_clusterip(kubectl: Kubectl) -> None:
    kubectl("create namespace ci")
    assert kubectl("create serviceaccount builder -n ci") == "serviceaccount/builder created\n"
    assert kubectl("get sa builder -n ci -o jsonpath={.metadata.name}") == "builder"
    assert kubectl("create service clusterip web --tcp=80:8080") == "service/web created\n"
    spec = kubectl("get service web -o jsonpath={.spec.ports[0].port}/{.spec.ports[0].targetPort}")
    assert spec == "80/8080"
    assert kubectl("get service web -o jsonpath={.spec.selector}") == '{"app":"web"}'


def test_kubectl_create_priorityclass_sends_its_value_in_protobuf(kubectl: Kubectl) -> None:
    assert kubectl("create priorityclass high --value=1000 --description=urgent") == (
        "priorityclass.scheduling.k8s.io/high created\n"
    )
    row = {r["NAME"]: r for r in table(kubectl("get pc"))}["high"]
    assert (row["VALUE"], row["GLOBAL-DEFAULT"]) == ("1000", "false")


def test_a_typed_create_that_the_server_refuses_prints_its_status(kubectl: Kubectl) -> None:
    output = kubectl("create namespace Bad_Name", check=False)
    assert output.startswith('The Namespace "Bad_Name" is invalid: metadata.name: Invalid value')


def test_kubectl_apply_twice_of_an_unchanged_file_is_unchanged_and_sends_no_patch(
    kubectl: Kubectl,
) -> None:
    (kubectl.workdir / "pod.yaml").write_text(POD)
    assert kubectl("apply -f pod.yaml") == "pod/applied created\n"
    again = kubectl("apply -f pod.yaml -v=6", check=False)
    assert "pod/applied unchanged" in again
    assert "PATCH" not in again
    (kubectl.workdir / "pod.yaml").write_text(POD.replace("app: web", "app: shop"))
    changed = kubectl("apply -f pod.yaml -v=6", check=False)
    assert "pod/applied configured" in changed and "PATCH" in changed
    assert kubectl("get pod applied -o jsonpath={.metadata.labels.app}") == "shop"
