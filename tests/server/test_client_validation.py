"""Validation and messages as kube-apiserver v1.32 gives them, through the official Python client:
bindings, the node field set's booleans, omitempty fields, a failed JSON-patch `test`. Every
refusal leaves the cluster as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import official_client, serving

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[Server]:
    with serving(engine, without=("scheduler",)) as served:
        yield served


@pytest.fixture(scope="module")
def v1(server: Server) -> Iterator[Any]:
    with official_client(server) as api_client:
        yield client.CoreV1Api(api_client)


@pytest.fixture(scope="module")
def unbound(v1: Any) -> str:
    v1.create_namespaced_pod(
        "default",
        client.V1Pod(
            metadata=client.V1ObjectMeta(name="unbound"),
            spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox:1.36")]),
        ),
    )
    return "unbound"


def refusal(call: Any, *args: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(ApiException) as refused:
        call(*args, **kwargs)
    return refused.value.status, json.loads(refused.value.body)


def binding(name: str, **target: str) -> Any:
    return client.V1Binding(
        metadata=client.V1ObjectMeta(name=name),
        target=client.V1ObjectReference(**{"kind": "Node", "name": "node01", **target}),
    )


def test_a_binding_to_something_other_than_a_node_is_refused_with_v1_32s_text(
    v1: Any, unbound: str
) -> None:
    before = v1.read_namespaced_pod(unbound, "default").metadata.resource_version
    for bind in (v1.create_namespaced_pod_binding, None):
        if bind is None:  # the older bindings collection: the pod's name is the body's
            status, body = refusal(
                v1.create_namespaced_binding, "default", binding(unbound, kind="Pod")
            )
        else:
            status, body = refusal(bind, unbound, "default", binding(unbound, kind="Pod"))
        # ValidatePodBinding's errors (v1.32 answers them with a 500; listwatch never does).
        assert (status, body["reason"]) == (422, "Invalid"), body
        assert body["message"] == (
            f'Binding "{unbound}" is invalid: target.kind: Unsupported value: "Pod": supported '
            'values: "Node", "<empty>"'
        )
    assert v1.read_namespaced_pod(unbound, "default").metadata.resource_version == before


def test_a_binding_whose_name_is_not_the_urls_is_a_400(v1: Any, unbound: str) -> None:
    status, body = refusal(v1.create_namespaced_pod_binding, unbound, "default", binding("other"))
    assert (status, body["reason"]) == (400, "BadRequest")
    assert body["message"] == "name in URL does not match name in Binding object"
    assert v1.read_namespaced_pod(unbound, "default").spec.node_name is None


def test_a_binding_of_a_pod_that_is_not_there_is_a_404_on_pods(v1: Any) -> None:
    status, body = refusal(v1.create_namespaced_pod_binding, "ghost", "default", binding("ghost"))
    assert status == 404 and body["message"] == 'pods "ghost" not found'
    assert body["details"] == {"name": "ghost", "kind": "pods"}


def test_a_failed_json_patch_test_is_kube_apiservers_generic_422(v1: Any, unbound: str) -> None:
    before = v1.read_namespaced_pod(unbound, "default").metadata.resource_version
    ops = [{"op": "test", "path": "/spec/containers/0/image", "value": 1}]
    with pytest.raises(ApiException) as refused:
        v1.patch_namespaced_pod(
            unbound, "default", ops, _content_type="application/json-patch+json"
        )
    body = json.loads(refused.value.body)
    assert refused.value.status == 422 and body["reason"] == "Invalid"
    assert body["message"] == "the server rejected our request due to an error in our request"
    assert body["details"] == {}  # no Python exception text (`1 (int) is not equal to ...`)
    assert v1.read_namespaced_pod(unbound, "default").metadata.resource_version == before


def test_spec_unschedulable_false_selects_the_nodes_that_never_set_it(v1: Any) -> None:
    def selected(value: str) -> list[str]:
        listed = v1.list_node(field_selector=f"spec.unschedulable={value}")
        return sorted(n.metadata.name for n in listed.items)

    assert selected("false") == ["node01", "node02"] and selected("true") == []
    v1.patch_node("node01", {"spec": {"unschedulable": True}})
    try:
        assert selected("false") == ["node02"] and selected("true") == ["node01"]
    finally:
        v1.patch_node("node01", {"spec": {"unschedulable": False}})
    assert selected("false") == ["node01", "node02"]


def test_spec_unschedulable_false_is_not_stored(v1: Any) -> None:
    """The field is omitempty: a real server answers a node uncordoned with `false` without it."""
    v1.patch_node("node02", {"spec": {"unschedulable": False}})
    node = json.loads(v1.read_node("node02", _preload_content=False).data)
    assert "unschedulable" not in node["spec"]
