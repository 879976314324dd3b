"""Bodies an attacker sends, answered as kube-apiserver answers them, and nothing stored by mistake.

Each test is a reproducer from the hardening issue: what main answered 500 to (or stored, or
choked on), and what the served API answers now. Every error answer is checked to leave the
store as it was (every object and the revision) and the server answering /healthz and lists.

Most run on a quiet cluster (no scheduler, kubelets or controllers, so that nothing else writes
and the store's revision is a witness); those about a component (a probe's period, a node's
heartbeat, a pod the kubelet runs) run on a whole cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import Client, Reply, pod, serving, wait_until

PODS = "/api/v1/namespaces/default/pods"
RCS = "/api/v1/namespaces/default/replicationcontrollers"
NODES = "/api/v1/nodes"
LISTS = (PODS, RCS, NODES, "/api/v1/namespaces", "/api/v1/namespaces/default/events")
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"

Snapshot = tuple[int, list[tuple[str, Any]]]


@pytest.fixture(scope="module")
def quiet(engine: Engine) -> Iterator[Server]:
    with serving(engine, without=("scheduler", "kubelet", "controller-manager")) as served:
        client = Client(served)
        assert client.post(NODES, node_body("node01")).status == 201
        assert client.post(PODS, pod("web")).status == 201
        assert client.post(RCS, replication_controller("rc")).status == 201
        yield served


@pytest.fixture
def q(quiet: Server) -> Client:
    return Client(quiet)


def node_body(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}


def replication_controller(name: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": labels,
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.15"}]},
            },
        },
    }


def snapshot(server: Server) -> Snapshot:
    """Every stored object and the store's revision, read in one loop turn."""

    def read() -> Snapshot:
        store = server.live.api.store
        items, revision = store.range("/registry/")
        return revision, [(kv.key, kv.value) for kv in items]

    return server.live.call(read)


def assert_unchanged_and_serving(server: Server, before: Snapshot) -> None:
    assert snapshot(server) == before
    client = Client(server)
    assert client.get("/healthz").status == 200
    for path in LISTS:
        reply = client.get(path)
        assert reply.status == 200 and reply.json["kind"].endswith("List"), reply


def refused(
    server: Server,
    method: str,
    path: str,
    *,
    raw: bytes,
    content_type: str = "application/json",
    query: str = "",
) -> Reply:
    """Send a request that must be refused; check that it changed nothing; return the answer."""
    before = snapshot(server)
    reply = Client(server).request(
        method, path + (f"?{query}" if query else ""), raw=raw, content_type=content_type
    )
    assert reply.status in (400, 404, 409, 422), reply
    assert reply.json["kind"] == "Status" and reply.json["code"] == reply.status
    assert_unchanged_and_serving(server, before)
    return reply


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


# -- strict JSON ---------------------------------------------------------------------------------


def test_nesting_deeper_than_gos_limit_is_a_400_json_parse_error(quiet: Server) -> None:
    reply = refused(quiet, "POST", PODS, raw=b"[" * 100_000)
    assert reply.status == 400
    assert reply.json["reason"] == "BadRequest"
    assert reply.json["message"] == (
        "couldn't get version/kind; json parse error: invalid character '[' exceeded max depth"
    )


@pytest.mark.parametrize(
    ("constant", "message"),
    [
        ("NaN", "invalid character 'N' looking for beginning of value"),
        ("Infinity", "invalid character 'I' looking for beginning of value"),
        ("-Infinity", "invalid character 'I' in numeric literal"),
    ],
)
def test_nan_and_infinity_are_not_json(quiet: Server, constant: str, message: str) -> None:
    body = json.dumps(pod("nan")).replace('"nginx:1.15"}', f'"nginx:1.15", "x": {constant}}}')
    reply = refused(quiet, "POST", PODS, raw=body.encode())
    assert reply.status == 400
    assert reply.json["message"] == f"couldn't get version/kind; json parse error: {message}"


def test_a_lone_surrogate_is_stored_as_the_replacement_character(q: Client) -> None:
    body = dumps(pod("surrogate", labels={"app": "x"})).replace(b'"app": "x"', b'"app": "x"')
    body = body.replace(b'"metadata": {', b'"metadata": {"annotations": {"note": "a\\ud800b"}, ')
    assert q.request("POST", PODS, raw=body).status == 201
    assert q.get(f"{PODS}/surrogate").json["metadata"]["annotations"] == {"note": "a\ufffdb"}
    with q.watch(f"{PODS}?watch=true&resourceVersion=0&timeoutSeconds=1") as stream:
        events = [e for e in iter(stream.next, None)]
    assert any(e["object"]["metadata"]["name"] == "surrogate" for e in events)
    assert q.get(PODS).status == 200


