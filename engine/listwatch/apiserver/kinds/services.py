"""Services on a write: v1.32's ClusterIP defaults and validation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch.apiserver.fields import (
    PROTOCOLS,
    FieldErrors,
    enum_problems,
    validate_labels,
    validate_meta,
)
from listwatch.apiserver.objects import Obj

SERVICE_ENUMS: Mapping[str, tuple[str, ...]] = {
    "spec.type": ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort"),
    "spec.sessionAffinity": ("ClientIP", "None"),
    "spec.ports[*].protocol": PROTOCOLS,
    "spec.internalTrafficPolicy": ("Cluster", "Local"),
    "spec.ipFamilyPolicy": ("PreferDualStack", "RequireDualStack", "SingleStack"),
}


def service_defaults(obj: Obj, ctx: Any) -> Obj:
    """A ClusterIP Service as v1.32 defaults it: a cluster IP from 10.96.0.0/12, TCP, targetPort =
    port."""
    out = dict(obj)
    spec = dict(out.get("spec") or {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    if not spec.get("clusterIP"):
        host = ctx.identity.random_int(1, (1 << 20) - 2)
        spec["clusterIP"] = f"10.{96 + (host >> 16)}.{(host >> 8) & 255}.{host & 255}"
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    ports = []
    for port in spec.get("ports") or []:
        port = dict(port)
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
        ports.append(port)
    spec["ports"] = ports
    out["spec"] = spec
    out["status"] = {"loadBalancer": {}}
    return out


def validate_service(obj: Obj) -> FieldErrors:
    errs = validate_meta(obj, namespaced=True)
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [*errs, "spec: Required value"]
    ports = spec.get("ports")
    if not ports:
        errs.append("spec.ports: Required value")
    for i, port in enumerate(ports or []):
        number = port.get("port") if isinstance(port, dict) else None
        if not isinstance(number, int) or not 1 <= number <= 65535:
            errs.append(
                f"spec.ports[{i}].port: Invalid value: {number!r}: must be between 1 and 65535, "
                "inclusive"
            )
    errs.extend(validate_labels(spec.get("selector"), "spec.selector"))
    errs.extend(enum_problems(obj, SERVICE_ENUMS))
    return errs
