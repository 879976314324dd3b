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
from listwatch.server import Server, strictjson
from listwatch.server.messages import go_print
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
    codes: tuple[int, ...] = (400, 404, 409, 422),
) -> Reply:
    """Send a request that must be refused; check that it changed nothing; return the answer."""
    before = snapshot(server)
    reply = Client(server).request(
        method, path + (f"?{query}" if query else ""), raw=raw, content_type=content_type
    )
    assert reply.status in codes, reply
    assert reply.json["kind"] == "Status" and reply.json["code"] == reply.status
    assert_unchanged_and_serving(server, before)
    return reply


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


# -- strict JSON ---------------------------------------------------------------------------------


def unrecognized(kind: str, problem: str, summary: str) -> str:
    """kube-apiserver's 400 for a body whose kind it cannot read (transformDecodeError)."""
    return f"the object provided is unrecognized (must be of type {kind}): {problem} ({summary})"


PARSE = "couldn't get version/kind; json parse error: "
TYPE_META = (
    'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string '
    '"json:\\"kind,omitempty\\"" }'
)


def test_nesting_deeper_than_gos_limit_is_a_400_json_parse_error(quiet: Server) -> None:
    reply = refused(quiet, "POST", PODS, raw=b"[" * 100_000)
    assert reply.status == 400
    assert reply.json["reason"] == "BadRequest"
    assert reply.json["message"] == unrecognized(
        "Pod", f"{PARSE}invalid character '[' exceeded max depth", "5b" * 30 + " ..."
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
    assert reply.json["message"] == unrecognized("Pod", PARSE + message, body[:30] + " ...")


@pytest.mark.parametrize(
    ("path", "method", "raw", "kind", "problem", "summary"),
    [
        (PODS, "POST", b"", "Pod", "unexpected end of JSON input", "<empty>"),
        (
            NODES,
            "POST",
            b'"x"',
            "Node",
            f"json: cannot unmarshal string into Go value of type {TYPE_META}",
            "227822",
        ),
        (
            PODS,
            "POST",
            b'{"kind": 5}',
            "Pod",
            "json: cannot unmarshal number into Go struct field .kind of type string",
            '{"kind": 5}',
        ),
        (
            f"{PODS}/web",
            "PUT",
            b'{"apiVersion": true}',
            "Pod",
            "json: cannot unmarshal bool into Go struct field .apiVersion of type string",
            '{"apiVersion": true}',
        ),
        (
            PODS,
            "POST",
            b'{"metadata": {"name": "a",}}',
            "Pod",
            "invalid character '}' looking for beginning of object key string",
            '{"metadata": {"name": "a",}}',
        ),
        (
            PODS,
            "POST",
            b'{"a": "\xe2\x82"} x',
            "Pod",
            "invalid character 'x' after top-level value",
            '{"a": "\ufffd\ufffd"} x',
        ),
        (
            PODS,
            "POST",
            b"\xef\xbb\xbf{}",
            "Pod",
            "invalid character '\u00ef' looking for beginning of value",
            "efbbbf7b7d",
        ),
        (
            f"{PODS}/web/binding",
            "POST",
            b"[1]",
            "Binding",
            f"json: cannot unmarshal array into Go value of type {TYPE_META}",
            "5b315d",
        ),
        (
            f"{RCS}/rc/scale",
            "PUT",
            b"null",
            "Scale",
            f"json: cannot unmarshal null into Go value of type {TYPE_META}",
            "6e756c6c",
        ),
    ],
)
def test_a_body_whose_kind_cannot_be_read_is_unrecognized_with_its_start(
    quiet: Server, path: str, method: str, raw: bytes, kind: str, problem: str, summary: str
) -> None:
    reply = refused(quiet, method, path, raw=raw)
    assert reply.status == 400 and reply.json["reason"] == "BadRequest"
    assert reply.json["message"] == unrecognized(kind, PARSE + problem, summary)


def test_an_api_version_with_two_slashes_is_unrecognized(quiet: Server) -> None:
    raw = b'{"apiVersion": "a/b/c", "kind": "Pod"}'
    reply = refused(quiet, "POST", PODS, raw=raw)
    assert reply.json["message"] == unrecognized(
        "Pod", "unexpected GroupVersion string: a/b/c", '{"apiVersion": "a/b/c", "kind" ...'
    )


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


#: A pod body with two unknown fields and two repeated keys, one of them (`aaa`) also unknown.
MANY_STRICT = (
    b'{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "many", "zzz": 1, "name": "many"},'
    b' "aaa": 1, "aaa": 2, "spec": {"containers": [{"name": "c", "image": "i"}],'
    b' "nodeSelector": {"a": "1", "a": "2"}}}'
)
MANY_PROBLEMS = [
    'unknown field "metadata.zzz"',
    'duplicate field "metadata.name"',
    'unknown field "aaa"',
    'duplicate field "spec.nodeSelector.a"',
]


def test_every_strict_error_is_reported_at_once_in_document_order(quiet: Server) -> None:
    reply = refused(quiet, "POST", PODS, raw=MANY_STRICT, query="fieldValidation=Strict")
    assert reply.status == 400
    assert reply.json["message"] == (
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: '
        + ", ".join(MANY_PROBLEMS)
    )


def test_every_strict_error_is_a_warning_of_its_own_by_default(q: Client) -> None:
    reply = q.request("POST", PODS, raw=MANY_STRICT)
    assert reply.status == 201
    assert reply.headers["warning"] == ", ".join(
        f"299 - {json.dumps(problem)}" for problem in MANY_PROBLEMS
    )
    assert q.request("DELETE", f"{PODS}/many").status == 200


@pytest.mark.parametrize(
    ("method", "path", "content_type", "options"),
    [
        ("POST", PODS, "application/json", "CreateOptions"),
        ("PUT", f"{PODS}/web", "application/json", "UpdateOptions"),
        ("PUT", f"{PODS}/web", "text/plain", "UpdateOptions"),  # checked before the media type
        ("POST", f"{PODS}/web/binding", "application/json", "CreateOptions"),
        ("PUT", f"{RCS}/rc/scale", "application/json", "UpdateOptions"),
        ("PATCH", f"{PODS}/web", MERGE, "PatchOptions"),
        ("PATCH", f"{PODS}/web", JSON_PATCH, "PatchOptions"),
    ],
)
def test_a_field_validation_kube_apiserver_does_not_take_is_a_422(
    quiet: Server, method: str, path: str, content_type: str, options: str
) -> None:
    reply = refused(
        quiet,
        method,
        path,
        raw=dumps(pod("fv")),
        content_type=content_type,
        query="fieldValidation=Loose",
    )
    supported = 'supported values: "", "Ignore", "Strict", "Warn"'
    assert reply.status == 422 and reply.json["reason"] == "Invalid"
    assert reply.json["message"] == (
        f'{options}.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": '
        + supported
    )
    assert reply.json["details"] == {
        "group": "meta.k8s.io",
        "kind": options,
        "causes": [
            {
                "reason": "FieldValueNotSupported",
                "message": f'Unsupported value: "Loose": {supported}',
                "field": "fieldValidation",
            }
        ],
    }


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


STRATEGIC = "application/strategic-merge-patch+json"
REJECTED = "the server rejected our request due to an error in our request"


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "frobnicate", "path": "/metadata/labels"}],
        [{"op": "replace", "path": "metadata", "value": {}}],
        [{"op": "add", "value": 1}],
        [{"op": "remove", "path": "/spec/nosuch"}],
        [None],
    ],
)
def test_a_json_patch_that_cannot_apply_is_kube_apiservers_generic_422(
    quiet: Server, ops: list[Any]
) -> None:
    reply = refused(quiet, "PATCH", f"{PODS}/web", raw=dumps(ops), content_type=JSON_PATCH)
    assert reply.status == 422 and reply.json["reason"] == "Invalid"
    assert reply.json["message"] == REJECTED
    assert reply.json["details"] == {}


