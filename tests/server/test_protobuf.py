"""The protobuf codec (`server.protobuf`), and the served API speaking it: bodies decoded as the
JSON path decodes them, answers and watch streams in protobuf when the Accept header prefers it,
and a bad body answered 400 as kube-apiserver answers it (never 500)."""

from __future__ import annotations

import json
import random
import re
import struct
from typing import Any

import pytest

from listwatch.server import Server, protobuf
from tests.served import Client, pod, wait_until

PROTOBUF = "application/vnd.kubernetes.protobuf"
KUBECTL_ACCEPT = "application/vnd.kubernetes.protobuf,application/json"

POD: dict[str, Any] = {
    "kind": "Pod",
    "apiVersion": "v1",
    "metadata": {
        "name": "web",
        "namespace": "default",
        "uid": "0b1c",
        "resourceVersion": "12",
        "creationTimestamp": "2024-05-06T07:08:09Z",
        "deletionTimestamp": "2024-05-06T07:09:09Z",
        "deletionGracePeriodSeconds": 0,
        "labels": {"app": "web"},
        "ownerReferences": [
            {
                "apiVersion": "v1",
                "kind": "ReplicationController",
                "name": "rc",
                "uid": "9",
                "controller": True,
            }
        ],
        "managedFields": [
            {
                "manager": "kubectl",
                "operation": "Update",
                "apiVersion": "v1",
                "time": "2024-05-06T07:08:09Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}},
            }
        ],
    },
    "spec": {
        "containers": [
            {
                "name": "nginx",
                "image": "nginx:1.14",
                "command": ["nginx", "-g", "daemon off;"],
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
                "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5},
                "livenessProbe": {"tcpSocket": {"port": "http"}},
            }
        ],
        "nodeName": "node01",
        "terminationGracePeriodSeconds": 30,
        "priority": -5,
        "tolerations": [{"key": "k", "operator": "Exists", "tolerationSeconds": 300}],
    },
    "status": {
        "phase": "Running",
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-06T07:08:10Z"}
        ],
        "containerStatuses": [
            {
                "name": "nginx",
                "ready": True,
                "restartCount": 0,
                "image": "nginx:1.14",
                "imageID": "",
                "state": {"running": {"startedAt": "2024-05-06T07:08:10Z"}},
            }
        ],
    },
}
NODE: dict[str, Any] = {
    "kind": "Node",
    "apiVersion": "v1",
    "metadata": {"name": "node01", "labels": {"kubernetes.io/hostname": "node01"}},
    "spec": {"podCIDR": "10.244.1.0/24", "taints": [{"key": "k", "effect": "NoSchedule"}]},
    "status": {
        "capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
        "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
        "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}],
        "nodeInfo": {
            "kubeletVersion": "v1.32.0",
            "machineID": "",
            "systemUUID": "",
            "bootID": "",
            "kernelVersion": "",
            "osImage": "",
            "operatingSystem": "linux",
            "architecture": "amd64",
            "containerRuntimeVersion": "",
            "kubeProxyVersion": "",
        },
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "lastHeartbeatTime": "2024-05-06T07:08:09Z",
                "lastTransitionTime": "2024-05-06T07:00:00Z",
            }
        ],
    },
}
STATUS: dict[str, Any] = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": 'pods "x" not found',
    "reason": "NotFound",
    "details": {"name": "x", "kind": "pods", "causes": [{"field": "f", "message": "m"}]},
    "code": 404,
}
EVENT: dict[str, Any] = {
    "kind": "Event",
    "apiVersion": "events.k8s.io/v1",
    "metadata": {"name": "web.17c", "namespace": "default"},
    "eventTime": "2024-05-06T07:08:09.123456Z",
    "reportingController": "default-scheduler",
    "reportingInstance": "default-scheduler-node01",
    "action": "Binding",
    "reason": "Scheduled",
    "regarding": {"kind": "Pod", "namespace": "default", "name": "web", "uid": "0b1c"},
    "note": "Successfully assigned default/web to node01",
    "type": "Normal",
    "series": {"count": 2, "lastObservedTime": "2024-05-06T07:08:19.000001Z"},
}
CORE_EVENT: dict[str, Any] = {
    "kind": "Event",
    "apiVersion": "v1",
    "metadata": {"name": "web.17c", "namespace": "default"},
    "involvedObject": {"kind": "Pod", "name": "web"},
    "reason": "Pulled",
    "message": "Container image already present",
    "source": {"component": "kubelet", "host": "node01"},
    "firstTimestamp": "2024-05-06T07:08:09Z",
    "lastTimestamp": "2024-05-06T07:08:09Z",
    "count": 1,
    "type": "Normal",
    "eventTime": None,
    "reportingComponent": "kubelet",
    "reportingInstance": "node01",
}


