"""The served API over HTTPS: Kubernetes semantics, errors as Status objects, and bad input
survived.

One server serves the whole module; each test uses names of its own.
"""

from __future__ import annotations

import json
import socket
import ssl

import pytest

from listwatch.server import Server
from tests.served import Client, pod, wait_until

PODS = "/api/v1/namespaces/default/pods"


def pod_watchers(server: Server) -> int:
    return server.live.call(lambda: len(server.live.api.caches["pods"].watches()))


def assert_still_serving(client: Client) -> None:
    reply = client.get("/api/v1/nodes")
    assert reply.status == 200 and [n["metadata"]["name"] for n in reply.json["items"]] == [
        "node01",
        "node02",
    ]


# -- authentication and TLS ------------------------------------------------------------------------


def test_a_request_without_the_token_is_401_unauthorized(client: Client) -> None:
    reply = client.get(PODS, token=None)
    assert reply.status == 401
    assert reply.json == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    assert_still_serving(client)


def test_a_request_with_the_wrong_token_is_401_even_with_a_body(client: Client) -> None:
    reply = client.post(PODS, pod("sneaky"), token="not-the-token")
    assert reply.status == 401
    assert client.get(f"{PODS}/sneaky").status == 404


def test_the_server_speaks_only_tls_with_a_certificate_its_ca_signed(server: Server) -> None:
    untrusting = ssl.create_default_context()
    with (
        socket.create_connection((server.host, server.port), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        untrusting.wrap_socket(raw, server_hostname="127.0.0.1")
    with socket.create_connection((server.host, server.port), timeout=5) as raw:
        raw.sendall(
            b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n"
        )  # plain HTTP: the handshake fails, the connection ends
        try:
            answer = raw.recv(100)
        except ConnectionResetError:
            answer = b""
        assert not answer.startswith(b"HTTP/")
    assert Client(server).get("/version").json["gitVersion"] == "v1.32.0"


# -- objects as a real API server returns them -----------------------------------------------------


def test_create_answers_201_with_the_defaults_kubernetes_fills_in(client: Client) -> None:
    reply = client.post(PODS, pod("defaults", node="node01"))
    assert reply.status == 201
    created = reply.json
    meta, spec = created["metadata"], created["spec"]
    assert created["kind"] == "Pod" and created["apiVersion"] == "v1"
    assert (
        meta["uid"]
        and meta["creationTimestamp"].endswith("Z")
        and meta["resourceVersion"].isdigit()
    )
    assert "generation" not in meta  # v1.32 pods have none (pod generation came in v1.33)
    assert spec["schedulerName"] == "default-scheduler" and spec["restartPolicy"] == "Always"
    assert (
        spec["dnsPolicy"] == "ClusterFirst"
        and spec["terminationGracePeriodSeconds"] == 30
        and spec["priority"] == 0
    )
    container = spec["containers"][0]
    assert (
        container["imagePullPolicy"] == "IfNotPresent"
        and container["terminationMessagePath"] == "/dev/termination-log"
    )
    assert container["resources"] == {}
    assert created["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_nodes_carry_a_full_status(client: Client) -> None:
    node = client.get("/api/v1/nodes/node01").json
    status = node["status"]
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
    assert status["capacity"]["pods"] == "110" and status["allocatable"]["cpu"]
    assert status["nodeInfo"]["kubeletVersion"] == "v1.32.0"
    assert {a["type"] for a in status["addresses"]} == {"InternalIP", "Hostname"}
    assert node["metadata"]["labels"]["kubernetes.io/hostname"] == "node01"


def test_a_list_is_a_kind_list_whose_items_carry_no_kind(client: Client) -> None:
    client.post(PODS, pod("listed", node="node02"))
    reply = client.get(PODS)
    assert reply.json["kind"] == "PodList" and reply.json["apiVersion"] == "v1"
    assert reply.json["metadata"]["resourceVersion"].isdigit()
    assert "listed" in [p["metadata"]["name"] for p in reply.json["items"]]
    assert all("kind" not in p for p in reply.json["items"])


def test_label_and_field_selectors_filter_a_list(client: Client) -> None:
    client.post(PODS, pod("sel-a", node="node01", labels={"tier": "a"}))
    client.post(PODS, pod("sel-b", node="node02", labels={"tier": "b"}))
    names = lambda reply: sorted(p["metadata"]["name"] for p in reply.json["items"])  # noqa: E731
    assert names(client.get(f"{PODS}?labelSelector=tier%3Da")) == ["sel-a"]
    assert names(client.get(f"{PODS}?labelSelector=tier%20in%20(a,b)")) == ["sel-a", "sel-b"]
    on_node02 = names(client.get(f"{PODS}?labelSelector=tier&fieldSelector=spec.nodeName%3Dnode02"))
    assert on_node02 == ["sel-b"]
    assert names(client.get(f"{PODS}?fieldSelector=metadata.name%3Dsel-a")) == ["sel-a"]
    assert "sel-a" in names(
        client.get(f"{PODS}?fieldSelector=spec.schedulerName%3Ddefault-scheduler")
    )
    assert (
        names(client.get(f"{PODS}?fieldSelector=status.phase%3DSucceeded,metadata.name%3Dsel-a"))
        == []
    )


def test_an_unsupported_field_selector_is_a_400(client: Client) -> None:
    reply = client.get(f"{PODS}?fieldSelector=spec.containers%3Dx")
    assert reply.status == 400 and reply.json["reason"] == "BadRequest"
    assert "field label not supported: spec.containers" in reply.json["message"]


def test_namespaces_scope_objects_and_a_missing_namespace_is_404(client: Client) -> None:
    assert (
        client.post(
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}},
        ).status
        == 201
    )
    assert (
        client.post("/api/v1/namespaces/team/pods", pod("same-name", node="node01")).status == 201
    )
    assert client.post(PODS, pod("same-name", node="node01")).status == 201
    everywhere = client.get("/api/v1/pods?fieldSelector=metadata.name%3Dsame-name").json["items"]
    assert sorted(p["metadata"]["namespace"] for p in everywhere) == ["default", "team"]
    missing = client.post("/api/v1/namespaces/nowhere/pods", pod("lost"))
    assert missing.status == 404 and missing.json["message"] == 'namespaces "nowhere" not found'


# -- writes and their errors -----------------------------------------------------------------------


def test_creating_an_existing_name_is_409_already_exists(client: Client) -> None:
    client.post(PODS, pod("twice", node="node01"))
    reply = client.post(PODS, pod("twice", node="node01"))
    assert reply.status == 409 and reply.json["reason"] == "AlreadyExists"
    assert reply.json["message"] == 'pods "twice" already exists'


def test_an_invalid_object_is_422_with_the_field_path(client: Client) -> None:
    bad = pod("no-image")
    del bad["spec"]["containers"][0]["image"]
    reply = client.post(PODS, bad)
    assert reply.status == 422 and reply.json["reason"] == "Invalid"
    assert (
        reply.json["message"]
        == 'Pod "no-image" is invalid: spec.containers[0].image: Required value'
    )


def test_an_update_with_a_stale_resource_version_is_409_conflict(client: Client) -> None:
    created = client.post(PODS, pod("stale", node="node01")).json
    labelled = client.request(
        "PATCH",
        f"{PODS}/stale",
        {"metadata": {"labels": {"v": "2"}}},
        content_type="application/merge-patch+json",
    )
    assert labelled.status == 200
    reply = client.request("PUT", f"{PODS}/stale", created)
    assert reply.status == 409 and reply.json["reason"] == "Conflict"
    assert "the object has been modified" in reply.json["message"]


def test_merge_strategic_and_json_patches_apply(client: Client) -> None:
    client.post(PODS, pod("patched", node="node01", labels={"a": "1"}))
    merge = client.request(
        "PATCH",
        f"{PODS}/patched",
        {"metadata": {"labels": {"b": "2", "a": None}}},
        content_type="application/merge-patch+json",
    )
    assert merge.status == 200 and merge.json["metadata"]["labels"] == {"b": "2"}
    strategic = client.request(
        "PATCH",
        f"{PODS}/patched",
        {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.16"}]}},
        content_type="application/strategic-merge-patch+json",
    )
    assert strategic.status == 200
    container = strategic.json["spec"]["containers"][0]
    assert (
        container["image"] == "nginx:1.16" and container["imagePullPolicy"] == "IfNotPresent"
    )  # merged by name, not replaced
    ops = [
        {"op": "add", "path": "/metadata/annotations", "value": {"note": "x"}},
        {"op": "test", "path": "/metadata/labels/b", "value": "2"},
    ]
    json_patch = client.request(
        "PATCH", f"{PODS}/patched", ops, content_type="application/json-patch+json"
    )
    assert json_patch.status == 200 and json_patch.json["metadata"]["annotations"] == {"note": "x"}


def test_a_json_patch_whose_test_fails_is_422_and_changes_nothing(client: Client) -> None:
    client.post(PODS, pod("tested", node="node01"))
    before = client.get(f"{PODS}/tested").json["metadata"]["resourceVersion"]
    ops = [
        {"op": "test", "path": "/metadata/labels/app", "value": "other"},
        {"op": "remove", "path": "/metadata/labels"},
    ]
    reply = client.request(
        "PATCH", f"{PODS}/tested", ops, content_type="application/json-patch+json"
    )
    assert reply.status == 422 and reply.json["reason"] == "Invalid"
    assert client.get(f"{PODS}/tested").json["metadata"]["resourceVersion"] == before


def test_a_patch_in_an_unknown_format_is_415(client: Client) -> None:
    reply = client.request("PATCH", f"{PODS}/anything", {"a": 1}, content_type="text/plain")
    assert reply.status == 415 and reply.json["reason"] == "UnsupportedMediaType"
    assert "application/strategic-merge-patch+json" in reply.json["message"]


def test_the_binding_subresource_binds_once_then_conflicts(client: Client) -> None:
    client.post(
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "unscheduled"}},
    )
    # A pod for a scheduler that does not exist stays unbound until someone posts its binding.
    client.post("/api/v1/namespaces/unscheduled/pods", pod("bind-me", schedulerName="my-scheduler"))
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "bind-me"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "node02"},
    }
    reply = client.post("/api/v1/namespaces/unscheduled/pods/bind-me/binding", binding)
    assert reply.status == 201 and reply.json == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }
    bound = client.get("/api/v1/namespaces/unscheduled/pods/bind-me").json
    assert bound["spec"]["nodeName"] == "node02"
    assert {"type": "PodScheduled", "status": "True"}.items() <= next(
        c for c in bound["status"]["conditions"] if c["type"] == "PodScheduled"
    ).items()
    again = client.post("/api/v1/namespaces/unscheduled/bindings", binding)
    assert (
        again.status == 409
        and again.json["message"]
        == 'Operation cannot be fulfilled on pods/binding "bind-me": pod bind-me is already '
        'assigned to node "node02"'
    )


