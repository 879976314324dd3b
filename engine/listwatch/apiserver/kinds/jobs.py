"""Jobs (batch/v1) on a write: v1.32's defaults (SetDefaults_Job, the pod template's through
`podspec`), the Job strategy's generated selector and template labels, and batch validation.

A Job without `manualSelector: true` selects its pods by its own UID: the strategy puts
`batch.kubernetes.io/controller-uid` and `batch.kubernetes.io/job-name` (and their unprefixed
legacy twins) on the template, and `matchLabels: {batch.kubernetes.io/controller-uid: UID}` in the
selector. Field errors read as kube-apiserver's; a Go struct printed in a message (an immutable
selector or template) is shown as JSON, kube-apiserver prints its Go form there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.fields import FieldErrors, enum_problems, go_quote, validate_meta
from listwatch.apiserver.kinds.pods import validate_pod_template
from listwatch.apiserver.kinds.podspec import default_pod_spec
from listwatch.apiserver.objects import Obj

LABEL_PREFIX = "batch.kubernetes.io/"
CONTROLLER_UID = f"{LABEL_PREFIX}controller-uid"
JOB_NAME = f"{LABEL_PREFIX}job-name"
LEGACY_CONTROLLER_UID = "controller-uid"
LEGACY_JOB_NAME = "job-name"
#: The finalizer the job controller puts on its pods until it has counted them (v1.32).
TRACKING_FINALIZER = f"{LABEL_PREFIX}job-tracking"
#: The largest int32: a Job's backoffLimit when it sets backoffLimitPerIndex.
MAX_INT32 = 2**31 - 1

_ENUMS: Mapping[str, tuple[str, ...]] = {
    "spec.completionMode": ("NonIndexed", "Indexed"),
    "spec.podReplacementPolicy": ("TerminatingOrFailed", "Failed"),
    "spec.podFailurePolicy.rules[*].action": ("FailJob", "FailIndex", "Ignore", "Count"),
    "spec.podFailurePolicy.rules[*].onExitCodes.operator": ("In", "NotIn"),
}
#: The template fields a suspended Job that never started may still change (v1.32's mutable
#: scheduling directives).
_MUTABLE_WHILE_SUSPENDED = ("nodeSelector", "affinity", "tolerations", "schedulingGates")


def on_write(obj: Obj) -> Obj:
    """Every write: the pod template gets a pod spec's scheme defaults (not a Pod's own)."""
    spec = obj.get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        return obj
    out = objects.replace(obj, "spec.template.spec", default_pod_spec(template["spec"], pod=False))
    return _labels_from_template(objects.replace(out, "spec", _spec_defaults(out["spec"])))


def _labels_from_template(obj: Obj) -> Obj:
    """SetDefaults_Job: a Job without labels takes its template's (it runs on every decode, the
    read back from storage after create included, so a created Job has the generated ones)."""
    template = (obj.get("spec") or {}).get("template") or {}
    labels = (template.get("metadata") or {}).get("labels")
    if labels and not objects.meta(obj).get("labels"):
        return objects.replace(obj, "metadata.labels", dict(labels))
    return obj


def _spec_defaults(spec: Mapping[str, Any]) -> Obj:
    """SetDefaults_Job's spec fields (it runs on every decode, so on updates too)."""
    out = dict(spec)
    if out.get("completions") is None and out.get("parallelism") is None:
        out["completions"] = 1
        out["parallelism"] = 1
    out.setdefault("parallelism", 1)
    if out.get("backoffLimit") is None:
        out["backoffLimit"] = MAX_INT32 if out.get("backoffLimitPerIndex") is not None else 6
    out.setdefault("completionMode", "NonIndexed")
    out.setdefault("suspend", False)
    out.setdefault("manualSelector", False)
    policy = out.get("podFailurePolicy")
    if out.get("podReplacementPolicy") is None:
        out["podReplacementPolicy"] = "Failed" if policy is not None else "TerminatingOrFailed"
    if isinstance(policy, dict) and isinstance(policy.get("rules"), list):
        rules = []
        for rule in policy["rules"]:
            if isinstance(rule, dict) and isinstance(rule.get("onPodConditions"), list):
                rule = {
                    **rule,
                    "onPodConditions": [
                        {"status": "True", **p} if isinstance(p, dict) else p
                        for p in rule["onPodConditions"]
                    ],
                }
            rules.append(rule)
        out["podFailurePolicy"] = {**policy, "rules": rules}
    return out


def job_defaults(obj: Obj, ctx: Any) -> Obj:
    """Create: the generated selector and template labels, generation 1 and an empty status (the
    strategy's PrepareForCreate), then the Job's labels from its template's when it has none."""
    out = dict(obj)
    spec = dict(out.get("spec") or {})
    meta = dict(out.get("metadata") or {})
    template = dict(spec.get("template") or {})
    if not spec.get("manualSelector"):
        name, uid = str(meta.get("name", "")), str(meta.get("uid", ""))
        tmeta = dict(template.get("metadata") or {})
        labels = dict(tmeta.get("labels") or {})
        for key, value in (
            (CONTROLLER_UID, uid),
            (JOB_NAME, name),
            (LEGACY_CONTROLLER_UID, uid),
            (LEGACY_JOB_NAME, name),
        ):
            labels.setdefault(key, value)
        tmeta["labels"] = labels
        template["metadata"] = tmeta
        selector = dict(spec.get("selector") or {})
        match = dict(selector.get("matchLabels") or {})
        match.setdefault(CONTROLLER_UID, uid)
        selector["matchLabels"] = match
        spec["selector"] = selector
        spec["template"] = template
    meta["generation"] = 1
    out["metadata"] = meta
    out["spec"] = spec
    out["status"] = {}
    return _labels_from_template(out)


