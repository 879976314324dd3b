"""How each kind is treated on a write, as kube-apiserver's registry gives every kind a strategy.

Most kinds need only what the resource table (`spec/api/resources.yaml`) declares: scheme
defaults, a pod template's defaults, the generation and the first status, the form of a name,
immutable fields. `generic` turns those declarations into the four hooks the API server calls;
a kind with rules of its own names a `Strategy` of `NAMED`, whose hooks run after the declared
ones (its validation replaces the generic check of the metadata, which it does itself).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from listwatch.apiserver import crds, objects
from listwatch.apiserver.fields import FieldErrors, shown, validate_meta
from listwatch.apiserver.kinds import (
    apiservices,
    configs,
    controllers,
    cronjobs,
    daemonsets,
    deployments,
    events,
    jobs,
    namespaces,
    nodes,
    poddisruptionbudgets,
    pods,
    priorityclasses,
    rbac,
    services,
    statefulsets,
)
from listwatch.apiserver.kinds.podspec import default_pod_spec
from listwatch.apiserver.objects import Obj

Defaults = Callable[[Obj, Any], Obj]
Validate = Callable[[Obj], FieldErrors]
ValidateUpdate = Callable[[Obj, Obj], FieldErrors]
OnWrite = Callable[[Obj], Obj]
PrepareUpdate = Callable[..., Obj]


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
class Strategy:
    """A kind's own rules on a write: `defaults` on a create (what PrepareForCreate sets),
    `on_write` on every write (scheme defaults), `validate` of a new object, `validate_update`
    of a changed one (old, new; `validate` when None)."""

    defaults: Defaults | None = None
    validate: Validate | None = None
    validate_update: ValidateUpdate | None = None
    on_write: OnWrite | None = None
    conversion: Conversion | None = None
    #: PrepareForUpdate: the kind's own say over an update or a status write (old, new, the
    #: body as sent), after the generic rules.
    prepare_update: PrepareUpdate | None = None


#: The strategies a resource may name in the table.
NAMED: Mapping[str, Strategy] = {
    "pods": Strategy(
        defaults=pods.pod_defaults,
        validate=pods.validate_pod,
        validate_update=pods.validate_pod_update,
        on_write=pods.on_write,
    ),
    "nodes": Strategy(
        defaults=nodes.node_defaults, validate=nodes.validate_node, on_write=nodes.on_write
    ),
    "events": Strategy(validate=events.validate_event),
    "eventsV1": Strategy(
        conversion=Conversion(
            from_storage=events.from_core,
            to_storage=events.to_core,
            field_labels=events.FIELD_LABELS,
            validate_create=events.validate_events_v1,
            validate_update=events.validate_events_v1_update,
        )
    ),
    "controllers": Strategy(
        defaults=controllers.controller_defaults,
        validate=controllers.validate_controller,
        on_write=controllers.on_write,
    ),
    "services": Strategy(
        defaults=services.service_defaults,
        validate=services.validate_service,
        on_write=services.on_write,
    ),
    "namespaces": Strategy(
        defaults=namespaces.namespace_defaults, validate=namespaces.validate_namespace
    ),
    "priorityclasses": Strategy(
        validate=priorityclasses.validate_priority_class,
        validate_update=priorityclasses.validate_priority_class_update,
        on_write=priorityclasses.on_write,
    ),
    "poddisruptionbudgets": Strategy(
        defaults=poddisruptionbudgets.pdb_defaults, validate=poddisruptionbudgets.validate_pdb
    ),
    "configmaps": Strategy(
        validate=configs.validate_config_map, validate_update=configs.validate_config_map_update
    ),
    "secrets": Strategy(
        on_write=configs.secret_on_write,
        validate=configs.validate_secret,
        validate_update=configs.validate_secret_update,
    ),
    "deployments": Strategy(
        defaults=deployments.deployment_defaults,
        validate=deployments.validate_deployment,
        validate_update=deployments.validate_deployment_update,
        on_write=deployments.on_write,
        prepare_update=deployments.prepare_update,
    ),
    "daemonsets": Strategy(
        defaults=daemonsets.daemonset_defaults,
        validate=daemonsets.validate_daemonset,
        validate_update=daemonsets.validate_daemonset_update,
        on_write=daemonsets.on_write,
        prepare_update=daemonsets.prepare_update,
    ),
    "jobs": Strategy(
        defaults=jobs.job_defaults,
        validate=jobs.validate_job,
        validate_update=jobs.validate_job_update,
        on_write=jobs.on_write,
    ),
    "cronjobs": Strategy(
        defaults=cronjobs.cronjob_defaults,
        validate=cronjobs.validate_cronjob,
        on_write=cronjobs.on_write,
    ),
    "crds": Strategy(
        on_write=crds.crd_on_write,
        validate=crds.validate_crd,
        validate_update=crds.validate_crd_update,
    ),
    "apiservices": Strategy(
        validate=apiservices.validate_api_service, on_write=apiservices.on_write
    ),
    "rolebindings": Strategy(
        on_write=rbac.binding_on_write,
        validate=rbac.validate_binding,
        validate_update=rbac.validate_binding_update,
    ),
    "statefulsets": Strategy(prepare_update=statefulsets.prepare_update),
}


@dataclass(frozen=True)
class Default:
    """One scheme default of the table: `value` at `path` where unset (and where `when` holds)."""

    path: str
    value: Any
    when: Mapping[str, Any]

    def apply(self, obj: Obj) -> Obj:
        if any(objects.get_path(obj, path) != want for path, want in self.when.items()):
            return obj
        out = copy.deepcopy(obj)
        _set_default(out, self.path.split("."), self.value)
        return out


def _set_default(node: Any, steps: Sequence[str], value: Any) -> None:
    step, rest = steps[0], steps[1:]
    each = step.endswith("[]")
    key = step.removesuffix("[]")
    if not isinstance(node, dict):
        return
    if each:
        for item in node.get(key) or ():
            _set_default(item, rest, value)
        return
    if not rest:
        if node.get(key) is None:
            node[key] = copy.deepcopy(value)
        return
    if node.get(key) is None:
        node[key] = {}
    _set_default(node[key], rest, value)


@dataclass(frozen=True)
class Immutable:
    """A field an update may not change; refused as ValidateImmutableField words it, or as
    Forbidden with the kind's own words."""

    path: str
    forbidden: str = ""

    def problems(self, old: Obj, new: Obj) -> FieldErrors:
        value = objects.get_path(new, self.path)
        if value == objects.get_path(old, self.path):
            return []
        if self.forbidden:
            return [f"{self.path}: Forbidden: {self.forbidden}"]
        return [f"{self.path}: Invalid value: {shown(value)}: field is immutable"]