def test_delete_of_a_bound_pod_is_graceful_then_the_pod_is_gone(client: Client) -> None:
    client.post(PODS, pod("doomed", node="node01"))
    reply = client.request(
        "DELETE",
        f"{PODS}/doomed",
        {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"},
    )
    assert reply.status == 200 and reply.json["metadata"]["name"] == "doomed"
    assert wait_until(lambda: client.get(f"{PODS}/doomed").status == 404)
    missing = client.request("DELETE", f"{PODS}/doomed")
    assert missing.status == 404 and missing.json["details"] == {"name": "doomed", "kind": "pods"}


def test_a_delete_with_a_wrong_uid_precondition_is_409(client: Client) -> None:
    client.post(PODS, pod("guarded", node="node01"))
    reply = client.request("DELETE", f"{PODS}/guarded", {"preconditions": {"uid": "not-its-uid"}})
    # BeforeDelete's early check: a Conflict on the kind (Pod), not the resource.
    assert reply.status == 409 and reply.json["message"].startswith(
        'Operation cannot be fulfilled on Pod "guarded": the UID in the precondition '
        "(not-its-uid) does not match the UID in record ("
    )
    assert reply.json["details"] == {"name": "guarded", "kind": "Pod"}


def test_status_updates_go_through_the_status_subresource(client: Client) -> None:
    client.post(PODS, pod("stat", schedulerName="nobody"))
    patch = {
        "status": {
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "nope",
                }
            ]
        }
    }
    reply = client.request(
        "PATCH", f"{PODS}/stat/status", patch, content_type="application/strategic-merge-patch+json"
    )
    assert reply.status == 200
    assert (
        client.get(f"{PODS}/stat/status").json["status"]["conditions"][0]["reason"]
        == "Unschedulable"
    )


