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
from listwatch.apiserver import aggregator, crds, objects, schemas
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
    "deployments": (
        _NAME,
        Column("Ready", "Number of the pod with ready state"),
        Column("Up-to-date", ("V1DeploymentStatus", "updatedReplicas")),
        Column("Available", ("V1DeploymentStatus", "availableReplicas")),
        _AGE,
        _CONTAINERS,
        _IMAGES,
        Column("Selector", ("V1DeploymentSpec", "selector"), priority=1),
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
    "configmaps": (_NAME, Column("Data", "Number of data in the ConfigMap", type="integer"), _AGE),
    "secrets": (
        _NAME,
        Column("Type", ("V1Secret", "type")),
        Column("Data", "Number of data in the Secret", type="integer"),
        _AGE,
    ),
    "endpoints": (_NAME, Column("Endpoints", ("V1Endpoints", "subsets")), _AGE),
    "persistentvolumeclaims": (
        _NAME,
        Column("Status", ("V1PersistentVolumeClaimStatus", "phase")),
        Column("Volume", ("V1PersistentVolumeClaimSpec", "volumeName")),
        Column("Capacity", ("V1PersistentVolumeClaimStatus", "capacity")),
        Column("Access Modes", ("V1PersistentVolumeClaimStatus", "accessModes")),
        Column("StorageClass", "StorageClass of the pvc"),
        Column("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
        _AGE,
        Column("VolumeMode", ("V1PersistentVolumeClaimSpec", "volumeMode"), priority=1),
    ),
    "persistentvolumes": (
        _NAME,
        Column("Capacity", ("V1PersistentVolumeSpec", "capacity")),
        Column("Access Modes", ("V1PersistentVolumeSpec", "accessModes")),
        Column("Reclaim Policy", ("V1PersistentVolumeSpec", "persistentVolumeReclaimPolicy")),
        Column("Status", ("V1PersistentVolumeStatus", "phase")),
        Column("Claim", ("V1PersistentVolumeSpec", "claimRef")),
        Column("StorageClass", "StorageClass of the pv"),
        Column("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
        Column("Reason", ("V1PersistentVolumeStatus", "reason")),
        _AGE,
        Column("VolumeMode", ("V1PersistentVolumeSpec", "volumeMode"), priority=1),
    ),
    "daemonsets": (
        _NAME,
        Column("Desired", ("V1DaemonSetStatus", "desiredNumberScheduled"), type="integer"),
        Column("Current", ("V1DaemonSetStatus", "currentNumberScheduled"), type="integer"),
        Column("Ready", ("V1DaemonSetStatus", "numberReady"), type="integer"),
        Column("Up-to-date", ("V1DaemonSetStatus", "updatedNumberScheduled"), type="integer"),
        Column("Available", ("V1DaemonSetStatus", "numberAvailable"), type="integer"),
        Column("Node Selector", ("V1PodSpec", "nodeSelector")),
        _AGE,
        _CONTAINERS,
        _IMAGES,
        Column("Selector", ("V1DaemonSetSpec", "selector"), priority=1),
    ),
    "statefulsets": (
        _NAME,
        Column("Ready", "Number of the pod with ready state"),
        _AGE,
        _CONTAINERS,
        _IMAGES,
    ),
    "controllerrevisions": (
        _NAME,
        Column("Controller", "Controller of the object"),
        Column("Revision", ("V1ControllerRevision", "revision"), type="integer"),
        _AGE,
    ),
    "leases": (_NAME, Column("Holder", ("V1LeaseSpec", "holderIdentity")), _AGE),
    "apiservices": (  # kube-aggregator's own table convertor
        _NAME,
        Column("Service", "The reference to the service that hosts this API endpoint."),
        Column("Available", "Whether this service is available."),
        _AGE,
    ),
    "componentstatuses": (
        _NAME,
        Column("Status", "Status of the component conditions"),
        Column("Message", "Message of the component conditions"),
        Column("Error", "Error of the component conditions"),
    ),
    "rolebindings": (
        _NAME,
        Column("Role", ("V1RoleBinding", "roleRef")),
        _AGE,
        Column("Users", "Users in the roleBinding", priority=1),
        Column("Groups", "Groups in the roleBinding", priority=1),
        Column("ServiceAccounts", "ServiceAccounts in the roleBinding", priority=1),
    ),
    "clusterrolebindings": (
        _NAME,
        Column("Role", ("V1ClusterRoleBinding", "roleRef")),
        _AGE,
        Column("Users", "Users in the clusterrolebinding", priority=1),
        Column("Groups", "Groups in the clusterrolebinding", priority=1),
        Column("ServiceAccounts", "ServiceAccounts in the clusterrolebinding", priority=1),
    ),
    "storageclasses": (
        _NAME,
        Column("Provisioner", ("V1StorageClass", "provisioner")),
        Column("ReclaimPolicy", ("V1StorageClass", "reclaimPolicy")),
        Column("VolumeBindingMode", ("V1StorageClass", "volumeBindingMode")),
        Column("AllowVolumeExpansion", ("V1StorageClass", "allowVolumeExpansion")),
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
        *_template_cells(spec),
        shown,
    ]


def _deployment_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    """printDeployment: READY as ready/desired, then up-to-date and available (wide cells
    always)."""
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    selector = printers.label_selector(spec.get("selector") or {})
    return [
        objects.name_of(obj),
        f"{int(status.get('readyReplicas', 0))}/{int(spec.get('replicas', 1))}",
        int(status.get("updatedReplicas", 0)),
        int(status.get("availableReplicas", 0)),
        printers.age(objects.meta(obj).get("creationTimestamp"), now),
        *_template_cells(spec),
        "" if selector == "<none>" else selector,  # LabelSelectorAsSelector(...).String()
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


def _created(obj: Mapping[str, Any], now: datetime) -> str:
    return printers.age(objects.meta(obj).get("creationTimestamp"), now)


def _template_cells(spec: Mapping[str, Any]) -> list[Cell]:
    """The Containers and Images cells of a kind with a pod template."""
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return [
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
    ]


def _config_map_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    size = len(obj.get("data") or {}) + len(obj.get("binaryData") or {})
    return [objects.name_of(obj), size, _created(obj, now)]


def _secret_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    return [
        objects.name_of(obj),
        str(obj.get("type") or ""),
        len(obj.get("data") or {}),
        _created(obj, now),
    ]


def _endpoints_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    """printEndpoints: the first three address:port pairs, then how many more."""
    pairs = [
        f"{address.get('ip', '')}:{port.get('port', '')}" if port else address.get("ip", "")
        for subset in obj.get("subsets") or ()
        for port in (subset.get("ports") or [None])
        for address in subset.get("addresses") or ()
    ]
    shown = ",".join(pairs[:3]) + (f" + {len(pairs) - 3} more..." if len(pairs) > 3 else "")
    return [objects.name_of(obj), shown or "<none>", _created(obj, now)]


_ACCESS_MODES = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}


def _access_modes(modes: Iterable[str] | None) -> str:
    return ",".join(_ACCESS_MODES.get(m, m) for m in modes or ())


def _phase(obj: Mapping[str, Any]) -> str:
    if objects.meta(obj).get("deletionTimestamp"):
        return "Terminating"
    return str((obj.get("status") or {}).get("phase") or "")


def _pvc_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    bound = bool(spec.get("volumeName"))
    return [
        objects.name_of(obj),
        _phase(obj),
        str(spec.get("volumeName") or ""),
        str((status.get("capacity") or {}).get("storage", "")) if bound else "",
        _access_modes(status.get("accessModes")) if bound else "",
        str(spec.get("storageClassName") or ""),
        str(spec.get("volumeAttributesClassName") or "<unset>"),
        _created(obj, now),
        str(spec.get("volumeMode") or "<unset>"),
    ]


def _pv_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    claim = spec.get("claimRef") or {}
    return [
        objects.name_of(obj),
        str((spec.get("capacity") or {}).get("storage", "")),
        _access_modes(spec.get("accessModes")),
        str(spec.get("persistentVolumeReclaimPolicy") or ""),
        _phase(obj),
        f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "",
        str(spec.get("storageClassName") or ""),
        str(spec.get("volumeAttributesClassName") or "<unset>"),
        str(status.get("reason") or ""),
        _created(obj, now),
        str(spec.get("volumeMode") or "<unset>"),
    ]


def _daemon_set_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    counts = (
        "desiredNumberScheduled",
        "currentNumberScheduled",
        "numberReady",
        "updatedNumberScheduled",
        "numberAvailable",
    )
    return [
        objects.name_of(obj),
        *(int(status.get(c, 0)) for c in counts),
        printers.format_labels(node_selector) if node_selector else "<none>",
        _created(obj, now),
        *_template_cells(spec),
        printers.label_selector(spec.get("selector") or {}),
    ]


def _stateful_set_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ready = f"{int(status.get('readyReplicas', 0))}/{int(spec.get('replicas', 1))}"
    return [objects.name_of(obj), ready, _created(obj, now), *_template_cells(spec)]


def _controller_revision_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    owner = objects.controller_of(obj)
    controller = "<none>"
    if owner is not None:
        group = str(owner.get("apiVersion", "")).rpartition("/")[0]
        kind = str(owner.get("kind", "")).lower()
        controller = (
            f"{kind}.{group}/{owner.get('name', '')}"
            if group
            else f"{kind}/{owner.get('name', '')}"
        )
    return [objects.name_of(obj), controller, int(obj.get("revision", 0)), _created(obj, now)]


def _lease_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    holder = (obj.get("spec") or {}).get("holderIdentity")
    return [objects.name_of(obj), str(holder) if holder else "<unset>", _created(obj, now)]


def _api_service_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    """The Service as namespace/name ("Local" for none), Available as its condition's status
    and, when not True, its reason."""
    service = (obj.get("spec") or {}).get("service")
    shown = f"{service.get('namespace', '')}/{service.get('name', '')}" if service else "Local"
    condition = aggregator.available_condition(obj)
    available = str(condition.get("status", "")) if condition else "Unknown"
    if condition and available != "True" and condition.get("reason"):
        available += f" ({condition['reason']})"
    return [objects.name_of(obj), shown, available, _created(obj, now)]


def _component_status_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    """printComponentStatus: Healthy or Unhealthy from the Healthy condition, Unknown without."""
    for condition in obj.get("conditions") or ():
        if condition.get("type") == "Healthy":
            status = "Healthy" if condition.get("status") == "True" else "Unhealthy"
            return [
                objects.name_of(obj),
                status,
                str(condition.get("message", "")),
                str(condition.get("error", "")),
            ]
    return [objects.name_of(obj), "Unknown", "", ""]


def _binding_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    ref = obj.get("roleRef") or {}
    subjects = obj.get("subjects") or ()

    def names(kind: str) -> str:
        return ", ".join(
            f"{s.get('namespace', '')}:{s.get('name', '')}"
            if kind == "ServiceAccount"
            else s.get("name", "")
            for s in subjects
            if s.get("kind") == kind
        )

    return [
        objects.name_of(obj),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        _created(obj, now),
        names("User"),
        names("Group"),
        names("ServiceAccount"),
    ]


def _storage_class_row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
    annotations = objects.meta(obj).get("annotations") or {}
    default = annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
    return [
        objects.name_of(obj) + (" (default)" if default else ""),
        str(obj.get("provisioner") or ""),
        str(obj.get("reclaimPolicy") or "Delete"),
        str(obj.get("volumeBindingMode") or "Immediate"),
        "true" if obj.get("allowVolumeExpansion") else "false",
        _created(obj, now),
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
    return [
        objects.name_of(job),
        shown,
        completions,
        duration,
        printers.age(objects.meta(job).get("creationTimestamp"), now),
        *_template_cells(spec),
        printers.label_selector(spec.get("selector") or {}),
    ]


def _cronjob_row(cj: Mapping[str, Any], now: datetime) -> list[Cell]:
    """printCronJob: `<none>` for no time zone and no last schedule, `<unset>` for no suspend."""
    spec = cj.get("spec") or {}
    status = cj.get("status") or {}
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
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
        *_template_cells(job_spec),
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
    "deployments": _deployment_row,
    "services": printers.service_row,
    "priorityclasses": _priority_class_row,
    "poddisruptionbudgets": _pdb_row,
    "configmaps": _config_map_row,
    "secrets": _secret_row,
    "endpoints": _endpoints_row,
    "persistentvolumeclaims": _pvc_row,
    "persistentvolumes": _pv_row,
    "daemonsets": _daemon_set_row,
    "statefulsets": _stateful_set_row,
    "controllerrevisions": _controller_revision_row,
    "leases": _lease_row,
    "apiservices": _api_service_row,
    "componentstatuses": _component_status_row,
    "rolebindings": _binding_row,
    "clusterrolebindings": _binding_row,
    "storageclasses": _storage_class_row,
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


def _custom_columns(resource: Resource) -> list[dict[str, Any]]:
    """A custom resource's columns: Name, then its CRD's printer columns (Age when none)."""
    assert resource.custom is not None
    name = {
        "name": "Name",
        "type": "string",
        "format": "name",
        "description": schemas.field_description("V1ObjectMeta", "name"),
        "priority": 0,
    }
    return [
        name,
        *(
            {
                "name": c.name,
                "type": c.type,
                "format": c.format,
                "description": c.description,
                "priority": c.priority,
            }
            for c in resource.custom.columns
        ),
    ]


def _custom_row(resource: Resource) -> RowFunction:
    assert resource.custom is not None
    columns = resource.custom.columns

    def row(obj: Mapping[str, Any], now: datetime) -> list[Cell]:
        cells: list[Any] = [objects.name_of(obj)]
        for column in columns:
            cells.append(crds.column_cell(column, dict(obj), lambda t: printers.age(t, now)))
        return cells

    return row


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
    row = _custom_row(resource) if resource.custom else ROWS.get(resource.plural, _default_row)
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
    result["columnDefinitions"] = (
        (_custom_columns(resource) if resource.custom else column_definitions(resource.plural))
        if headers
        else None
    )
    result["rows"] = rows
    return result
