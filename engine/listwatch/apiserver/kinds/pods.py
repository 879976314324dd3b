"""Pods on a write: v1.32's defaults (pkg/apis/core/v1 plus the admission plugins a default
cluster runs: ServiceAccount, DefaultTolerationSeconds, Priority) and validation, with
Kubernetes' field paths and messages; the Binding subresource's validation too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from listwatch.apiserver.fields import (
    PROTOCOLS,
    TAINT_EFFECTS,
    FieldErrors,
    dns1123_label_problems,
    dns1123_subdomain_problems,
    enum_problems,
    go_quote,
    invalid_value,
    validate_labels,
    validate_meta,
    validate_port,
)
from listwatch.apiserver.kinds.podspec import (
    PROBE_DEFAULTS,
    PROBES,
    default_pod_spec,
    default_pull_policy,
)
from listwatch.apiserver.objects import Obj
from listwatch.rules import quantity

RESTART_POLICIES = ("Always", "OnFailure", "Never")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
#: Fields that hold one of a few words, and those words in the order kube-apiserver lists them
#: (`[*]` is every item of a list). An empty value is unset (the API server defaults it).
POD_ENUMS: Mapping[str, tuple[str, ...]] = {
    "spec.restartPolicy": RESTART_POLICIES,
    "spec.dnsPolicy": ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"),
    "spec.preemptionPolicy": ("Never", "PreemptLowerPriority"),
    "spec.tolerations[*].operator": ("Equal", "Exists"),
    "spec.tolerations[*].effect": TAINT_EFFECTS,
    **{
        f"spec.{group}[*].{name}": values
        for group in ("containers", "initContainers")
        for name, values in (
            ("imagePullPolicy", PULL_POLICIES),
            ("terminationMessagePolicy", ("FallbackToLogsOnError", "File")),
            ("ports[*].protocol", PROTOCOLS),
        )
    },
}


def validate_binding(binding: Obj) -> FieldErrors:
    """A Binding's target, as v1.32's ValidatePodBinding checks it: a Node (kind Node or empty)
    and a name (which it does not check further: a binding to "a." binds)."""
    target = binding.get("target") or {}
    errs: FieldErrors = []
    kind = target.get("kind") or ""
    if kind and kind != "Node":
        errs.append(
            f'target.kind: Unsupported value: {go_quote(kind)}: supported values: "Node", "<empty>"'
        )
    if not target.get("name"):
        errs.append("target.name: Required value")
    return errs


PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_NON_NEGATIVE_PROBE_FIELDS = ("initialDelaySeconds", *PROBE_DEFAULTS)


def on_write(pod: Obj) -> Obj:
    """A Pod with the scheme defaults of its spec (`podspec`, a Pod's own included)."""
    spec = pod.get("spec")
    return {**pod, "spec": default_pod_spec(spec, pod=True)} if isinstance(spec, dict) else pod


def validate_probe(probe: Mapping[str, Any], path: str, *, kind: str) -> FieldErrors:
    """A probe as v1.32's validateProbe checks it (after defaulting)."""
    errs: FieldErrors = []
    handlers = [h for h in PROBE_HANDLERS if probe.get(h) is not None]
    if not handlers:
        errs.append(f"{path}: Required value: must specify a handler type")
    elif len(handlers) > 1:
        errs.append(f"{path}.{handlers[1]}: Forbidden: may not specify more than 1 handler type")
    for name in _NON_NEGATIVE_PROBE_FIELDS:
        value = probe.get(name, 0)
        if value < 0:
            errs.append(
                f"{path}.{name}: Invalid value: {value}: must be greater than or equal to 0"
            )
    if kind != "readinessProbe" and probe.get("successThreshold", 1) != 1:
        errs.append(
            f"{path}.successThreshold: Invalid value: {probe['successThreshold']}: must be 1"
        )
    grace = probe.get("terminationGracePeriodSeconds")
    if grace is not None and grace <= 0:
        errs.append(
            f"{path}.terminationGracePeriodSeconds: Invalid value: {grace}: must be greater than 0"
        )
    for handler in ("httpGet", "tcpSocket"):
        action = probe.get(handler)
        if isinstance(action, dict):
            errs.extend(validate_port(action.get("port"), f"{path}.{handler}.port", required=True))
    return errs


def validate_resources(resources: Any, path: str) -> FieldErrors:
    """A container's requests and limits: no negative quantity, no request above its limit
    (ValidateResourceRequirements; quantities that do not parse were refused when decoded)."""
    if not isinstance(resources, dict):
        return []
    errs: FieldErrors = []
    amounts: dict[str, dict[str, Any]] = {}
    for part in ("limits", "requests"):
        given = resources.get(part)
        amounts[part] = {}
        for name, text in given.items() if isinstance(given, dict) else ():
            try:
                amounts[part][name] = amount = quantity.parse(text)
            except ValueError:
                continue
            if amount < 0:
                errs.append(
                    f'{path}.{part}[{name}]: Invalid value: "{text}": must be greater than or '
                    "equal to 0"
                )
    for name, request in amounts["requests"].items():
        limit = amounts["limits"].get(name)
        if limit is not None and request > limit:
            errs.append(
                f'{path}.requests: Invalid value: "{resources["requests"][name]}": must be less '
                f"than or equal to {name} limit of {resources['limits'][name]}"
            )
    return errs


#: Defaults every pod gets that are the same for all. Stored objects are never mutated (every write
#: builds new dicts), so pods share these rather than each holding a copy.
_DEFAULT_TOLERATIONS = (
    {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
)
_SERVICE_ACCOUNT_VOLUME = {
    "defaultMode": 420,
    "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {
            "downwardAPI": {
                "items": [
                    {
                        "path": "namespace",
                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                    }
                ]
            }
        },
    ],
}
_EMPTY: dict[str, Any] = {}


