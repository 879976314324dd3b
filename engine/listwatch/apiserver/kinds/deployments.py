"""Deployments (apps/v1) on a write: v1.32's defaults (SetDefaults_Deployment and the pod
template's), its registry strategy (status and generation), and apps validation.

Defaults are applied on every write, as kube-apiserver defaults every object it decodes: replicas
1, strategy RollingUpdate with maxUnavailable and maxSurge 25%, revisionHistoryLimit 10,
progressDeadlineSeconds 600. A create starts at generation 1 with an empty status; an update
bumps the generation when the spec or the annotations change (annotations are copied to the
ReplicaSets), and the status subresource writes the status and the annotations (the deployment
controller keeps `deployment.kubernetes.io/revision` there), never the spec or the labels.

The int-or-percent rules (`scaled`, `fenceposts`) are the deployment controller's too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.fields import FieldErrors, validate_labels, validate_meta
from listwatch.apiserver.kinds.controllers import on_write as template_defaults
from listwatch.apiserver.kinds.poddisruptionbudgets import (
    _int_or_percent_problems,
    scaled,
)
from listwatch.apiserver.kinds.pods import validate_pod_template
from listwatch.apiserver.objects import Obj
from listwatch.rules import selectors

ROLLING_UPDATE = "RollingUpdate"
RECREATE = "Recreate"
#: What SetDefaults_Deployment gives a field that is not set (v1.32).
DEFAULT_REPLICAS = 1
DEFAULT_SURGE = "25%"
DEFAULT_UNAVAILABLE = "25%"
DEFAULT_HISTORY = 10
DEFAULT_DEADLINE = 600


def on_write(obj: Obj) -> Obj:
    """SetDefaults_Deployment, then the pod template's defaults (as a ReplicaSet's)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return obj
    spec = dict(spec)
    spec.setdefault("replicas", DEFAULT_REPLICAS)
    strategy = spec.get("strategy")
    strategy = dict(strategy) if isinstance(strategy, dict) else {}
    strategy.setdefault("type", ROLLING_UPDATE)
    if strategy["type"] == ROLLING_UPDATE:
        rolling = strategy.get("rollingUpdate")
        rolling = dict(rolling) if isinstance(rolling, dict) else {}
        rolling.setdefault("maxUnavailable", DEFAULT_UNAVAILABLE)
        rolling.setdefault("maxSurge", DEFAULT_SURGE)
        strategy["rollingUpdate"] = rolling
    spec["strategy"] = strategy
    spec.setdefault("revisionHistoryLimit", DEFAULT_HISTORY)
    spec.setdefault("progressDeadlineSeconds", DEFAULT_DEADLINE)
    return template_defaults({**obj, "spec": spec})


def deployment_defaults(obj: Obj, ctx: Any) -> Obj:
    """PrepareForCreate: generation 1, an empty status."""
    meta = dict(obj.get("metadata") or {})
    meta["generation"] = 1
    return {**obj, "metadata": meta, "status": {}}


def prepare_update(old: Obj, new: Obj, body: Obj, *, status: bool) -> Obj:
    """PrepareForUpdate of the deployment strategy and of its status strategy."""
    if status:
        annotations = objects.meta(body).get("annotations")
        meta = {k: v for k, v in objects.meta(new).items() if k != "annotations"}
        if annotations:
            meta["annotations"] = annotations
        return {**new, "metadata": meta}
    generation = objects.meta(old).get("generation")
    if generation is None:
        return new
    changed = new.get("spec") != old.get("spec") or objects.meta(new).get(
        "annotations"
    ) != objects.meta(old).get("annotations")
    return objects.replace(new, "metadata.generation", generation + (1 if changed else 0))


def fenceposts(spec: Mapping[str, Any]) -> tuple[int, int]:
    """ResolveFenceposts: maxSurge (rounded up) and maxUnavailable (rounded down) as counts of
    spec.replicas; both 0 makes maxUnavailable 1. (0, 0) for Recreate."""
    strategy = spec.get("strategy") or {}
    if strategy.get("type", ROLLING_UPDATE) != ROLLING_UPDATE:
        return 0, 0
    rolling = strategy.get("rollingUpdate") or {}
    replicas = int(spec.get("replicas", DEFAULT_REPLICAS))
    surge = scaled(rolling.get("maxSurge", DEFAULT_SURGE), replicas, round_up=True)
    unavailable = scaled(
        rolling.get("maxUnavailable", DEFAULT_UNAVAILABLE), replicas, round_up=False
    )
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(spec: Mapping[str, Any]) -> int:
    return fenceposts(spec)[0]


def max_unavailable(spec: Mapping[str, Any]) -> int:
    """MaxUnavailable: never more than spec.replicas; 0 for Recreate or no replicas."""
    replicas = int(spec.get("replicas", DEFAULT_REPLICAS))
    if replicas == 0:
        return 0
    return min(fenceposts(spec)[1], replicas)


# -- validation ------------------------------------------------------------------------------------


def _go_map(labels: Mapping[str, Any] | None) -> str:
    if labels is None:
        return "map[string]string(nil)"
    return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items())) + "}"


