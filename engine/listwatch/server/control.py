"""The control API: fault injection and introspection for test harnesses, under /listwatch/v1.

Real test clusters are controlled out of band (on kind: `docker stop` a node); a served cluster is
controlled through these non-resource paths, beside the Kubernetes API and apart from it, the way
kube-apiserver serves /livez or /debug/... . Same TLS and bearer token as the rest (401 without);
bodies are JSON, errors are Status objects; `kubectl get --raw` and `kubectl create --raw -f` reach
them. What each call does is `listwatch.control`'s; every call runs on the loop thread
(`LiveCluster.call`).

    GET  /listwatch/v1                      the index of the paths below (404: a real cluster)
    GET  /listwatch/v1/watches[?actor=A]    WatchList: the API server's open watches
    POST /listwatch/v1/watches/cut          {"actor", "resource"?, "reconnect"?} -> WatchCut
    POST /listwatch/v1/watches/reconnect    {"actor": A, "resource": R?} -> InformerList
    GET  /listwatch/v1/informers[?actor=A]  InformerList: listwatch's components' List-Watches
    POST /listwatch/v1/compaction           {"revision": N?} (default: the current) -> Compaction
    GET  /listwatch/v1/kubelets             KubeletList
    GET  /listwatch/v1/kubelets/NODE        Kubelet {"node", "state": Running|Stopped}
    POST /listwatch/v1/kubelets/NODE/stop   -> Kubelet
    POST /listwatch/v1/kubelets/NODE/restart  -> Kubelet

Another method on one of these paths is 405; another path under /listwatch/v1 is 404. A body field
the call does not know is a 400 (a misspelt `reconect` must not pass silently).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver.resources import RESOURCES
from listwatch.control import API_VERSION, Control
from listwatch.server import messages
from listwatch.server.live import LiveCluster
from listwatch.server.messages import JSON

PREFIX = "/listwatch/v1"
#: The paths of the index (GET /listwatch/v1), as kube-apiserver's root lists its paths.
PATHS = (
    f"{PREFIX}/watches",
    f"{PREFIX}/watches/cut",
    f"{PREFIX}/watches/reconnect",
    f"{PREFIX}/informers",
    f"{PREFIX}/compaction",
    f"{PREFIX}/kubelets",
)


def owns(path: str) -> bool:
    """Whether `path` is the control API's (everything under /listwatch/v1)."""
    return path == PREFIX or path.startswith(PREFIX + "/")


Route = Callable[[messages.Request, list[str]], Any]


