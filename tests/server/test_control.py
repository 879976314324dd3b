"""The control API of a served cluster (/listwatch/v1) over real HTTPS: what it shows, what it does
to the cluster, and its errors as Status objects.

One server serves the module; a test that stops a kubelet or holds a watch off puts it back, and
tests that cut a component's watches use node02's kubelet, others node01.
"""

from __future__ import annotations

from typing import Any

from listwatch.engine import Engine
from listwatch.remote.controlapi import ControlClient
from listwatch.remote.kubeapi import KubeAPI
from tests.served import Client, pod, serving, wait_until

PODS = "/api/v1/namespaces/default/pods"
CONTROL = "/listwatch/v1"


def watches(client: Client, actor: str = "") -> list[dict[str, Any]]:
    reply = client.get(f"{CONTROL}/watches" + (f"?actor={actor}" if actor else ""))
    assert reply.status == 200 and reply.json["kind"] == "WatchList", reply
    items: list[dict[str, Any]] = reply.json["items"]
    return items


def informer(client: Client, actor: str, watch: str) -> dict[str, Any]:
    reply = client.get(f"{CONTROL}/informers?actor={actor}")
    assert reply.status == 200 and reply.json["kind"] == "InformerList", reply
    found: dict[str, Any] = next(i for i in reply.json["items"] if i["watch"] == watch)
    return found


def phase(client: Client, name: str) -> str:
    return str(client.get(f"{PODS}/{name}").json["status"].get("phase", ""))


def started_events(client: Client, name: str) -> list[dict[str, Any]]:
    uid = client.get(f"{PODS}/{name}").json["metadata"]["uid"]
    events = client.get(
        f"/api/v1/namespaces/default/events?fieldSelector=involvedObject.uid%3D{uid}"
    ).json["items"]
    return [e for e in events if e["reason"] == "Started"]


def assert_status(reply: Any, code: int, reason: str, message: str) -> None:
    assert reply.status == code, reply
    assert reply.json["kind"] == "Status" and reply.json["status"] == "Failure", reply.json
    assert (reply.json["code"], reply.json["reason"]) == (code, reason), reply.json
    assert message in reply.json["message"], reply.json["message"]


# -- the index, and the same authentication as the rest --------------------------------------------


def test_the_index_lists_the_control_paths(client: Client) -> None:
    reply = client.get(CONTROL)
    assert reply.status == 200
    assert reply.json["kind"] == "ControlAPI" and reply.json["apiVersion"] == "listwatch.io/v1"
    assert (
        f"{CONTROL}/watches" in reply.json["paths"] and f"{CONTROL}/kubelets" in reply.json["paths"]
    )
    assert reply.json["clock"] == {"speed": 1.0}


def test_without_the_token_every_control_path_is_401(client: Client) -> None:
    for method, path in (
        ("GET", CONTROL),
        ("GET", f"{CONTROL}/watches"),
        ("POST", f"{CONTROL}/kubelets/node01/stop"),
    ):
        reply = client.request(method, path, token=None)
        assert_status(reply, 401, "Unauthorized", "Unauthorized")
    assert client.get(f"{CONTROL}/kubelets/node01").json["state"] == "Running"


