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

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from listwatch import printers
from listwatch.apiserver import objects, schemas
from listwatch.apiserver.resources import Resource
from listwatch.server import conversion

Cell = str | int
RowFunction = Callable[[Mapping[str, Any], datetime], Sequence[Cell]]
#: A column's description: the text itself, or (client model, field) whose API documentation it
#: is (printers.go takes most from the types' SwaggerDoc, e.g. ObjectMeta's `name`).
Description = str | tuple[str, str]


@dataclass(frozen=True, slots=True)
class Column:
    """A TableColumnDefinition of v1.32's printers.go."""

    name: str
    description: Description
    type: str = "string"
    format: str = ""
    priority: int = 0


_NAME = Column("Name", ("V1ObjectMeta", "name"), format="name")
_AGE = Column("Age", ("V1ObjectMeta", "creationTimestamp"))
_CONTAINERS = Column("Containers", "Names of each container in the template.", priority=1)
_IMAGES = Column("Images", "Images referenced by each container in the template.", priority=1)

#: The columns of each resource, in printers.go's order (`-o wide` shows those of priority 1).
COLUMNS: Mapping[str, tuple[Column, ...]] = {
    "pods": (
        _NAME,
        Column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
        Column("Status", "The aggregate status of the containers in this pod."),
        Column(
            "Restarts",
            "The number of times the containers in this pod have been restarted and when the "
            "last container in this pod has restarted.",
        ),
        _AGE,
        Column("IP", ("V1PodStatus", "podIP"), priority=1),
        Column("Node", ("V1PodSpec", "nodeName"), priority=1),
        Column("Nominated Node", ("V1PodStatus", "nominatedNodeName"), priority=1),
        Column("Readiness Gates", ("V1PodSpec", "readinessGates"), priority=1),
    ),
    "nodes": (
        _NAME,
        Column("Status", "The status of the node"),
        Column("Roles", "The roles of the node"),
        _AGE,
        Column("Version", ("V1NodeSystemInfo", "kubeletVersion")),
        Column("Internal-IP", ("V1NodeStatus", "addresses"), priority=1),
        Column("External-IP", ("V1NodeStatus", "addresses"), priority=1),
        Column("OS-Image", ("V1NodeSystemInfo", "osImage"), priority=1),
        Column("Kernel-Version", ("V1NodeSystemInfo", "kernelVersion"), priority=1),
        Column("Container-Runtime", ("V1NodeSystemInfo", "containerRuntimeVersion"), priority=1),
    ),
    "events": (
        Column("Last Seen", ("CoreV1Event", "lastTimestamp")),
        Column("Type", ("CoreV1Event", "type")),
        Column("Reason", ("CoreV1Event", "reason")),
        # A field of a type of its own has no description in the client's models: its text.
        Column("Object", "The object that this event is about."),
        Column("Subobject", ("V1ObjectReference", "fieldPath"), priority=1),
        Column(
            "Source",
            "The component reporting this event. Should be a short machine understandable string.",
            priority=1,
        ),
        Column("Message", ("CoreV1Event", "message")),
        Column("First Seen", ("CoreV1Event", "firstTimestamp"), priority=1),
        Column("Count", ("CoreV1Event", "count"), priority=1),
        Column("Name", ("V1ObjectMeta", "name"), format="name", priority=1),
    ),
    "namespaces": (_NAME, Column("Status", "The status of the namespace"), _AGE),
    "replicationcontrollers": (
        _NAME,
        Column("Desired", ("V1ReplicationControllerSpec", "replicas"), type="integer"),
        Column("Current", ("V1ReplicationControllerStatus", "replicas"), type="integer"),
        Column("Ready", ("V1ReplicationControllerStatus", "readyReplicas"), type="integer"),
        _AGE,
        _CONTAINERS,
        _IMAGES,
        Column("Selector", ("V1ReplicationControllerSpec", "selector"), priority=1),
    ),
    "replicasets": (
        _NAME,
        Column("Desired", ("V1ReplicaSetSpec", "replicas"), type="integer"),
        Column("Current", ("V1ReplicaSetStatus", "replicas"), type="integer"),
        Column("Ready", ("V1ReplicaSetStatus", "readyReplicas"), type="integer"),
        _AGE,
        _CONTAINERS,
        _IMAGES,
        Column("Selector", ("V1ReplicaSetSpec", "selector"), priority=1),
    ),
    "services": (
        _NAME,
        Column("Type", ("V1ServiceSpec", "type")),
        Column("Cluster-IP", ("V1ServiceSpec", "clusterIP")),
        Column("External-IP", ("V1ServiceSpec", "externalIPs")),
        Column("Port(s)", ("V1ServiceSpec", "ports")),
        _AGE,
        Column("Selector", ("V1ServiceSpec", "selector"), priority=1),
    ),
    "priorityclasses": (
        _NAME,
        Column("Value", ("V1PriorityClass", "value"), type="integer"),
        Column("Global-Default", ("V1PriorityClass", "globalDefault"), type="boolean"),
        _AGE,
        Column("PreemptionPolicy", ("V1PriorityClass", "preemptionPolicy")),
    ),
    "poddisruptionbudgets": (
        _NAME,
        Column("Min Available", "The minimum number of pods that must be available."),
        Column("Max Unavailable", "The maximum number of pods that may be unavailable."),
        Column(
            "Allowed Disruptions",
            "Calculated number of pods that may be disrupted at this time.",
            type="integer",
        ),
        _AGE,
    ),
    "serviceaccounts": (
        _NAME,
        Column("Secrets", ("V1ServiceAccount", "secrets")),
        _AGE,
    ),
    "jobs": (
        _NAME,
        Column("Status", "Status of the job."),
        Column("Completions", ("V1JobStatus", "succeeded")),
        Column("Duration", "Time required to complete the job."),
        _AGE,
        _CONTAINERS,
        _IMAGES,
        Column("Selector", ("V1JobSpec", "selector"), priority=1),
    ),
    "cronjobs": (
        _NAME,
        Column("Schedule", ("V1CronJobSpec", "schedule")),
        Column("Timezone", ("V1CronJobSpec", "timeZone")),
        Column("Suspend", ("V1CronJobSpec", "suspend"), type="boolean"),
        Column("Active", ("V1CronJobStatus", "active"), type="integer"),
        Column("Last Schedule", ("V1CronJobStatus", "lastScheduleTime")),
        _AGE,
        _CONTAINERS,
        _IMAGES,
        Column("Selector", ("V1JobSpec", "selector"), priority=1),
    ),
}


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
    """printReplicationController and printReplicaSet: the wide cells always (the server prints
    wide)."""
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    selector = spec.get("selector") or {}
    shown = (  # a ReplicaSet's is a LabelSelector (FormatLabelSelector), an RC's a map
        printers.label_selector(selector)
        if obj.get("kind") == "ReplicaSet"
        else printers.format_labels(selector)
    )
    return [
        objects.name_of(obj),
        int(spec.get("replicas", 1)),
        int(status.get("replicas", 0)),
        int(status.get("readyReplicas", 0)),
        printers.age(objects.meta(obj).get("creationTimestamp"), now),
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
        shown,
    ]


