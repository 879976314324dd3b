"""What a client asks before it asks for objects: /version, discovery, and OpenAPI v3.

Discovery is the legacy (unaggregated) form every client understands: `/api` lists the core
version, `/apis` the named groups, `/api/v1` and `/apis/apps/v1` the resources with their verbs,
short names, categories and subresources. kubectl v1.32 asks for the aggregated form first and,
given these plain documents, falls back to them.

OpenAPI v3 is served so that `kubectl create -f` validates without `--validate=false`: kubectl
looks in `/openapi/v3/api/v1` for the PATCH operation of the manifest's kind and, finding the
`fieldValidation` query parameter there, leaves validation to the server (`fieldValidation=Strict`
on the request) instead of validating against a schema itself. The documents carry every served
path and operation with its group-version-kind, and the full schema of each kind with its fields'
descriptions (`schemas`), which `kubectl explain` reads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from listwatch.apiserver import apitypes
from listwatch.apiserver.registry import Registry
from listwatch.apiserver.resources import Resource
from listwatch.apiserver.schemas import kind_schemas, model_schemas, schema_name
from listwatch.server.protobuf import MEDIA_TYPE as PROTOBUF

#: The Kubernetes version the served API claims (the engine follows v1.32).
VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0",
    "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53",
    "gitTreeState": "clean",
    "buildDate": "2024-12-11T17:59:15Z",
    "goVersion": "go1.23.3",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_SUBRESOURCE_KIND = {
    "binding": "Binding",
    "eviction": "Eviction",
    "exec": "PodExecOptions",
    "portforward": "PodPortForwardOptions",
    "proxy": "PodProxyOptions",
    "scale": "Scale",
}
#: Subresources served in a group version of their own (kubectl's scale client reads it here).
_SUBRESOURCE_GROUP_VERSION = {"scale": ("autoscaling", "v1"), "eviction": ("policy", "v1")}
_SUBRESOURCE_VERBS = {
    "status": ("get", "patch", "update"),
    "scale": ("get", "patch", "update"),
    "binding": ("create",),
    "eviction": ("create",),
    "log": ("get",),
    "exec": ("create", "get"),
    "portforward": ("create", "get"),
    "proxy": ("create", "delete", "get", "patch", "update"),
    "finalize": ("update",),
}


#: The registry of a server without CRDs: the built-in resources.
BUILTIN = Registry()


def group_versions(registry: Registry = BUILTIN) -> list[tuple[str, str]]:
    """The (group, version) pairs served, in the order kube-apiserver lists them."""
    return registry.group_versions()


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group(group: str, registry: Registry) -> dict[str, Any]:
    versions = [
        {"groupVersion": f"{group}/{v}", "version": v}
        for g, v in group_versions(registry)
        if g == group
    ]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list(registry: Registry = BUILTIN) -> dict[str, Any]:
    groups = dict.fromkeys(g for g, _ in group_versions(registry) if g)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group(g, registry) for g in groups],
    }


def api_group(group: str, registry: Registry = BUILTIN) -> dict[str, Any] | None:
    if group not in {g for g, _ in group_versions(registry) if g}:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(group, registry)}


def api_resource_list(
    group: str, version: str, registry: Registry = BUILTIN
) -> dict[str, Any] | None:
    """The APIResourceList of one group version, or None when it is not served."""
    if (group, version) not in group_versions(registry):
        return None
    resources: list[dict[str, Any]] = []
    for r in sorted(registry.served(), key=lambda r: r.plural):
        if (r.group, r.version) != (group, version):
            continue
        entry: dict[str, Any] = {
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        resources.append(entry)
        for sub in sorted(r.subresources if r.conversion is None or r.custom else ()):
            entry = {"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced}
            if sub in _SUBRESOURCE_GROUP_VERSION:
                entry["group"], entry["version"] = _SUBRESOURCE_GROUP_VERSION[sub]
            resources.append(
                {
                    **entry,
                    "kind": _SUBRESOURCE_KIND.get(sub, r.kind),
                    "verbs": list(_SUBRESOURCE_VERBS[sub]),
                }
            )
    if (group, version) == ("", "v1"):
        resources.append(
            {
                "name": "bindings",
                "singularName": "binding",
                "namespaced": True,
                "kind": "Binding",
                "verbs": ["create"],
            }
        )
        resources.sort(key=lambda e: e["name"])
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


# -- OpenAPI v3 ------------------------------------------------------------------------------------


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _gvk(resource: Resource) -> dict[str, str]:
    return {"group": resource.group, "version": resource.version, "kind": resource.kind}


def _param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": "string", "uniqueItems": True},
    }


_WRITE_PARAMS = [
    _param("dryRun", "When present, indicates that modifications should not be persisted (All)."),
    _param(
        "fieldManager", "A name associated with the actor or entity that is making these changes."
    ),
    _param(
        "fieldValidation",
        "How the server treats unknown or duplicate fields in the body: Ignore, Warn or Strict. "
        "listwatch accepts the parameter; it validates the fields it knows either way.",
    ),
]


def _operation(
    resource: Resource, action: str, ref: str, *, params: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    media = ["application/json"]
    if apitypes.type_name(resource.api_version, resource.kind) is not None:
        media.append(PROTOBUF)  # a built-in kind (a CRD's kinds have no protobuf form)
    content = {m: {"schema": {"$ref": ref}} for m in media}
    operation: dict[str, Any] = {
        "operationId": f"{action}{resource.kind}",
        "parameters": params or [],
        "responses": {
            "200": {"description": "OK", "content": content},
            "401": {"description": "Unauthorized"},
        },
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(resource),
    }
    if action in ("post", "put", "patch"):
        # A custom resource takes no strategic merge patch; kubectl's apply reads this list and
        # sends a JSON merge patch instead.
        patches = ["application/json-patch+json", "application/merge-patch+json"]
        if resource.custom is None:
            patches.append("application/strategic-merge-patch+json")
        types = patches if action == "patch" else media
        operation["requestBody"] = {
            "content": {
                t: {"schema": {"$ref": ref if action != "patch" else "#/components/schemas/Patch"}}
                for t in types
            }
        }
    return operation


def openapi_document(
    group: str, version: str, registry: Registry = BUILTIN
) -> dict[str, Any] | None:
    """The OpenAPI v3 document of one group version (paths, operations, kind schemas)."""
    if (group, version) not in group_versions(registry):
        return None
    prefix = f"/{_gv_path(group, version)}"
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "Patch": {"type": "object", "description": "A patch body in one of the accepted formats."}
    }
    for r in sorted(registry.served(), key=lambda r: r.plural):
        if (r.group, r.version) != (group, version):
            continue
        ref = f"#/components/schemas/{_schema_name(r)}"
        schemas.update(_kind_schemas(r))
        collection = (
            f"{prefix}/namespaces/{{namespace}}/{r.plural}"
            if r.namespaced
            else f"{prefix}/{r.plural}"
        )
        item = f"{collection}/{{name}}"
        paths[collection] = {
            "get": _operation(r, "list", ref),
            "post": _operation(r, "post", ref, params=_WRITE_PARAMS),
        }
        if "deletecollection" in r.verbs:
            paths[collection]["delete"] = _operation(
                r, "deletecollection", ref, params=_WRITE_PARAMS[:1]
            )
        paths[item] = {
            "get": _operation(r, "get", ref),
            "put": _operation(r, "put", ref, params=_WRITE_PARAMS),
            "patch": _operation(
                r, "patch", ref, params=[*_WRITE_PARAMS, _param("force", "Force an apply patch.")]
            ),
            "delete": _operation(r, "delete", ref, params=_WRITE_PARAMS[:1]),
        }
        if (r.conversion is None or r.custom) and "status" in r.subresources:
            paths[f"{item}/status"] = {
                "get": _operation(r, "get", ref),
                "put": _operation(r, "put", ref, params=_WRITE_PARAMS),
                "patch": _operation(r, "patch", ref, params=_WRITE_PARAMS),
            }
        if r.namespaced:
            paths[f"{prefix}/{r.plural}"] = {"get": _operation(r, "list", ref)}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _hash(document: Mapping[str, Any]) -> str:
    return hashlib.sha512(json.dumps(document, sort_keys=True).encode()).hexdigest().upper()


def openapi_index(registry: Registry = BUILTIN) -> dict[str, Any]:
    """/openapi/v3: each group version's document, by a URL that changes when the document does."""
    paths: dict[str, Any] = {}
    for group, version in group_versions(registry):
        document = openapi_document(group, version, registry)
        assert document is not None
        paths[_gv_path(group, version)] = {
            "serverRelativeURL": f"/openapi/v3/{_gv_path(group, version)}?hash={_hash(document)}"
        }
    return {"paths": paths}