@pytest.mark.parametrize("obj", [POD, NODE, STATUS, EVENT], ids=["pod", "node", "status", "event"])
def test_an_object_round_trips_through_protobuf(obj: dict[str, Any]) -> None:
    body = protobuf.encode(obj)
    assert body.startswith(b"k8s\x00")
    assert protobuf.decode(body) == obj


def test_a_core_events_null_event_time_is_the_zero_time_json_writes_null_for() -> None:
    body = protobuf.encode(CORE_EVENT)
    assert protobuf.decode(body) == CORE_EVENT
    without = {k: v for k, v in CORE_EVENT.items() if k != "eventTime"}
    assert protobuf.decode(protobuf.encode(without)) == without


def test_a_list_round_trips_with_items_without_kind() -> None:
    items = [{k: v for k, v in POD.items() if k not in ("kind", "apiVersion")}]
    listed = {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": "12"},
        "items": items,
    }
    assert protobuf.decode(protobuf.encode(listed)) == listed


def test_special_types_take_their_json_forms() -> None:
    decoded = protobuf.decode(protobuf.encode(POD))
    container = decoded["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["port"] == 80  # IntOrString, a number
    assert container["livenessProbe"]["tcpSocket"]["port"] == "http"  # and a name
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "128Mi"}  # Quantity
    assert decoded["spec"]["priority"] == -5  # a negative int32 (ten-byte varint)
    assert decoded["metadata"]["deletionGracePeriodSeconds"] == 0  # a pointer's zero is kept
    microtime = protobuf.decode(protobuf.encode(EVENT))["series"]["lastObservedTime"]
    assert microtime == "2024-05-06T07:08:19.000001Z"


def test_bytes_are_base64_in_json_and_raw_on_the_wire() -> None:
    secret = {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"name": "s"},
        "data": {"k": "aGVsbG8="},
        "type": "Opaque",
    }
    body = protobuf.encode(secret)
    assert b"hello" in body and b"aGVsbG8=" not in body
    assert protobuf.decode(body) == secret


def test_go_durations_are_written_as_go_writes_them() -> None:
    for text, nanos in (
        ("0s", 0),
        ("1h0m0s", 3600 * 10**9),
        ("1m30s", 90 * 10**9),
        ("1.5s", 1_500_000_000),
        ("300ms", 300_000_000),
        ("-2s", -2 * 10**9),
    ):
        assert protobuf.format_duration(nanos) == text
        assert protobuf.parse_duration(text) == nanos


def test_a_zero_value_go_omits_is_left_out_and_one_it_writes_is_kept() -> None:
    # What kubectl sends for `create namespace dev`: the non-pointer fields written as zeros.
    meta = (
        protobuf._string_field(1, "dev")
        + protobuf._string_field(2, "")
        + protobuf._int_field(7, 0)
        + protobuf._length_field(8, b"")
    )
    raw = protobuf._length_field(1, meta) + protobuf._length_field(2, b"")
    body = (
        protobuf.MAGIC
        + protobuf._length_field(
            1, protobuf._string_field(1, "v1") + protobuf._string_field(2, "Namespace")
        )
        + protobuf._length_field(2, raw)
    )
    assert protobuf.decode(body) == {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": "dev", "creationTimestamp": None},  # as JSON writes it: null
        "spec": {},
    }