def _priority_class_row(pc: Mapping[str, Any], now: datetime) -> list[Cell]:
    return [
        objects.name_of(pc),
        int(pc.get("value", 0)),
        bool(pc.get("globalDefault", False)),
        printers.age(objects.meta(pc).get("creationTimestamp"), now),
        str(pc.get("preemptionPolicy") or ""),
    ]


def _pdb_row(pdb: Mapping[str, Any], now: datetime) -> list[Cell]:
    spec = pdb.get("spec") or {}
    return [
        objects.name_of(pdb),
        *(
            "N/A" if spec.get(k) is None else str(spec[k])
            for k in ("minAvailable", "maxUnavailable")
        ),
        int((pdb.get("status") or {}).get("disruptionsAllowed", 0)),
        printers.age(objects.meta(pdb).get("creationTimestamp"), now),
    ]


def _job_row(job: Mapping[str, Any], now: datetime) -> list[Cell]:
    """printJob: its status from its conditions, completions, duration (to completionTime, or to
    now while it runs)."""
    spec = job.get("spec") or {}
    status = job.get("status") or {}
    succeeded = int(status.get("succeeded", 0))
    parallelism = spec.get("parallelism")
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif parallelism is not None and int(parallelism) > 1:
        completions = f"{succeeded}/1 of {parallelism}"
    else:
        completions = f"{succeeded}/1"
    duration = ""
    start = printers.parse_time(status.get("startTime"))
    if start is not None:
        end = printers.parse_time(status.get("completionTime")) or now
        duration = printers.human_duration((end - start).total_seconds())
    true = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
    shown = "Running"
    for word, holds in (
        ("Complete", "Complete" in true),
        ("Failed", "Failed" in true),
        ("Terminating", bool(objects.meta(job).get("deletionTimestamp"))),
        ("Suspended", "Suspended" in true),
        ("FailureTarget", "FailureTarget" in true),
        ("SuccessCriteriaMet", "SuccessCriteriaMet" in true),
    ):
        if holds:
            shown = word
            break
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return [
        objects.name_of(job),
        shown,
        completions,
        duration,
        printers.age(objects.meta(job).get("creationTimestamp"), now),
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
        printers.label_selector(spec.get("selector") or {}),
    ]