def test_a_lone_surrogate_in_a_name_is_answered_422_naming_it(quiet: Server) -> None:
    body = dumps(pod("x")).replace(b'"name": "x"', b'"name": "\\ud800"')
    reply = refused(quiet, "POST", PODS, raw=body)
    assert reply.status == 422
    assert reply.json["message"].startswith('Pod "\ufffd" is invalid: metadata.name: Invalid value')


def test_invalid_utf8_in_a_string_becomes_the_replacement_character(q: Client) -> None:
    body = dumps(pod("badutf8")).replace(
        b'"metadata": {', b'"metadata": {"annotations": {"n": "a\xffb"}, '
    )
    assert q.request("POST", PODS, raw=body).status == 201
    assert q.get(f"{PODS}/badutf8").json["metadata"]["annotations"] == {"n": "a\ufffdb"}


def test_a_repeated_key_keeps_the_last_value_with_a_warning(q: Client) -> None:
    body = dumps(pod("first")).replace(b'"name": "first"', b'"name": "first", "name": "dup-last"')
    reply = q.request("POST", PODS, raw=body)
    assert reply.status == 201 and reply.json["metadata"]["name"] == "dup-last"
    assert reply.headers["warning"] == '299 - "duplicate field \\"metadata.name\\""'


def test_a_repeated_key_under_strict_field_validation_is_a_400(quiet: Server) -> None:
    body = dumps(pod("strict")).replace(b'"name": "strict"', b'"name": "strict", "name": "s2"')
    reply = refused(quiet, "POST", PODS, raw=body, query="fieldValidation=Strict")
    assert reply.status == 400
    assert reply.json["message"] == (
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: '
        'duplicate field "metadata.name"'
    )


def test_an_unknown_field_is_dropped_with_a_warning_or_refused_when_strict(
    quiet: Server, q: Client
) -> None:
    body = pod("unknown")
    body["spec"]["containers"][0]["imagee"] = "typo"
    reply = q.post(PODS, body)
    assert reply.status == 201
    assert "imagee" not in reply.json["spec"]["containers"][0]
    assert reply.headers["warning"] == ('299 - "unknown field \\"spec.containers[0].imagee\\""')
    body["metadata"]["name"] = "unknown-strict"
    reply = refused(quiet, "POST", PODS, raw=dumps(body), query="fieldValidation=Strict")
    assert reply.json["message"] == (
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: '
        'unknown field "spec.containers[0].imagee"'
    )


def test_a_field_validation_kube_apiserver_does_not_take_is_a_422(quiet: Server) -> None:
    reply = refused(quiet, "POST", PODS, raw=dumps(pod("fv")), query="fieldValidation=Loose")
    assert reply.status == 422
    assert reply.json["message"] == (
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": '
        'supported values: "Ignore", "Strict", "Warn"'
    )


