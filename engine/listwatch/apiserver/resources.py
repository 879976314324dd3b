"""Per-resource rules of the API server: names, keys, defaults, validation, selectable fields.

What each resource gets on create mirrors Kubernetes v1.32's defaulting (pkg/apis/core/v1 defaults
plus the admission plugins a default cluster runs: ServiceAccount, DefaultTolerationSeconds,
Priority), and its validation returns Kubernetes' field paths and messages.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.rules import images, quantity

FieldErrors = list[str]

#: The formats and messages of k8s.io/apimachinery/pkg/util/validation (v0.32), which its
#: RegexError turns into kube-apiserver's field error texts.
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"
_DNS1123_LABEL = re.compile(_DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN = re.compile(_DNS1123_SUBDOMAIN_FMT)
_QUALIFIED_NAME = re.compile(_QUALIFIED_NAME_FMT)
_LABEL_VALUE = re.compile(_LABEL_VALUE_FMT)
_DNS1123_LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)
_QUALIFIED_NAME_MESSAGE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_LABEL_VALUE_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character"
)
_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def go_quote(text: str) -> str:
    """`text` quoted as Go's strconv.Quote (and so `%q`) quotes it, which is how kube-apiserver
    prints a string value in a message: printable characters as they are, `"` and `\\` escaped,
    the others as `\\n`, `\\x01`, `\\u00a0` or `\\U0001f000`."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _regex_error(message: str, pattern: str, *examples: str) -> str:
    """apimachinery's RegexError: the message, its examples and the regular expression."""
    shown = " or ".join(f"'{example}', " for example in examples)
    return (
        f"{message} ({'e.g. ' if examples else ''}{shown}regex used for validation is '{pattern}')"
    )


def _size(value: str) -> int:
    """A string's length as Go counts it: in bytes of UTF-8."""
    return len(value.encode("utf-8", errors="surrogatepass"))


def dns1123_label_problems(value: str) -> list[str]:
    """Why `value` is not a DNS-1123 label (IsDNS1123Label), or nothing."""
    problems = []
    if _size(value) > 63:
        problems.append("must be no more than 63 characters")
    if not _DNS1123_LABEL.fullmatch(value):
        if _DNS1123_SUBDOMAIN.fullmatch(value):
            problems.append("must not contain dots")
        else:
            problems.append(
                _regex_error(_DNS1123_LABEL_MESSAGE, _DNS1123_LABEL_FMT, "my-name", "123-abc")
            )
    return problems


def dns1123_subdomain_problems(value: str) -> list[str]:
    """Why `value` is not a DNS-1123 subdomain (IsDNS1123Subdomain), or nothing."""
    problems = []
    if _size(value) > 253:
        problems.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        problems.append(
            _regex_error(_DNS1123_SUBDOMAIN_MESSAGE, _DNS1123_SUBDOMAIN_FMT, "example.com")
        )
    return problems


