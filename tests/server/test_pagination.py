"""Paged lists (`limit` and `continue`) over HTTPS as kube-apiserver v1.32 answers them, and as
their users page: the real kubectl (`--chunk-size`), the official client's `_continue` loop while
pods come and go, and an informer's paged list followed by a watch from its resourceVersion."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import Client, official_client, pod, serving

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[Server]:
    with serving(engine, without=("scheduler",)) as served:
        yield served


def namespace(client: Client, name: str, pods: int) -> str:
    """A namespace of its own holding `pods` pods named p00, p01, ..."""
    assert client.post("/api/v1/namespaces", {"metadata": {"name": name}}).status == 201
    for index in range(pods):
        assert client.post(f"/api/v1/namespaces/{name}/pods", pod(f"p{index:02}")).status == 201
    return f"/api/v1/namespaces/{name}/pods"


def names(body: dict[str, Any]) -> list[str]:
    return [item["metadata"]["name"] for item in body["items"]]


def token_fields(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))  # type: ignore[no-any-return]


def test_a_first_page_carries_continue_and_remaining_item_count(client: Client) -> None:
    pods = namespace(client, "paged-first", 5)
    first = client.get(f"{pods}?limit=2")
    meta = first.json["metadata"]
    assert list(meta) == ["resourceVersion", "continue", "remainingItemCount"]
    assert names(first.json) == ["p00", "p01"] and meta["remainingItemCount"] == 3
    # The watch cache writes the first page's token; its start keeps the slash.
    assert token_fields(meta["continue"]) == {
        "v": "meta.k8s.io/v1",
        "rv": int(meta["resourceVersion"]),
        "start": "/p01\x00",
    }
    second = client.get(f"{pods}?limit=2&continue={meta['continue']}")
    assert names(second.json) == ["p02", "p03"]
    assert second.json["metadata"]["resourceVersion"] == meta["resourceVersion"]
    assert token_fields(second.json["metadata"]["continue"])["start"] == "p03\x00"  # etcd's
    last = client.get(f"{pods}?limit=2&continue={second.json['metadata']['continue']}")
    assert names(last.json) == ["p04"]
    assert last.json["metadata"] == {"resourceVersion": meta["resourceVersion"]}


def test_a_selector_leaves_out_the_count(client: Client) -> None:
    pods = namespace(client, "paged-selector", 3)
    page = client.get(f"{pods}?limit=1&labelSelector=app%3Dnginx")
    assert "continue" in page.json["metadata"]
    assert "remainingItemCount" not in page.json["metadata"]


def test_resource_version_0_answers_everything_from_the_cache(client: Client) -> None:
    pods = namespace(client, "paged-zero", 3)
    page = client.get(f"{pods}?limit=1&resourceVersion=0")
    assert names(page.json) == ["p00", "p01", "p02"]
    assert list(page.json["metadata"]) == ["resourceVersion"]


def test_a_malformed_token_is_400_with_storages_text(client: Client) -> None:
    reply = client.get("/api/v1/namespaces/default/pods?limit=1&continue=a")
    assert reply.status == 400
    assert reply.raw == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":'
        b'"invalid continue token: continue key is not valid: illegal base64 data at input byte '
        b'0","reason":"BadRequest","code":400}\n'
    )


def test_a_match_with_a_continue_is_422(client: Client) -> None:
    reply = client.get(
        "/api/v1/pods?limit=1&continue=x&resourceVersion=1&resourceVersionMatch=NotOlderThan"
    )
    assert reply.status == 422
    assert reply.json["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
        "resourceVersionMatch is forbidden when continue is provided"
    )


def test_a_compacted_continue_is_410_with_an_inconsistent_token(
    server: Server, client: Client
) -> None:
    pods = namespace(client, "paged-compacted", 3)
    first = client.get(f"{pods}?limit=1").json["metadata"]["continue"]
    client.post(pods, pod("p00a"))
    server.live.call(server.live.api.compact)
    expired = client.get(f"{pods}?limit=1&continue={first}")
    assert expired.status == 410
    status = expired.json
    assert list(status) == [
        "kind", "apiVersion", "metadata", "status", "message", "reason", "code"
    ]  # fmt: skip
    assert status["reason"] == "Expired"
    assert status["message"].startswith(
        "The provided continue parameter is too old to display a consistent list result. You "
        "can start a new list without the continue parameter, or use the continue token in this "
        "response to retrieve the remainder of the results."
    )
    inconsistent = status["metadata"]["continue"]
    assert token_fields(inconsistent) == {"v": "meta.k8s.io/v1", "rv": -1, "start": "p00\x00"}
    rest = client.get(f"{pods}?limit=5&continue={inconsistent}")
    assert names(rest.json) == ["p00a", "p01", "p02"]  # the current state, p00a included


@pytest.mark.skipif(not os.access(KUBECTL, os.X_OK), reason="kubectl is not installed")
def test_kubectl_get_with_a_small_chunk_size_prints_every_pod(
    server: Server, client: Client, tmp_path: Any
) -> None:
    namespace(client, "paged-kubectl", 7)
    assert server.kubeconfig is not None
    env = {**os.environ, "KUBECONFIG": str(server.kubeconfig), "HOME": str(tmp_path)}
    done = subprocess.run(
        [KUBECTL, "get", "pods", "-n", "paged-kubectl", "--chunk-size=2", "-v=6"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["NAME", "READY"]
    assert [line.split()[0] for line in lines[1:]] == [f"p{i:02}" for i in range(7)]
    requests = [line for line in done.stderr.splitlines() if "/pods?" in line]
    assert sum("continue=" in line for line in requests) == 3  # four pages of two


def test_the_official_clients_continue_loop_sees_every_pod_once_amid_churn(
    server: Server, client: Client
) -> None:
    from kubernetes import client as k8s

    pods = namespace(client, "paged-churn", 30)
    stop = threading.Event()

    def churn() -> None:
        index = 0
        while not stop.is_set():
            client.post(pods, pod(f"new{index:03}"))
            client.request("DELETE", f"{pods}/new{index:03}?gracePeriodSeconds=0")
            index += 1

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        with official_client(server) as api_client:
            v1 = k8s.CoreV1Api(api_client)
            seen: list[str] = []
            versions: set[str] = set()
            token = None
            while True:
                page = v1.list_namespaced_pod("paged-churn", limit=4, _continue=token)
                seen += [p.metadata.name for p in page.items]
                versions.add(page.metadata.resource_version)
                token = page.metadata._continue
                if not token:
                    break
    finally:
        stop.set()
        writer.join()
    originals = [name for name in seen if name.startswith("p")]
    assert originals == [f"p{i:02}" for i in range(30)]  # each exactly once, in order
    assert len(seen) == len(set(seen))
    assert len(versions) == 1  # every page read at the first page's revision


def test_an_informers_paged_list_then_watch_misses_nothing(server: Server, client: Client) -> None:
    from kubernetes import client as k8s
    from kubernetes import watch

    pods = namespace(client, "paged-informer", 6)
    with official_client(server) as api_client:
        v1 = k8s.CoreV1Api(api_client)
        known: dict[str, str] = {}
        page = v1.list_namespaced_pod("paged-informer", limit=2)
        client.post(pods, pod("during-list"))  # after the list's revision: the watch's to tell
        client.request("DELETE", f"{pods}/p05?gracePeriodSeconds=0")
        while True:
            known.update({p.metadata.name: p.metadata.resource_version for p in page.items})
            if not page.metadata._continue:
                break
            page = v1.list_namespaced_pod(
                "paged-informer", limit=2, _continue=page.metadata._continue
            )
        assert sorted(known) == [f"p{i:02}" for i in range(6)]
        client.post(pods, pod("after-list"))
        w = watch.Watch()
        for event in w.stream(
            v1.list_namespaced_pod,
            "paged-informer",
            resource_version=page.metadata.resource_version,
            timeout_seconds=10,
        ):
            obj = event["object"]
            if event["type"] == "DELETED":
                known.pop(obj.metadata.name, None)
            else:
                known[obj.metadata.name] = obj.metadata.resource_version
            if "after-list" in known:
                w.stop()
    now = client.get(pods).json
    assert sorted(known) == sorted(names(now)) == [
        "after-list", "during-list", "p00", "p01", "p02", "p03", "p04"
    ]  # fmt: skip


def test_where_a_first_page_comes_from_shows_in_its_token(client: Client) -> None:
    """v1.32's cacher pages NotOlderThan itself (its start keeps the slash) and hands an Exact or
    legacy exact read (a limit and a version, no match) to etcd, which reads at that revision."""
    pods = namespace(client, "paged-where", 3)
    mark = client.get(pods).json["metadata"]["resourceVersion"]
    client.post(pods, pod("p00a"))
    cached = client.get(f"{pods}?limit=1&resourceVersion={mark}&resourceVersionMatch=NotOlderThan")
    assert names(cached.json) == ["p00"]
    assert token_fields(cached.json["metadata"]["continue"])["start"] == "/p00\x00"
    assert cached.json["metadata"]["remainingItemCount"] == 3  # p00a, p01, p02: the current state
    for query in (f"resourceVersion={mark}&resourceVersionMatch=Exact", f"resourceVersion={mark}"):
        exact = client.get(f"{pods}?limit=1&{query}").json["metadata"]
        assert exact["resourceVersion"] == mark and exact["remainingItemCount"] == 2
        assert token_fields(exact["continue"]) == {
            "v": "meta.k8s.io/v1",
            "rv": int(mark),
            "start": "p00\x00",
        }