# -- types, as Go's decoder holds them -------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"spec": "abc"},
            "json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec",
        ),
        (
            {"metadata": {"name": "t", "labels": "app=web"}},
            "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of "
            "type map[string]string",
        ),
        (
            {
                "spec": {
                    "containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 2**31}]}]
                }
            },
            "json: cannot unmarshal number 2147483648 into Go struct field "
            "ContainerPort.spec.containers.ports.containerPort of type int32",
        ),
        (
            {
                "spec": {
                    "containers": [
                        {"name": "c", "image": "i", "env": [{"name": "A", "value": True}]}
                    ]
                }
            },
            "json: cannot unmarshal bool into Go struct field EnvVar.spec.containers.env.value of "
            "type string",
        ),
        (
            {
                "spec": {
                    "containers": [
                        {"name": "c", "image": "i", "resources": {"limits": {"cpu": "lots"}}}
                    ]
                }
            },
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_a_400_as_gos_decoder_words_it(
    quiet: Server, change: dict[str, Any], message: str
) -> None:
    reply = refused(quiet, "POST", PODS, raw=dumps({**pod("t"), **change}))
    assert reply.status == 400 and reply.json["reason"] == "BadRequest"
    assert reply.json["message"] == f'Pod in version "v1" cannot be handled as a Pod: {message}'


def test_a_missing_image_is_422_with_kube_apiservers_cause(quiet: Server) -> None:
    body = pod("noimage")
    del body["spec"]["containers"][0]["image"]
    reply = refused(quiet, "POST", PODS, raw=dumps(body))
    assert reply.status == 422
    assert (
        reply.json["message"]
        == 'Pod "noimage" is invalid: spec.containers[0].image: Required value'
    )
    assert reply.json["details"]["causes"] == [
        {
            "reason": "FieldValueRequired",
            "message": "Required value",
            "field": "spec.containers[0].image",
        }
    ]


# -- patches ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ops", "cause"),
    [
        ([{"op": "frobnicate", "path": "/metadata/labels"}], "Unexpected kind: frobnicate"),
        (
            [{"op": "replace", "path": "metadata", "value": {}}],
            'replace operation does not apply: doc is missing path: "metadata"',
        ),
        ([{"op": "add", "value": 1}], "add operation missing path field"),
        ([{"op": "remove", "path": "/spec/nosuch"}], None),
    ],
)
def test_a_json_patch_that_cannot_apply_is_kube_apiservers_422(
    quiet: Server, ops: list[dict[str, Any]], cause: str | None
) -> None:
    reply = refused(quiet, "PATCH", f"{PODS}/web", raw=dumps(ops), content_type=JSON_PATCH)
    assert reply.status == 422 and reply.json["reason"] == "Invalid"
    assert reply.json["message"] == "the server rejected our request due to an error in our request"
    if cause is not None:
        assert reply.json["details"]["causes"] == [
            {"reason": "UnexpectedServerResponse", "message": cause}
        ]


def test_a_json_patch_that_is_not_a_list_is_a_400(quiet: Server) -> None:
    reply = refused(quiet, "PATCH", f"{PODS}/web", raw=b'{"op":"add"}', content_type=JSON_PATCH)
    assert reply.status == 400
    assert (
        reply.json["message"]
        == "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
    )


@pytest.mark.parametrize("content_type", [MERGE, "application/strategic-merge-patch+json"])
def test_a_merge_patch_whose_result_has_a_wrong_type_is_a_422_patch_invalid(
    quiet: Server, content_type: str
) -> None:
    reply = refused(quiet, "PATCH", f"{PODS}/web", raw=b'{"metadata":5}', content_type=content_type)
    assert reply.status == 422
    message = reply.json["message"]
    assert message.startswith(' "" is invalid: patch: Invalid value: "{')
    assert message.endswith(
        "json: cannot unmarshal number into Go struct field Pod.metadata of type v1.ObjectMeta"
    )
    assert reply.json["details"]["causes"][0]["field"] == "patch"


def test_a_status_patched_to_a_string_is_refused_and_the_pod_still_lists_and_deletes(
    q: Client, quiet: Server
) -> None:
    assert q.post(PODS, pod("statusy")).status == 201
    reply = refused(
        quiet, "PATCH", f"{PODS}/statusy/status", raw=b'{"status":"broken"}', content_type=MERGE
    )
    assert reply.status == 422
    assert "Go struct field Pod.status of type v1.PodStatus" in reply.json["message"]
    assert q.get(PODS).status == 200
    assert q.request("DELETE", f"{PODS}/statusy").status == 200


# -- binding ---------------------------------------------------------------------------------------


def binding(target: Any) -> bytes:
    return dumps(
        {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web"}, "target": target}
    )


def test_a_binding_whose_target_is_a_string_is_a_400(quiet: Server) -> None:
    reply = refused(quiet, "POST", f"{PODS}/web/binding", raw=binding("node01"))
    assert reply.status == 400
    assert reply.json["message"] == (
        'Binding in version "v1" cannot be handled as a Binding: json: cannot unmarshal string '
        "into Go struct field Binding.target of type v1.ObjectReference"
    )


def test_a_binding_to_a_list_of_names_is_a_400(quiet: Server) -> None:
    reply = refused(quiet, "POST", f"{PODS}/web/binding", raw=binding({"name": ["a."]}))
    assert reply.status == 400
    assert (
        "cannot unmarshal array into Go struct field ObjectReference.target.name of type string"
        in (reply.json["message"])
    )


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            {"name": "a."},
            'Binding "web" is invalid: target.name: Invalid value: "a.": a lowercase RFC 1123 '
            "subdomain",
        ),
        (
            {"kind": "Pod", "name": "node01"},
            'Binding "web" is invalid: target.kind: Unsupported value: "Pod": supported values: '
            '"Node", "<empty>"',
        ),
        ({"kind": "Node"}, 'Binding "web" is invalid: target.name: Required value'),
    ],
)
def test_a_binding_to_what_is_not_a_node_name_is_a_422(
    quiet: Server, target: dict[str, Any], message: str
) -> None:
    reply = refused(quiet, "POST", f"{PODS}/web/binding", raw=binding(target))
    assert reply.status == 422 and reply.json["message"].startswith(message), reply


