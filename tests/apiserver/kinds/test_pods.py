"""Pods on a write: probe defaults and checks, binding targets, enums, quantities, the messages for
names and labels."""

from __future__ import annotations

from typing import Any

import pytest

from listwatch.apiserver import fields
from listwatch.apiserver.kinds import pods
from listwatch.apiserver.kinds.podspec import default_pod_spec

#: apimachinery's validation messages (k8s.io/apimachinery/pkg/util/validation, v0.32), as
#: RegexError writes them.
SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
QUALIFIED = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def spec_with(probe: dict[str, Any]) -> dict[str, Any]:
    return {"containers": [{"name": "c", "image": "i", "readinessProbe": probe}]}


def test_probe_fields_left_zero_or_unset_get_kube_apiservers_defaults() -> None:
    spec = default_pod_spec(
        spec_with({"exec": {"command": ["true"]}, "periodSeconds": 0}), pod=False
    )
    assert spec["containers"][0]["readinessProbe"] == {
        "exec": {"command": ["true"]},
        "periodSeconds": 10,
        "timeoutSeconds": 1,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def test_probe_fields_that_are_set_are_kept() -> None:
    probe = {"exec": {"command": ["true"]}, "periodSeconds": 3, "failureThreshold": 7}
    spec = default_pod_spec(spec_with(probe), pod=False)
    assert spec["containers"][0]["readinessProbe"]["periodSeconds"] == 3
    assert spec["containers"][0]["readinessProbe"]["failureThreshold"] == 7


@pytest.mark.parametrize(
    ("probe", "kind", "problems"),
    [
        ({}, "readinessProbe", ["p: Required value: must specify a handler type"]),
        (
            {"exec": {}, "tcpSocket": {"port": 80}},
            "readinessProbe",
            ["p.tcpSocket: Forbidden: may not specify more than 1 handler type"],
        ),
        (
            {"exec": {}, "initialDelaySeconds": -5},
            "readinessProbe",
            ["p.initialDelaySeconds: Invalid value: -5: must be greater than or equal to 0"],
        ),
        (
            {"exec": {}, "successThreshold": 2},
            "livenessProbe",
            ["p.successThreshold: Invalid value: 2: must be 1"],
        ),
        ({"exec": {}, "successThreshold": 2}, "readinessProbe", []),
        (
            {"httpGet": {"port": 0}},
            "readinessProbe",
            ["p.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive"],
        ),
        ({"httpGet": {"port": "http"}}, "readinessProbe", []),
    ],
)
def test_a_probe_is_checked_as_validate_probe_checks_it(
    probe: dict[str, Any], kind: str, problems: list[str]
) -> None:
    assert pods.validate_probe(probe, "p", kind=kind) == problems


@pytest.mark.parametrize(
    ("target", "problems"),
    [
        ({"name": "node01"}, []),
        ({"kind": "Node", "name": "node01"}, []),
        (
            {"kind": "Pod", "name": "node01"},
            ['target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"'],
        ),
        ({}, ["target.name: Required value"]),
        ({"name": "a."}, []),  # ValidatePodBinding checks no more than that there is a name
    ],
)
def test_a_binding_targets_a_node_by_a_name(target: dict[str, Any], problems: list[str]) -> None:
    assert pods.validate_binding({"target": target}) == problems


def test_an_enum_field_with_another_word_is_unsupported_and_an_empty_one_is_unset() -> None:
    pod = {
        "metadata": {"name": "p"},
        "spec": {
            "restartPolicy": "Sometimes",
            "dnsPolicy": "",
            "tolerations": [{"operator": "Exists"}, {"operator": "Maybe", "effect": "NoSchedule"}],
            "containers": [
                {"name": "c", "image": "i", "ports": [{"containerPort": 80, "protocol": "ICMP"}]}
            ],
        },
    }
    assert fields.enum_problems(pod, pods.POD_ENUMS) == [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
        '"OnFailure", "Never"',
        'spec.tolerations[1].operator: Unsupported value: "Maybe": supported values: "Equal", '
        '"Exists"',
        'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: '
        '"SCTP", "TCP", "UDP"',
    ]


def test_a_negative_quantity_or_a_request_above_its_limit_is_invalid() -> None:
    resources_ = {"limits": {"cpu": "500m", "memory": "-1Mi"}, "requests": {"cpu": "1"}}
    assert pods.validate_resources(resources_, "r") == [
        'r.limits[memory]: Invalid value: "-1Mi": must be greater than or equal to 0',
        'r.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m',
    ]


@pytest.mark.parametrize(
    ("meta", "container", "node", "problems"),
    [
        ({"name": "a."}, "c", "", [f'metadata.name: Invalid value: "a.": {SUBDOMAIN}']),
        ({"name": "web\n"}, "c", "", [f'metadata.name: Invalid value: "web\\n": {SUBDOMAIN}']),
        (
            {"name": "x" * 254},
            "c",
            "",
            [f'metadata.name: Invalid value: "{"x" * 254}": must be no more than 253 characters'],
        ),
        (
            {"name": "p"},
            "Bad_Name",
            "",
            [f'spec.containers[0].name: Invalid value: "Bad_Name": {LABEL}'],
        ),
        (
            {"name": "p"},
            "a.b",
            "",
            ['spec.containers[0].name: Invalid value: "a.b": must not contain dots'],
        ),
        ({"name": "p"}, "c", "Node_1", [f'spec.nodeName: Invalid value: "Node_1": {SUBDOMAIN}']),
        (
            {"name": "p", "labels": {"a b": "ok", "ok": "-x", "Ex.com/a": "", "a/b/c": "v"}},
            "c",
            "",
            [
                f'metadata.labels: Invalid value: "a b": name part {QUALIFIED}',
                f'metadata.labels: Invalid value: "-x": {LABEL_VALUE}',
                f'metadata.labels: Invalid value: "Ex.com/a": prefix part {SUBDOMAIN}',
                f'metadata.labels: Invalid value: "a/b/c": a qualified name {QUALIFIED} with an '
                "optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
            ],
        ),
        (
            {"name": "p", "labels": {"/" + "k" * 64: "v" * 64}},
            "c",
            "",
            [
                f'metadata.labels: Invalid value: "/{"k" * 64}": prefix part must be non-empty',
                f'metadata.labels: Invalid value: "/{"k" * 64}": name part must be no more than '
                "63 characters",
                f'metadata.labels: Invalid value: "{"v" * 64}": must be no more than 63 characters',
            ],
        ),
    ],
)
def test_names_and_labels_are_refused_with_apimachinerys_messages(
    meta: dict[str, Any], container: str, node: str, problems: list[str]
) -> None:
    spec: dict[str, Any] = {"containers": [{"name": container, "image": "i"}]}
    if node:
        spec["nodeName"] = node
    assert pods.validate_pod({"metadata": meta, "spec": spec}) == problems


def test_qos_class_sums_containers_and_init_containers_and_compares_quantities() -> None:
    def c(requests: dict[str, str] | None = None, limits: dict[str, str] | None = None) -> Any:
        return {"resources": {"requests": requests or {}, "limits": limits or {}}}

    both = {"cpu": "1", "memory": "64Mi"}
    assert pods.qos_class([c(), c()]) == "BestEffort"
    assert pods.qos_class([c(both, {"cpu": "1000m", "memory": "64Mi"})]) == "Guaranteed"
    assert pods.qos_class([c(both, both), c()]) == "Burstable"  # an init container without limits
    assert pods.qos_class([c({"cpu": "1"}, {"cpu": "2", "memory": "1Gi"})]) == "Burstable"
    assert pods.qos_class([c({"cpu": "0"}, {})]) == "BestEffort"  # zero is no request
