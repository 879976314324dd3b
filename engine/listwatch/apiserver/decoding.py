"""The field types of the kinds listwatch serves, checked the way Kubernetes decodes a body.

A Kubernetes API server decodes JSON into typed Go structs before it validates anything: a number
where a string belongs is refused ("cannot unmarshal number into Go struct field ... of type
string"), and a `null` field is the field's zero value (as if absent). `decode` does the same for
the fields listwatch's API server, controllers and kubelets read, so that validation and the
components only ever see the types they expect.

Guarantees: `decode` returns a copy in which every known field has its declared type and every
`null` known field is gone (a `null` item of a list, or value of a map, is its zero value);
unknown fields are kept unchanged (the server keeps or drops them; this is not validation). Any
mismatch raises `Mismatch` with the field's path (`spec.containers[0].image`) and what was
expected. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


class Mismatch(Exception):
    """A field of the wrong type: its path and what was expected there."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def describe(value: object) -> str:
    """A value as an error message shows it: its YAML type, and the value when short."""
    kind = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "list",
        dict: "mapping",
        type(None): "null",
    }.get(type(value), type(value).__name__)
    if isinstance(value, (list, dict)):
        return f"a {kind}"
    shown = repr(value)
    return f"{kind} {shown if len(shown) <= 40 else shown[:37] + '...'}"


