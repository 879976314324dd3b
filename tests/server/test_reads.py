"""Lists at a resourceVersion, over HTTPS, as kube-apiserver v1.32 answers them: Exact from the
history (410 once compacted), a version not reached yet waited for 3 s (then 504), contradictory
options refused with ValidateListOptions' 422, and a resourceVersion that is not a number refused
by whichever of etcd and the watch cache would have served the request.

Each expected body is the whole response, byte for byte, as kube-apiserver writes it.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from listwatch.server import Server
from tests.served import Client, pod, serving
from tests.test_spec_drives_engine import modified

PODS = "/api/v1/namespaces/default/pods"


def names(reply_json: dict[str, object]) -> list[str]:
    return [item["metadata"]["name"] for item in reply_json["items"]]  # type: ignore[attr-defined, index]


def status(message: str, reason: str, code: int, details: str = "") -> bytes:
    """A Failure Status as kube-apiserver encodes it (fields in metav1.Status's order)."""
    reason_part = f',"reason":"{reason}"' if reason else ""
    details_part = f',"details":{details}' if details else ""
    return (
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":'
        f'{json.dumps(message)}{reason_part}{details_part},"code":{code}}}\n'
    ).encode()


def test_an_exact_list_is_the_state_at_that_revision(client: Client) -> None:
    labels = {"reads": "exact"}
    client.post(PODS, pod("exact-1", labels=labels, node="node01"))
    mark = client.get(f"{PODS}?labelSelector=reads%3Dexact").json["metadata"]["resourceVersion"]
    client.post(PODS, pod("exact-2", labels=labels, node="node01"))
    client.request("DELETE", f"{PODS}/exact-1?gracePeriodSeconds=0")
    then = client.get(
        f"{PODS}?labelSelector=reads%3Dexact&resourceVersion={mark}&resourceVersionMatch=Exact"
    )
    assert then.status == 200 and then.json["metadata"]["resourceVersion"] == mark
    assert names(then.json) == ["exact-1"]
    now = client.get(f"{PODS}?labelSelector=reads%3Dexact")
    assert names(now.json) == ["exact-2"]


def test_a_limit_with_a_resource_version_is_the_legacy_exact_read(client: Client) -> None:
    client.post(PODS, pod("legacy-1", labels={"reads": "legacy"}, node="node01"))
    mark = client.get(f"{PODS}?labelSelector=reads%3Dlegacy").json["metadata"]["resourceVersion"]
    client.post(PODS, pod("legacy-2", labels={"reads": "legacy"}, node="node01"))
    then = client.get(f"{PODS}?labelSelector=reads%3Dlegacy&resourceVersion={mark}&limit=500")
    assert names(then.json) == ["legacy-1"]
    latest = client.get(f"{PODS}?labelSelector=reads%3Dlegacy&resourceVersion={mark}")
    assert names(latest.json) == ["legacy-1", "legacy-2"]  # NotOlderThan: the current state


def test_an_exact_list_at_a_compacted_revision_is_410(server: Server, client: Client) -> None:
    client.post(PODS, pod("compact-read", node="node01"))
    old = client.get(PODS).json["metadata"]["resourceVersion"]
    client.post(PODS, pod("compact-read-2", node="node01"))
    server.live.call(server.live.api.compact)
    reply = client.get(f"{PODS}?resourceVersion={old}&resourceVersionMatch=Exact")
    assert (reply.status, reply.raw) == (
        410,
        status("The resourceVersion for the provided list is too old.", "Expired", 410),
    )


def test_an_exact_list_past_the_current_revision_is_etcds_future_revision_error(
    client: Client,
) -> None:
    current = int(client.get(PODS).json["metadata"]["resourceVersion"])
    reply = client.get(f"{PODS}?resourceVersion={current + 1000}&resourceVersionMatch=Exact")
    assert (reply.status, reply.raw) == (
        500,
        status("etcdserver: mvcc: required revision is a future revision", "", 500),
    )


def test_a_resource_version_not_reached_in_3_seconds_is_504_too_large(client: Client) -> None:
    current = int(client.get(PODS).json["metadata"]["resourceVersion"])
    wanted = current + 1000
    started = time.monotonic()
    reply = client.get(f"{PODS}?resourceVersion={wanted}&resourceVersionMatch=NotOlderThan")
    waited = time.monotonic() - started
    assert reply.status == 504 and 2.9 <= waited < 10
    assert reply.json["message"].startswith(
        f"Timeout: Too large resource version: {wanted}, current: "
    )
    current_then = int(reply.json["message"].rpartition(" ")[2])
    assert reply.raw == status(
        f"Timeout: Too large resource version: {wanted}, current: {current_then}",
        "Timeout",
        504,
        '{"causes":[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}],'
        '"retryAfterSeconds":1}',
    )


def test_a_list_waits_for_a_resource_version_that_a_write_reaches(client: Client) -> None:
    current = int(client.get(PODS).json["metadata"]["resourceVersion"])
    answers: list[tuple[float, object]] = []
    started = time.monotonic()

    def read() -> None:
        reply = client.get(f"{PODS}?resourceVersion={current + 1}&labelSelector=reads%3Dwait")
        answers.append((time.monotonic() - started, reply))

    waiting = threading.Thread(target=read)
    waiting.start()
    time.sleep(0.5)
    client.post(PODS, pod("waited-for", labels={"reads": "wait"}, node="node01"))
    waiting.join(10)
    ((took, reply),) = answers
    assert reply.status == 200 and took < 2.9  # type: ignore[attr-defined]
    assert int(reply.json["metadata"]["resourceVersion"]) >= current + 1  # type: ignore[attr-defined]


def test_a_match_without_a_resource_version_is_422_list_options_invalid(client: Client) -> None:
    reply = client.get(f"{PODS}?resourceVersionMatch=NotOlderThan")
    detail = "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"
    assert (reply.status, reply.raw) == (
        422,
        status(
            f'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: {detail}',
            "Invalid",
            422,
            '{"group":"meta.k8s.io","kind":"ListOptions","causes":[{"reason":"FieldValueForbidden",'
            f'"message":"{detail}","field":"resourceVersionMatch"}}]}}',
        ),
    )


def test_exact_at_zero_and_an_unknown_match_are_422_with_v1_32s_words(client: Client) -> None:
    zero = client.get(f"{PODS}?resourceVersion=0&resourceVersionMatch=Exact")
    assert zero.status == 422 and zero.json["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
        'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'
    )
    unknown = client.get(f"{PODS}?resourceVersion=5&resourceVersionMatch=Newest")
    assert unknown.status == 422 and unknown.json["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: '
        '"Newest": supported values: "Exact", "NotOlderThan", ""'
    )


def test_a_resource_version_that_is_no_number_is_refused_as_the_cache_or_etcd_refuses_it(
    client: Client,
) -> None:
    problem = (
        'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'
    )
    cached = client.get(f"{PODS}?resourceVersion=abc")
    assert (cached.status, cached.raw) == (500, status(problem, "", 500))
    stored = client.get(f"{PODS}?resourceVersion=abc&resourceVersionMatch=Exact")
    assert (stored.status, stored.raw) == (
        400,
        status(f"invalid resource version: {problem}", "BadRequest", 400),
    )
    paged = client.get(f"{PODS}?resourceVersion=abc&limit=500")
    assert paged.status == 400
    watched = client.get(f"{PODS}?watch=true&resourceVersion=abc")
    assert (watched.status, watched.raw) == (500, status(problem, "", 500))


# -- the layout of what is written -----------------------------------------------------------------


def test_an_error_status_has_kube_apiservers_field_order_details_and_newline(
    client: Client,
) -> None:
    reply = client.get(f"{PODS}/nobody-here")
    assert reply.raw == status(
        'pods "nobody-here" not found', "NotFound", 404, '{"name":"nobody-here","kind":"pods"}'
    )


def test_a_binding_answers_the_success_status_with_a_newline(client: Client) -> None:
    client.post(PODS, pod("bound-status", schedulerName="my-scheduler"))  # not the default one
    reply = client.post(
        f"{PODS}/bound-status/binding",
        {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": "bound-status"},
            "target": {"apiVersion": "v1", "kind": "Node", "name": "node01"},
        },
    )
    assert (reply.status, reply.raw) == (
        201,
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201}\n',
    )