def test_events_are_served_as_core_v1(client: Client) -> None:
    client.post(PODS, pod("evented"))
    assert wait_until(
        lambda: bool(
            client.get(
                "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Devented"
            ).json["items"]
        )
    )
    event = client.get(
        "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Devented,reason%3DScheduled"
    ).json["items"][0]
    assert (
        event["reportingComponent"] == "default-scheduler"
        and event["involvedObject"]["kind"] == "Pod"
    )
    assert event["message"].startswith("Successfully assigned default/evented to node0")


def test_pod_logs_honour_container_and_tail_lines(client: Client) -> None:
    script = {"command": ["sh", "-c", "echo one; echo two; echo three; sleep 3600"]}
    body = pod("logger", node="node02", image="busybox")
    body["spec"]["containers"][0].update(script)
    client.post(PODS, body)
    assert wait_until(lambda: client.get(f"{PODS}/logger/log").status == 200, timeout=15)
    reply = client.get(f"{PODS}/logger/log")
    assert (
        reply.headers["content-type"].startswith("text/plain") and reply.raw == b"one\ntwo\nthree\n"
    )
    assert client.get(f"{PODS}/logger/log?tailLines=1&container=nginx").raw == b"three\n"
    wrong = client.get(f"{PODS}/logger/log?container=sidecar")
    assert (
        wrong.status == 400
        and wrong.json["message"] == "container sidecar is not valid for pod logger"
    )
    never = client.get(f"{PODS}/logger/log?previous=true")
    assert (never.status, never.json["message"]) == (
        400,
        'previous terminated container "nginx" in pod "logger" not found',
    )