class _Type:
    name = "value"

    def zero(self) -> Any:
        return None

    def decode(self, value: Any, path: str) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class _Str(_Type):
    name = "string"

    def zero(self) -> Any:
        return ""

    def decode(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise Mismatch(path, f"expected a string, found {describe(value)}")
        return value


@dataclass(frozen=True)
class _Bool(_Type):
    name = "boolean"

    def zero(self) -> Any:
        return False

    def decode(self, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            raise Mismatch(path, f"expected a boolean (true or false), found {describe(value)}")
        return value


@dataclass(frozen=True)
class _Int(_Type):
    bounds: tuple[int, int] = INT32
    name = "integer"

    def zero(self) -> Any:
        return 0

    def decode(self, value: Any, path: str) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            raise Mismatch(path, f"expected an integer, found {describe(value)}")
        low, high = self.bounds
        if not low <= value <= high:
            raise Mismatch(path, f"expected an integer from {low} to {high}, found {value}")
        return value


@dataclass(frozen=True)
class _IntOrString(_Type):
    """Kubernetes' IntOrString (a port by number or name) and Quantity (`1`, `0.5`, `100Mi`)."""

    floats: bool = False
    name = "integer or string"

    def zero(self) -> Any:
        return 0

    def decode(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return _Int(INT64).decode(value, path)
        if self.floats and isinstance(value, float) and value == value and abs(value) < 1e18:
            return value
        wanted = "a quantity (e.g. 100m, 0.5, 128Mi)" if self.floats else "an integer or a string"
        raise Mismatch(path, f"expected {wanted}, found {describe(value)}")


@dataclass(frozen=True)
class _List(_Type):
    item: _Type
    name = "list"

    def zero(self) -> Any:
        return []

    def decode(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise Mismatch(path, f"expected a list of {self.item.name}s, found {describe(value)}")
        return [
            self.item.zero() if v is None else self.item.decode(v, f"{path}[{i}]")
            for i, v in enumerate(value)
        ]


@dataclass(frozen=True)
class _Map(_Type):
    value: _Type
    name = "mapping"

    def zero(self) -> Any:
        return {}

    def decode(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise Mismatch(
                path, f"expected a mapping of {self.value.name}s, found {describe(value)}"
            )
        return {
            k: self.value.zero() if v is None else self.value.decode(v, f"{path}.{k}")
            for k, v in value.items()
        }


@dataclass(frozen=True)
class _Struct(_Type):
    """A Go struct: known fields typed, unknown fields kept as they are."""

    name: str
    fields: Mapping[str, _Type] = field(default_factory=dict)

    def zero(self) -> Any:
        return {}

    def decode(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise Mismatch(path, f"expected a mapping ({self.name}), found {describe(value)}")
        out = {}
        for key, item in value.items():
            kind = self.fields.get(key)
            if kind is None:
                out[key] = item
            elif item is not None:  # null: the zero value, as if absent
                out[key] = kind.decode(item, f"{path}.{key}" if path else key)
        return out


STR, BOOL, INT, INT64_ = _Str(), _Bool(), _Int(), _Int(INT64)
INT_OR_STRING, QUANTITY = _IntOrString(), _IntOrString(floats=True)
STRINGS = _List(STR)
STRING_MAP = _Map(STR)
ANY_MAP = _Struct("object")

OWNER_REFERENCE = _Struct(
    "OwnerReference",
    {
        "apiVersion": STR,
        "kind": STR,
        "name": STR,
        "uid": STR,
        "controller": BOOL,
        "blockOwnerDeletion": BOOL,
    },
)
OBJECT_META = _Struct(
    "ObjectMeta",
    {
        "name": STR,
        "generateName": STR,
        "namespace": STR,
        "uid": STR,
        "resourceVersion": STR,
        "generation": INT64_,
        "creationTimestamp": STR,
        "deletionTimestamp": STR,
        "deletionGracePeriodSeconds": INT64_,
        "labels": STRING_MAP,
        "annotations": STRING_MAP,
        "ownerReferences": _List(OWNER_REFERENCE),
        "finalizers": STRINGS,
    },
)
PROBE = _Struct(
    "Probe",
    {
        "exec": _Struct("ExecAction", {"command": STRINGS}),
        "httpGet": _Struct(
            "HTTPGetAction",
            {
                "path": STR,
                "port": INT_OR_STRING,
                "host": STR,
                "scheme": STR,
                "httpHeaders": _List(_Struct("HTTPHeader", {"name": STR, "value": STR})),
            },
        ),
        "tcpSocket": _Struct("TCPSocketAction", {"port": INT_OR_STRING, "host": STR}),
        "grpc": _Struct("GRPCAction", {"port": INT, "service": STR}),
        "initialDelaySeconds": INT,
        "timeoutSeconds": INT,
        "periodSeconds": INT,
        "successThreshold": INT,
        "failureThreshold": INT,
        "terminationGracePeriodSeconds": INT64_,
    },
)
RESOURCES = _Struct("ResourceRequirements", {"limits": _Map(QUANTITY), "requests": _Map(QUANTITY)})
CONTAINER = _Struct(
    "Container",
    {
        "name": STR,
        "image": STR,
        "imagePullPolicy": STR,
        "command": STRINGS,
        "args": STRINGS,
        "workingDir": STR,
        "ports": _List(
            _Struct(
                "ContainerPort",
                {
                    "name": STR,
                    "containerPort": INT,
                    "hostPort": INT,
                    "protocol": STR,
                    "hostIP": STR,
                },
            )
        ),
        "env": _List(
            _Struct("EnvVar", {"name": STR, "value": STR, "valueFrom": ANY_MAP}),
        ),
        "resources": RESOURCES,
        "livenessProbe": PROBE,
        "readinessProbe": PROBE,
        "startupProbe": PROBE,
        "volumeMounts": _List(
            _Struct(
                "VolumeMount",
                {"name": STR, "mountPath": STR, "readOnly": BOOL, "subPath": STR},
            )
        ),
        "terminationMessagePath": STR,
        "terminationMessagePolicy": STR,
        "restartPolicy": STR,
        "stdin": BOOL,
        "tty": BOOL,
        "securityContext": ANY_MAP,
        "lifecycle": ANY_MAP,
    },
)
POD_SPEC = _Struct(
    "PodSpec",
    {
        "containers": _List(CONTAINER),
        "initContainers": _List(CONTAINER),
        "nodeName": STR,
        "nodeSelector": STRING_MAP,
        "restartPolicy": STR,
        "schedulerName": STR,
        "serviceAccountName": STR,
        "serviceAccount": STR,
        "hostNetwork": BOOL,
        "hostname": STR,
        "subdomain": STR,
        "dnsPolicy": STR,
        "terminationGracePeriodSeconds": INT64_,
        "activeDeadlineSeconds": INT64_,
        "priority": INT,
        "priorityClassName": STR,
        "enableServiceLinks": BOOL,
        "tolerations": _List(
            _Struct(
                "Toleration",
                {
                    "key": STR,
                    "operator": STR,
                    "value": STR,
                    "effect": STR,
                    "tolerationSeconds": INT64_,
                },
            )
        ),
        "volumes": _List(_Struct("Volume", {"name": STR})),
        "imagePullSecrets": _List(_Struct("LocalObjectReference", {"name": STR})),
        "readinessGates": _List(_Struct("PodReadinessGate", {"conditionType": STR})),
        "affinity": ANY_MAP,
        "securityContext": ANY_MAP,
    },
)
POD_TEMPLATE = _Struct("PodTemplateSpec", {"metadata": OBJECT_META, "spec": POD_SPEC})
LABEL_SELECTOR = _Struct(
    "LabelSelector",
    {
        "matchLabels": STRING_MAP,
        "matchExpressions": _List(
            _Struct("LabelSelectorRequirement", {"key": STR, "operator": STR, "values": STRINGS})
        ),
    },
)


def _kind(name: str, spec: _Type | None = None, **more: _Type) -> _Struct:
    fields: dict[str, _Type] = {
        "apiVersion": STR,
        "kind": STR,
        "metadata": OBJECT_META,
        "status": ANY_MAP,
    }
    if spec is not None:
        fields["spec"] = spec
    return _Struct(name, {**fields, **more})


KINDS: Mapping[str, _Struct] = {
    "Pod": _kind("Pod", POD_SPEC),
    "ReplicationController": _kind(
        "ReplicationController",
        _Struct(
            "ReplicationControllerSpec",
            {
                "replicas": INT,
                "minReadySeconds": INT,
                "selector": STRING_MAP,
                "template": POD_TEMPLATE,
            },
        ),
    ),
    "ReplicaSet": _kind(
        "ReplicaSet",
        _Struct(
            "ReplicaSetSpec",
            {
                "replicas": INT,
                "minReadySeconds": INT,
                "selector": LABEL_SELECTOR,
                "template": POD_TEMPLATE,
            },
        ),
    ),
    "Service": _kind(
        "Service",
        _Struct(
            "ServiceSpec",
            {
                "type": STR,
                "selector": STRING_MAP,
                "clusterIP": STR,
                "clusterIPs": STRINGS,
                "externalName": STR,
                "sessionAffinity": STR,
                "ports": _List(
                    _Struct(
                        "ServicePort",
                        {
                            "name": STR,
                            "protocol": STR,
                            "port": INT,
                            "targetPort": INT_OR_STRING,
                            "nodePort": INT,
                        },
                    )
                ),
            },
        ),
    ),
    "Node": _kind(
        "Node",
        _Struct(
            "NodeSpec",
            {
                "unschedulable": BOOL,
                "podCIDR": STR,
                "podCIDRs": STRINGS,
                "providerID": STR,
                "taints": _List(
                    _Struct("Taint", {"key": STR, "value": STR, "effect": STR, "timeAdded": STR})
                ),
            },
        ),
    ),
    "Namespace": _kind("Namespace", _Struct("NamespaceSpec", {"finalizers": STRINGS})),
    "Event": _kind(
        "Event",
        None,
        involvedObject=_Struct(
            "ObjectReference",
            {
                "kind": STR,
                "namespace": STR,
                "name": STR,
                "uid": STR,
                "apiVersion": STR,
                "resourceVersion": STR,
                "fieldPath": STR,
            },
        ),
        reason=STR,
        message=STR,
        type=STR,
        action=STR,
        reportingComponent=STR,
        reportingInstance=STR,
        count=INT,
        firstTimestamp=STR,
        lastTimestamp=STR,
        eventTime=STR,
        source=_Struct("EventSource", {"component": STR, "host": STR}),
    ),
}


def decode(obj: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """`obj` with its known fields checked and nulls dropped (see the module's guarantees);
    a kind listwatch does not know is returned as a plain copy."""
    shape = KINDS.get(kind)
    if shape is None:
        return dict(obj)
    decoded: dict[str, Any] = shape.decode(dict(obj), "")
    return decoded
