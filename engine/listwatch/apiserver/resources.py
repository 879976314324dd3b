"""The resource types the API server serves: names, keys, selectable fields, and the defaults and
validation each kind gets on a write (in `listwatch.apiserver.kinds`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from listwatch.apiserver.fields import FieldErrors
from listwatch.apiserver.kinds import (
    controllers,
    cronjobs,
    events,
    jobs,
    namespaces,
    nodes,
    poddisruptionbudgets,
    pods,
    priorityclasses,
    serviceaccounts,
    services,
)
from listwatch.apiserver.objects import Obj


@dataclass(frozen=True)
class Conversion:
    """How a resource served in a group version of its own reads and writes the storage of another
    (events.k8s.io/v1 Events are core/v1 Events in storage, as in kube-apiserver)."""

    #: The served object from the stored one, and back.
    from_storage: Callable[[Obj], Obj]
    to_storage: Callable[[Obj], Obj]
    #: Each field selector this version accepts, and the stored resource's field it reads.
    field_labels: Mapping[str, str]
    #: The validation of a create through this version (the stored form, as it will be stored).
    validate_create: Callable[[Obj], FieldErrors] | None = None
    #: The validation of an update through this version (new and old, in the stored form).
    validate_update: Callable[[Obj, Obj], FieldErrors] | None = None


@dataclass(frozen=True)
class Resource:
    """How the API server treats one resource type."""

    plural: str
    kind: str
    api_version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    singular: str = ""
    fields: frozenset[str] = frozenset({"metadata.name", "metadata.namespace"})
    has_status: bool = False
    defaults: Callable[[Obj, Any], Obj] | None = None
    validate: Callable[[Obj], FieldErrors] | None = None
    #: Validation of an update (old, new), where the kind has rules of its own for one (fields
    #: that are immutable); `validate` otherwise.
    validate_update: Callable[[Obj, Obj], FieldErrors] | None = None
    #: Defaults applied on every write of the object (create, update, patch), as kube-apiserver
    #: defaults every object it decodes; `defaults` runs on create only.
    on_write: Callable[[Obj], Obj] | None = None
    verbs: tuple[str, ...] = (
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    )
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: The official client's model of the kind when its name is not `V1<Kind>`/`CoreV1<Kind>`.
    model: str = ""
    #: Set when this is another version of a stored resource of the same plural (see Conversion).
    conversion: Conversion | None = None

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def qualified(self) -> str:
        """The resource as kube-apiserver names it in messages (GroupResource.String()):
        `pods`, `replicasets.apps`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def details(self, name: str) -> dict[str, object]:
        """The StatusDetails of an error about the object `name` (NewNotFound, NewConflict...)."""
        return {"name": name, "group": self.group, "kind": self.plural}

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    def key(self, namespace: str, name: str) -> str:
        if self.namespaced:
            return f"/registry/{self.plural}/{namespace}/{name}"
        return f"/registry/{self.plural}/{name}"

    def prefix(self, namespace: str | None) -> str:
        if self.namespaced and namespace:
            return f"/registry/{self.plural}/{namespace}/"
        return f"/registry/{self.plural}/"