def _cronjob_row(cj: Mapping[str, Any], now: datetime) -> list[Cell]:
    """printCronJob: `<none>` for no time zone and no last schedule, `<unset>` for no suspend."""
    spec = cj.get("spec") or {}
    status = cj.get("status") or {}
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    containers = ((job_spec.get("template") or {}).get("spec") or {}).get("containers") or []
    suspend = spec.get("suspend")
    last = status.get("lastScheduleTime")
    return [
        objects.name_of(cj),
        str(spec.get("schedule", "")),
        str(spec.get("timeZone") or "<none>"),
        "<unset>" if suspend is None else str(bool(suspend)),
        len(status.get("active") or []),
        printers.age(last, now) if last else "<none>",
        printers.age(objects.meta(cj).get("creationTimestamp"), now),
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
        printers.label_selector(job_spec.get("selector") or {}),
    ]


def _default_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    return [objects.name_of(obj), objects.meta(obj).get("creationTimestamp") or ""]


_DEFAULT_COLUMNS = (_NAME, Column("Created At", ("V1ObjectMeta", "creationTimestamp"), type="date"))

#: The row function of each resource (the handlers kube-apiserver's printers register).
ROWS: Mapping[str, RowFunction] = {
    "pods": printers.pod_row,
    "nodes": printers.node_row,
    "events": printers.event_row,
    "namespaces": _namespace_row,
    "serviceaccounts": _service_account_row,
    "replicationcontrollers": _controller_row,
    "replicasets": _controller_row,
    "services": printers.service_row,
    "priorityclasses": _priority_class_row,
    "poddisruptionbudgets": _pdb_row,
    "jobs": _job_row,
    "cronjobs": _cronjob_row,
}


@functools.cache
def column_definitions(plural: str) -> list[dict[str, Any]]:
    """The Table's columnDefinitions of a resource (made once: a description may be read from
    the client's API documentation)."""
    return [
        {
            "name": c.name,
            "type": c.type,
            "format": c.format,
            "description": c.description
            if isinstance(c.description, str)
            else schemas.field_description(*c.description),
            "priority": c.priority,
        }
        for c in COLUMNS.get(plural, _DEFAULT_COLUMNS)
    ]


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
    row = ROWS.get(resource.plural, _default_row)
    rows = []
    for obj in items:
        entry: dict[str, Any] = {"cells": list(row(obj, now))}
        if include_object == "Object":
            entry["object"] = {
                "kind": resource.kind,
                "apiVersion": resource.api_version,
                **conversion.served(resource, dict(obj)),
            }
        elif include_object != "None":
            entry["object"] = partial_metadata(obj)
        rows.append(entry)
    result: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {}}
    if resource_version:
        result["metadata"]["resourceVersion"] = resource_version
    result["columnDefinitions"] = column_definitions(resource.plural) if headers else None
    result["rows"] = rows
    return result