def qualified_name_problems(value: str) -> list[str]:
    """Why `value` is not a qualified name, a label key (IsQualifiedName), or nothing."""
    parts = value.split("/")
    if len(parts) > 2:
        return [
            "a qualified name "
            + _regex_error(
                _QUALIFIED_NAME_MESSAGE, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"
            )
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    problems = []
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            problems.append("prefix part must be non-empty")
        else:
            problems.extend(f"prefix part {p}" for p in dns1123_subdomain_problems(prefix))
    name = parts[-1]
    if not name:
        problems.append("name part must be non-empty")
    elif _size(name) > 63:
        problems.append("name part must be no more than 63 characters")
    if not _QUALIFIED_NAME.fullmatch(name):
        problems.append(
            "name part "
            + _regex_error(
                _QUALIFIED_NAME_MESSAGE, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"
            )
        )
    return problems


def label_value_problems(value: str) -> list[str]:
    """Why `value` is not a label value (IsValidLabelValue), or nothing."""
    problems = []
    if _size(value) > 63:
        problems.append("must be no more than 63 characters")
    if not _LABEL_VALUE.fullmatch(value):
        problems.append(
            _regex_error(_LABEL_VALUE_MESSAGE, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345")
        )
    return problems


def invalid_value(path: str, value: str, problems: list[str]) -> FieldErrors:
    """One `Invalid value` field error per problem, the value quoted as Go quotes it."""
    return [f"{path}: Invalid value: {go_quote(value)}: {problem}" for problem in problems]


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

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

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


def validate_meta(obj: Obj, *, namespaced: bool) -> FieldErrors:
    errs: FieldErrors = []
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return ["metadata: Required value"]
    name = meta.get("name", "")
    if not name:
        errs.append("metadata.name: Required value: name or generateName is required")
    else:
        errs.extend(
            invalid_value("metadata.name", str(name), dns1123_subdomain_problems(str(name)))
        )
    errs.extend(validate_labels(meta.get("labels"), "metadata.labels"))
    return errs


def validate_labels(labels: Any, path: str) -> FieldErrors:
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [f"{path}: Invalid value: expected a map of string keys to string values"]
    errs: FieldErrors = []
    for key, value in labels.items():
        errs.extend(invalid_value(path, str(key), qualified_name_problems(str(key))))
        if not isinstance(value, str):
            errs.append(f"{path}[{key}]: Invalid value: {value!r}: a label value must be a string")
        else:
            errs.extend(invalid_value(path, value, label_value_problems(value)))
    return errs


def validate_binding(binding: Obj) -> FieldErrors:
    """A Binding's target: a Node (kind Node or empty) named by a valid node name."""
    target = binding.get("target") or {}
    errs: FieldErrors = []
    kind = target.get("kind") or ""
    if kind and kind != "Node":
        errs.append(
            f'target.kind: Unsupported value: "{kind}": supported values: "Node", "<empty>"'
        )
    name = target.get("name") or ""
    if not name:
        errs.append("target.name: Required value")
    else:
        errs.extend(invalid_value("target.name", name, dns1123_subdomain_problems(name)))
    return errs


# --- Pods -----------------------------------------------------------------------------------------

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
#: What an unset (or zero) probe field becomes: v1 SetDefaults_Probe.
PROBE_DEFAULTS = {
    "timeoutSeconds": 1,
    "periodSeconds": 10,
    "successThreshold": 1,
    "failureThreshold": 3,
}
PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_NON_NEGATIVE_PROBE_FIELDS = ("initialDelaySeconds", *PROBE_DEFAULTS)


def default_probes(spec: Mapping[str, Any]) -> Obj:
    """A pod spec whose containers' probes have their defaults (periodSeconds 0 or unset is 10,
    ...)."""
    out = dict(spec)
    for group in ("containers", "initContainers"):
        containers = spec.get(group)
        if not isinstance(containers, list):
            continue
        defaulted = []
        for c in containers:
            if isinstance(c, dict) and any(isinstance(c.get(p), dict) for p in PROBES):
                c = dict(c)
                for kind in PROBES:
                    probe = c.get(kind)
                    if isinstance(probe, dict):
                        c[kind] = {
                            **probe,
                            **{k: v for k, v in PROBE_DEFAULTS.items() if not probe.get(k)},
                        }
            defaulted.append(c)
        out[group] = defaulted
    return out


def _pod_on_write(pod: Obj) -> Obj:
    spec = pod.get("spec")
    return {**pod, "spec": default_probes(spec)} if isinstance(spec, dict) else pod


def _controller_on_write(obj: Obj) -> Obj:
    spec = obj.get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        return obj
    return objects.replace(obj, "spec.template.spec", default_probes(template["spec"]))


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


_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def validate_port(port: Any, path: str, *, required: bool = False) -> FieldErrors:
    """A port number (1-65535) or, where a name may stand for it, an IANA service name."""
    if port is None or port == "":
        return [f"{path}: Required value"] if required else []
    if isinstance(port, str):
        if len(port) > 15 or not _PORT_NAME.match(port) or not any(c.isalpha() for c in port):
            return [
                f'{path}: Invalid value: "{port}": must contain only alpha-numeric characters '
                "(a-z, 0-9), and hyphens (-)"
            ]
        return []
    if not 1 <= port <= 65535:
        return [f"{path}: Invalid value: {port}: must be between 1 and 65535, inclusive"]
    return []


RESTART_POLICIES = ("Always", "OnFailure", "Never")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
PROTOCOLS = ("SCTP", "TCP", "UDP")
TAINT_EFFECTS = ("NoExecute", "NoSchedule", "PreferNoSchedule")
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
SERVICE_ENUMS: Mapping[str, tuple[str, ...]] = {
    "spec.type": ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort"),
    "spec.sessionAffinity": ("ClientIP", "None"),
    "spec.ports[*].protocol": PROTOCOLS,
    "spec.internalTrafficPolicy": ("Cluster", "Local"),
    "spec.ipFamilyPolicy": ("PreferDualStack", "RequireDualStack", "SingleStack"),
}
NODE_ENUMS: Mapping[str, tuple[str, ...]] = {"spec.taints[*].effect": TAINT_EFFECTS}


def enum_problems(obj: Any, enums: Mapping[str, tuple[str, ...]]) -> FieldErrors:
    """`Unsupported value` for every field of `enums` that holds a word not in its list."""
    errs: FieldErrors = []
    for pattern, allowed in enums.items():
        for path, value in _values_at(obj, _steps(pattern), ()):
            if value not in ("", None) and value not in allowed:
                supported = ", ".join(f'"{v}"' for v in allowed)
                errs.append(
                    f'{_dotted(path)}: Unsupported value: "{value}": supported values: {supported}'
                )
    return errs


@functools.cache
def _steps(pattern: str) -> tuple[tuple[str, bool], ...]:
    """`spec.containers[*].name` -> (("spec", False), ("containers", True), ("name", False))."""
    return tuple((part.removesuffix("[*]"), part.endswith("[*]")) for part in pattern.split("."))


def _values_at(
    value: Any, steps: tuple[tuple[str, bool], ...], path: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], Any]]:
    """Each value the steps lead to, with its path (a name or a list index per step), level by
    level; the path is spelt out only for a field in error, which keeps a valid object cheap."""
    level: list[tuple[tuple[str | int, ...], Any]] = [(path, value)]
    for name, each in steps:
        found: list[tuple[tuple[str | int, ...], Any]] = []
        for at, holder in level:
            if not isinstance(holder, dict) or name not in holder:
                continue
            item = holder[name]
            if not each:
                found.append(((*at, name), item))
            elif isinstance(item, list):
                found.extend(((*at, name, i), x) for i, x in enumerate(item))
        if not found:
            return found
        level = found
    return level


