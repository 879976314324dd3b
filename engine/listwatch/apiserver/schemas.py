"""The OpenAPI v3 schemas of the served kinds, made from the official Python client's models.

The `kubernetes` client's models are generated from the Kubernetes OpenAPI document and keep each
field's JSON name, type and description; pydantic turns a model into JSON Schema. This module
reshapes that into the form kube-apiserver serves under /openapi/v3 (schemas named
`io.k8s.api.core.v1.PodSpec`, references as `allOf: [{$ref}]` beside the field's description, no
`null` alternatives), which is what `kubectl explain pod.spec.nodeSelector` reads. The same
schemas decide what a body may hold (`conform`): a request to the served API, a manifest of
`listwatch run`. The fields are those of the installed client, which may be a few Kubernetes minor
versions newer than v1.32.

Cost: the client's models are imported, and a kind's schemas generated (about 0.5 s for a Pod,
most of it importing the 135 models a Pod refers to), on the first call for that kind and cached
for the process; importing this module imports neither. No I/O here.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from listwatch.apiserver import apitypes
from listwatch.apiserver.resources import Resource

#: The client's models of types that Kubernetes keeps outside core/v1, by the name they are served
#: under.
_PACKAGES = {
    **dict.fromkeys(
        (
            "ObjectMeta",
            "ListMeta",
            "OwnerReference",
            "ManagedFieldsEntry",
            "LabelSelector",
            "LabelSelectorRequirement",
            "Condition",
        ),
        "io.k8s.apimachinery.pkg.apis.meta.v1",
    ),
    **dict.fromkeys(
        ("ReplicaSet", "ReplicaSetSpec", "ReplicaSetStatus", "ReplicaSetCondition"),
        "io.k8s.api.apps.v1",
    ),
    "PriorityClass": "io.k8s.api.scheduling.v1",
    **dict.fromkeys(
        (
            "PodDisruptionBudget",
            "PodDisruptionBudgetSpec",
            "PodDisruptionBudgetStatus",
            "Eviction",
        ),
        "io.k8s.api.policy.v1",
    ),
}
#: The served name of a field that holds a number or a name (a port), and its schema.
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_INT_OR_STRING_SCHEMA = {
    "description": "IntOrString is a type that can hold an int32 or a string.",
    "type": "string",
    "format": "int-or-string",
}
#: JSON Schema keywords pydantic writes that kube-apiserver's documents do not carry.
_DROPPED = ("title",)
#: Where a model's docstring (its schema's description) goes on about the generated class.
_MODEL_DOC_TAIL = "\n\nAttributes:\n"


def schema_name(resource: Resource) -> str:
    """The name the kind's schema is served under (`io.k8s.api.core.v1.Pod`)."""
    return _served_name(_model_name(resource))


def kind_schemas(resource: Resource) -> Mapping[str, Any]:
    """The kind's schema and every schema it refers to, by served name; the kind's carries its
    GVK."""
    return _schemas(_model_name(resource), resource.group, resource.version, resource.kind)


#: pydantic builds a model's schema lazily and not thread-safely (the served API's worker threads
#: may ask for the same kind at once): one schema is made at a time.
_BUILDING = threading.Lock()


@functools.cache
def _schemas(model_name: str, group: str, version: str, kind: str) -> Mapping[str, Any]:
    model = getattr(_client(), model_name)
    with _BUILDING:
        document = model.model_json_schema(
            by_alias=True, ref_template="#/components/schemas/{model}"
        )
    definitions = document.pop("$defs", {})
    schemas = {_served_name(name): _reshaped(schema) for name, schema in definitions.items()}
    schemas[INT_OR_STRING] = _INT_OR_STRING_SCHEMA
    root = _reshaped(document)
    root["x-kubernetes-group-version-kind"] = [{"group": group, "version": version, "kind": kind}]
    schemas[_served_name(model_name)] = root
    for name, schema in schemas.items():
        _add_extensions(name, schema)
    return schemas


#: The fact table's names of the `x-kubernetes-*` extensions a field's schema carries.
_EXTENSIONS = (
    ("patch_merge_key", "x-kubernetes-patch-merge-key"),
    ("patch_strategy", "x-kubernetes-patch-strategy"),
    ("list_type", "x-kubernetes-list-type"),
    ("list_map_keys", "x-kubernetes-list-map-keys"),
    ("map_type", "x-kubernetes-map-type"),
)


def _add_extensions(name: str, schema: dict[str, Any]) -> None:
    """The patch and list extensions of each field of a type (from `apitypes`, the v1.32 Go
    tags), as kube-apiserver's OpenAPI carries them: kubectl's client-side apply computes its
    strategic merge patch from them (a list with a merge key merges item by item, so that an
    unchanged manifest makes an empty patch)."""
    type_name = _fact_name(name)
    properties = schema.get("properties")
    if type_name is None or not isinstance(properties, dict):
        return
    for json_name, prop in properties.items():
        found = apitypes.field_of(type_name, json_name)
        if found is None or not isinstance(prop, dict):
            continue
        for attribute, extension in _EXTENSIONS:
            value = getattr(found, attribute)
            if value:
                prop[extension] = list(value) if isinstance(value, tuple) else value


def _fact_name(name: str) -> str | None:
    """The fact table's name of a served schema: the same, or (for a model this module serves
    under another package) the one type of that name."""
    if apitypes.facts(name) is not None:
        return name
    short = "." + name.rpartition(".")[2]
    matches = [n for n in apitypes.names() if n.endswith(short)]
    return matches[0] if len(matches) == 1 else None


