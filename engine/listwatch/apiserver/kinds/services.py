"""Services on a write: v1.32's defaults (the scheme's on every write, the registry's
allocations on create) and validation."""

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


#: A ClientIP session affinity's default timeout (v1 DefaultClientIPServiceAffinitySeconds).
CLIENT_IP_TIMEOUT_SECONDS = 10800
#: The range a NodePort is allocated from (kube-apiserver's --service-node-port-range).
NODE_PORTS = (30000, 32767)


def on_write(obj: Obj) -> Obj:
    """A Service with v1 SetDefaults_Service, on every write: type ClusterIP, sessionAffinity None
    (ClientIP with its 10800 s timeout), each port's protocol TCP and targetPort its port,
    internalTrafficPolicy Cluster but for ExternalName, externalTrafficPolicy Cluster when
    reachable from outside (NodePort, LoadBalancer, external IPs), allocateLoadBalancerNodePorts
    for a LoadBalancer."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return obj
    spec = dict(spec)
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        config = spec.get("sessionAffinityConfig")
        client = config.get("clientIP") if isinstance(config, dict) else None
        if not isinstance(client, dict) or client.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {
                "clientIP": {"timeoutSeconds": CLIENT_IP_TIMEOUT_SECONDS}
            }
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    kind = spec["type"]
    ports = spec.get("ports")
    if isinstance(ports, list):
        spec["ports"] = [_port(p) if isinstance(p, dict) else p for p in ports]
    outside = kind in ("NodePort", "LoadBalancer") or bool(spec.get("externalIPs"))
    if outside and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and kind in (
        "ClusterIP",
        "NodePort",
        "LoadBalancer",
    ):
        spec["internalTrafficPolicy"] = "Cluster"
    if kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True
    return {**obj, "spec": spec}


def _port(port: Mapping[str, Any]) -> Obj:
    out = dict(port)
    if not out.get("protocol"):
        out["protocol"] = "TCP"
    if out.get("targetPort") in (None, 0, ""):
        out["targetPort"] = out.get("port")
    return out


def service_defaults(obj: Obj, ctx: Any) -> Obj:
    """What the service registry allocates on create: a cluster IP from 10.96.0.0/12 (with its
    IP family) unless it is an ExternalName, and a node port from 30000-32767 for each port of a
    NodePort or LoadBalancer Service that has none."""
    out = dict(obj)
    spec = dict(out.get("spec") or {})
    kind = spec.get("type") or "ClusterIP"
    if kind != "ExternalName":
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        if not spec.get("clusterIP"):
            host = ctx.identity.random_int(1, (1 << 20) - 2)
            spec["clusterIP"] = f"10.{96 + (host >> 16)}.{(host >> 8) & 255}.{host & 255}"
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
    if kind in ("NodePort", "LoadBalancer"):
        taken = {p.get("nodePort") for p in spec.get("ports") or [] if isinstance(p, dict)}
        ports = []
        for port in spec.get("ports") or []:
            if isinstance(port, dict) and not port.get("nodePort"):
                number = ctx.identity.random_int(*NODE_PORTS)
                while number in taken:
                    number = ctx.identity.random_int(*NODE_PORTS)
                taken.add(number)
                port = {**port, "nodePort": number}
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
