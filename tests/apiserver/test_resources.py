"""Per-resource rules declared once: probe defaults and checks, binding targets."""

from __future__ import annotations

from typing import Any

import pytest

from listwatch.apiserver import resources


def spec_with(probe: dict[str, Any]) -> dict[str, Any]:
    return {"containers": [{"name": "c", "image": "i", "readinessProbe": probe}]}


def test_probe_fields_left_zero_or_unset_get_kube_apiservers_defaults() -> None:
    spec = resources.default_probes(spec_with({"exec": {"command": ["true"]}, "periodSeconds": 0}))
    assert spec["containers"][0]["readinessProbe"] == {
        "exec": {"command": ["true"]},
        "periodSeconds": 10,
        "timeoutSeconds": 1,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def test_probe_fields_that_are_set_are_kept() -> None:
    probe = {"exec": {"command": ["true"]}, "periodSeconds": 3, "failureThreshold": 7}
    spec = resources.default_probes(spec_with(probe))
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
    assert resources.validate_probe(probe, "p", kind=kind) == problems


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
        (
            {"name": "a."},
            [
                'target.name: Invalid value: "a.": a lowercase RFC 1123 subdomain must consist of '
                "lower "
                "case alphanumeric characters, '-' or '.', and must start and end with an "
                "alphanumeric character"
            ],
        ),
    ],
)
def test_a_binding_targets_a_node_by_a_valid_name(
    target: dict[str, Any], problems: list[str]
) -> None:
    assert resources.validate_binding({"target": target}) == problems


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
    assert resources.enum_problems(pod, resources.POD_ENUMS) == [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
        '"OnFailure", "Never"',
        'spec.tolerations[1].operator: Unsupported value: "Maybe": supported values: "Equal", '
        '"Exists"',
        'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: '
        '"SCTP", "TCP", "UDP"',
    ]


def test_a_replication_controllers_template_is_checked_as_a_pod_at_its_own_paths() -> None:
    rc = {
        "metadata": {"name": "rc"},
        "spec": {
            "replicas": 1,
            "selector": {"app": "a"},
            "template": {
                "metadata": {"labels": {"app": "a"}},
                "spec": {"containers": [{"name": "c", "image": "i", "imagePullPolicy": "Often"}]},
            },
        },
    }
    assert resources.validate_controller(rc) == [
        'spec.template.spec.containers[0].imagePullPolicy: Unsupported value: "Often": supported '
        'values: "Always", "IfNotPresent", "Never"'
    ]


def test_a_negative_quantity_or_a_request_above_its_limit_is_invalid() -> None:
    resources_ = {"limits": {"cpu": "500m", "memory": "-1Mi"}, "requests": {"cpu": "1"}}
    assert resources.validate_resources(resources_, "r") == [
        'r.limits[memory]: Invalid value: "-1Mi": must be greater than or equal to 0',
        'r.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m',
    ]