# -- scale -----------------------------------------------------------------------------------------


def test_a_scale_whose_spec_is_a_list_is_refused(quiet: Server) -> None:
    put = refused(
        quiet,
        "PUT",
        f"{RCS}/rc/scale",
        raw=b'{"kind":"Scale","apiVersion":"autoscaling/v1","spec":[{}]}',
    )
    assert put.status == 400
    assert put.json["message"] == (
        'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal array into '
        "Go struct field Scale.spec of type v1.ScaleSpec"
    )
    patch = refused(quiet, "PATCH", f"{RCS}/rc/scale", raw=b'{"spec":[{}]}', content_type=MERGE)
    assert patch.status == 422
    assert patch.json["message"].endswith("into Go struct field Scale.spec of type v1.ScaleSpec")


def test_replicas_beyond_int32_through_scale_are_refused(quiet: Server) -> None:
    big = b'{"spec":{"replicas":9223372036854775808}}'
    reply = refused(quiet, "PATCH", f"{RCS}/rc/scale", raw=big, content_type=MERGE)
    assert reply.status == 422
    assert reply.json["message"].endswith(
        "json: cannot unmarshal number 9223372036854775808 into Go struct field "
        "ScaleSpec.spec.replicas of type int32"
    )
    negative = refused(
        quiet, "PATCH", f"{RCS}/rc/scale", raw=b'{"spec":{"replicas":-1}}', content_type=MERGE
    )
    assert negative.status == 422
    assert (
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        in negative.json["message"]
    )


# -- components: what they read is what validation let through -------------------------------------


def test_a_probe_period_of_zero_is_defaulted_to_ten_seconds(client: Client) -> None:
    body = pod("probed", readiness=None)
    body["spec"]["containers"][0]["readinessProbe"] = {
        "tcpSocket": {"port": 80},
        "periodSeconds": 0,
        "timeoutSeconds": 0,
    }
    reply = client.post(PODS, body)
    assert reply.status == 201, reply
    probe = reply.json["spec"]["containers"][0]["readinessProbe"]
    assert probe == {
        "tcpSocket": {"port": 80},
        "periodSeconds": 10,
        "timeoutSeconds": 1,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def test_a_negative_probe_period_is_a_422(client: Client) -> None:
    body = pod("negprobe")
    body["spec"]["containers"][0]["livenessProbe"] = {
        "exec": {"command": ["true"]},
        "periodSeconds": -1,
    }
    reply = client.post(PODS, body)
    assert reply.status == 422
    assert reply.json["message"] == (
        'Pod "negprobe" is invalid: spec.containers[0].livenessProbe.periodSeconds: '
        "Invalid value: -1: must be greater than or equal to 0"
    )


def test_a_node_status_patch_with_conditions_that_are_not_objects_leaves_the_heartbeat_going(
    server: Server, client: Client
) -> None:
    reply = client.request(
        "PATCH", f"{NODES}/node01/status", {"status": {"conditions": ["x"]}}, content_type=MERGE
    )
    assert reply.status == 422, reply
    assert (
        "Go struct field NodeStatus.status.conditions of type v1.NodeCondition"
        in reply.json["message"]
    )

    def heartbeat() -> str:
        ready = [
            c
            for c in client.get(f"{NODES}/node01").json["status"]["conditions"]
            if c["type"] == "Ready"
        ]
        return str(ready[0]["lastHeartbeatTime"])

    before = client.get(f"{NODES}/node01").json["metadata"]["resourceVersion"]
    server.live.call(server.live.cluster.kubelets["node01"].node_status.post)
    assert wait_until(
        lambda: client.get(f"{NODES}/node01").json["metadata"]["resourceVersion"] != before
    )
    assert heartbeat()
    assert client.get("/healthz").status == 200