def model_name(resource: Resource) -> str:
    """The client's model class of a served kind (`V1Pod`, `CoreV1Event`)."""
    return _model_name(resource)


@functools.cache
def model_schemas(model: str) -> Mapping[str, Any]:
    """The schema of a client model (`V1Pod`, `V1Scale`, `V1Binding`) and every schema it refers to,
    by served name: what a request body of that type is held against (`conform`)."""
    return _schemas(model, "", "", model.removeprefix("CoreV1").removeprefix("V1"))


def field_description(model: str, field: str) -> str:
    """The API documentation of one field of a client model (`V1ObjectMeta`, `name`): what
    Kubernetes' SwaggerDoc() gives for it."""
    schema = model_schemas(model)[_served_name(model)]
    return str(schema.get("properties", {}).get(field, {}).get("description", ""))


def served_name(model: str) -> str:
    """The name a client model's schema is served under (`io.k8s.api.core.v1.Pod`)."""
    return _served_name(model)


def _model_name(resource: Resource) -> str:
    """The client's model class of a kind: `V1Pod`, or `CoreV1Event` where the name is shared
    (or the one the resource names, `EventsV1Event`)."""
    if resource.model:
        return resource.model
    for name in (f"V1{resource.kind}", f"CoreV1{resource.kind}"):
        if hasattr(_client(), name):
            return name
    raise LookupError(f"the kubernetes client has no model of {resource.kind}")


def _client() -> ModuleType:
    """The client's models, imported on first use: a command that reads no body pays nothing."""
    import kubernetes.client

    return kubernetes.client


#: Client model prefixes of the types whose names more than one group uses (the client names
#: them for their group: `RbacV1Subject`), and the package those are served under.
_GROUP_PREFIXES = {
    "CoreV1": "io.k8s.api.core.v1",
    "EventsV1": "io.k8s.api.events.v1",
    "RbacV1": "io.k8s.api.rbac.v1",
    "StorageV1": "io.k8s.api.storage.v1",
    "DiscoveryV1": "io.k8s.api.discovery.v1",
    "AuthenticationV1": "io.k8s.api.authentication.v1",
    "AdmissionregistrationV1": "io.k8s.api.admissionregistration.v1",
    "FlowcontrolV1": "io.k8s.api.flowcontrol.v1",
    "ApiextensionsV1": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1",
    "ApiregistrationV1": "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1",
}
#: The packages of the groups the fact table does not cover, by a word their types' names hold.
_OTHER_PACKAGES = (
    ("APIService", "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1"),
    ("CustomResource", "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1"),
    ("JSONSchemaProps", "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1"),
    ("ExternalDocumentation", "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1"),
    ("ValidationRule", "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1"),
    ("WebhookConversion", "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1"),
    ("SelectableField", "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1"),
)


def _served_name(model: str) -> str:
    """The name kube-apiserver serves a client model's schema under: its Go package and type
    (`V1DeploymentSpec` -> `io.k8s.api.apps.v1.DeploymentSpec`), found in the fact table."""
    for prefix, package in _GROUP_PREFIXES.items():
        if model.startswith(prefix):
            return f"{package}.{model.removeprefix(prefix)}"
    kind = model.removeprefix("V1")
    if kind in _PACKAGES:
        return f"{_PACKAGES[kind]}.{kind}"
    found = _by_short_name().get(kind)
    if found is not None:
        return found
    for word, package in _OTHER_PACKAGES:
        if word in kind:
            return f"{package}.{kind}"
    return f"io.k8s.api.core.v1.{kind}"


@functools.cache
def _by_short_name() -> Mapping[str, str]:
    """The fact table's types by their own name, where only one group has a type of that name."""
    found: dict[str, list[str]] = {}
    for name in apitypes.names():
        found.setdefault(name.rpartition(".")[2], []).append(name)
    return {short: names[0] for short, names in found.items() if len(names) == 1}


def _properties(named: Any) -> Any:
    """A schema's named properties, each reshaped (their names are not keywords: the schema of
    a JSONSchemaProps has properties named `anyOf` and `$ref`)."""
    if not isinstance(named, dict):
        return named
    return {name: _reshaped(value) for name, value in named.items()}


def _reshaped(schema: Any) -> Any:
    """A pydantic JSON Schema node in kube-apiserver's form (recursively)."""
    if isinstance(schema, list):
        return [_reshaped(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    node = {
        key: _properties(value) if key in ("properties", "$defs") else _reshaped(value)
        for key, value in schema.items()
        if key not in _DROPPED
    }
    if node.get("default", 0) is None:
        del node["default"]
    if (
        node.get("additionalProperties") is False
    ):  # the models forbid unknown fields; the schemas do not say so
        del node["additionalProperties"]
    if isinstance(node.get("description"), str):
        node["description"] = node["description"].split(_MODEL_DOC_TAIL, 1)[0].strip()
    choices = node.get("anyOf")
    if choices is not None:
        kept = [choice for choice in choices if choice != {"type": "null"}]
        if len(kept) == 1:
            del node["anyOf"]
            node = {**kept[0], **node}
        elif {choice.get("type") for choice in kept} == {"integer", "string"}:
            del node["anyOf"]
            node = {"allOf": [{"$ref": f"#/components/schemas/{INT_OR_STRING}"}], **node}
        else:
            node["anyOf"] = kept
    if "$ref" in node:
        ref = node.pop("$ref")
        target = "#/components/schemas/" + _served_name(ref.rpartition("/")[2])
        node = {"allOf": [{"$ref": target}], **node}
    return node
