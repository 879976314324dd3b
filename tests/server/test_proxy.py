"""pods/proxy through the served API: a pod's port answers through the kubelet's runtime, and every
refusal is the Status kube-apiserver gives (400 for a malformed name or a pod without an IP, 404
for a missing pod, 503 "error trying to reach service" where nothing listens)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from listwatch import errors
from listwatch.engine import Engine
from listwatch.server import Server, routes
from tests.dockerengine import BUSYBOX
from tests.served import Client, serving, wait_until

PODS = "/api/v1/namespaces/default/pods"


def serving_pod(
    name: str, port: int, *, image: str = "busybox:1.36", declared: int | None = None, **spec: Any
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "web",
        "image": image,
        "command": ["httpd", "-f", "-p", str(port)],
    }
    if declared is not None:
        container["ports"] = [{"containerPort": declared}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [container], **spec},
    }


def running(client: Client, name: str) -> bool:
    status = (client.get(f"{PODS}/{name}").json or {}).get("status", {})
    return any("running" in (c.get("state") or {}) for c in status.get("containerStatuses") or ())


def pod_ip(client: Client, name: str) -> str:
    return str(client.get(f"{PODS}/{name}").json["status"]["podIP"])


@pytest.fixture(scope="module")
def served(engine: Engine) -> Iterator[Server]:
    """A served cluster with a pod serving on 80 (declaring 80), one serving on 80 declaring 8080,
    an nginx, and a pod that stays Pending (no node matches it), so without an IP."""
    with serving(engine) as server:
        client = Client(server)
        for body in (
            serving_pod("web", 80, declared=80),
            serving_pod("deaf", 80, declared=8080),
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "nginx"},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.15"}]},
            },
            serving_pod("nowhere", 80, nodeSelector={"cz": "carol"}),
        ):
            assert client.post(PODS, body).status == 201
        assert wait_until(
            lambda: all(running(client, n) for n in ("web", "deaf", "nginx")), timeout=30
        )
        yield server


def test_a_port_that_listens_answers_through_the_proxy(served: Server) -> None:
    client = Client(served)
    ip = pod_ip(client, "web")
    reply = client.get(f"{PODS}/web:80/proxy/")
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/plain")
    assert reply.raw.decode() == (
        f"pod default/web answered GET http://{ip}:80/ with 200 OK (listwatch relays the status "
        "of the answer, not its headers or body)\n"
    )
    assert (
        f"GET http://{ip}:80/index.html?a=1 "
        in client.get(f"{PODS}/web:80/proxy/index.html?a=1").raw.decode()
    )
    assert client.get(f"{PODS}/nginx/proxy/").status == 200  # no port: the scheme's (80)


def test_without_a_port_the_first_declared_container_port_is_dialled(served: Server) -> None:
    client = Client(served)
    assert client.get(f"{PODS}/web/proxy/").status == 200
    reply = client.get(f"{PODS}/deaf/proxy/")  # declares 8080, listens on 80
    assert reply.status == 503
    assert (
        reply.json["message"]
        == f"error trying to reach service: dial tcp {pod_ip(client, 'deaf')}:8080: connect: "
        "connection refused"
    )


def test_a_port_nothing_listens_on_is_503_error_trying_to_reach_service(served: Server) -> None:
    client = Client(served)
    reply = client.get(f"{PODS}/web:8080/proxy/")
    assert reply.status == 503
    assert reply.json == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f"error trying to reach service: dial tcp {pod_ip(client, 'web')}:8080: "
        "connect: connection refused",
        "reason": "ServiceUnavailable",
        "code": 503,
    }


def test_https_to_a_plain_http_server_fails_its_handshake(served: Server) -> None:
    reply = Client(served).get(f"{PODS}/https:web:80/proxy/")
    assert (reply.status, reply.json["message"]) == (
        503,
        "error trying to reach service: tls: first record does not look like a TLS handshake",
    )


def test_the_proxy_path_without_its_trailing_slash_is_redirected_to_it(served: Server) -> None:
    reply = Client(served).get(f"{PODS}/web:80/proxy?a=1")
    assert (reply.status, reply.headers["location"]) == (301, f"{PODS}/web:80/proxy/?a=1")
    assert reply.raw == f'<a href="{PODS}/web:80/proxy/?a=1">Moved Permanently</a>.\n\n'.encode()
    assert Client(served).get(f"{PODS}/nowhere:80/proxy").status == 400  # the pod is checked first


@pytest.mark.parametrize(
    ("path", "code", "message"),
    [
        (f"{PODS}/ghost:80/proxy/", 404, 'pods "ghost" not found'),
        (f"{PODS}/nowhere:80/proxy/", 400, "address not allowed"),
        (f"{PODS}/a:b:c:d/proxy/", 400, 'invalid pod request "a:b:c:d"'),
        (f"{PODS}/ftp:web:80/proxy/", 400, 'invalid pod request "ftp:web:80"'),
        (
            f"{PODS}/web:99999/proxy/",
            503,
            "error trying to reach service: dial tcp: address 99999: invalid port",
        ),
    ],
)
def test_what_cannot_be_proxied_is_the_api_server_s_status(
    served: Server, path: str, code: int, message: str
) -> None:
    reply = Client(served).get(path)
    assert (reply.status, reply.json["message"]) == (code, message), reply


def test_only_get_and_head_are_proxied(served: Server) -> None:
    client = Client(served)
    assert client.request("HEAD", f"{PODS}/web:80/proxy/").status == 200
    reply = client.post(f"{PODS}/web:80/proxy/", {"a": 1})
    assert reply.status == 405 and reply.json["reason"] == "MethodNotAllowed"


def test_discovery_lists_pods_proxy_as_kube_apiserver_does(served: Server) -> None:
    resources = Client(served).get("/api/v1").json["resources"]
    proxy = next(r for r in resources if r["name"] == "pods/proxy")
    assert proxy == {
        "name": "pods/proxy",
        "singularName": "",
        "namespaced": True,
        "kind": "PodProxyOptions",
        "verbs": ["create", "delete", "get", "patch", "update"],
    }


@pytest.mark.skipif(
    not shutil.which("kubectl") and not os.access("/usr/bin/kubectl", os.X_OK),
    reason="kubectl is not installed",
)
def test_kubectl_get_raw_reaches_the_pod_and_prints_the_refusal(served: Server) -> None:
    kubectl = shutil.which("kubectl") or "/usr/bin/kubectl"
    env = {**os.environ, "KUBECONFIG": str(served.kubeconfig)}
    answered = subprocess.run(
        [kubectl, "get", "--raw", f"{PODS}/web:80/proxy/"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert answered.returncode == 0 and "with 200 OK" in answered.stdout, answered.stderr
    refused = subprocess.run(
        [kubectl, "get", "--raw", f"{PODS}/web:8080/proxy/"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert refused.returncode == 1
    assert (
        "Error from server (ServiceUnavailable): error trying to reach service: dial tcp"
        in refused.stderr
    ), refused.stderr


# -- the route ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name", "rest"),
    [
        ("/api/v1/namespaces/ns/pods/web/proxy", "web", ""),
        ("/api/v1/namespaces/ns/pods/web:80/proxy/", "web:80", "/"),
        ("/api/v1/namespaces/ns/pods/https:web:443/proxy/a/b/", "https:web:443", "/a/b/"),
    ],
)
def test_a_proxy_path_names_the_pod_and_keeps_what_follows(path: str, name: str, rest: str) -> None:
    route = routes.parse(path)
    assert (route.name, route.subresource, route.proxy_path) == (name, "proxy", rest)
    assert {route.verb(m, {}) for m in ("GET", "POST", "DELETE")} == {"proxy"}


def test_a_proxy_path_glued_to_more_is_not_a_route() -> None:
    with pytest.raises(errors.NotFound):
        routes.parse("/api/v1/namespaces/ns/pods/web/proxyx")
    with pytest.raises(errors.NotFound):
        routes.parse("/api/v1/nodes/node01/proxy/")


# -- on real containers ----------------------------------------------------------------------------


def test_on_the_docker_backend_the_answer_is_the_container_s_own(engine: Engine) -> None:
    """busybox httpd inside the pod answers: 200 for a page it has, 404 for one it lacks."""
    with serving(engine, runtime="docker") as server:
        client = Client(server)
        script = "echo ok > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web"},
            "spec": {
                "containers": [{"name": "web", "image": BUSYBOX, "command": ["sh", "-c", script]}]
            },
        }
        assert client.post(PODS, body).status == 201
        assert wait_until(
            lambda: Client(server).get(f"{PODS}/web:8080/proxy/").status == 200, timeout=60
        )
        missing = client.get(f"{PODS}/web:8080/proxy/missing")
        assert missing.status == 404 and "with 404 Not Found" in missing.raw.decode()
        assert client.get(f"{PODS}/web:80/proxy/").status == 503
