"""CronJobs (batch/v1) on a write: v1.32's defaults (SetDefaults_CronJob; the job template's pod
spec through `podspec`) and validation (the schedule as robfig/cron parses it, the time zone, the
job template checked as a Job's spec is, a name short enough for the Jobs named after it)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.fields import FieldErrors, enum_problems, go_quote, validate_meta
from listwatch.apiserver.kinds.pods import validate_pod
from listwatch.apiserver.kinds.podspec import default_pod_spec
from listwatch.apiserver.objects import Obj
from listwatch.rules import cron

#: The longest name a CronJob may have: its Jobs are named `<name>-<minutes since the epoch>`,
#: and their pods after them (a DNS-1035 label of 63, less 11).
MAX_NAME = 52
_ENUMS: Mapping[str, tuple[str, ...]] = {
    "spec.concurrencyPolicy": ("Allow", "Forbid", "Replace"),
}


def on_write(obj: Obj) -> Obj:
    """Every write: SetDefaults_CronJob, and the job template's pod spec defaults."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return obj
    out_spec = dict(spec)
    out_spec.setdefault("concurrencyPolicy", "Allow")
    out_spec.setdefault("suspend", False)
    out_spec.setdefault("successfulJobsHistoryLimit", 3)
    out_spec.setdefault("failedJobsHistoryLimit", 1)
    out = objects.replace(obj, "spec", out_spec)
    template = ((out_spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        out = objects.replace(
            out,
            "spec.jobTemplate.spec.template.spec",
            default_pod_spec(template["spec"], pod=False),
        )
    return out


def cronjob_defaults(obj: Obj, ctx: Any) -> Obj:
    """Create: generation 1 and an empty status (the strategy's PrepareForCreate)."""
    meta = dict(obj.get("metadata") or {})
    meta["generation"] = 1
    return {**obj, "metadata": meta, "status": {}}


def validate_cronjob(obj: Obj) -> FieldErrors:
    errs = validate_meta(obj, namespaced=True)
    name = str(objects.meta(obj).get("name", ""))
    if len(name) > MAX_NAME:
        errs.append(
            f"metadata.name: Invalid value: {go_quote(name)}: must be no more than "
            f"{MAX_NAME} characters"
        )
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [*errs, "spec: Required value"]
    schedule = spec.get("schedule") or ""
    if not schedule:
        errs.append("spec.schedule: Required value")
    else:
        try:
            cron.Schedule.parse(schedule)
        except cron.CronError as exc:
            errs.append(f"spec.schedule: Invalid value: {go_quote(schedule)}: {exc}")
        if "TZ" in schedule:
            errs.append(
                f"spec.schedule: Invalid value: {go_quote(schedule)}: cannot use TZ or CRON_TZ "
                "in schedule, use timeZone field instead"
            )
    zone = spec.get("timeZone")
    if zone is not None:
        errs.extend(_zone_problems(str(zone)))
    errs.extend(enum_problems(obj, _ENUMS))
    for field in (
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
    ):
        value = spec.get(field)
        if value is not None and value < 0:
            errs.append(f"spec.{field}: Invalid value: {value}: must be greater than or equal to 0")
    errs.extend(_validate_job_template(spec.get("jobTemplate")))
    return errs


def _zone_problems(zone: str) -> FieldErrors:
    """validateTimeZone: an explicit IANA time zone."""
    shown = f"spec.timeZone: Invalid value: {go_quote(zone)}"
    if not zone:
        return [f"{shown}: timeZone must be nil or non-empty string"]
    if zone.lower() == "local":
        return [
            f"{shown}: timeZone must be an explicit time zone as defined in "
            "https://www.iana.org/time-zones"
        ]
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [f"{shown}: unknown time zone {zone}"]
    return []


def _validate_job_template(template: Any) -> FieldErrors:
    path = "spec.jobTemplate.spec"
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        return [f"{path}.template: Required value"]
    spec = template["spec"]
    errs: FieldErrors = []
    for name in ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds"):
        value = spec.get(name)
        if value is not None and value < 0:
            errs.append(
                f"{path}.{name}: Invalid value: {value}: must be greater than or equal to 0"
            )
    pod_template = spec.get("template")
    if not isinstance(pod_template, dict):
        return [*errs, f"{path}.template: Required value"]
    policy = (pod_template.get("spec") or {}).get("restartPolicy") or ""
    if policy not in ("OnFailure", "Never"):
        errs.append(
            f"{path}.template.spec.restartPolicy: Unsupported value: {go_quote(policy)}: "
            'supported values: "OnFailure", "Never"'
        )
    pod = {
        "metadata": {
            "name": "template",
            **{k: v for k, v in (pod_template.get("metadata") or {}).items() if k != "name"},
        },
        "spec": pod_template.get("spec"),
    }
    errs.extend(
        e.replace("spec.", f"{path}.template.spec.", 1) if e.startswith("spec.") else e
        for e in validate_pod(pod)
    )
    return errs