def test_pod_logs_of_the_previous_instance_after_a_crash(client: Client) -> None:
    body = pod("crasher", node="node01", image="busybox")
    body["spec"]["containers"][0]["command"] = ["sh", "-c", "echo crashed; exit 1"]
    client.post(PODS, body)

    def ended() -> bool:
        statuses = (client.get(f"{PODS}/crasher").json.get("status") or {}).get(
            "containerStatuses"
        ) or [{}]
        return bool(statuses[0].get("lastState", {}).get("terminated"))

    assert wait_until(ended, timeout=15)
    assert client.get(f"{PODS}/crasher/log?previous=true").raw == b"crashed\n"
    assert client.get(f"{PODS}/crasher/log?previous=true&follow=true").raw == b"crashed\n"


# -- bad input -------------------------------------------------------------------------------------


def test_a_malformed_json_body_is_a_400_and_the_server_goes_on(client: Client) -> None:
    reply = client.request("POST", PODS, raw=b'{"apiVersion": "v1", "kind": "Pod", "metadata": {')
    assert (
        reply.status == 400
        and reply.json["kind"] == "Status"
        and reply.json["reason"] == "BadRequest"
    )
    assert reply.json["message"] == (
        "the object provided is unrecognized (must be of type Pod): couldn't get version/kind; "
        'json parse error: unexpected end of JSON input ({"apiVersion": "v1", "kind": " ...)'
    )
    assert client.request("POST", PODS, raw=b"[1, 2]").status == 400
    garbage = client.request("POST", PODS, raw=b"\xff\xfe")
    assert garbage.status == 400 and garbage.json["message"] == (
        "the object provided is unrecognized (must be of type Pod): couldn't get version/kind; "
        "json parse error: invalid character '\u00ff' looking for beginning of value (fffe)"
    )
    assert_still_serving(client)


