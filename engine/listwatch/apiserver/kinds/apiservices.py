"""APIServices (apiregistration.k8s.io/v1) on a write: kube-aggregator's validation (v1.32).

An APIService's name is its `version.group` (the core group's is `v1.`), so a name is checked as
a path segment and then against its spec; a local APIService (no `service`) may carry no CA
bundle and no insecureSkipTLSVerify.
"""

from __future__ import annotations

from typing import Any

from listwatch.apiserver.fields import (
    FieldErrors,
    dns1035_label_problems,
    dns1123_subdomain_problems,
    go_quote,
    invalid_value,
    shown,
    validate_meta,
)
from listwatch.apiserver.objects import Obj

#: The bounds of groupPriorityMinimum and versionPriority.
MAX_GROUP_PRIORITY = 20000
MAX_VERSION_PRIORITY = 1000


def validate_api_service(obj: Obj) -> FieldErrors:
    """ValidateAPIService."""
    spec = _mapping(obj.get("spec"))
    group, version = str(spec.get("group") or ""), str(spec.get("version") or "")
    required = f"{version}.{group}"
    errs = validate_meta(obj, namespaced=False, names="path")
    name = str(_mapping(obj.get("metadata")).get("name") or "")
    if name and not errs and name != required:
        message = f'must be `spec.version+"."+spec.group`: {go_quote(required)}'
        errs.extend(invalid_value("metadata.name", name, [message]))
    if not group and version != "v1":
        errs.append(
            "spec.group: Required value: only v1 may have an empty group and it better be "
            "legacy kube"
        )
    if group:
        errs.extend(invalid_value("spec.group", group, dns1123_subdomain_problems(group)))
    errs.extend(invalid_value("spec.version", version, dns1035_label_problems(version)))
    errs.extend(_priority(spec, "groupPriorityMinimum", MAX_GROUP_PRIORITY))
    errs.extend(_priority(spec, "versionPriority", MAX_VERSION_PRIORITY))
    service = spec.get("service")
    if not service:
        if spec.get("caBundle"):
            size = len(str(spec["caBundle"])) * 3 // 4  # the bundle's bytes, base64-decoded
            errs.append(
                f'spec.caBundle: Invalid value: "{size} bytes": local APIServices may not have '
                "a caBundle"
            )
        if spec.get("insecureSkipTLSVerify"):
            errs.append(
                "spec.insecureSkipTLSVerify: Invalid value: true: local APIServices may not have "
                "insecureSkipTLSVerify"
            )
        return errs
    service = _mapping(service)
    for field in ("namespace", "name"):
        if not service.get(field):
            errs.append(f"spec.service.{field}: Required value")
    port = service.get("port", 443)
    if not isinstance(port, int) or not 1 <= port <= 65535:
        errs.append(
            f"spec.service.port: Invalid value: {shown(port)}: must be between 1 and 65535, "
            "inclusive"
        )
    if spec.get("insecureSkipTLSVerify") and spec.get("caBundle"):
        errs.append(
            "spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is "
            "present"
        )
    return errs


def on_write(obj: Obj) -> Obj:
    """SetDefaults_ServiceReference: a Service's port is 443 unless given."""
    spec = obj.get("spec")
    service = spec.get("service") if isinstance(spec, dict) else None
    if isinstance(spec, dict) and isinstance(service, dict) and "port" not in service:
        return {**obj, "spec": {**spec, "service": {**service, "port": 443}}}
    return obj


def _priority(spec: dict[str, Any], field: str, most: int) -> FieldErrors:
    value = spec.get(field, 0)
    if isinstance(value, int) and 0 < value <= most:
        return []
    return [f"spec.{field}: Invalid value: {shown(value)}: must be positive and less than {most}"]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
