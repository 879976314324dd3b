"""DaemonSets (apps/v1) on a write: the registry strategy's template generation and apps
validation, v1.32 (the scheme defaults and the first status are the resource table's).

apps/v1 has no field for the template generation: the API server keeps it in the
`deprecated.daemonset.template.generation` annotation. A create starts it at 1 (or keeps a
larger value the body sets); an update keeps the old value unless the pod template changed, which
raises it (and the generation) by one; a status write never changes it. The daemonset controller
labels each new pod `pod-template-generation` with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.fields import FieldErrors, validate_labels, validate_meta
from listwatch.apiserver.kinds import deployments
from listwatch.apiserver.kinds.poddisruptionbudgets import _int_or_percent_problems
from listwatch.apiserver.objects import Obj

TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
ROLLING_UPDATE = "RollingUpdate"
ON_DELETE = "OnDelete"


def _annotations(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    return dict(annotations) if isinstance(annotations, Mapping) else {}


def _template_generation(obj: Mapping[str, Any]) -> int:
    try:
        return int(str(_annotations(obj).get(TEMPLATE_GENERATION, "0")))
    except ValueError:
        return 0


def _with_template_generation(obj: Obj, generation: int) -> Obj:
    if not isinstance(obj.get("metadata"), Mapping):
        return obj
    annotations = _annotations(obj)
    annotations[TEMPLATE_GENERATION] = str(generation)
    return objects.replace(obj, "metadata.annotations", annotations)


def on_write(obj: Obj) -> Obj:
    """SetDefaults_DaemonSet's rolling update fields the table's whole-object default leaves
    out: maxUnavailable 1 and maxSurge 0 where a rollingUpdate sets only the other."""
    strategy = (obj.get("spec") or {}).get("updateStrategy")
    if not isinstance(strategy, dict) or strategy.get("type") != ROLLING_UPDATE:
        return obj
    rolling = strategy.get("rollingUpdate")
    if not isinstance(rolling, dict):
        return obj
    filled = {"maxUnavailable": 1, "maxSurge": 0, **rolling}
    if filled == rolling:
        return obj
    return objects.replace(obj, "spec.updateStrategy.rollingUpdate", filled)


def daemonset_defaults(obj: Obj, ctx: Any) -> Obj:
    """PrepareForCreate: the template generation at least 1."""
    return _with_template_generation(obj, max(1, _template_generation(obj)))


def prepare_update(old: Obj, new: Obj, body: Obj, *, status: bool) -> Obj:
    """PrepareForUpdate: the old template generation, one more when the template changed; the
    generation one more when the spec changed."""
    generation = _template_generation(old)
    if status:
        return _with_template_generation(new, generation)
    template = (new.get("spec") or {}).get("template")
    if template != (old.get("spec") or {}).get("template"):
        generation += 1
    new = _with_template_generation(new, generation)
    old_generation = objects.meta(old).get("generation")
    if old_generation is None:
        return new
    changed = new.get("spec") != old.get("spec")
    return objects.replace(new, "metadata.generation", old_generation + (1 if changed else 0))


def validate_daemonset(obj: Obj) -> FieldErrors:
    """ValidateDaemonSet (apps, v1.32): the metadata, then the spec's fields in its order."""
    errs = validate_meta(obj, namespaced=True)
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [*errs, "spec.selector: Required value", "spec.template: Required value"]
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        errs.append("spec.selector: Required value")
    else:
        errs.extend(validate_labels(selector.get("matchLabels"), "spec.selector.matchLabels"))
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            errs.append(
                f"spec.selector: Invalid value: {deployments._go_selector(selector)}: empty "
                "selector is invalid for daemonset"
            )
    template_errs = deployments._validate_template(
        spec, selector if isinstance(selector, dict) else None
    )
    errs.extend(e.replace("in ReplicaSet", "in DaemonSet") for e in template_errs)
    errs.extend(deployments._nonnegative(spec, "minReadySeconds"))
    errs.extend(_validate_update_strategy(spec.get("updateStrategy") or {}))
    errs.extend(deployments._nonnegative(spec, "revisionHistoryLimit"))
    return errs


def validate_daemonset_update(old: Obj, new: Obj) -> FieldErrors:
    """ValidateDaemonSetUpdate: the new object, and its selector immutable."""
    errs = validate_daemonset(new)
    selector = (new.get("spec") or {}).get("selector")
    if isinstance(selector, dict) and selector != (old.get("spec") or {}).get("selector"):
        errs.append(
            f"spec.selector: Invalid value: {deployments._go_selector(selector)}: field is "
            "immutable"
        )
    return errs


def _validate_update_strategy(strategy: Mapping[str, Any]) -> FieldErrors:
    """ValidateDaemonSetUpdateStrategy and ValidateRollingUpdateDaemonSet."""
    kind = strategy.get("type")
    if kind == ON_DELETE:
        return []
    if kind != ROLLING_UPDATE:
        return [
            f'spec.updateStrategy.type: Unsupported value: "{kind}": supported values: '
            '"OnDelete", "RollingUpdate"'
        ]
    rolling = strategy.get("rollingUpdate")
    if not isinstance(rolling, dict):
        return ["spec.updateStrategy.rollingUpdate: Required value"]
    path = "spec.updateStrategy.rollingUpdate"
    unavailable = rolling.get("maxUnavailable", 0)
    surge = rolling.get("maxSurge", 0)
    errs = [*_int_or_percent_problems(unavailable, f"{path}.maxUnavailable")]
    errs.extend(_int_or_percent_problems(surge, f"{path}.maxSurge"))
    has_unavailable = deployments._percent_or_int(unavailable) != 0
    has_surge = deployments._percent_or_int(surge) != 0
    if has_unavailable and has_surge:
        errs.append(
            f"{path}.maxSurge: Invalid value: {deployments._intstr(surge)}: may not be set when "
            "maxUnavailable is non-zero"
        )
    elif not has_unavailable and not has_surge:
        errs.append(f"{path}.maxUnavailable: Required value: cannot be 0 when maxSurge is 0")
    return errs