def test_watch_frames_are_length_prefixed_watch_events_of_whole_objects() -> None:
    frames = protobuf.watch_frame("ADDED", POD) + protobuf.watch_frame("ERROR", STATUS)
    (size,) = struct.unpack(">I", frames[:4])
    assert frames[4 + size :].startswith(struct.pack(">I", len(frames) - 8 - size))
    assert list(protobuf.read_watch_frames(frames)) == [("ADDED", POD), ("ERROR", STATUS)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty data"),
        (
            b'{"kind":"Pod"}',
            "provided data does not appear to be a protobuf message, expected prefix "
            "[107 56 115 0]",
        ),
        (protobuf.encode(POD)[:-7], "unexpected EOF"),
        (protobuf.MAGIC + b"\x00", "proto: Unknown: illegal tag 0 (wire type 0)"),
    ],
    ids=["empty", "magic", "truncated", "tag"],
)
def test_a_bad_body_is_a_decode_error_worded_as_go_words_it(body: bytes, message: str) -> None:
    with pytest.raises(protobuf.DecodeError, match=re.escape(message)):
        protobuf.decode(body)


def test_any_corruption_of_a_body_is_a_decode_error_or_a_value() -> None:
    body = protobuf.encode(POD)
    rng = random.Random(15)
    for _ in range(400):
        mutated = bytearray(body)
        for _ in range(rng.randint(1, 4)):
            mutated[rng.randrange(4, len(mutated))] = rng.randrange(256)
        try:
            value = protobuf.decode(bytes(mutated))
        except protobuf.DecodeError:
            continue
        json.dumps(value)  # whatever decodes is plain JSON data


# -- served -----------------------------------------------------------------------------------

PODS = "/api/v1/namespaces/default/pods"


def _post(client: Client, path: str, body: bytes, accept: str = KUBECTL_ACCEPT) -> Any:
    return client.request("POST", path, raw=body, content_type=PROTOBUF, headers={"Accept": accept})


def test_a_protobuf_create_is_answered_in_protobuf_and_stored_as_json_would_be(
    client: Client,
) -> None:
    reply = _post(client, PODS, protobuf.encode(pod("pb-created", node="node01")))
    assert reply.status == 201, reply
    assert reply.headers["content-type"] == PROTOBUF
    created = protobuf.decode(reply.raw)
    stored = client.get(f"{PODS}/pb-created").json
    assert created["metadata"]["uid"] == stored["metadata"]["uid"]
    assert created["metadata"]["labels"] == stored["metadata"]["labels"] == {"app": "nginx"}
    assert created["spec"] == stored["spec"]  # defaulted as a JSON body is


@pytest.fixture(scope="module")
def scheduled(server: Server) -> None:
    """A pod bound and started, so that pods, nodes and events have something to list."""
    client = Client(server)
    assert client.post(PODS, pod("pb-listed")).status == 201
    assert wait_until(lambda: len(client.get("/api/v1/events").json["items"]) >= 3)


@pytest.mark.parametrize(
    "path",
    [
        PODS,
        "/api/v1/nodes",
        "/api/v1/namespaces",
        "/api/v1/events",
        "/apis/events.k8s.io/v1/events",
        "/apis/scheduling.k8s.io/v1/priorityclasses",
        "/api/v1/namespaces/default/pods/no-such-pod",
        "/api/v1/namespaces/default/pods/pb-listed",
    ],
)
def test_what_the_server_sends_is_the_same_in_protobuf_and_json(
    client: Client, path: str, scheduled: None
) -> None:
    as_protobuf = client.get(path, headers={"Accept": KUBECTL_ACCEPT})
    as_json = client.get(path)
    assert as_protobuf.headers["content-type"] == PROTOBUF
    assert as_protobuf.status == as_json.status
    decoded = protobuf.decode(as_protobuf.raw)
    if not decoded["kind"].endswith("List"):
        assert decoded == as_json.json
        return
    # The list may change between the two reads: the items unchanged in between are the same.
    assert decoded["kind"] == as_json.json["kind"]
    by_uid = {item["metadata"]["uid"]: item for item in as_json.json["items"]}
    same = [
        item
        for item in decoded["items"]
        if by_uid.get(item["metadata"]["uid"], {}).get("metadata", {}).get("resourceVersion")
        == item["metadata"]["resourceVersion"]
    ]
    assert same
    for item in same:
        assert item == by_uid[item["metadata"]["uid"]]


