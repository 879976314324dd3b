"""The scale subresource over the served API: a ReplicationController's or ReplicaSet's Scale, and
scaling it by PATCH or PUT as `kubectl scale` does, with kube-apiserver's errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import replication_controller
from tests.served import Client, wait_until

RCS = "/api/v1/namespaces/default/replicationcontrollers"
RSS = "/apis/apps/v1/namespaces/default/replicasets"


def pods_of(client: Client, name: str) -> int:
    return len(
        client.get(f"/api/v1/namespaces/default/pods?labelSelector=app={name}").json["items"]
    )


def test_the_scale_of_a_controller_is_an_autoscaling_v1_scale(client: Client) -> None:
    client.post(RCS, replication_controller("shown", 2))
    assert wait_until(
        lambda: client.get(f"{RCS}/shown").json.get("status", {}).get("readyReplicas") == 2,
        timeout=20,
    )
    meta = client.get(f"{RCS}/shown").json["metadata"]
    scale = client.get(f"{RCS}/shown/scale").json
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["metadata"] == {
        k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
    }
    assert scale["spec"] == {"replicas": 2} and scale["status"]["selector"] == "app=shown"


def test_a_merge_patch_of_the_scale_scales_the_controller_and_its_pods_follow(
    client: Client,
) -> None:
    client.post(RCS, replication_controller("scaled", 1))
    reply = client.request(
        "PATCH",
        f"{RCS}/scaled/scale",
        {"spec": {"replicas": 3}},
        content_type="application/merge-patch+json",
    )
    assert reply.status == 200 and reply.json["spec"]["replicas"] == 3
    assert client.get(f"{RCS}/scaled").json["spec"]["replicas"] == 3
    assert wait_until(lambda: pods_of(client, "scaled") == 3, timeout=20)
    patch = [{"op": "replace", "path": "/spec/replicas", "value": 1}]
    assert (
        client.request(
            "PATCH", f"{RCS}/scaled/scale", patch, content_type="application/json-patch+json"
        ).json["spec"]["replicas"]
        == 1
    )
    assert wait_until(lambda: pods_of(client, "scaled") == 1, timeout=20)


def test_a_put_with_a_stale_resource_version_is_a_conflict(client: Client) -> None:
    client.post(RCS, replication_controller("raced", 1))
    scale = client.get(f"{RCS}/raced/scale").json
    assert (
        client.request("PUT", f"{RCS}/raced/scale", {**scale, "spec": {"replicas": 2}}).status
        == 200
    )
    stale = client.request("PUT", f"{RCS}/raced/scale", {**scale, "spec": {"replicas": 5}})
    assert stale.status == 409 and stale.json["reason"] == "Conflict"
    assert client.get(f"{RCS}/raced").json["spec"]["replicas"] == 2


def test_a_replica_set_has_a_scale_too(client: Client) -> None:
    body = replication_controller("set", 1)
    body.update(apiVersion="apps/v1", kind="ReplicaSet")
    body["spec"]["selector"] = {"matchLabels": {"app": "set"}}
    assert client.post(RSS, body).status == 201
    reply = client.request(
        "PATCH",
        f"{RSS}/set/scale",
        {"spec": {"replicas": 2}},
        content_type="application/strategic-merge-patch+json",
    )
    assert (reply.json["spec"]["replicas"], reply.json["status"]["selector"]) == (2, "app=set")


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "message"),
    [
        (
            "PATCH",
            "bad/scale",
            {"spec": {"replicas": -1}},
            422,
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        ),
        (
            "PATCH",
            "bad/scale",
            {"spec": {"replicas": "3"}},
            422,
            "json: cannot unmarshal string into Go struct field ScaleSpec.spec.replicas of type "
            "int32",
        ),
        (
            "PATCH",
            "nosuch/scale",
            {"spec": {"replicas": 1}},
            404,
            'replicationcontrollers "nosuch" not found',
        ),
        (
            "DELETE",
            "bad/scale",
            None,
            405,
            "the server does not allow this method on the requested resource",
        ),
    ],
)
def test_what_cannot_scale_is_kube_apiservers_status(
    client: Client, method: str, path: str, body: Any, code: int, message: str
) -> None:
    client.post(RCS, replication_controller("bad", 1))
    reply = client.request(
        method, f"{RCS}/{path}", body, content_type="application/merge-patch+json"
    )
    assert reply.status == code and message in reply.json["message"], reply