@dataclass(frozen=True)
class Hooks:
    """The four hooks the API server calls on a write of one kind."""

    defaults: Defaults | None
    validate: Validate
    validate_update: ValidateUpdate
    on_write: OnWrite | None


def generic(
    *,
    namespaced: bool,
    strategy: Strategy,
    defaults: Sequence[Default] = (),
    pod_template: str = "",
    generation: bool = False,
    status: Mapping[str, Any] | None = None,
    names: str = "subdomain",
    immutable: Sequence[Immutable] = (),
) -> Hooks:
    """The hooks of a kind from its declarations in the table and its named strategy."""

    def on_write(obj: Obj) -> Obj:
        for default in defaults:
            obj = default.apply(obj)
        if pod_template:
            template = objects.get_path(obj, pod_template)
            if isinstance(template, dict) and isinstance(template.get("spec"), dict):
                obj = objects.replace(
                    obj, f"{pod_template}.spec", default_pod_spec(template["spec"], pod=False)
                )
        return strategy.on_write(obj) if strategy.on_write is not None else obj

    def on_create(obj: Obj, ctx: Any) -> Obj:
        if generation or status is not None:
            obj = dict(obj)
            if generation:
                obj["metadata"] = {**obj["metadata"], "generation": 1}
            if status is not None:
                obj["status"] = copy.deepcopy(dict(status))
        return strategy.defaults(obj, ctx) if strategy.defaults is not None else obj

    def validate(obj: Obj) -> FieldErrors:
        if strategy.validate is not None:
            return strategy.validate(obj)
        return validate_meta(obj, namespaced=namespaced, names=names)

    def validate_update(old: Obj, new: Obj) -> FieldErrors:
        if strategy.validate_update is not None:
            errs = strategy.validate_update(old, new)
        else:
            errs = validate(new)
        return [*errs, *(p for field in immutable for p in field.problems(old, new))]

    writes = bool(defaults or pod_template or strategy.on_write)
    creates = bool(generation or status is not None or strategy.defaults)
    return Hooks(
        defaults=on_create if creates else None,
        validate=validate,
        validate_update=validate_update,
        on_write=on_write if writes else None,
    )