def test_a_body_over_3_mib_is_413_request_entity_too_large(client: Client) -> None:
    big = pod("huge")
    big["metadata"]["annotations"] = {"blob": "x" * (4 * 1024 * 1024)}
    reply = client.post(PODS, big)
    assert reply.status == 413
    assert (
        reply.json["reason"] == "RequestEntityTooLarge"
        and reply.json["message"] == "Request entity too large: limit is 3145728"
    )
    assert client.get(f"{PODS}/huge").status == 404
    assert_still_serving(client)


def test_an_unknown_resource_is_404_not_found(client: Client) -> None:
    for path in (
        "/api/v1/namespaces/default/foos",
        "/apis/apps/v1/namespaces/default/pods",
        "/api/v2/pods",
        "/nothing/here",
        f"{PODS}/x/attach",  # exec is served (tests/server/test_exec.py); attach is not
    ):
        reply = client.get(path)
        assert reply.status == 404, path
        assert (
            reply.json["reason"] == "NotFound"
            and reply.json["message"] == "the server could not find the requested resource"
        )
    assert client.get(f"{PODS}/no-such-pod").json["message"] == 'pods "no-such-pod" not found'
    assert_still_serving(client)


def test_a_verb_the_resource_does_not_serve_is_405(client: Client) -> None:
    reply = client.request("PUT", PODS, pod("x"))
    assert reply.status == 405 and reply.json["reason"] == "MethodNotAllowed"


def test_a_body_of_another_kind_is_a_400(client: Client) -> None:
    reply = client.post(PODS, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}})
    assert reply.status == 400 and "cannot be handled as a Pod" in reply.json["message"]


