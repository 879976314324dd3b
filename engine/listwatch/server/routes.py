"""URL paths of the Kubernetes API, and the verb a request on one of them asks for.

    /api/v1/pods                                       pods in every namespace (list, watch)
    /api/v1/namespaces/default/pods                    list, watch, create, deletecollection
    /api/v1/namespaces/default/pods/web                get, update, patch, delete
    /api/v1/namespaces/default/pods/web/status         get, update, patch (the status subresource)
    /api/v1/namespaces/default/pods/web/binding        create (bind the pod to a node)
    /api/v1/namespaces/default/pods/web/eviction       create (evict the pod, within its budget)
    /api/v1/namespaces/default/pods/web/log            get (the container's log)
    /api/v1/namespaces/default/pods/web/exec           get or post, upgraded (run a command)
    /api/v1/namespaces/default/pods/web/portforward    get or post, upgraded (to the pod's ports)
    /api/v1/namespaces/default/pods/web:80/proxy/PATH  any method (to the pod's port; `podproxy`)
    /api/v1/namespaces/default/bindings                create (the older way to bind)
    /api/v1/nodes/node01                               cluster-scoped: no namespace segment
    /api/v1/namespaces/default                         the Namespace object itself
    /api/v1/namespaces/default/finalize                update (the namespace's spec.finalizers)
    /apis/apps/v1/namespaces/default/replicasets       a named group
    /api/v1/watch/namespaces/default/pods              the deprecated watch form (verb watch)

A path that names no served resource, or a subresource the resource lacks, is a 404 with the
Status message a Kubernetes API server gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from listwatch import errors
from listwatch.apiserver.registry import Registry
from listwatch.apiserver.resources import RESOURCES, SERVED, Resource

#: Served resources by (group, version, plural).
BY_PATH: Mapping[tuple[str, str, str], Resource] = {
    (r.group, r.version, r.plural): r for r in SERVED
}

NOT_FOUND = "the server could not find the requested resource"
NOT_ALLOWED = "the server does not allow this method on the requested resource"


def not_found() -> errors.NotFound:
    """The 404 of a path no route serves, as go-restful's service error handler answers it
    (NewGenericServerResponse: its generic words, empty details)."""
    return errors.NotFound(NOT_FOUND, details={})


def not_allowed() -> errors.MethodNotAllowed:
    """The 405 of a method a route does not serve, as go-restful's service error handler answers
    it (NewGenericServerResponse: its generic words, empty details)."""
    return errors.MethodNotAllowed(NOT_ALLOWED, details={})


@dataclass(frozen=True, slots=True)
class ResourceRoute:
    """A request path under /api or /apis that names a resource, maybe an object, maybe a
    subresource.

    `name` is "" for a collection. The `bindings` collection is the pods resource with the
    `binding` subresource and no name (the pod's name is in the body).
    """

    resource: Resource
    namespace: str | None
    name: str = ""
    subresource: str = ""
    watch_path: bool = False
    #: What follows `.../proxy` in a pods/proxy path ("", "/" or "/a/b"), as it was sent.
    proxy_path: str = ""

    def verb(self, method: str, query: Mapping[str, str]) -> str:
        """The API verb: get, list, watch, create, update, patch, delete, deletecollection, bind,
        evict, log, exec, portforward, proxy or scale."""
        method = method.upper()
        if (
            self.subresource == "proxy"
        ):  # every method goes to the pod (`podproxy` says which it serves)
            return "proxy"
        if self.subresource == "scale":
            if method not in ("GET", "PUT", "PATCH"):
                raise not_allowed()
            return "scale"
        if self.subresource == "binding":
            if method != "POST":
                raise not_allowed()
            return "bind"
        if self.subresource == "eviction":
            if method != "POST":
                raise errors.MethodNotAllowed(
                    f"the server does not allow this method on the requested resource ({method})"
                )
            return "evict"
        if self.subresource == "log":
            if method != "GET":
                raise not_allowed()
            return "log"
        if self.subresource == "exec":  # GET for a WebSocket, POST for SPDY (kubectl's fallback)
            if method not in ("GET", "POST"):
                raise not_allowed()
            return "exec"
        if self.subresource == "portforward":  # likewise (`portforward` serves it)
            if method not in ("GET", "POST"):
                raise not_allowed()
            return "portforward"
        if self.watch_path:
            if method != "GET":
                raise not_allowed()
            return "watch"
        if not self.name:
            verbs = {
                "GET": "watch" if truthy(query.get("watch")) else "list",
                "POST": "create",
                "DELETE": "deletecollection",
            }
        elif self.subresource == "status":
            verbs = {"GET": "get", "PUT": "update", "PATCH": "patch"}
        elif self.subresource == "finalize":  # namespaces/{name}/finalize: its spec.finalizers
            verbs = {"PUT": "update"}
        else:
            verbs = {
                "GET": "watch" if truthy(query.get("watch")) else "get",
                "PUT": "update",
                "PATCH": "patch",
                "DELETE": "delete",
            }
        verb = verbs.get(method)
        if verb is None or (not self.subresource and verb not in self.resource.verbs):
            raise not_allowed()
        return verb


def truthy(value: str | None) -> bool:
    """A boolean query parameter as the API server parses it (`true`, `1`, ...)."""
    return value is not None and value.lower() in ("true", "1", "t", "yes")


def parse(path: str, registry: Registry | None = None) -> ResourceRoute:
    """The resource route a path names (among the registry's resources: the built-in ones, and
    its CRDs'); NotFound when it names none."""
    by_path = registry.by_path if registry is not None else _builtin
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise not_found()
    watch_path = bool(rest) and rest[0] == "watch"
    if watch_path:
        rest = rest[1:]
    if not rest:
        raise not_found()
    namespace: str | None = None
    # namespaces/{ns}/{resource}/...: a namespaced resource (a bare namespaces/{ns} is the
    # Namespace).
    if (
        rest[0] == "namespaces"
        and len(rest) >= 3
        and _namespaced_or_bindings(by_path, group, version, rest[2])
    ):
        namespace, rest = rest[1], rest[2:]
    plural, name, subresource = rest[0], "", ""
    if len(rest) >= 2:
        name = rest[1]
    if len(rest) >= 3:
        subresource = rest[2]
    proxy_path = ""
    if (
        subresource == "proxy" and not watch_path
    ):  # .../pods/NAME/proxy[/PATH]: the rest is the pod's
        marker = f"/{rest[0]}/{rest[1]}/proxy"
        at = path.find(marker)
        if at < 0 or path[at + len(marker) :][:1] not in ("", "/"):
            raise not_found()
        proxy_path = path[at + len(marker) :]
    elif len(rest) > 3:
        raise not_found()
    if (
        plural == "bindings"
        and (group, version) == ("", "v1")
        and namespace is not None
        and not name
    ):
        return ResourceRoute(RESOURCES["pods"], namespace, "", "binding")
    resource = by_path(group, version, plural)
    if resource is None or (resource.namespaced and namespace is None and name):
        raise not_found()
    if not resource.namespaced and namespace is not None:
        raise not_found()
    if subresource and (
        resource.conversion is not None or subresource not in resource.subresources
    ):
        raise not_found()
    if watch_path and subresource:
        raise not_found()
    return ResourceRoute(resource, namespace, name, subresource, watch_path, proxy_path)


def _builtin(group: str, version: str, plural: str) -> Resource | None:
    return BY_PATH.get((group, version, plural))


def _namespaced_or_bindings(
    by_path: Callable[[str, str, str], Resource | None], group: str, version: str, plural: str
) -> bool:
    if (group, version, plural) == ("", "v1", "bindings"):
        return True
    found = by_path(group, version, plural)
    return found is not None and found.namespaced