RESOURCES: dict[str, Resource] = {
    r.plural: r
    for r in (
        Resource(
            "pods",
            "Pod",
            "v1",
            True,
            short_names=("po",),
            singular="pod",
            fields=frozenset(
                {
                    "metadata.name",
                    "metadata.namespace",
                    "spec.nodeName",
                    "spec.restartPolicy",
                    "spec.schedulerName",
                    "spec.serviceAccountName",
                    "spec.hostNetwork",
                    "status.phase",
                    "status.podIP",
                    "status.podIPs",
                    "status.nominatedNodeName",
                }
            ),
            has_status=True,
            defaults=pods.pod_defaults,
            validate=pods.validate_pod,
            validate_update=pods.validate_pod_update,
            on_write=pods.on_write,
        ),
        Resource(
            "nodes",
            "Node",
            "v1",
            False,
            short_names=("no",),
            singular="node",
            fields=frozenset({"metadata.name", "spec.unschedulable"}),
            has_status=True,
            defaults=nodes.node_defaults,
            validate=nodes.validate_node,
            on_write=nodes.on_write,
        ),
        Resource(
            "events",
            "Event",
            "v1",
            True,
            short_names=("ev",),
            singular="event",
            fields=frozenset(
                {
                    "metadata.name",
                    "metadata.namespace",
                    "involvedObject.kind",
                    "involvedObject.namespace",
                    "involvedObject.name",
                    "involvedObject.uid",
                    "involvedObject.apiVersion",
                    "involvedObject.resourceVersion",
                    "involvedObject.fieldPath",
                    "reason",
                    "reportingComponent",
                    "source",
                    "type",
                }
            ),
            validate=events.validate_event,
        ),
        Resource(
            "replicationcontrollers",
            "ReplicationController",
            "v1",
            True,
            short_names=("rc",),
            singular="replicationcontroller",
            fields=frozenset({"metadata.name", "metadata.namespace", "status.replicas"}),
            has_status=True,
            defaults=controllers.controller_defaults,
            validate=controllers.validate_controller,
            on_write=controllers.on_write,
        ),
        Resource(
            "replicasets",
            "ReplicaSet",
            "apps/v1",
            True,
            short_names=("rs",),
            singular="replicaset",
            fields=frozenset({"metadata.name", "metadata.namespace", "status.replicas"}),
            has_status=True,
            defaults=controllers.controller_defaults,
            validate=controllers.validate_controller,
            on_write=controllers.on_write,
        ),
        Resource(
            "services",
            "Service",
            "v1",
            True,
            short_names=("svc",),
            singular="service",
            fields=frozenset(
                {"metadata.name", "metadata.namespace", "spec.clusterIP", "spec.type"}
            ),
            has_status=True,
            defaults=services.service_defaults,
            validate=services.validate_service,
            on_write=services.on_write,
        ),
        Resource(
            "serviceaccounts",
            "ServiceAccount",
            "v1",
            True,
            short_names=("sa",),
            singular="serviceaccount",
            validate=serviceaccounts.validate_service_account,
        ),
        Resource(
            "namespaces",
            "Namespace",
            "v1",
            False,
            short_names=("ns",),
            singular="namespace",
            fields=frozenset({"metadata.name", "status.phase"}),
            has_status=True,
            defaults=namespaces.namespace_defaults,
            validate=namespaces.validate_namespace,
        ),
        Resource(
            "priorityclasses",
            "PriorityClass",
            "scheduling.k8s.io/v1",
            False,
            short_names=("pc",),
            singular="priorityclass",
            validate=priorityclasses.validate_priority_class,
            validate_update=priorityclasses.validate_priority_class_update,
            on_write=priorityclasses.on_write,
        ),
        Resource(
            "poddisruptionbudgets",
            "PodDisruptionBudget",
            "policy/v1",
            True,
            short_names=("pdb",),
            singular="poddisruptionbudget",
            has_status=True,
            defaults=poddisruptionbudgets.pdb_defaults,
            validate=poddisruptionbudgets.validate_pdb,
        ),
        Resource(
            "jobs",
            "Job",
            "batch/v1",
            True,
            singular="job",
            has_status=True,
            defaults=jobs.job_defaults,
            validate=jobs.validate_job,
            validate_update=jobs.validate_job_update,
            on_write=jobs.on_write,
        ),
        Resource(
            "cronjobs",
            "CronJob",
            "batch/v1",
            True,
            short_names=("cj",),
            singular="cronjob",
            has_status=True,
            defaults=cronjobs.cronjob_defaults,
            validate=cronjobs.validate_cronjob,
            on_write=cronjobs.on_write,
        ),
    )
}

KINDS: dict[str, Resource] = {r.kind: r for r in RESOURCES.values()}

#: Resources served in another group version over the storage of one in RESOURCES (same plural).
ALTERNATES: tuple[Resource, ...] = (
    Resource(
        "events",
        "Event",
        events.EVENTS_V1,
        True,
        short_names=("ev",),
        singular="event",
        fields=frozenset(events.FIELD_LABELS),
        model="EventsV1Event",
        conversion=Conversion(
            from_storage=events.from_core,
            to_storage=events.to_core,
            field_labels=events.FIELD_LABELS,
            validate_create=events.validate_events_v1,
            validate_update=events.validate_events_v1_update,
        ),
    ),
)

#: Every served resource: the stored ones, then their other versions.
SERVED: tuple[Resource, ...] = (*RESOURCES.values(), *ALTERNATES)


def resource_for(name: str) -> Resource | None:
    """Find a resource by plural, singular, short name or kind (as kubectl accepts them)."""
    lowered = name.lower()
    for r in RESOURCES.values():
        if lowered in (r.plural, r.singular, r.kind.lower()) or lowered in r.short_names:
            return r
    return None