def document(
    path: str, *, server_address: str, registry: Registry = BUILTIN
) -> dict[str, Any] | None:
    """The discovery, version or OpenAPI document at `path`, or None when `path` is not one."""
    path = "/" + path.strip("/")
    if path == "/version":
        return dict(VERSION)
    if path == "/api":
        return api_versions(server_address)
    if path == "/apis":
        return api_group_list(registry)
    if path == "/openapi/v3":
        return openapi_index(registry)
    parts = path.strip("/").split("/")
    if parts[:2] == ["openapi", "v3"]:
        rest = parts[2:]
        if len(rest) == 2 and rest[0] == "api":
            return openapi_document("", rest[1], registry)
        if len(rest) == 3 and rest[0] == "apis":
            return openapi_document(rest[1], rest[2], registry)
        return None
    if len(parts) == 2 and parts[0] == "api":
        return api_resource_list("", parts[1], registry)
    if len(parts) == 2 and parts[0] == "apis":
        return api_group(parts[1], registry)
    if len(parts) == 3 and parts[0] == "apis":
        return api_resource_list(parts[1], parts[2], registry)
    return None


def _schema_name(resource: Resource) -> str:
    """The name a kind's schema is served under: a built-in's (`io.k8s.api.core.v1.Pod`), or a
    custom resource's, its group reversed (`com.example.stable.v1.CronTab`)."""
    if resource.custom is None:
        return schema_name(resource)
    reversed_group = ".".join(reversed(resource.group.split(".")))
    return f"{reversed_group}.{resource.version}.{resource.kind}"


def _kind_schemas(resource: Resource) -> Mapping[str, Any]:
    if resource.custom is None:
        return kind_schemas(resource)
    meta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    root = dict(resource.custom.schema)
    root["properties"] = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        **(root.get("properties") or {}),
        "metadata": {"allOf": [{"$ref": f"#/components/schemas/{meta}"}]},
    }
    root["x-kubernetes-group-version-kind"] = [_gvk(resource)]
    return {**model_schemas("V1ObjectMeta"), _schema_name(resource): root}