def selector_labels(job: Mapping[str, Any]) -> Mapping[str, str]:
    """The labels a Job's pods carry for its selector (matchLabels)."""
    return ((job.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}


def _int_problems(spec: Mapping[str, Any], name: str, *, positive: bool = False) -> FieldErrors:
    value = spec.get(name)
    if value is None:
        return []
    if positive and value <= 0:
        return [f"spec.{name}: Invalid value: {value}: must be greater than 0"]
    if value < 0:
        return [f"spec.{name}: Invalid value: {value}: must be greater than or equal to 0"]
    return []


def _selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and labels.get(key) in values)
            or (op == "Exists" and key not in labels)
            or (op == "DoesNotExist" and key in labels)
        ):
            return False
    return True


def validate_job(obj: Obj) -> FieldErrors:
    """ValidateJob: metadata, the generated selector, the spec's counts and the pod template
    (its restartPolicy OnFailure or Never)."""
    errs = validate_meta(obj, namespaced=True)
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [*errs, "spec: Required value"]
    errs.extend(_validate_generated_selector(obj))
    for name in ("parallelism", "completions", "backoffLimit", "ttlSecondsAfterFinished"):
        errs.extend(_int_problems(spec, name))
    errs.extend(_int_problems(spec, "activeDeadlineSeconds", positive=True))
    errs.extend(enum_problems(obj, _ENUMS))
    if spec.get("completionMode") == "Indexed" and spec.get("completions") is None:
        errs.append("spec.completions: Required value: when completion mode is Indexed")
    selector = spec.get("selector")
    template = spec.get("template")
    if not isinstance(selector, dict):
        errs.append("spec.selector: Required value")
    if not isinstance(template, dict):
        return [*errs, "spec.template: Required value"]
    labels = objects.labels_of(template)
    if isinstance(selector, dict) and not _selector_matches(selector, labels):
        errs.append(
            f"spec.template.metadata.labels: Invalid value: {go_map(labels)}: `selector` does not "
            "match template `labels`"
        )
    policy = ((template.get("spec") or {}).get("restartPolicy")) or ""
    if policy not in ("OnFailure", "Never"):
        errs.append(
            f"spec.template.spec.restartPolicy: Unsupported value: {go_quote(policy)}: supported "
            'values: "OnFailure", "Never"'
        )
    elif spec.get("podFailurePolicy") is not None and policy != "Never":
        errs.append(
            f"spec.template.spec.restartPolicy: Invalid value: {go_quote(policy)}: only "
            '"Never" is supported when podFailurePolicy is specified'
        )
    errs.extend(validate_pod_template(template))
    return errs


def _validate_generated_selector(obj: Obj) -> FieldErrors:
    """validateGeneratedSelector: a generated selector's labels are the Job's UID and name."""
    spec = obj.get("spec") or {}
    if spec.get("manualSelector"):
        return []
    meta = objects.meta(obj)
    labels = objects.labels_of(spec.get("template") or {})
    errs: FieldErrors = []
    for key, want in (
        (LEGACY_CONTROLLER_UID, str(meta.get("uid", ""))),
        (LEGACY_JOB_NAME, str(meta.get("name", ""))),
    ):
        if labels.get(key) != want:
            errs.append(
                f"spec.template.metadata.labels[{key}]: Invalid value: "
                f"{go_quote(str(labels.get(key, '')))}: must be '{want}'"
            )
    selector = spec.get("selector")
    if isinstance(selector, dict) and not _selector_matches(
        selector, {CONTROLLER_UID: str(meta.get("uid", ""))}
    ):
        errs.append(
            f"spec.selector: Invalid value: {_shown(selector)}: `selector` not auto-generated"
        )
    return errs


def validate_job_update(old: Obj, new: Obj) -> FieldErrors:
    """ValidateJobUpdate: the new Job is valid, and its selector, template (but for the
    scheduling directives of a suspended Job that never started), completions, completionMode and
    podFailurePolicy are as before."""
    errs = validate_job(new)
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    for name in ("selector", "completions", "completionMode", "podFailurePolicy"):
        if old_spec.get(name) != new_spec.get(name):
            errs.append(
                f"spec.{name}: Invalid value: {_shown(new_spec.get(name))}: field is immutable"
            )
    old_template, new_template = old_spec.get("template"), new_spec.get("template")
    if old_spec.get("suspend") and not (old.get("status") or {}).get("startTime"):
        old_template = _without_scheduling(old_template)
        new_template = _without_scheduling(new_template)
    if old_template != new_template:
        errs.append(
            f"spec.template: Invalid value: {_shown(new_spec.get('template'))}: field is immutable"
        )
    return errs


def _without_scheduling(template: Any) -> Any:
    if not isinstance(template, dict):
        return template
    meta = {k: v for k, v in (template.get("metadata") or {}).items() if k not in ("labels",)}
    meta.pop("annotations", None)
    spec = {
        k: v for k, v in (template.get("spec") or {}).items() if k not in _MUTABLE_WHILE_SUSPENDED
    }
    return {**template, "metadata": meta, "spec": spec}


def _shown(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return go_quote(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def go_map(labels: Mapping[str, str]) -> str:
    """A map[string]string as Go's %v prints it: `map[a:b c:d]`, keys sorted."""
    return "map[" + " ".join(f"{k}:{v}" for k, v in sorted(labels.items())) + "]"