@pytest.mark.parametrize(
    ("content_type", "validation", "raw", "message"),
    [
        (
            JSON_PATCH,
            "Warn",
            b'{"op":"add"}',
            "error decoding patch: json: cannot unmarshal object into Go value of type "
            "[]handlers.jsonPatchOp",
        ),
        (
            JSON_PATCH,
            "Strict",
            b"[1]",
            "error decoding patch: json: cannot unmarshal number into Go value of type "
            "handlers.jsonPatchOp",
        ),
        (
            JSON_PATCH,
            "Warn",
            b'[{"op": "add", "path": 5}]',
            "error decoding patch: json: cannot unmarshal number into Go struct field "
            "jsonPatchOp.path of type string",
        ),
        (
            JSON_PATCH,
            "Ignore",
            b'{"op":"add"}',
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
        ),
        (
            JSON_PATCH,
            "Ignore",
            b'["add"]',
            "json: cannot unmarshal string into Go value of type jsonpatch.Operation",
        ),
        (
            MERGE,
            "Warn",
            b"[1, 2]",
            "error decoding patch: json: cannot unmarshal array into Go value of type "
            "map[string]interface {}",
        ),
        (MERGE, "Warn", b"null", "Invalid JSON Patch"),
        (MERGE, "Ignore", b'"x"', "Invalid JSON Patch"),
        (MERGE, "Ignore", b'{"a": tru}', "Invalid JSON Patch"),
        (
            MERGE,
            "Strict",
            b'{"a": tru}',
            "error decoding patch: invalid character '}' in literal true (expecting 'e')",
        ),
        (
            JSON_PATCH,
            "Warn",
            b"[{]",
            "error decoding patch: invalid character ']' looking for beginning of object key "
            "string",
        ),
        (JSON_PATCH, "Ignore", b"", "unexpected end of JSON input"),
        (STRATEGIC, "Warn", b'{"a" 1}', "invalid character '1' after object key"),
        (STRATEGIC, "Ignore", b'{"a" 1}', "invalid character '1' after object key"),
        (
            STRATEGIC,
            "Strict",
            b"[1]",
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
    ],
)
def test_a_patch_body_that_does_not_decode_is_a_400_as_handlers_patch_go_words_it(
    quiet: Server, content_type: str, validation: str, raw: bytes, message: str
) -> None:
    reply = refused(
        quiet,
        "PATCH",
        f"{PODS}/web",
        raw=raw,
        content_type=content_type,
        query=f"fieldValidation={validation}",
    )
    assert reply.status == 400 and reply.json["reason"] == "BadRequest"
    assert reply.json["message"] == message


def test_a_json_patch_of_more_than_10000_operations_is_a_413(quiet: Server) -> None:
    ops = [{"op": "test", "path": "/kind", "value": "Pod"}] * 10_001
    before = snapshot(quiet)
    reply = Client(quiet).request("PATCH", f"{PODS}/web", raw=dumps(ops), content_type=JSON_PATCH)
    assert reply.status == 413 and reply.json["reason"] == "RequestEntityTooLarge"
    assert reply.json["message"] == (
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, "
        "got 10001"
    )
    assert_unchanged_and_serving(quiet, before)


def test_a_null_strategic_merge_patch_or_json_patch_changes_nothing(q: Client) -> None:
    before = q.get(f"{PODS}/web").json
    for content_type in (STRATEGIC, JSON_PATCH):
        reply = q.request("PATCH", f"{PODS}/web", raw=b"null", content_type=content_type)
        assert reply.status == 200 and reply.json == before


def test_a_merge_patch_whose_result_has_a_wrong_type_is_a_422_patch_invalid(
    quiet: Server,
) -> None:
    reply = refused(quiet, "PATCH", f"{PODS}/web", raw=b'{"metadata":5}', content_type=MERGE)
    assert reply.status == 422
    message = reply.json["message"]
    assert message.startswith(' "" is invalid: patch: Invalid value: "{\\"kind\\":\\"Pod\\",')
    assert message.endswith(
        "json: cannot unmarshal number into Go struct field Pod.metadata of type v1.ObjectMeta"
    )
    assert reply.json["details"]["causes"][0]["field"] == "patch"


@pytest.mark.parametrize(
    ("raw", "shown", "why"),
    [
        (b'{"metadata":5}', "map[metadata:5]", "cannot restore struct from: int64"),
        (
            b'{"spec":{"containers":"x"}}',
            "map[spec:map[containers:x]]",
            "cannot restore slice from string",
        ),
        (
            b'{"metadata":{"labels":[1.5, null, true]}}',
            "map[metadata:map[labels:[1.5 <nil> true]]]",
            "cannot restore map from slice",
        ),
        (
            b'{"spec":{"nodeName":7}}',
            "map[spec:map[nodeName:7]]",
            "cannot convert int64 to string",
        ),
        (
            b'{"spec":{"priority":"high","z":1e6}}',
            "map[spec:map[priority:high z:1e+06]]",
            "unrecognized type: int32",
        ),
    ],
)
def test_a_strategic_merge_patch_whose_result_has_a_wrong_type_is_shown_as_go_prints_the_patch(
    quiet: Server, raw: bytes, shown: str, why: str
) -> None:
    reply = refused(quiet, "PATCH", f"{PODS}/web", raw=raw, content_type=STRATEGIC)
    assert reply.status == 422 and reply.json["reason"] == "Invalid"
    assert reply.json["message"] == f' "" is invalid: patch: Invalid value: "{shown}": {why}'
    assert reply.json["details"] == {
        "causes": [
            {
                "reason": "FieldValueInvalid",
                "message": f'Invalid value: "{shown}": {why}',
                "field": "patch",
            }
        ]
    }


def test_a_merge_patch_that_is_a_list_is_the_patched_document_under_ignore(quiet: Server) -> None:
    reply = refused(
        quiet,
        "PATCH",
        f"{PODS}/web",
        raw=b'[{"b": 1, "a": null}, null]',
        content_type=MERGE,
        query="fieldValidation=Ignore",
    )
    assert reply.status == 422
    assert reply.json["message"] == (
        ' "" is invalid: patch: Invalid value: "[{\\"b\\":1},null]": '
        + PARSE
        + f"json: cannot unmarshal array into Go value of type {TYPE_META}"
    )


@pytest.mark.parametrize(
    ("content_type", "raw", "problems"),
    [
        (
            STRATEGIC,
            b'{"spec": {"nodeSelectorx": {"a": "b"}},'
            b' "metadata": {"labels": {"a": "1", "a": "2"}}}',
            'duplicate field "metadata.labels.a", unknown field "spec.nodeSelectorx"',
        ),
        (STRATEGIC, b'{"zz": 1, "aa": 2}', 'unknown field "aa", unknown field "zz"'),
        (
            MERGE,
            b'{"zz": 1, "metadata": {"labels": {"a": "1", "a": "2"}}, "aa": 2}',
            'duplicate field "metadata.labels.a", unknown field "aa", unknown field "zz"',
        ),
        (
            JSON_PATCH,
            b'[{"op": "add", "path": "/metadata/annotations", "value": {"k": "v"}, "extra": 1,'
            b' "op": "add"}, {"op": "add", "path": "/spec/zz", "value": 1}]',
            'json patch unknown field "[0].extra", json patch duplicate field "[0].op", '
            'unknown field "spec.zz"',
        ),
    ],
)
def test_strict_errors_of_a_patch_and_its_result_are_one_422_patch_invalid(
    quiet: Server, q: Client, content_type: str, raw: bytes, problems: str
) -> None:
    assert q.post(PODS, pod("strictly")).status == 201
    reply = refused(
        quiet,
        "PATCH",
        f"{PODS}/strictly",
        raw=raw,
        content_type=content_type,
        query="fieldValidation=Strict",
    )
    assert reply.status == 422 and reply.json["reason"] == "Invalid"
    message = reply.json["message"]
    assert message.startswith(' "" is invalid: patch: Invalid value: "')
    assert message.endswith(f'": strict decoding error: {problems}')
    if content_type == STRATEGIC:
        shown = go_print(strictjson.decode(raw).value)
        assert message == (
            f' "" is invalid: patch: Invalid value: "{shown}": strict decoding error: {problems}'
        )
    warned = q.request("PATCH", f"{PODS}/strictly", raw=raw, content_type=content_type)
    assert warned.status == 200
    assert warned.headers["warning"] == ", ".join(
        f"299 - {json.dumps(problem)}" for problem in problems.split(", ")
    )
    assert q.request("DELETE", f"{PODS}/strictly").status == 200


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
            {"kind": "Pod", "name": "node01"},
            'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
        ),
        ({"kind": "Node"}, "target.name: Required value"),
        (
            {"kind": "Pod"},
            '[target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>", '
            "target.name: Required value]",
        ),
    ],
)
def test_a_binding_to_what_is_not_a_node_is_refused_as_invalid(
    quiet: Server, target: dict[str, Any], message: str
) -> None:
    """ValidatePodBinding's errors, with its texts; v1.32 answers them with a reasonless 500 (a
    plain error reaching its responder), listwatch with the 422 Invalid they are: no bad input is
    a 500."""
    reply = refused(quiet, "POST", f"{PODS}/web/binding", raw=binding(target), codes=(422,))
    assert reply.json["reason"] == "Invalid", reply
    assert reply.json["message"] == f'Binding "web" is invalid: {message}', reply


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