def test_an_unknown_path_is_404_and_a_wrong_method_405(client: Client) -> None:
    assert_status(
        client.get(f"{CONTROL}/etcd"),
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
    assert_status(
        client.request("DELETE", f"{CONTROL}/watches"),
        405,
        "MethodNotAllowed",
        "DELETE; allowed: GET",
    )
    assert_status(
        client.get(f"{CONTROL}/compaction"), 405, "MethodNotAllowed", "GET; allowed: POST"
    )


# -- the open watches ------------------------------------------------------------------------------


def test_the_open_watches_are_the_components_with_the_specs_selectors(client: Client) -> None:
    found = {(w["actor"], w["resource"], w["fieldSelector"]) for w in watches(client)}
    assert (
        "scheduler",
        "pods",
        "spec.nodeName=,status.phase!=Succeeded,status.phase!=Failed",
    ) in found
    assert ("kubelet/node01", "pods", "spec.nodeName=node01") in found
    assert ("kubelet/node02", "nodes", "metadata.name=node02") in found
    assert {"controller-manager", "scheduler", "kubelet/node01", "kubelet/node02"} <= {
        actor for actor, _, _ in found
    }
    own = watches(client, "kubelet/node01")
    assert {w["actor"] for w in own} == {"kubelet/node01"} and len(own) == 2
    assert all(
        w["namespace"] == "" and w["labelSelector"] == "" and w["resourceVersion"].isdigit()
        for w in own
    )


def test_an_http_clients_watch_is_listed_under_its_program_and_a_cut_ends_its_stream(
    client: Client,
) -> None:
    headers = {"User-Agent": "probe-client/1.0"}
    with client.watch(
        f"{PODS}?watch=true&labelSelector=app%3Dprobed&resourceVersion=0", headers=headers
    ) as stream:
        assert wait_until(lambda: len(watches(client, "probe-client")) == 1)
        (listed,) = watches(client, "probe-client")
        assert (listed["resource"], listed["namespace"], listed["labelSelector"]) == (
            "pods",
            "default",
            "app=probed",
        )
        reply = client.post(f"{CONTROL}/watches/cut", {"actor": "probe-client"})
        assert (
            reply.status == 200
            and reply.json["kind"] == "WatchCut"
            and reply.json["cut"] == [listed]
        )
        assert stream.next() is None  # the stream ended, as a dropped connection ends it
    assert watches(client, "probe-client") == []


def test_an_http_client_can_be_cut_but_not_held_off(client: Client) -> None:
    headers = {"User-Agent": "stubborn/2.0"}
    with client.watch(f"{PODS}?watch=true&resourceVersion=0", headers=headers):
        assert wait_until(lambda: len(watches(client, "stubborn")) == 1)
        reply = client.post(f"{CONTROL}/watches/cut", {"actor": "stubborn", "reconnect": False})
        assert_status(reply, 400, "BadRequest", "stubborn is not one of listwatch's own components")
        assert len(watches(client, "stubborn")) == 1  # nothing was cut


def test_cutting_an_actor_without_watches_is_404_naming_those_that_watch(client: Client) -> None:
    reply = client.post(f"{CONTROL}/watches/cut", {"actor": "kubelet/node09"})
    assert_status(
        reply,
        404,
        "NotFound",
        "kubelet/node09 has no open watch to cut (the actors watching: apiextensions-apiserver, "
        "controller-manager",
    )
    assert reply.json["details"] == {
        "name": "kubelet/node09",
        "kind": "watches",
        "group": "listwatch.io",
    }
    assert_status(
        client.post(f"{CONTROL}/watches/reconnect", {"actor": "scheduler"}),
        404,
        "NotFound",
        "no watch held off by a cut",
    )


def test_a_body_that_is_not_what_the_call_takes_is_400(client: Client) -> None:
    cut = f"{CONTROL}/watches/cut"
    assert_status(
        client.post(cut, {"actor": "scheduler", "reconect": False}),
        400,
        "BadRequest",
        'unknown field "reconect" in WatchCut',
    )
    assert_status(
        client.post(cut, {"actor": "scheduler", "reconnect": "no"}),
        400,
        "BadRequest",
        "reconnect must be a boolean, got string",
    )
    assert_status(
        client.post(cut, {"actor": "scheduler", "resource": "pod"}),
        400,
        "BadRequest",
        'resource "pod" is not one the API serves',
    )
    assert_status(
        client.post(cut, ["scheduler"]),
        400,
        "BadRequest",
        "the body must be a JSON object (WatchCut)",
    )
    assert_status(client.request("POST", cut, raw=b"{actor"), 400, "BadRequest", "json parse error")
    assert_status(client.post(cut, {}), 400, "BadRequest", "actor is required")


# -- a component's List-Watch, cut and held off ----------------------------------------------------


def test_a_cut_component_resumes_from_its_resource_version_without_listing(client: Client) -> None:
    before = informer(client, "kubelet/node01", "node")
    reply = client.post(f"{CONTROL}/watches/cut", {"actor": "kubelet/node01", "resource": "nodes"})
    assert reply.status == 200 and [w["fieldSelector"] for w in reply.json["cut"]] == [
        "metadata.name=node01"
    ]
    assert wait_until(lambda: informer(client, "kubelet/node01", "node")["connected"])
    after = informer(client, "kubelet/node01", "node")
    assert after["lists"] == before["lists"] and after["state"] == "Watching" and not after["held"]


def test_a_component_held_off_misses_a_pod_then_relists_after_a_compaction_and_starts_it_once(
    client: Client,
) -> None:
    actor = "kubelet/node02"
    lists = informer(client, actor, "pods")["lists"]
    reply = client.post(
        f"{CONTROL}/watches/cut", {"actor": actor, "resource": "pods", "reconnect": False}
    )
    assert reply.status == 200 and reply.json["reconnect"] is False
    held = informer(client, actor, "pods")
    assert held["held"] and not held["connected"] and held["state"] == "Watching"
    assert ("kubelet/node02", "pods") not in {(w["actor"], w["resource"]) for w in watches(client)}
    assert client.post(PODS, pod("held-off", node="node02")).status == 201
    assert not wait_until(
        lambda: phase(client, "held-off") == "Running", timeout=1.5
    )  # its kubelet does not see it
    compaction = client.post(f"{CONTROL}/compaction", None)
    assert (
        compaction.status == 200
        and compaction.json["revision"] == compaction.json["currentRevision"]
    )
    assert client.post(f"{CONTROL}/watches/reconnect", {"actor": actor}).status == 200
    assert wait_until(
        lambda: (
            informer(client, actor, "pods")["lists"] == lists + 1
            and informer(client, actor, "pods")["connected"]
        )
    )
    assert wait_until(lambda: phase(client, "held-off") == "Running")
    assert len(started_events(client, "held-off")) == 1


# -- compaction ------------------------------------------------------------------------------------


def test_after_a_compaction_a_watch_from_before_it_gets_410_gone(client: Client) -> None:
    client.post(PODS, pod("before-compaction", node="node01"))
    old = client.get(PODS).json["metadata"]["resourceVersion"]
    client.post(PODS, pod("after-compaction", node="node01"))
    reply = client.post(
        f"{CONTROL}/compaction", {"kind": "Compaction", "apiVersion": "listwatch.io/v1"}
    )
    assert reply.status == 200 and reply.json["kind"] == "Compaction"
    compacted = reply.json["revision"]
    assert compacted > int(old)
    with client.watch(f"{PODS}?watch=true&resourceVersion={old}") as stream:
        event = stream.next()
    assert event is not None and event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")
    assert event["object"]["message"] == f"too old resource version: {old} ({compacted})"


def test_compaction_to_a_given_revision_and_its_errors(client: Client) -> None:
    client.post(PODS, pod("compact-a", node="node01"))
    first = int(client.get(PODS).json["metadata"]["resourceVersion"])
    client.post(PODS, pod("compact-b", node="node01"))
    reply = client.post(f"{CONTROL}/compaction", {"revision": first})
    assert (
        reply.status == 200
        and reply.json["revision"] == first
        and reply.json["currentRevision"] > first
    )
    assert_status(
        client.post(f"{CONTROL}/compaction", {"revision": first}),
        409,
        "Conflict",
        "mvcc: required revision has been compacted",
    )
    future = reply.json["currentRevision"] + 1000
    assert_status(
        client.post(f"{CONTROL}/compaction", {"revision": future}),
        400,
        "BadRequest",
        "required revision is a future revision",
    )
    assert_status(
        client.post(f"{CONTROL}/compaction", {"revision": "5"}),
        400,
        "BadRequest",
        "revision must be an integer, got string",
    )
    assert_status(
        client.post(f"{CONTROL}/compaction", {"revision": 0}),
        400,
        "BadRequest",
        "revision must be a positive integer",
    )


# -- kubelets --------------------------------------------------------------------------------------


def test_a_stopped_kubelet_watches_nothing_and_starts_no_pod_until_it_restarts(
    client: Client,
) -> None:
    listed = client.get(f"{CONTROL}/kubelets").json
    assert listed["kind"] == "KubeletList" and [
        (k["node"], k["state"]) for k in listed["items"]
    ] == [
        ("node01", "Running"),
        ("node02", "Running"),
    ]
    try:
        stopped = client.post(f"{CONTROL}/kubelets/node01/stop", None)
        assert stopped.status == 200 and stopped.json == {
            "kind": "Kubelet",
            "apiVersion": "listwatch.io/v1",
            "node": "node01",
            "state": "Stopped",
        }
        assert (
            client.post(f"{CONTROL}/kubelets/node01/stop", None).json["state"] == "Stopped"
        )  # as systemctl stop: no change
        assert watches(client, "kubelet/node01") == []
        client.post(PODS, pod("while-stopped", node="node01"))
        assert not wait_until(lambda: phase(client, "while-stopped") == "Running", timeout=1.5)
    finally:
        restarted = client.post(f"{CONTROL}/kubelets/node01/restart", None)
    assert restarted.status == 200 and restarted.json["state"] == "Running"
    assert client.get(f"{CONTROL}/kubelets/node01").json["state"] == "Running"
    assert wait_until(lambda: phase(client, "while-stopped") == "Running")
    assert len(watches(client, "kubelet/node01")) == 2


def test_a_kubelet_the_cluster_does_not_run_is_404(client: Client) -> None:
    reply = client.post(f"{CONTROL}/kubelets/node09/stop", None)
    assert_status(
        reply, 404, "NotFound", 'kubelets "node09" not found (the kubelets: node01, node02)'
    )
    assert reply.json["details"] == {"name": "node09", "kind": "kubelets", "group": "listwatch.io"}


def test_served_without_its_kubelets_it_has_none_to_stop_and_says_why(engine: Engine) -> None:
    with serving(engine, without=("kubelet",)) as served:
        client = Client(served)
        assert client.get(f"{CONTROL}/kubelets").json["items"] == []
        reply = client.post(f"{CONTROL}/kubelets/node01/stop", None)
        assert_status(
            reply,
            404,
            "NotFound",
            "this cluster was served without its kubelets (--without kubelet)",
        )
        assert not any(w["actor"].startswith("kubelet/") for w in watches(client))


def test_a_cluster_served_faster_than_real_time_backs_off_on_its_own_clock(engine: Engine) -> None:
    """`listwatch serve --speed 30`: the kubelet's image-pull back-off (10 s, 20 s, 40 s ...) runs
    on the cluster's clock, and the control API says how fast it runs, so that the cluster backend
    waits in the cluster's seconds."""
    with serving(engine, speed=30) as server:
        client = Client(server)
        assert client.get(CONTROL).json["clock"] == {"speed": 30.0}
        api = KubeAPI(str(server.kubeconfig))
        try:
            control = ControlClient.probe(api)
        finally:
            api.close()
        assert control is not None and control.speed == 30.0
        created = client.post(
            "/api/v1/namespaces/default/pods", pod("late", image="busybox:9.99", node="node01")
        )
        assert created.status == 201, created

        def pulls() -> int:
            events = client.get(
                "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=late,"
                "reason=Pulling"
            ).json["items"]
            return sum(int(e.get("count") or 1) for e in events)

        # Four pulls, with back-offs of 10 s, 20 s and 40 s between them: 70 s of the cluster's
        # clock, between two and three seconds of real time.
        assert wait_until(lambda: pulls() >= 4, timeout=10), pulls()