def test_json_first_or_a_table_is_answered_in_json(client: Client) -> None:
    reply = client.get(PODS, headers={"Accept": f"application/json,{PROTOBUF}"})
    assert reply.headers["content-type"] == "application/json" and reply.json["kind"] == "PodList"
    table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    assert client.get(PODS, headers={"Accept": f"{table},{PROTOBUF}"}).json["kind"] == "Table"


def test_a_watch_in_protobuf_sends_length_prefixed_watch_events(client: Client) -> None:
    conn = client.connection()
    try:
        conn.request(
            "GET",
            f"{PODS}?watch=true&timeoutSeconds=5",
            headers={"Authorization": f"Bearer {client.token}", "Accept": KUBECTL_ACCEPT},
        )
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("content-type") == f"{PROTOBUF};stream=watch"
        assert _post(client, PODS, protobuf.encode(pod("pb-watched"))).status == 201
        seen: list[tuple[str, str]] = []
        while ("ADDED", "pb-watched") not in seen:
            (size,) = struct.unpack(">I", response.read(4))
            frame = struct.pack(">I", size) + response.read(size)
            [(kind, obj)] = protobuf.read_watch_frames(frame)
            assert obj["kind"] == "Pod" and obj["apiVersion"] == "v1"
            seen.append((kind, obj["metadata"]["name"]))
    finally:
        conn.close()


def _unknown(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = protobuf._string_field(1, api_version) + protobuf._string_field(2, kind)
    return protobuf.MAGIC + protobuf._length_field(1, type_meta) + protobuf._length_field(2, raw)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            protobuf.encode(pod("pb-cut"))[:20],
            "the object provided is unrecognized (must be of type Pod): unexpected EOF "
            "(6b3873000a090a0276311203506f64122f0a160a)",
        ),
        (
            json.dumps(pod("pb-json")).encode(),
            "the object provided is unrecognized (must be of type Pod): provided data does not "
            "appear to be a protobuf message, expected prefix [107 56 115 0] "
            '({"apiVersion": "v1", "kind": " ...)',
        ),
        (
            _unknown("v1", "Pod", b"\x0a\x05\x0a\x03abcdef"[:6]),
            'Pod in version "v1" cannot be handled as a Pod: unexpected EOF',
        ),
        (
            _unknown("v1", "Widget", b""),
            'Widget in version "v1" cannot be handled as a Pod: no kind "Widget" is registered '
            'for version "v1" in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"',
        ),
        (
            protobuf.encode({"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n"}}),
            'Node in version "v1" cannot be handled as a Pod: the kind does not match the '
            "resource (pods)",
        ),
    ],
    ids=["truncated", "not-protobuf", "truncated-object", "unknown-kind", "wrong-kind"],
)
def test_a_bad_protobuf_body_is_a_400_like_kube_apiservers(
    client: Client, body: bytes, message: str
) -> None:
    reply = _post(client, PODS, body, accept="application/json")
    assert (reply.status, reply.json["reason"], reply.json["message"]) == (
        400,
        "BadRequest",
        message,
    )


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [("image", "", 422), ("resources", {"limits": {"cpu": "lots"}}, 400)],
    ids=["invalid", "undecodable"],
)
def test_a_protobuf_body_with_a_bad_value_gets_the_json_paths_answer(
    client: Client, field: str, value: Any, status: int
) -> None:
    bad = pod("pb-bad")
    bad["spec"]["containers"][0][field] = value
    as_protobuf = _post(client, PODS, protobuf.encode(bad), accept="application/json")
    as_json = client.post(PODS, bad)
    assert as_protobuf.status == as_json.status == status
    assert as_protobuf.json == as_json.json


