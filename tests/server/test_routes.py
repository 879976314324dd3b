"""URL paths of the served API: which resource, namespace, object and subresource, and which
verb."""

from __future__ import annotations

import pytest

from listwatch import errors
from listwatch.server import routes


@pytest.mark.parametrize(
    ("path", "plural", "namespace", "name", "subresource"),
    [
        ("/api/v1/pods", "pods", None, "", ""),
        ("/api/v1/namespaces/default/pods", "pods", "default", "", ""),
        ("/api/v1/namespaces/default/pods/web", "pods", "default", "web", ""),
        ("/api/v1/namespaces/default/pods/web/status", "pods", "default", "web", "status"),
        ("/api/v1/namespaces/default/pods/web/binding", "pods", "default", "web", "binding"),
        ("/api/v1/namespaces/default/pods/web/log", "pods", "default", "web", "log"),
        ("/api/v1/nodes/node01", "nodes", None, "node01", ""),
        ("/api/v1/namespaces", "namespaces", None, "", ""),
        ("/api/v1/namespaces/default", "namespaces", None, "default", ""),
        ("/api/v1/namespaces/default/status", "namespaces", None, "default", "status"),
        ("/apis/apps/v1/namespaces/team/replicasets/rs1", "replicasets", "team", "rs1", ""),
        ("/api/v1/namespaces/default/events", "events", "default", "", ""),
    ],
)
def test_a_path_names_its_resource_namespace_object_and_subresource(
    path: str, plural: str, namespace: str | None, name: str, subresource: str
) -> None:
    route = routes.parse(path)
    assert (route.resource.plural, route.namespace, route.name, route.subresource) == (
        plural,
        namespace,
        name,
        subresource,
    )


def test_the_bindings_collection_is_the_pods_binding_subresource_without_a_name() -> None:
    route = routes.parse("/api/v1/namespaces/default/bindings")
    assert (route.resource.plural, route.namespace, route.name, route.subresource) == (
        "pods",
        "default",
        "",
        "binding",
    )
    assert route.verb("POST", {}) == "bind"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/namespaces/default/foos",
        "/api/v1/foos",
        "/apis/apps/v1/namespaces/default/pods",  # pods are in the core group, not apps
        "/api/v1/namespaces/default/replicasets",  # replicasets are in apps
        "/api/v1/pods/web",  # a namespaced object needs its namespace
        "/api/v1/namespaces/default/nodes/node01",  # nodes have none
        "/api/v1/nodes/node01/log",
        "/api/v1/namespaces/default/pods/web/status/extra",
        "/api/v2/pods",
        "/metrics",
        "/api",
    ],
)
def test_a_path_naming_nothing_served_is_not_found(path: str) -> None:
    with pytest.raises(errors.NotFound, match="the server could not find the requested resource"):
        routes.parse(path)


@pytest.mark.parametrize(
    ("path", "method", "query", "verb"),
    [
        ("/api/v1/namespaces/default/pods", "GET", {}, "list"),
        ("/api/v1/namespaces/default/pods", "GET", {"watch": "true"}, "watch"),
        ("/api/v1/namespaces/default/pods", "GET", {"watch": "1"}, "watch"),
        ("/api/v1/namespaces/default/pods", "GET", {"watch": "false"}, "list"),
        ("/api/v1/watch/namespaces/default/pods", "GET", {}, "watch"),
        ("/api/v1/namespaces/default/pods", "POST", {}, "create"),
        ("/api/v1/namespaces/default/pods", "DELETE", {}, "deletecollection"),
        ("/api/v1/namespaces/default/pods/web", "GET", {}, "get"),
        ("/api/v1/namespaces/default/pods/web", "PUT", {}, "update"),
        ("/api/v1/namespaces/default/pods/web", "PATCH", {}, "patch"),
        ("/api/v1/namespaces/default/pods/web", "DELETE", {}, "delete"),
        ("/api/v1/namespaces/default/pods/web/status", "PATCH", {}, "patch"),
        ("/api/v1/namespaces/default/pods/web/log", "GET", {}, "log"),
        ("/api/v1/namespaces/default/pods/web/binding", "POST", {}, "bind"),
        ("/api/v1/namespaces/default/pods/web/portforward", "GET", {}, "portforward"),
        ("/api/v1/namespaces/default/pods/web/portforward", "POST", {}, "portforward"),
    ],
)
def test_the_method_and_query_give_the_verb(
    path: str, method: str, query: dict[str, str], verb: str
) -> None:
    assert routes.parse(path).verb(method, query) == verb


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/namespaces/default/pods", "PUT"),
        ("/api/v1/namespaces/default/pods/web/status", "DELETE"),
        ("/api/v1/namespaces/default/pods/web/binding", "GET"),
        ("/api/v1/namespaces/default/pods/web/log", "POST"),
        ("/api/v1/watch/namespaces/default/pods", "POST"),
        ("/api/v1/namespaces/default/pods/web/portforward", "PUT"),
    ],
)
def test_a_method_the_path_does_not_serve_is_method_not_allowed(path: str, method: str) -> None:
    with pytest.raises(errors.MethodNotAllowed):
        routes.parse(path).verb(method, {})
