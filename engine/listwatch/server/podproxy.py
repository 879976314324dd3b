"""pods/proxy: a request to a pod's port, through the API server (`kubectl get --raw
.../pods/web:80/proxy/`).

The URL forms kube-apiserver serves, and how this answers them:

    GET /api/v1/namespaces/{ns}/pods/{name}/proxy
    GET /api/v1/namespaces/{ns}/pods/{name}/proxy/{path}

`name` is `NAME`, `NAME:PORT` or `SCHEME:NAME:PORT` (scheme `http` or `https`); without a port,
the pod's first declared containerPort, and without any, the scheme's own (80, 443). In the
order kube-apiserver checks them:

- another form of name is 400 `invalid pod request "a:b:c:d"`; a missing pod 404;
- a pod without an IP yet (Pending) is 400 `address not allowed`;
- `.../proxy` without a path is redirected to `.../proxy/` (301 Moved Permanently, as Go's
  `http.Redirect` writes it);
- a port nothing in the pod listens on is 503 ServiceUnavailable
  `error trying to reach service: dial tcp 10.244.1.3:8080: connect: connection refused`
  (and `https` to a plain-HTTP server, `tls: first record does not look like a TLS handshake`);
- a port a container listens on is asked `GET {path}?{query}` through the kubelet's runtime, as
  a readiness probe is (`Runtime.probe`: on the docker backend with busybox's wget inside the
  pod's network namespace, never to the container's address; on the memory backend a listening
  server answers 200, as its probes find). The answer's status code comes back, with a short
  text/plain body that says so: the runtime's probe reads the status, not the pod's headers
  and body, so those are not relayed. A server that gives no HTTP answer is 503 with the
  runtime's reason.

Where this differs from kube-apiserver, and why:
- GET and HEAD only, as the runtime's probe is a GET; another method is 405 MethodNotAllowed.
- No WebSocket or other upgrade is proxied.

The pod and its runtime are read on the cluster's loop thread (`LiveCluster.call`).
"""

from __future__ import annotations

import html
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from listwatch import errors
from listwatch.cluster import Cluster
from listwatch.server import messages, routes
from listwatch.server.live import LiveCluster

#: The ports a scheme means when the name gives none (Go's dial uses the URL scheme's).
DEFAULT_PORTS = {"http": 80, "https": 443}
#: Port names Go's resolver knows without /etc/services (the few a pod proxy meets).
NAMED_PORTS = {"http": 80, "https": 443}
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Target:
    """A pods/proxy request: scheme, pod name, port as given ("" for none), and the path with its
    query."""

    scheme: str
    pod: str
    port: str
    path: str


def target(route: routes.ResourceRoute, request: messages.Request) -> Target:
    """The request's target, as kube-apiserver splits `SCHEME:NAME:PORT` (BadRequest for another
    form)."""
    parts = route.name.split(":")
    if len(parts) == 1:
        scheme, name, port = "", parts[0], ""
    elif len(parts) == 2:
        scheme, (name, port) = "", parts
    elif len(parts) == 3:
        scheme, name, port = parts
    else:
        raise errors.BadRequest(f'invalid pod request "{route.name}"')
    if not name or scheme not in ("", "http", "https"):
        raise errors.BadRequest(f'invalid pod request "{route.name}"')
    path = route.proxy_path or "/"
    if request.pairs:
        path += "?" + urlencode(request.pairs)
    return Target(scheme or "http", name, port, path)


def answer(
    live: LiveCluster, route: routes.ResourceRoute, request: messages.Request
) -> messages.Response:
    """The pod's answer to the request (see the module docstring); an APIError for kube-apiserver's
    errors."""
    if request.method not in ("GET", "HEAD"):
        raise errors.MethodNotAllowed(
            "listwatch proxies GET and HEAD to a pod (its runtime's HTTP probe is a GET), not "
            f"{request.method}"
        )
    wanted = target(route, request)
    namespace = route.namespace or "default"
    if not route.proxy_path:
        live.call(_addressed, live.cluster, wanted, namespace)
        return _redirect(
            request.path + "/" + (f"?{urlencode(request.pairs)}" if request.pairs else "")
        )
    code, text = live.call(reach, live.cluster, wanted, namespace)
    return messages.Response(code, text.encode(), TEXT)