def test_random_corruptions_of_a_protobuf_body_are_never_a_500(client: Client) -> None:
    body = protobuf.encode(pod("pb-fuzz"))
    rng = random.Random(32)
    for i in range(40):
        mutated = bytearray(body)
        for _ in range(rng.randint(1, 3)):
            mutated[rng.randrange(4, len(mutated))] = rng.randrange(256)
        reply = _post(client, PODS, bytes(mutated), accept="application/json")
        assert reply.status < 500, (i, reply)


def test_a_protobuf_patch_is_415(client: Client) -> None:
    reply = client.request(
        "PATCH", "/api/v1/nodes/node01", raw=protobuf.encode(NODE), content_type=PROTOBUF
    )
    assert reply.status == 415 and reply.json["reason"] == "UnsupportedMediaType"


def test_a_protobuf_update_is_read_and_answered_in_protobuf(client: Client) -> None:
    assert client.post(PODS, pod("pb-updated", node="node01")).status == 201
    current = client.get(f"{PODS}/pb-updated").json
    current["metadata"]["labels"]["tier"] = "front"
    reply = client.request(
        "PUT",
        f"{PODS}/pb-updated",
        raw=protobuf.encode(current),
        content_type=PROTOBUF,
        headers={"Accept": KUBECTL_ACCEPT},
    )
    assert reply.status == 200, reply
    assert protobuf.decode(reply.raw)["metadata"]["labels"]["tier"] == "front"
    assert client.get(f"{PODS}/pb-updated").json["metadata"]["labels"]["tier"] == "front"


def test_a_protobuf_watch_of_a_converted_kind_sends_it_in_its_served_version(
    client: Client, scheduled: None
) -> None:
    conn = client.connection()
    try:
        conn.request(
            "GET",
            "/apis/events.k8s.io/v1/events?watch=true&resourceVersion=0&timeoutSeconds=5",
            headers={"Authorization": f"Bearer {client.token}", "Accept": KUBECTL_ACCEPT},
        )
        response = conn.getresponse()
        (size,) = struct.unpack(">I", response.read(4))
        [(kind, obj)] = protobuf.read_watch_frames(struct.pack(">I", size) + response.read(size))
    finally:
        conn.close()
    assert (kind, obj["kind"], obj["apiVersion"]) == ("ADDED", "Event", "events.k8s.io/v1")
    assert obj["regarding"]["kind"] and obj["reason"]


def test_a_body_in_a_format_not_read_is_415_naming_json_and_protobuf(client: Client) -> None:
    reply = client.request("POST", PODS, raw=b"kind: Pod\n", content_type="text/plain")
    assert (reply.status, reply.json["message"]) == (
        415,
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/vnd.kubernetes.protobuf",
    )


def test_the_openapi_operations_of_a_built_in_kind_name_protobuf(client: Client) -> None:
    document = client.get("/openapi/v3/api/v1").json
    get = document["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["get"]
    assert set(get["responses"]["200"]["content"]) == {"application/json", PROTOBUF}
    post = document["paths"]["/api/v1/namespaces/{namespace}/pods"]["post"]
    assert PROTOBUF in post["requestBody"]["content"]


def test_a_field_sent_with_the_wrong_wire_type_is_named_as_go_names_it() -> None:
    raw = protobuf._int_field(1, 7)  # Pod.metadata (a message) sent as a varint
    with pytest.raises(protobuf.DecodeError, match=r"wrong wireType = 0 for field ObjectMeta$"):
        protobuf.decode(_unknown("v1", "Pod", raw))
