"""The namespace controller empties a namespace being deleted and finalizes it; the
serviceaccount controller gives every namespace its default ServiceAccount."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.cluster import Cluster
from tests.builders import pod, replication_controller


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def conditions(ns: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        (c["type"], c["status"], c["reason"], c["message"])
        for c in (ns.get("status") or {}).get("conditions") or []
    ]


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    made = make_cluster()
    made.api.create("namespaces", namespace("doomed"))
    made.settle()
    return made


def test_every_namespace_gets_its_default_service_account(cluster: Cluster) -> None:
    for name in ("default", "kube-system", "doomed"):
        account = cluster.api.get("serviceaccounts", "default", namespace=name)
        assert account["kind"] == "ServiceAccount" and "secrets" not in account


def test_a_deleted_default_service_account_is_created_again(cluster: Cluster) -> None:
    before = objects.uid_of(cluster.api.get("serviceaccounts", "default", namespace="doomed"))
    cluster.api.delete("serviceaccounts", "default", namespace="doomed")
    cluster.settle()
    again = cluster.api.get("serviceaccounts", "default", namespace="doomed")
    assert objects.uid_of(again) != before


def test_a_deleted_namespace_is_emptied_then_goes(cluster: Cluster) -> None:
    cluster.apply(
        {**replication_controller("web", 2), "metadata": {"name": "web", "namespace": "doomed"}}
    )
    cluster.apply(
        {**pod("solo", node_name="node01"), "metadata": {"name": "solo", "namespace": "doomed"}}
    )
    cluster.settle()
    assert len(cluster.pods("doomed")) == 3
    cluster.delete("namespaces", "doomed", namespace="")
    cluster.advance(1)
    ns = cluster.api.get("namespaces", "doomed")
    assert ns["status"]["phase"] == "Terminating"
    assert (
        "NamespaceContentRemaining",
        "True",
        "SomeResourcesRemain",
        "Some resources are remaining: pods. has 3 resource instances",
    ) in conditions(ns)
    assert (
        "NamespaceDeletionDiscoveryFailure",
        "False",
        "ResourcesDiscovered",
        "All resources successfully discovered",
    ) in conditions(ns)
    assert [c[0] for c in conditions(ns)] == [
        "NamespaceDeletionDiscoveryFailure",
        "NamespaceDeletionGroupVersionParsingFailure",
        "NamespaceDeletionContentFailure",
        "NamespaceContentRemaining",
        "NamespaceFinalizersRemaining",
    ]
    assert all(objects.meta(p).get("deletionTimestamp") for p in cluster.pods("doomed"))
    with pytest.raises(errors.NotFound):
        cluster.api.get("replicationcontrollers", "web", namespace="doomed")
    cluster.settle(horizon=120)
    with pytest.raises(errors.NotFound):
        cluster.api.get("namespaces", "doomed")
    assert cluster.pods("doomed") == []


def test_objects_held_by_finalizers_keep_the_namespace_and_say_so(cluster: Cluster) -> None:
    body = pod("held")
    body["metadata"] = {"name": "held", "namespace": "doomed", "finalizers": ["example.com/hold"]}
    cluster.apply(body)
    cluster.settle()
    cluster.delete("namespaces", "doomed", namespace="")
    cluster.advance(30)
    ns = cluster.api.get("namespaces", "doomed")
    assert (
        "NamespaceFinalizersRemaining",
        "True",
        "SomeFinalizerRemain",
        "Some finalizers are remaining: example.com/hold in 1 resource instances",
    ) in conditions(ns)
    cluster.api.patch("pods", "held", {"metadata": {"finalizers": None}}, namespace="doomed")
    cluster.settle(horizon=60)
    with pytest.raises(errors.NotFound):
        cluster.api.get("namespaces", "doomed")