def reach(cluster: Cluster, wanted: Target, namespace: str) -> tuple[int, str]:
    """(loop thread) Ask the pod's runtime what the pod answers: (status code, the body to send)."""
    pod, ip = _addressed(cluster, wanted, namespace)
    port = _port(pod, wanted)
    address = f"{ip}:{port}"
    container_id = _listener(cluster, pod, port)
    if container_id is None:
        raise errors.ServiceUnavailable(
            f"error trying to reach service: dial tcp {address}: connect: connection refused"
        )
    if wanted.scheme == "https":
        raise errors.ServiceUnavailable(
            "error trying to reach service: tls: first record does not look like a TLS handshake"
        )
    ok, output = cluster.runtime.probe(
        container_id, {"httpGet": {"port": port, "path": wanted.path}}, ip=ip
    )
    code = 200 if ok else _status_code(output)
    if code is None:
        reason = output.rpartition(": ")[2].strip() or "EOF"
        raise errors.ServiceUnavailable(f"error trying to reach service: {reason}")
    url = f"http://{address}{wanted.path}"
    return code, (
        f"pod {namespace}/{wanted.pod} answered GET {url} with {code} {_phrase(code)} "
        "(listwatch relays the status of the answer, not its headers or body)\n"
    )


def _addressed(cluster: Cluster, wanted: Target, namespace: str) -> tuple[Mapping[str, Any], str]:
    """(loop thread) The pod and the IP to dial: 404 for no such pod, 400 when it has no IP yet."""
    pod = cluster.pod(wanted.pod, namespace)
    ip = _pod_ip(pod)
    if ip is None:
        raise errors.BadRequest("address not allowed")
    return pod, ip


def _redirect(location: str) -> messages.Response:
    body = f'<a href="{html.escape(location)}">Moved Permanently</a>.\n\n'
    return messages.Response(
        HTTPStatus.MOVED_PERMANENTLY,
        body.encode(),
        "text/html; charset=utf-8",
        headers={"Location": location},
    )


def _pod_ip(pod: Mapping[str, Any]) -> str | None:
    """The pod's first IP, if it is one a proxy may dial (Go's IsGlobalUnicast)."""
    ips = (pod.get("status") or {}).get("podIPs") or ()
    text = str((ips[0] or {}).get("ip", "")) if ips else ""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if (
        address.is_unspecified
        or address.is_loopback
        or address.is_multicast
        or address.is_link_local
    ):
        return None
    return text


def _port(pod: Mapping[str, Any], wanted: Target) -> int:
    """The port to dial: the one named, else the first declared containerPort, else the scheme's."""
    port = wanted.port
    if not port:
        for container in (pod.get("spec") or {}).get("containers") or ():
            for declared in container.get("ports") or ():
                return int(declared["containerPort"])
        return DEFAULT_PORTS[wanted.scheme]
    if port.isdigit():
        number = int(port)
        if 0 < number < 65536:
            return number
        raise errors.ServiceUnavailable(
            f"error trying to reach service: dial tcp: address {port}: invalid port"
        )
    if port in NAMED_PORTS:
        return NAMED_PORTS[port]
    raise errors.ServiceUnavailable(
        f"error trying to reach service: dial tcp: lookup tcp/{port}: unknown port"
    )


def _listener(cluster: Cluster, pod: Mapping[str, Any], port: int) -> str | None:
    """A running container of the pod that listens on `port` (they share the pod's network), or
    None."""
    for status in (pod.get("status") or {}).get("containerStatuses") or ():
        container_id = str(status.get("containerID", "")).partition("://")[2]
        if not container_id or "running" not in (status.get("state") or {}):
            continue
        listening = cluster.runtime.listening(container_id)
        if listening is not None and port in listening:
            return container_id
    return None


def _status_code(output: str) -> int | None:
    """The status code in a failed HTTP probe's output ("HTTP probe failed with statuscode:
    404")."""
    head, _, code = output.rpartition("statuscode: ")
    return int(code.strip()) if head and code.strip().isdigit() else None


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""