class ControlAPI:
    """Answers the control API's requests against one live cluster."""

    def __init__(self, live: LiveCluster) -> None:
        self.live = live
        self.control = Control(live.cluster)
        #: (method, path pattern) -> handler; `*` in a pattern is one segment, handed to the
        #: handler.
        self._routes: dict[tuple[str, tuple[str, ...]], Route] = {
            ("GET", ()): self._index,
            ("GET", ("watches",)): self._watches,
            ("POST", ("watches", "cut")): self._cut,
            ("POST", ("watches", "reconnect")): self._reconnect,
            ("GET", ("informers",)): self._informers,
            ("POST", ("compaction",)): self._compact,
            ("GET", ("kubelets",)): self._kubelets,
            ("GET", ("kubelets", "*")): self._kubelet,
            ("POST", ("kubelets", "*", "stop")): self._stop_kubelet,
            ("POST", ("kubelets", "*", "restart")): self._restart_kubelet,
        }

    def handle(self, request: messages.Request) -> messages.Response:
        """The answer to a request under /listwatch/v1 (errors raise `APIError`: the caller makes
        the Status)."""
        messages.check_acceptable(request.header("accept"), JSON)
        parts = [p for p in request.path[len(PREFIX) :].split("/") if p]
        method = "GET" if request.method == "HEAD" else request.method
        matched = [(key, route) for key, route in self._routes.items() if _matches(key[1], parts)]
        if not matched:
            raise errors.NotFound(
                f"the server could not find the requested resource ({request.path}; see GET "
                f"{PREFIX})"
            )
        for (verb, pattern), route in matched:
            if verb == method:
                args = [part for part, want in zip(parts, pattern, strict=True) if want == "*"]
                return messages.Response(200, messages.encode(route(request, args)))
        allowed = ", ".join(sorted({verb for (verb, _), _ in matched}))
        raise errors.MethodNotAllowed(
            f"the server does not allow this method on the requested resource ({request.method}; "
            f"allowed: {allowed})"
        )

    # -- the routes --------------------------------------------------------------------------------

    def _index(self, request: messages.Request, args: list[str]) -> Any:
        return {
            "kind": "ControlAPI",
            "apiVersion": API_VERSION,
            "paths": list(PATHS),
            "clock": {"speed": self.live.clock.speed},
        }

    def _watches(self, request: messages.Request, args: list[str]) -> Any:
        items = self.live.call(lambda: self.control.watches(actor=request.query.get("actor", "")))
        return {"kind": "WatchList", "apiVersion": API_VERSION, "items": items}

    def _cut(self, request: messages.Request, args: list[str]) -> Any:
        body = _body(request, "WatchCut", {"actor": str, "resource": str, "reconnect": bool})
        actor, resource, reconnect = (
            str(body.get("actor", "")),
            _resource(body),
            bool(body.get("reconnect", True)),
        )
        cut = self.live.call(
            lambda: self.control.cut(actor, resource=resource, reconnect=reconnect)
        )
        return {
            "kind": "WatchCut",
            "apiVersion": API_VERSION,
            "actor": actor,
            "resource": resource,
            "reconnect": reconnect,
            "cut": cut,
        }

    def _reconnect(self, request: messages.Request, args: list[str]) -> Any:
        body = _body(request, "WatchReconnect", {"actor": str, "resource": str})
        actor, resource = str(body.get("actor", "")), _resource(body)
        items = self.live.call(lambda: self.control.reconnect(actor, resource=resource))
        return {"kind": "InformerList", "apiVersion": API_VERSION, "items": items}

    def _informers(self, request: messages.Request, args: list[str]) -> Any:
        items = self.live.call(lambda: self.control.informers(actor=request.query.get("actor", "")))
        return {"kind": "InformerList", "apiVersion": API_VERSION, "items": items}

    def _compact(self, request: messages.Request, args: list[str]) -> Any:
        body = _body(request, "Compaction", {"revision": int}, optional=True)
        revision = body.get("revision")
        return self.live.call(self.control.compact, revision)

    def _kubelets(self, request: messages.Request, args: list[str]) -> Any:
        return {
            "kind": "KubeletList",
            "apiVersion": API_VERSION,
            "items": self.live.call(self.control.kubelets),
        }

    def _kubelet(self, request: messages.Request, args: list[str]) -> Any:
        return self.live.call(self.control.kubelet, args[0])

    def _stop_kubelet(self, request: messages.Request, args: list[str]) -> Any:
        return self.live.call(self.control.stop_kubelet, args[0])

    def _restart_kubelet(self, request: messages.Request, args: list[str]) -> Any:
        return self.live.call(self.control.restart_kubelet, args[0])


def _matches(pattern: tuple[str, ...], parts: list[str]) -> bool:
    return len(pattern) == len(parts) and all(
        want in ("*", part) for want, part in zip(pattern, parts, strict=True)
    )


def _body(
    request: messages.Request, kind: str, fields: Mapping[str, type], *, optional: bool = False
) -> dict[str, Any]:
    """The request's JSON object, its fields checked: known, of their type (kind and apiVersion may
    be given)."""
    if optional and not request.body.strip():
        return {}
    body = messages.json_body(request)
    if not isinstance(body, dict):
        raise errors.BadRequest(
            f"the body must be a JSON object ({kind}), got {type(body).__name__}"
        )
    if body.get("kind") not in (None, kind):
        raise errors.BadRequest(f"the body is a {body['kind']}, expected a {kind}")
    if body.get("apiVersion") not in (None, API_VERSION):
        raise errors.BadRequest(
            f"the apiVersion of the body is {body['apiVersion']}, expected {API_VERSION}"
        )
    for name, value in body.items():
        if name in ("kind", "apiVersion"):
            continue
        want = fields.get(name)
        if want is None:
            raise errors.BadRequest(
                f'unknown field "{name}" in {kind}; known fields: {", ".join(fields)}'
            )
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise errors.BadRequest(
                f"{kind}.{name} must be a{'n' if want is int else ''} {_TYPE_NAMES[want]}, got "
                f"{json_type(value)}"
            )
    return body


def _resource(body: Mapping[str, Any]) -> str:
    resource = str(body.get("resource", ""))
    if resource and resource not in RESOURCES:
        raise errors.BadRequest(
            f'resource "{resource}" is not one the API serves ({", ".join(sorted(RESOURCES))})'
        )
    return resource


_TYPE_NAMES: dict[type, str] = {str: "string", bool: "boolean", int: "integer"}


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type (for messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)