def pod_defaults(pod: Obj, ctx: Any) -> Obj:
    spec = dict(pod.get("spec") or {})
    containers = []
    token = f"kube-api-access-{ctx.identity.suffix()}"
    for c in spec.get("containers") or []:
        c = dict(c)
        c.setdefault("imagePullPolicy", default_pull_policy(c.get("image", "")))
        c.setdefault("resources", _EMPTY)
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        mounts = list(c.get("volumeMounts") or [])
        mounts.append(
            {
                "name": token,
                "readOnly": True,
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
            }
        )
        c["volumeMounts"] = mounts
        containers.append(c)
    spec["containers"] = containers
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("serviceAccountName", "default")
    spec["serviceAccount"] = spec["serviceAccountName"]
    spec.setdefault("securityContext", _EMPTY)
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    tolerations = list(spec.get("tolerations") or [])
    for default in _DEFAULT_TOLERATIONS:
        if not any(t.get("key") == default["key"] for t in tolerations):
            tolerations.append(default)
    spec["tolerations"] = tolerations
    spec["volumes"] = [
        *(spec.get("volumes") or []),
        {"name": token, "projected": _SERVICE_ACCOUNT_VOLUME},
    ]
    out = dict(pod)
    out["spec"] = spec
    init = [c for c in spec.get("initContainers") or [] if isinstance(c, Mapping)]
    out["status"] = {"phase": "Pending", "qosClass": qos_class([*containers, *init])}
    return out


#: The resources a pod's QoS class is computed from (isSupportedQoSComputeResource).
_QOS_RESOURCES = ("cpu", "memory")


def qos_class(containers: Sequence[Mapping[str, Any]]) -> str:
    """The pod's QoS class from its containers and init containers, as v1.32's GetPodQOS: cpu
    and memory requests and limits above zero, summed; BestEffort with none, Guaranteed when every
    container limits both and the sums of requests equal those of limits, else Burstable."""
    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    guaranteed = True
    for c in containers:
        resources = c.get("resources") or {}
        for part, sums in (("requests", requests), ("limits", limits)):
            found = set()
            for name, text in (resources.get(part) or {}).items():
                amount = _quantity(text)
                if name in _QOS_RESOURCES and amount is not None and amount > 0:
                    sums[name] = sums.get(name, 0) + amount
                    found.add(name)
            if part == "limits" and not found.issuperset(_QOS_RESOURCES):
                guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    matched = all(limits.get(name) == amount for name, amount in requests.items())
    return "Guaranteed" if guaranteed and matched and len(requests) == len(limits) else "Burstable"


