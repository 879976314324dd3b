"""Server-side printing: the `Table` (meta.k8s.io/v1) that `kubectl get` asks for.

kubectl sends `Accept: application/json;as=Table;v=v1;g=meta.k8s.io, ...` and prints what comes
back: it upper-cases the column names, hides the columns of priority 1 unless `-o wide`, and
appends LABELS for `--show-labels` from each row's object (by default the object's metadata, a
`PartialObjectMetadata`, as `includeObject=Metadata` asks). As kube-apiserver does, every row
carries the wide cells; the cells come from `listwatch.printers`, which follows the v1.32
printers (printPod, printNode, printEvent, ...).

A watch in table form sends one Table per event, with the column definitions only on the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from listwatch import printers
from listwatch.apiserver import objects
from listwatch.apiserver.kinds.controllers import controller_selector
from listwatch.apiserver.resources import Resource

Cell = str | int
RowFunction = Callable[[Mapping[str, Any], datetime], Sequence[Cell]]

_NAME = "Name must be unique within a namespace."
_AGE = "CreationTimestamp is a timestamp representing the server time when this object was created."


def _column(
    name: str, description: str, *, priority: int = 0, type_: str = "string", format_: str = ""
) -> dict[str, Any]:
    return {
        "name": name,
        "type": type_,
        "format": format_,
        "description": description,
        "priority": priority,
    }


_POD_COLUMNS = [
    _column("Name", _NAME, format_="name"),
    _column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _column("Status", "The aggregate status of the containers in this pod."),
    _column(
        "Restarts",
        "The number of times the containers in this pod have been restarted and when the last "
        "container in this pod has restarted.",
    ),
    _column("Age", _AGE),
    _column("IP", "podIP address allocated to the pod.", priority=1),
    _column("Node", "NodeName indicates in which node this pod is scheduled.", priority=1),
    _column(
        "Nominated Node",
        "nominatedNodeName is set only when this pod preempts other pods on the node.",
        priority=1,
    ),
    _column(
        "Readiness Gates",
        "If specified, all readiness gates will be evaluated for pod readiness.",
        priority=1,
    ),
]
_NODE_COLUMNS = [
    _column("Name", _NAME, format_="name"),
    _column("Status", "The status of the node"),
    _column("Roles", "The roles of the node"),
    _column("Age", _AGE),
    _column("Version", "Kubelet Version reported by the node."),
    _column("Internal-IP", "List of addresses reachable to the node.", priority=1),
    _column("External-IP", "List of addresses reachable to the node.", priority=1),
    _column("OS-Image", "OS Image reported by the node from /etc/os-release.", priority=1),
    _column("Kernel-Version", "Kernel Version reported by the node from 'uname -r'.", priority=1),
    _column(
        "Container-Runtime",
        "ContainerRuntime Version reported by the node through runtime remote API.",
        priority=1,
    ),
]
_EVENT_COLUMNS = [
    _column(
        "Last Seen", "The time at which the most recent occurrence of this event was recorded."
    ),
    _column("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
    _column(
        "Reason",
        "This should be a short, machine understandable string that gives the reason for the "
        "transition.",
    ),
    _column("Object", "The object that this event is about."),
    _column("Subobject", "The field of the object this event is about.", priority=1),
    _column("Source", "The component reporting this event.", priority=1),
    _column("Message", "A human-readable description of the status of this operation."),
    _column("First Seen", "The time at which the event was first recorded.", priority=1),
    _column("Count", "The number of times this event has occurred.", priority=1),
    _column("Name", _NAME, priority=1, format_="name"),
]
_NAMESPACE_COLUMNS = [
    _column("Name", _NAME, format_="name"),
    _column("Status", "The status of the namespace"),
    _column("Age", _AGE),
]
_SERVICE_ACCOUNT_COLUMNS = [
    _column("Name", _NAME, format_="name"),
    _column(
        "Secrets",
        "Secrets is a list of the secrets in the same namespace that pods running using this "
        "ServiceAccount are allowed to use. Pods are only limited to this list if this service "
        'account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The '
        '"kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer '
        "separate namespaces to isolate access to mounted secrets. This field should not be used "
        "to find auto-generated service account token secrets for use outside of pods. Instead, "
        "tokens can be requested directly using the TokenRequest API, or service account token "
        "secrets can be manually created. More info: "
        "https://kubernetes.io/docs/concepts/configuration/secret",
    ),
    _column("Age", _AGE),
]
_CONTROLLER_COLUMNS = [
    _column("Name", _NAME, format_="name"),
    _column("Desired", "Number of desired pods.", type_="integer"),
    _column("Current", "Number of actual pods.", type_="integer"),
    _column("Ready", "The number of ready replicas.", type_="integer"),
    _column("Age", _AGE),
    _column("Containers", "Names of each container in the template.", priority=1),
    _column("Images", "Images referenced by each container in the template.", priority=1),
    _column("Selector", "Label selector for pods.", priority=1),
]


def _namespace_row(ns: Mapping[str, Any], now: datetime) -> list[Cell]:
    return [
        objects.name_of(ns),
        (ns.get("status") or {}).get("phase", ""),
        printers.age(objects.meta(ns).get("creationTimestamp"), now),
    ]


def _service_account_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    return [
        objects.name_of(obj),
        len(obj.get("secrets") or []),
        printers.age(objects.meta(obj).get("creationTimestamp"), now),
    ]


def _controller_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return [
        objects.name_of(obj),
        int(spec.get("replicas", 1)),
        int(status.get("replicas", 0)),
        int(status.get("readyReplicas", 0)),
        printers.age(objects.meta(obj).get("creationTimestamp"), now),
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
        ",".join(f"{k}={v}" for k, v in sorted(controller_selector(obj).items())) or "<none>",
    ]


def _default_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    return [objects.name_of(obj), objects.meta(obj).get("creationTimestamp") or ""]


_DEFAULT_COLUMNS = [
    _column("Name", _NAME, format_="name"),
    _column("Created At", _AGE, type_="date"),
]

#: Columns and the row function per resource (the handlers kube-apiserver's printers register).
PRINTERS: Mapping[str, tuple[list[dict[str, Any]], RowFunction]] = {
    "pods": (_POD_COLUMNS, printers.pod_row),
    "nodes": (_NODE_COLUMNS, printers.node_row),
    "events": (_EVENT_COLUMNS, printers.event_row),
    "namespaces": (_NAMESPACE_COLUMNS, _namespace_row),
    "serviceaccounts": (_SERVICE_ACCOUNT_COLUMNS, _service_account_row),
    "replicationcontrollers": (_CONTROLLER_COLUMNS, _controller_row),
    "replicasets": (_CONTROLLER_COLUMNS, _controller_row),
}


def media_types(accept: str | None) -> list[dict[str, str]]:
    """The media types of an Accept header, each as {"type": ..., and its parameters}."""
    found = []
    for part in (accept or "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        entry = {"type": pieces[0].lower()}
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            entry[key.strip().lower()] = value.strip()
        found.append(entry)
    return found


def wants(accept: str | None, kind: str) -> bool:
    """Whether the Accept header asks for a conversion to `kind` (Table, PartialObjectMetadata,
    PartialObjectMetadataList) in JSON, as its first choice among the conversions it names."""
    for entry in media_types(accept):
        if entry["type"] in ("application/json", "*/*") and "as" in entry:
            return entry["as"] == kind and entry.get("g", "meta.k8s.io") == "meta.k8s.io"
    return False


def partial_metadata(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An object reduced to its metadata, as `includeObject=Metadata` returns it."""
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": dict(objects.meta(obj)),
    }


def table(
    resource: Resource,
    items: Iterable[Mapping[str, Any]],
    now: datetime,
    *,
    resource_version: str = "",
    include_object: str = "Metadata",
    headers: bool = True,
) -> dict[str, Any]:
    """A Table of `items`: the resource's columns (wide ones included) and one row per object."""
    columns, row = PRINTERS.get(resource.plural, (_DEFAULT_COLUMNS, _default_row))
    rows = []
    for obj in items:
        entry: dict[str, Any] = {"cells": list(row(obj, now))}
        if include_object == "Object":
            entry["object"] = {"kind": resource.kind, "apiVersion": resource.api_version, **obj}
        elif include_object != "None":
            entry["object"] = partial_metadata(obj)
        rows.append(entry)
    result: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {}}
    if resource_version:
        result["metadata"]["resourceVersion"] = resource_version
    result["columnDefinitions"] = columns if headers else None
    result["rows"] = rows
    return result
