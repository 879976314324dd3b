"""APIServices on a write: kube-aggregator's validation and the default Service port."""

from __future__ import annotations

from typing import Any

from listwatch.apiserver.kinds import apiservices


def api_service(name: str, **spec: Any) -> dict[str, Any]:
    return {"kind": "APIService", "metadata": {"name": name}, "spec": spec}


def test_a_local_apiservice_named_for_its_version_and_group_is_valid() -> None:
    assert (
        apiservices.validate_api_service(
            api_service(
                "v1.apps",
                group="apps",
                version="v1",
                groupPriorityMinimum=17800,
                versionPriority=15,
            )
        )
        == []
    )
    core = api_service("v1.", version="v1", groupPriorityMinimum=18000, versionPriority=1)
    assert apiservices.validate_api_service(core) == []


def test_the_name_must_be_version_dot_group() -> None:
    wrong = api_service(
        "metrics",
        group="metrics.k8s.io",
        version="v1beta1",
        groupPriorityMinimum=100,
        versionPriority=100,
    )
    assert apiservices.validate_api_service(wrong) == [
        'metadata.name: Invalid value: "metrics": must be `spec.version+"."+spec.group`: '
        '"v1beta1.metrics.k8s.io"'
    ]


def test_only_v1_may_have_an_empty_group_and_priorities_are_bounded() -> None:
    wrong = api_service("v2.", version="v2", groupPriorityMinimum=0, versionPriority=1001)
    assert apiservices.validate_api_service(wrong) == [
        "spec.group: Required value: only v1 may have an empty group and it better be legacy kube",
        "spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000",
        "spec.versionPriority: Invalid value: 1001: must be positive and less than 1000",
    ]


def test_a_version_must_be_a_dns_1035_label() -> None:
    wrong = api_service(
        "1x.g.io", group="g.io", version="1x", groupPriorityMinimum=1, versionPriority=1
    )
    (problem,) = apiservices.validate_api_service(wrong)
    assert problem.startswith(
        'spec.version: Invalid value: "1x": a DNS-1035 label must consist of lower case '
        "alphanumeric characters or '-', start with an alphabetic character"
    )


def test_a_local_apiservice_may_not_skip_tls_verification_and_a_service_needs_a_name() -> None:
    local = api_service(
        "v1.g.io",
        group="g.io",
        version="v1",
        groupPriorityMinimum=1,
        versionPriority=1,
        insecureSkipTLSVerify=True,
    )
    assert apiservices.validate_api_service(local) == [
        "spec.insecureSkipTLSVerify: Invalid value: true: local APIServices may not have "
        "insecureSkipTLSVerify"
    ]
    remote = {**local, "spec": {**local["spec"], "service": {"namespace": "x", "port": 0}}}
    assert apiservices.validate_api_service(remote) == [
        "spec.service.name: Required value",
        "spec.service.port: Invalid value: 0: must be between 1 and 65535, inclusive",
    ]


def test_a_service_s_port_defaults_to_443() -> None:
    obj = api_service("v1.g.io", service={"namespace": "x", "name": "y"})
    assert apiservices.on_write(obj)["spec"]["service"] == {
        "namespace": "x",
        "name": "y",
        "port": 443,
    }