def test_a_client_that_sends_garbage_costs_only_its_connection(
    server: Server, client: Client
) -> None:
    context = server.client_context()
    with (
        socket.create_connection((server.host, server.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        tls.recv(1000)
    with (
        socket.create_connection((server.host, server.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(
            f"POST {PODS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            f"{server.credentials.token}\r\nContent-Length: 100\r\n\r\n{{".encode()
        )
        # ... and hangs up halfway through its body
    assert_still_serving(client)


# -- watches ---------------------------------------------------------------------------------------


def test_a_watch_resumed_from_a_resource_version_replays_nothing_older(client: Client) -> None:
    client.post(PODS, pod("before-1", node="node01", labels={"watch": "resume"}))
    mark = client.get(f"{PODS}?labelSelector=watch%3Dresume").json["metadata"]["resourceVersion"]
    with client.watch(
        f"{PODS}?watch=true&labelSelector=watch%3Dresume&resourceVersion={mark}"
    ) as stream:
        client.post(PODS, pod("after-1", node="node01", labels={"watch": "resume"}))
        seen = stream.until(
            lambda e: e["type"] == "ADDED" and e["object"]["metadata"]["name"] == "after-1"
        )
    assert all(int(e["object"]["metadata"]["resourceVersion"]) > int(mark) for e in seen)
    assert [e["object"]["metadata"]["name"] for e in seen if e["type"] == "ADDED"] == ["after-1"]


def test_a_watch_from_nothing_starts_with_added_for_what_exists(client: Client) -> None:
    client.post(PODS, pod("existing-1", node="node01", labels={"watch": "initial"}))
    with client.watch(f"{PODS}?watch=1&labelSelector=watch%3Dinitial") as stream:
        assert stream.status == 200
        first = stream.next()
    assert (
        first is not None
        and first["type"] == "ADDED"
        and first["object"]["metadata"]["name"] == "existing-1"
    )
    assert first["object"]["kind"] == "Pod"


def test_field_selectors_split_watches_by_node_and_scheduler(client: Client) -> None:
    path = (
        f"{PODS}?watch=true"
        "&fieldSelector=spec.nodeName%3Dnode02,spec.schedulerName%3Dsplit-scheduler"
    )
    with client.watch(path) as stream:
        client.post(PODS, pod("split-1", node="node01", schedulerName="split-scheduler"))
        client.post(PODS, pod("split-2", node="node02", schedulerName="split-scheduler"))
        event = stream.next()
    assert event is not None and event["object"]["metadata"]["name"] == "split-2"


def test_a_watch_from_a_compacted_revision_gets_410_gone(server: Server, client: Client) -> None:
    client.post(PODS, pod("compacted", node="node01"))
    old = client.get(PODS).json["metadata"]["resourceVersion"]
    client.post(PODS, pod("compacted-2", node="node01"))
    revision = server.live.call(server.live.api.compact)
    with client.watch(f"{PODS}?watch=true&resourceVersion={old}") as stream:
        event = stream.next()
        assert event is not None and event["type"] == "ERROR"
        assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
        assert event["object"]["message"].startswith(
            f"too old resource version: {old} ({revision})"
        )
        assert stream.next() is None  # the stream ends after the error


def test_bookmarks_come_only_to_watches_that_allow_them(server: Server, client: Client) -> None:
    with (
        client.watch(
            f"{PODS}?watch=true&allowWatchBookmarks=true&labelSelector=nobody%3Dhere"
        ) as with_marks,
        client.watch(f"{PODS}?watch=true&labelSelector=nobody%3Dhere") as without,
    ):
        assert wait_until(lambda: pod_watchers(server) >= 2)
        server.live.call(server.live.api.caches["pods"].bookmark)
        mark = with_marks.next()
        assert (
            mark is not None
            and mark["type"] == "BOOKMARK"
            and mark["object"]["metadata"]["resourceVersion"].isdigit()
        )
        client.post(PODS, pod("after-bookmark", labels={"nobody": "here"}, node="node01"))
        first = without.next()
        assert first is not None and first["type"] == "ADDED"


def test_send_initial_events_ends_with_the_initial_events_end_bookmark(client: Client) -> None:
    client.post(PODS, pod("initial-1", node="node01", labels={"watch": "list"}))
    path = (
        f"{PODS}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
        "&allowWatchBookmarks=true&labelSelector=watch%3Dlist"
    )
    with client.watch(path) as stream:
        seen = stream.until(lambda e: e["type"] == "BOOKMARK")
    assert [e["type"] for e in seen] == ["ADDED", "BOOKMARK"]
    assert seen[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_a_watch_with_a_bad_resource_version_is_refused_before_streaming(client: Client) -> None:
    reply = client.get(f"{PODS}?watch=true&resourceVersion=abc")
    assert reply.status == 500 and reply.json["message"] == (
        'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'
    )
    assert "reason" not in reply.json  # the cacher's error is no Status: reason Unknown ("")


def test_a_watch_ends_after_timeout_seconds(client: Client) -> None:
    with client.watch(f"{PODS}?watch=true&timeoutSeconds=1&labelSelector=nobody%3Dever") as stream:
        assert stream.next() is None


def test_a_dropped_watch_leaves_no_watcher_behind(server: Server, client: Client) -> None:
    baseline = pod_watchers(server)
    for _ in range(3):
        with client.watch(f"{PODS}?watch=true&labelSelector=drop%3Dme") as stream:
            assert stream.status == 200
            assert wait_until(lambda: pod_watchers(server) == baseline + 1)
        # the client closed its socket without a word; the server notices and stops the watch
        assert wait_until(lambda: pod_watchers(server) == baseline), (
            f"{pod_watchers(server)} watchers, {baseline} expected"
        )
    assert_still_serving(client)


def test_a_dropped_watch_with_traffic_leaves_no_watcher_behind(
    server: Server, client: Client
) -> None:
    baseline = pod_watchers(server)
    with client.watch(f"{PODS}?watch=true&labelSelector=busy%3Dyes") as stream:
        client.post(PODS, pod("busy-1", node="node01", labels={"busy": "yes"}))
        assert stream.next() is not None
    for i in range(2, 5):
        client.post(PODS, pod(f"busy-{i}", node="node01", labels={"busy": "yes"}))
    assert wait_until(lambda: pod_watchers(server) == baseline)


def test_watch_events_come_as_tables_when_kubectl_asks(client: Client) -> None:
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    client.post(PODS, pod("tabled", node="node01", labels={"watch": "table"}))
    with client.watch(
        f"{PODS}?watch=true&labelSelector=watch%3Dtable", headers={"Accept": accept}
    ) as stream:
        first = stream.next()
        client.request(
            "PATCH",
            f"{PODS}/tabled",
            {"metadata": {"labels": {"more": "x"}}},
            content_type="application/merge-patch+json",
        )
        second = stream.until(
            lambda e: "more" in e["object"]["rows"][0]["object"]["metadata"]["labels"]
        )[-1]
    assert (
        first is not None
        and first["object"]["kind"] == "Table"
        and first["object"]["columnDefinitions"][0]["name"] == "Name"
    )
    assert first["object"]["rows"][0]["cells"][0] == "tabled"
    assert second["object"]["columnDefinitions"] is None


def test_a_table_list_carries_the_wide_columns_and_metadata(client: Client) -> None:
    client.post(PODS, pod("wide", node="node02"))
    reply = client.get(
        f"{PODS}?fieldSelector=metadata.name%3Dwide",
        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
    )
    table = reply.json
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
        "IP",
        "Node",
        "Nominated Node",
        "Readiness Gates",
    ]
    assert [c["priority"] for c in table["columnDefinitions"]] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    row = table["rows"][0]
    assert row["cells"][0] == "wide" and row["cells"][6] == "node02"
    assert (
        row["object"]["kind"] == "PartialObjectMetadata"
        and row["object"]["metadata"]["name"] == "wide"
    )


def test_many_requests_in_parallel_all_get_answers(client: Client) -> None:
    import concurrent.futures

    def create(i: int) -> int:
        return client.post(
            PODS, pod(f"parallel-{i}", node="node01", labels={"batch": "parallel"})
        ).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(40)))
    assert statuses == [201] * 40
    listed = client.get(f"{PODS}?labelSelector=batch%3Dparallel").json["items"]
    assert len(listed) == 40
    versions = [int(p["metadata"]["resourceVersion"]) for p in listed]
    assert len(set(versions)) == 40


def test_a_chunked_request_body_is_read(server: Server, client: Client) -> None:
    body = json.dumps(pod("chunked", node="node01")).encode()
    context = server.client_context()
    with (
        socket.create_connection((server.host, server.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        head = (
            f"POST {PODS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            f"{server.credentials.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: "
            "chunked\r\nConnection: close\r\n\r\n"
        )
        tls.sendall(head.encode() + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201")


def test_a_client_that_accepts_only_what_is_not_served_is_406(client: Client) -> None:
    reply = client.get(PODS, headers={"Accept": "application/yaml"})
    assert reply.status == 406 and reply.json["reason"] == "NotAcceptable"
    only_protobuf = client.get(PODS, headers={"Accept": "application/vnd.kubernetes.protobuf"})
    assert only_protobuf.status == 200
    assert only_protobuf.headers["content-type"] == "application/vnd.kubernetes.protobuf"


def test_a_followed_log_streams_new_lines_until_the_container_exits(client: Client) -> None:
    body = pod("follower", node="node01", image="busybox", restartPolicy="Never")
    body["spec"]["containers"][0]["command"] = [
        "sh",
        "-c",
        "echo first; sleep 1; echo second; exit 0",
    ]
    client.post(PODS, body)
    assert wait_until(lambda: client.get(f"{PODS}/follower/log").status == 200, timeout=15)
    with client.watch(f"{PODS}/follower/log?follow=true") as stream:
        assert stream.response.getheader("Content-Type") == "text/plain"
        text = stream.response.read()  # ends when the container has exited
    assert text == b"first\nsecond\n"