def _dotted(path: tuple[str | int, ...]) -> str:
    """("spec", "containers", 0, "name") -> `spec.containers[0].name`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def default_pull_policy(image: str) -> str:
    """Always when the tag is `latest`, named or implied (no tag and no digest), IfNotPresent
    otherwise: v1 SetDefaults_Container. An invalid reference has no tag there, so IfNotPresent."""
    try:
        tag = images.parse(image).tag
    except ValueError:
        tag = ""
    return "Always" if tag == "latest" else "IfNotPresent"


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
    out["status"] = {"phase": "Pending", "qosClass": qos_class(containers)}
    return out


def qos_class(containers: Sequence[Mapping[str, Any]]) -> str:
    """Guaranteed when every container's requests equal its limits, BestEffort with none, else
    Burstable."""
    requests = [((c.get("resources") or {}).get("requests") or {}) for c in containers]
    limits = [((c.get("resources") or {}).get("limits") or {}) for c in containers]
    if not any(requests) and not any(limits):
        return "BestEffort"
    guaranteed = all(
        lim.get("cpu")
        and lim.get("memory")
        and (req.get("cpu", lim["cpu"]) == lim["cpu"])
        and req.get("memory", lim["memory"]) == lim["memory"]
        for req, lim in zip(requests, limits, strict=True)
    )
    return "Guaranteed" if guaranteed else "Burstable"


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


# --- Nodes ----------------------------------------------------------------------------------------


def node_defaults(node: Obj, ctx: Any) -> Obj:
    out = dict(node)
    meta = dict(out.get("metadata") or {})
    name = meta.get("name", "")
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    labels.update(meta.get("labels") or {})
    meta["labels"] = labels
    out["metadata"] = meta
    out.setdefault("spec", {})
    status = dict(out.get("status") or {})
    for key in ("capacity", "allocatable"):
        if isinstance(status.get(key), dict):
            status[key] = {name: quantity_text(value) for name, value in status[key].items()}
    out["status"] = status
    return out


def quantity_text(value: Any) -> Any:
    """A resource quantity as the API serialises it: always a string (`"110"`, `"94580335255"`),
    whatever number a manifest (or a YAML spec) gave."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def validate_node(node: Obj) -> FieldErrors:
    return [*validate_meta(node, namespaced=False), *enum_problems(node, NODE_ENUMS)]


# --- Events ---------------------------------------------------------------------------------------


