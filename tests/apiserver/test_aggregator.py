"""kube-aggregator's APIServices: one per built-in group version at start, one per CRD group
version while a CRD serves it, and the Available condition of each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from listwatch.apiserver import aggregator
from listwatch.apiserver.resources import PRIORITIES
from listwatch.cluster import Cluster


def names(cluster: Cluster) -> list[str]:
    return [o["metadata"]["name"] for o in cluster.api.list("apiservices").items]


def crd(group: str, *versions: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "kind": "Widget"},
            "versions": [
                {
                    "name": v,
                    "served": True,
                    "storage": i == 0,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
                for i, v in enumerate(versions)
            ],
        },
    }


def test_each_built_in_group_version_but_the_aggregator_s_own_is_registered(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    expected = sorted(f"{v}.{g}" for (g, v) in PRIORITIES if g != "apiregistration.k8s.io")
    assert names(cluster) == expected
    for obj in cluster.api.list("apiservices").items:
        assert obj["status"]["conditions"][0]["reason"] == "Local"


def test_crd_group_versions_come_and_go_with_the_crds(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.api.create("customresourcedefinitions", crd("example.com", "v1", "v2beta1"))
    cluster.settle()
    assert {"v1.example.com", "v2beta1.example.com"} <= set(names(cluster))
    registered = cluster.api.get("apiservices", "v2beta1.example.com")
    assert registered["metadata"]["labels"] == {aggregator.MANAGED: "true"}
    assert registered["spec"]["groupPriorityMinimum"] == aggregator.CRD_PRIORITY.group
    cluster.api.delete("customresourcedefinitions", "widgets.example.com")
    cluster.settle()
    assert not {"v1.example.com", "v2beta1.example.com"} & set(names(cluster))


def test_a_service_backed_apiservice_is_unavailable_with_the_reason() -> None:
    remote = aggregator.api_service("g.io", "v1", aggregator.CRD_PRIORITY, "onstart")
    remote["spec"]["service"] = {"namespace": "ns", "name": "svc", "port": 443}
    assert aggregator.available(remote, lambda ns, name: None) == (
        "False",
        "ServiceNotFound",
        'service/svc in "ns" is not present',
    )
    status, reason, _ = aggregator.available(remote, lambda ns, name: {"kind": "Service"})
    assert (status, reason) == ("False", "FailedDiscoveryCheck")