def _go_selector(selector: Mapping[str, Any]) -> str:
    """A LabelSelector as Go's %#v prints it in a field error."""
    expressions = selector.get("matchExpressions")
    shown = (
        "[]v1.LabelSelectorRequirement(nil)"
        if not expressions
        else "[]v1.LabelSelectorRequirement{"
        + ", ".join(
            f'v1.LabelSelectorRequirement{{Key:"{e.get("key", "")}", Operator:"'
            f'{e.get("operator", "")}", Values:[]string{{'
            + ", ".join(f'"{v}"' for v in e.get("values") or [])
            + "}}"
            for e in expressions
        )
        + "}"
    )
    return (
        f"v1.LabelSelector{{MatchLabels:{_go_map(selector.get('matchLabels'))}, "
        f"MatchExpressions:{shown}}}"
    )


def _intstr(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f'intstr.IntOrString{{Type:0, IntVal:{value}, StrVal:""}}'
    return f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:"{value}"}}'


def _percent_or_int(value: Any) -> int:
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        return int(value[:-1])
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _nonnegative(spec: Mapping[str, Any], name: str) -> FieldErrors:
    value = spec.get(name)
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"spec.{name}: Invalid value: {value!r}: must be an integer"]
    if value < 0:
        return [f"spec.{name}: Invalid value: {value}: must be greater than or equal to 0"]
    return []


def validate_deployment(obj: Obj) -> FieldErrors:
    """ValidateDeployment (apps, v1.32): the spec's fields in its order."""
    errs = validate_meta(obj, namespaced=True)
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [*errs, "spec.selector: Required value", "spec.template: Required value"]
    errs.extend(_nonnegative(spec, "replicas"))
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        errs.append("spec.selector: Required value")
    else:
        errs.extend(validate_labels(selector.get("matchLabels"), "spec.selector.matchLabels"))
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            errs.append(
                f"spec.selector: Invalid value: {_go_selector(selector)}: empty selector is "
                "invalid for deployment"
            )
    errs.extend(_validate_template(spec, selector if isinstance(selector, dict) else None))
    errs.extend(_validate_strategy(spec.get("strategy") or {}))
    errs.extend(_nonnegative(spec, "minReadySeconds"))
    errs.extend(_nonnegative(spec, "revisionHistoryLimit"))
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None:
        errs.extend(_nonnegative(spec, "progressDeadlineSeconds"))
        ready = spec.get("minReadySeconds", 0)
        if isinstance(deadline, int) and isinstance(ready, int) and deadline <= ready:
            errs.append(
                f"spec.progressDeadlineSeconds: Invalid value: {deadline}: must be greater than "
                "minReadySeconds"
            )
    return errs


def validate_deployment_update(old: Obj, new: Obj) -> FieldErrors:
    """ValidateDeploymentUpdate, and apps/v1's immutable selector."""
    errs = validate_deployment(new)
    selector = (new.get("spec") or {}).get("selector")
    if isinstance(selector, dict) and selector != (old.get("spec") or {}).get("selector"):
        errs.append(f"spec.selector: Invalid value: {_go_selector(selector)}: field is immutable")
    return errs


def _validate_template(spec: Mapping[str, Any], selector: Mapping[str, Any] | None) -> FieldErrors:
    """ValidatePodTemplateSpecForReplicaSet."""
    template = spec.get("template")
    if not isinstance(template, dict):
        return ["spec.template: Required value"]
    errs: FieldErrors = []
    labels = objects.labels_of(template)
    selecting = bool(selector and (selector.get("matchLabels") or selector.get("matchExpressions")))
    if selecting and not selectors.selects(selector, labels):
        errs.append(
            f"spec.template.metadata.labels: Invalid value: {_go_map(dict(labels))}: "
            "`selector` does not match template `labels`"
        )
    errs.extend(validate_pod_template(template))
    pod_spec = template.get("spec") or {}
    policy = pod_spec.get("restartPolicy", "Always")
    if policy != "Always":
        errs.append(
            f'spec.template.spec.restartPolicy: Unsupported value: "{policy}": supported values: '
            '"Always"'
        )
    if pod_spec.get("activeDeadlineSeconds") is not None:
        errs.append(
            "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in "
            "ReplicaSet is not Supported"
        )
    return errs


def _validate_strategy(strategy: Mapping[str, Any]) -> FieldErrors:
    """ValidateDeploymentStrategy and ValidateRollingUpdateDeployment."""
    kind = strategy.get("type")
    rolling = strategy.get("rollingUpdate")
    if kind == RECREATE:
        if rolling is not None:
            return [
                "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy "
                "`type` is 'Recreate'"
            ]
        return []
    if kind != ROLLING_UPDATE:
        return [
            f'spec.strategy.type: Unsupported value: "{kind}": supported values: "Recreate", '
            '"RollingUpdate"'
        ]
    if not isinstance(rolling, dict):
        return [
            "spec.strategy.rollingUpdate: Required value: this should be defaulted and never be nil"
        ]
    path = "spec.strategy.rollingUpdate"
    unavailable = rolling.get("maxUnavailable", 0)
    surge = rolling.get("maxSurge", 0)
    over = "must not be greater than 100%"
    unavailable_errs = _int_or_percent_problems(unavailable, f"{path}.maxUnavailable")
    errs = [e for e in unavailable_errs if not e.endswith(over)]
    errs.extend(
        e for e in _int_or_percent_problems(surge, f"{path}.maxSurge") if not e.endswith(over)
    )
    if _percent_or_int(unavailable) == 0 and _percent_or_int(surge) == 0:
        errs.append(
            f"{path}.maxUnavailable: Invalid value: {_intstr(unavailable)}: may not be 0 when "
            "`maxSurge` is 0"
        )
    errs.extend(e for e in unavailable_errs if e.endswith(over))
    return errs