def validate_event(event: Obj) -> FieldErrors:
    errs = validate_meta(event, namespaced=True)
    if not (event.get("involvedObject") or {}).get("kind"):
        errs.append("involvedObject.kind: Required value")
    return errs


# --- ReplicationControllers and ReplicaSets -------------------------------------------------------


def controller_defaults(obj: Obj, ctx: Any) -> Obj:
    out = dict(obj)
    spec = dict(out.get("spec") or {})
    spec.setdefault("replicas", 1)
    template = spec.get("template") or {}
    if out.get("kind") == "ReplicationController" and not spec.get("selector"):
        spec["selector"] = dict(objects.labels_of(template))
    template = dict(template)
    template["spec"] = pod_template_defaults(template.get("spec") or {})
    spec["template"] = template
    spec.setdefault("minReadySeconds", 0)
    out["spec"] = spec
    meta = dict(out.get("metadata") or {})
    if not meta.get("labels"):
        meta["labels"] = dict(objects.labels_of(template))
    meta["generation"] = 1
    out["metadata"] = meta
    out["status"] = {"replicas": 0}
    return out


def pod_template_defaults(spec: Mapping[str, Any]) -> Obj:
    spec = dict(spec)
    containers = []
    for c in spec.get("containers") or []:
        c = dict(c)
        c.setdefault("imagePullPolicy", default_pull_policy(c.get("image", "")))
        c.setdefault("resources", {})
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        containers.append(c)
    spec["containers"] = containers
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    return spec


def controller_selector(obj: Mapping[str, Any]) -> Mapping[str, str]:
    """The label map a ReplicationController or ReplicaSet selects its pods by."""
    selector = (obj.get("spec") or {}).get("selector") or {}
    if "matchLabels" in selector or "matchExpressions" in selector:
        return selector.get("matchLabels") or {}
    return selector


def validate_controller(obj: Obj) -> FieldErrors:
    errs = validate_meta(obj, namespaced=True)
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [*errs, "spec: Required value"]
    replicas = spec.get("replicas", 1)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        errs.append(
            f"spec.replicas: Invalid value: {replicas!r}: must be greater than or equal to 0"
        )
    template = spec.get("template")
    if not isinstance(template, dict):
        return [*errs, "spec.template: Required value"]
    selector = controller_selector(obj)
    labels = objects.labels_of(template)
    if not selector:
        errs.append("spec.selector: Required value")
    elif any(labels.get(k) != v for k, v in selector.items()):
        errs.append(
            f"spec.template.metadata.labels: Invalid value: {dict(labels)!r}: `selector` does not "
            "match template `labels`"
        )
    pod = {
        "metadata": {
            "name": "template",
            **{k: v for k, v in (template.get("metadata") or {}).items() if k != "name"},
        },
        "spec": template.get("spec"),
    }
    errs.extend(
        e.replace("spec.", "spec.template.spec.", 1) if e.startswith("spec.") else e
        for e in validate_pod(pod)
    )
    return errs


# --- Services -------------------------------------------------------------------------------------


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


def namespace_defaults(obj: Obj, ctx: Any) -> Obj:
    out = dict(obj)
    out["spec"] = {"finalizers": ["kubernetes"]}
    out["status"] = {"phase": "Active"}
    meta = dict(out.get("metadata") or {})
    labels = dict(meta.get("labels") or {})
    labels.setdefault("kubernetes.io/metadata.name", meta.get("name", ""))
    meta["labels"] = labels
    out["metadata"] = meta
    return out


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
            defaults=pod_defaults,
            validate=validate_pod,
            on_write=_pod_on_write,
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
            defaults=node_defaults,
            validate=validate_node,
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
            validate=validate_event,
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
            defaults=controller_defaults,
            validate=validate_controller,
            on_write=_controller_on_write,
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
            defaults=controller_defaults,
            validate=validate_controller,
            on_write=_controller_on_write,
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
            defaults=service_defaults,
            validate=validate_service,
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
            defaults=namespace_defaults,
            validate=lambda obj: validate_meta(obj, namespaced=False),
        ),
    )
}

KINDS: dict[str, Resource] = {r.kind: r for r in RESOURCES.values()}


def resource_for(name: str) -> Resource | None:
    """Find a resource by plural, singular, short name or kind (as kubectl accepts them)."""
    lowered = name.lower()
    for r in RESOURCES.values():
        if lowered in (r.plural, r.singular, r.kind.lower()) or lowered in r.short_names:
            return r
    return None