def _quantity(text: Any) -> Any:
    try:
        return quantity.parse(text)
    except ValueError:
        return None


def validate_pod_template(template: Mapping[str, Any]) -> FieldErrors:
    """A controller's pod template validated as a pod (ValidatePodTemplateSpec), its errors at
    `spec.template.spec...`."""
    pod = {
        "metadata": {
            "name": "template",
            **{k: v for k, v in (template.get("metadata") or {}).items() if k != "name"},
        },
        "spec": template.get("spec"),
    }
    return [
        e.replace("spec.", "spec.template.spec.", 1) if e.startswith("spec.") else e
        for e in validate_pod(pod)
    ]


def validate_pod(pod: Obj) -> FieldErrors:
    errs = validate_meta(pod, namespaced=True)
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return [*errs, "spec: Required value"]
    containers = spec.get("containers")
    if not containers:
        errs.append("spec.containers: Required value")
    elif not isinstance(containers, list):
        errs.append("spec.containers: Invalid value: expected a list")
    else:
        seen: set[str] = set()
        for i, c in enumerate(containers):
            path = f"spec.containers[{i}]"
            if not isinstance(c, dict):
                errs.append(f"{path}: Invalid value: expected an object")
                continue
            name = c.get("name")
            problems = dns1123_label_problems(str(name)) if name else []
            if not name:
                errs.append(f"{path}.name: Required value")
            elif problems:
                errs.extend(invalid_value(f"{path}.name", str(name), problems))
            elif name in seen:
                errs.append(f'{path}.name: Duplicate value: "{name}"')
            else:
                seen.add(name)
            image = c.get("image")
            if not image or not isinstance(image, str) or not image.strip():
                errs.append(f"{path}.image: Required value")
            for key in ("command", "args"):
                value = c.get(key)
                if value is not None and (
                    not isinstance(value, list) or not all(isinstance(v, str) for v in value)
                ):
                    errs.append(f"{path}.{key}: Invalid value: expected a list of strings")
            for j, port in enumerate(c.get("ports") or ()):
                if isinstance(port, dict):
                    number = port.get("containerPort")
                    errs.extend(
                        validate_port(
                            number if isinstance(number, int) else None,
                            f"{path}.ports[{j}].containerPort",
                            required=True,
                        )
                    )
            errs.extend(validate_resources(c.get("resources"), f"{path}.resources"))
            for kind in PROBES:
                probe = c.get(kind)
                if isinstance(probe, dict):
                    errs.extend(validate_probe(probe, f"{path}.{kind}", kind=kind))
    errs.extend(enum_problems(pod, POD_ENUMS))
    errs.extend(validate_labels(spec.get("nodeSelector"), "spec.nodeSelector"))
    node = spec.get("nodeName")
    if node:
        errs.extend(
            invalid_value("spec.nodeName", str(node), dns1123_subdomain_problems(str(node)))
        )
    return errs


def validate_pod_update(old: Obj, new: Obj) -> FieldErrors:
    """Pod updates may change only images, activeDeadlineSeconds, tolerations (added) and
    metadata."""
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    errs = validate_pod(new)
    if errs:
        return errs
    old_c, new_c = old_spec.get("containers") or [], new_spec.get("containers") or []
    mutable = len(old_c) == len(new_c) and all(
        {k: v for k, v in a.items() if k != "image"} == {k: v for k, v in b.items() if k != "image"}
        for a, b in zip(old_c, new_c, strict=True)
    )
    rest_old = {
        k: v
        for k, v in old_spec.items()
        if k not in ("containers", "activeDeadlineSeconds", "tolerations")
    }
    rest_new = {
        k: v
        for k, v in new_spec.items()
        if k not in ("containers", "activeDeadlineSeconds", "tolerations")
    }
    if not mutable or rest_old != rest_new:
        errs.append(
            "spec: Forbidden: pod updates may not change fields other than "
            "`spec.containers[*].image`, "
            "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` "
            "(only additions "
            "to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set "
            "to 1 if it was "
            "previously negative)"
        )
    return errs