def test_objects_and_lists_end_with_a_newline_and_escape_html_as_go_does(client: Client) -> None:
    body = pod("escaped")
    body["metadata"]["annotations"] = {"note": "<a> & <b>"}
    created = client.post(PODS, body)
    assert created.status == 201 and created.raw.endswith(b"}\n")
    assert b'"note":"\\u003ca\\u003e \\u0026 \\u003cb\\u003e"' in created.raw
    listed = client.get(PODS)
    assert listed.raw.endswith(b"]}\n") and listed.raw.count(b"\n") == 1


def test_each_watch_event_is_one_line_with_one_newline(client: Client) -> None:
    client.post(PODS, pod("one-line", labels={"reads": "line"}, node="node01"))
    reply = client.get(f"{PODS}?watch=true&labelSelector=reads%3Dline&timeoutSeconds=1")
    *lines, rest = reply.raw.split(b"\n")
    assert rest == b"" and lines and all(line.endswith(b"}") for line in lines)  # no blank line
    types = [json.loads(line)["type"] for line in lines]  # each line one whole event
    assert types[0] == "ADDED"


def test_a_method_or_path_no_route_serves_is_go_restfuls_generic_status(client: Client) -> None:
    refused = client.request("PUT", PODS, pod("x"))
    assert (refused.status, refused.raw) == (
        405,
        status(
            "the server does not allow this method on the requested resource",
            "MethodNotAllowed",
            405,
            "{}",
        ),
    )
    unknown = client.get("/api/v1/namespaces/default/foos")
    assert unknown.raw == status(
        "the server could not find the requested resource", "NotFound", 404, "{}"
    )


def test_an_error_about_an_object_in_a_group_names_the_group(client: Client) -> None:
    reply = client.get("/apis/apps/v1/namespaces/default/replicasets/nope")
    assert reply.raw == status(
        'replicasets.apps "nope" not found',
        "NotFound",
        404,
        '{"name":"nope","group":"apps","kind":"replicasets"}',
    )


def test_a_watch_takes_a_match_only_with_send_initial_events(client: Client) -> None:
    alone = client.get(f"{PODS}?watch=true&resourceVersionMatch=NotOlderThan")
    assert (alone.status, alone.json["message"]) == (
        422,
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
    )
    exact = client.get(f"{PODS}?watch=true&sendInitialEvents=true&resourceVersionMatch=Exact")
    assert exact.status == 422 and exact.json["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: '
        "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, "
        'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]'
    )


def test_the_wait_for_a_resource_version_is_the_specs_watch_cache_block_seconds(
    tmp_path: Path,
) -> None:
    eng = modified(
        tmp_path,
        "components/apiserver.yaml",
        "watchCacheBlockSeconds: 3",
        "watchCacheBlockSeconds: 0.5",
    )
    with serving(eng) as server:
        quick = Client(server)
        current = int(quick.get(PODS).json["metadata"]["resourceVersion"])
        started = time.monotonic()
        reply = quick.get(f"{PODS}?resourceVersion={current + 1000}")
        assert reply.status == 504 and time.monotonic() - started < 2.5
