"""The daemonset controller on the memory cluster: a pod per fitting node, made as v1.32 makes
it; nodes that come to fit or stop fitting; failed pods; RollingUpdate within maxUnavailable or
maxSurge; OnDelete; the revision history; the status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.kinds import namespaces
from listwatch.cluster import Cluster
from listwatch.components import daemonset as daemonset_controller

HASH = "controller-revision-hash"


def daemonset(name: str = "agent", command: str = "sleep 3600", **spec: Any) -> dict[str, Any]:
    pod_spec = spec.pop("pod_spec", {})
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [
                        {"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", command]}
                    ],
                    **pod_spec,
                },
            },
            **spec,
        },
    }


def pods_of(cluster: Cluster, name: str = "agent") -> list[dict[str, Any]]:
    return [
        p
        for p in cluster.pods()
        if (objects.controller_of(p) or {}).get("name") == name
        and not objects.meta(p).get("deletionTimestamp")
    ]


def nodes_of(cluster: Cluster, name: str = "agent") -> list[str]:
    return sorted(str(p["spec"].get("nodeName")) for p in pods_of(cluster, name))


def status(cluster: Cluster, name: str = "agent") -> dict[str, Any]:
    return dict(cluster.api.get("daemonsets", name).get("status") or {})


def statuses(cluster: Cluster) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cluster.api.watch(
        "daemonsets",
        lambda e: seen.append(dict(e.object.get("status") or {})),
        resource_version="0",
    )
    return seen


def change_command(cluster: Cluster, command: str, name: str = "agent") -> None:
    container = {"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", command]}
    cluster.patch("daemonsets", name, {"spec": {"template": {"spec": {"containers": [container]}}}})


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    return make_cluster(nodes=("node01", "node02", "node03"))


def test_each_node_gets_one_pod_pinned_to_it_with_the_daemon_tolerations(cluster: Cluster) -> None:
    cluster.apply(daemonset(pod_spec={"tolerations": [{"key": "x", "operator": "Exists"}]}))
    cluster.advance(10)
    assert nodes_of(cluster) == ["node01", "node02", "node03"]
    ds = cluster.api.get("daemonsets", "agent")
    (revision,) = cluster.api.list("controllerrevisions").items
    hash_ = objects.labels_of(revision)[HASH]
    for pod in pods_of(cluster):
        meta = objects.meta(pod)
        assert meta["generateName"] == "agent-"
        assert meta["labels"] == {"app": "agent", "pod-template-generation": "1", HASH: hash_}
        assert meta["ownerReferences"] == [
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "name": "agent",
                "uid": objects.uid_of(ds),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        terms = pod["spec"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]["nodeSelectorTerms"]
        assert terms == [
            {
                "matchFields": [
                    {"key": "metadata.name", "operator": "In", "values": [pod["spec"]["nodeName"]]}
                ]
            }
        ]
        keys = [t.get("key") for t in pod["spec"]["tolerations"]]
        assert keys == [
            "x",
            "node.kubernetes.io/not-ready",
            "node.kubernetes.io/unreachable",
            "node.kubernetes.io/disk-pressure",
            "node.kubernetes.io/memory-pressure",
            "node.kubernetes.io/pid-pressure",
            "node.kubernetes.io/unschedulable",
        ]


def test_the_revision_is_named_for_its_hash_owned_and_carries_the_template(
    cluster: Cluster,
) -> None:
    cluster.apply(daemonset())
    cluster.advance(5)
    ds = cluster.api.get("daemonsets", "agent")
    (revision,) = cluster.api.list("controllerrevisions").items
    hash_ = objects.labels_of(revision)[HASH]
    assert objects.name_of(revision) == f"agent-{hash_}"
    assert objects.labels_of(revision) == {"app": "agent", HASH: hash_}
    assert objects.meta(revision)["annotations"] == objects.meta(ds)["annotations"]
    assert (objects.controller_of(revision) or {}).get("uid") == objects.uid_of(ds)
    assert revision["revision"] == 1
    template = dict(revision["data"]["spec"]["template"])
    assert template.pop("$patch") == "replace"
    assert template == ds["spec"]["template"]


def test_the_status_counts_the_nodes_in_v1_32s_field_order(cluster: Cluster) -> None:
    cluster.apply(daemonset())
    cluster.advance(10)
    assert list(status(cluster).items()) == [
        ("currentNumberScheduled", 3),
        ("numberMisscheduled", 0),
        ("desiredNumberScheduled", 3),
        ("numberReady", 3),
        ("observedGeneration", 1),
        ("updatedNumberScheduled", 3),
        ("numberAvailable", 3),
    ]
    created = [e for e in cluster.api.list("events").items if e["reason"] == "SuccessfulCreate"]
    assert sorted(e["message"] for e in created) == sorted(
        f"Created pod: {objects.name_of(p)}" for p in pods_of(cluster)
    )
    assert {e["source"]["component"] for e in created} == {"daemonset-controller"}


def test_a_node_selector_picks_the_nodes_and_a_relabelled_node_gains_or_loses_its_pod(
    cluster: Cluster,
) -> None:
    cluster.label_node("node01", "role", "edge")
    cluster.apply(daemonset(pod_spec={"nodeSelector": {"role": "edge"}}))
    cluster.advance(5)
    assert nodes_of(cluster) == ["node01"]
    cluster.label_node("node03", "role", "edge")
    cluster.advance(5)
    assert nodes_of(cluster) == ["node01", "node03"]
    cluster.label_node("node01", "role", None)
    cluster.advance(5)
    assert nodes_of(cluster) == ["node03"]
    assert status(cluster)["desiredNumberScheduled"] == 1
    deleted = [e for e in cluster.api.list("events").items if e["reason"] == "SuccessfulDelete"]
    assert len(deleted) == 1 and deleted[0]["message"].startswith("Deleted pod: agent-")


def test_a_node_added_later_gets_a_pod_pinned_to_it(cluster: Cluster) -> None:
    cluster.apply(daemonset())
    cluster.advance(5)
    cluster.api.create(
        "nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node04"}}, actor="test"
    )
    cluster.advance(2)
    pinned = [
        p
        for p in pods_of(cluster)
        if p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
            "nodeSelectorTerms"
        ][0]["matchFields"][0]["values"]
        == ["node04"]
    ]
    assert len(pinned) == 1
    assert status(cluster)["desiredNumberScheduled"] == 4


def test_no_execute_taints_remove_the_pod_and_no_schedule_ones_keep_it(cluster: Cluster) -> None:
    cluster.apply(daemonset())
    cluster.advance(5)
    cluster.patch(
        "nodes",
        "node02",
        {"spec": {"taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]}},
        namespace="",
    )
    cluster.advance(5)
    assert nodes_of(cluster) == ["node01", "node02", "node03"]
    assert status(cluster)["desiredNumberScheduled"] == 2
    assert status(cluster)["numberMisscheduled"] == 1
    cluster.patch(
        "nodes",
        "node02",
        {"spec": {"taints": [{"key": "dedicated", "value": "db", "effect": "NoExecute"}]}},
        namespace="",
    )
    cluster.advance(5)
    assert nodes_of(cluster) == ["node01", "node03"]
    assert status(cluster)["numberMisscheduled"] == 0


def test_a_deleted_pod_is_replaced_and_a_failed_one_deleted_with_a_warning(
    cluster: Cluster,
) -> None:
    cluster.apply(daemonset())
    cluster.advance(5)
    (first,) = [p for p in pods_of(cluster) if p["spec"]["nodeName"] == "node01"]
    cluster.delete("pods", objects.name_of(first))
    cluster.advance(5)
    (second,) = [p for p in pods_of(cluster) if p["spec"]["nodeName"] == "node01"]
    assert objects.uid_of(second) != objects.uid_of(first)
    cluster.api.update_status(
        "pods", {**second, "status": {**second["status"], "phase": "Failed"}}, actor="test"
    )
    cluster.advance(5)
    (third,) = [p for p in pods_of(cluster) if p["spec"]["nodeName"] == "node01"]
    assert objects.uid_of(third) not in (objects.uid_of(first), objects.uid_of(second))
    (warning,) = [e for e in cluster.api.list("events").items if e["reason"] == "FailedDaemonPod"]
    assert warning["type"] == "Warning"
    assert warning["message"] == (
        f"Found failed daemon pod default/{objects.name_of(second)} on node node01, will try to "
        "kill it"
    )


def test_rolling_update_keeps_at_most_max_unavailable_nodes_without_an_available_pod(
    cluster: Cluster,
) -> None:
    seen = statuses(cluster)
    cluster.apply(daemonset())
    cluster.advance(10)
    before = len(seen)
    change_command(cluster, "sleep 7200")
    cluster.advance(30)
    during = seen[before:]
    assert max(s.get("numberUnavailable", 0) for s in during) == 1
    assert {p["spec"]["containers"][0]["command"][-1] for p in pods_of(cluster)} == {"sleep 7200"}
    assert {objects.labels_of(p)["pod-template-generation"] for p in pods_of(cluster)} == {"2"}
    final = status(cluster)
    assert (final["updatedNumberScheduled"], final["numberAvailable"]) == (3, 3)
    assert final["observedGeneration"] == 2
    revisions = sorted(r["revision"] for r in cluster.api.list("controllerrevisions").items)
    assert revisions == [1, 2]


def test_max_surge_starts_the_new_pod_before_the_old_one_goes(cluster: Cluster) -> None:
    seen = statuses(cluster)
    surge = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    cluster.apply(daemonset(updateStrategy=surge))
    cluster.advance(10)
    before = len(seen)
    most = 0

    def count(event: Any) -> None:
        nonlocal most
        pods = [p for p in pods_of(cluster) if p["spec"].get("nodeName")]
        most = max(most, len(pods))

    cluster.api.watch("pods", count, resource_version="0")
    change_command(cluster, "sleep 7200")
    cluster.advance(30)
    assert all("numberUnavailable" not in s for s in seen[before:])
    assert most == 4  # one node at a time has its new pod beside the old one
    assert {p["spec"]["containers"][0]["command"][-1] for p in pods_of(cluster)} == {"sleep 7200"}
    assert len(pods_of(cluster)) == 3


def test_on_delete_replaces_only_the_pods_that_are_deleted(cluster: Cluster) -> None:
    cluster.apply(daemonset(updateStrategy={"type": "OnDelete"}))
    cluster.advance(5)
    change_command(cluster, "sleep 7200")
    cluster.advance(10)
    assert status(cluster)["observedGeneration"] == 2
    assert "updatedNumberScheduled" not in status(cluster)
    (old,) = [p for p in pods_of(cluster) if p["spec"]["nodeName"] == "node02"]
    cluster.delete("pods", objects.name_of(old))
    cluster.advance(5)
    assert status(cluster)["updatedNumberScheduled"] == 1
    (new,) = [p for p in pods_of(cluster) if p["spec"]["nodeName"] == "node02"]
    assert new["spec"]["containers"][0]["command"][-1] == "sleep 7200"


def test_unused_revisions_beyond_the_history_limit_are_deleted_oldest_first(
    cluster: Cluster,
) -> None:
    cluster.apply(daemonset(revisionHistoryLimit=1))
    cluster.advance(10)
    for command in ("sleep 7201", "sleep 7202", "sleep 7203"):
        change_command(cluster, command)
        cluster.advance(30)
    revisions = sorted(r["revision"] for r in cluster.api.list("controllerrevisions").items)
    assert revisions == [3, 4]


def test_going_back_to_an_earlier_template_renumbers_its_revision(cluster: Cluster) -> None:
    cluster.apply(daemonset())
    cluster.advance(10)
    change_command(cluster, "sleep 7200")
    cluster.advance(30)
    change_command(cluster, "sleep 3600")
    cluster.advance(30)
    by_hash = {
        objects.labels_of(r)[HASH]: r["revision"]
        for r in cluster.api.list("controllerrevisions").items
    }
    current = {objects.labels_of(p)[HASH] for p in pods_of(cluster)}
    assert len(by_hash) == 2 and len(current) == 1
    assert by_hash[current.pop()] == 3


def test_a_daemon_set_deleted_in_the_foreground_takes_its_pods_and_revisions(
    cluster: Cluster,
) -> None:
    cluster.apply(daemonset())
    cluster.advance(10)
    cluster.delete("daemonsets", "agent", propagation="Foreground")
    cluster.advance(30)
    assert cluster.api.list("daemonsets").items == []
    assert pods_of(cluster) == []
    assert cluster.api.list("controllerrevisions").items == []


def test_a_refusal_for_a_namespace_being_terminated_is_told_by_its_cause() -> None:
    refused = namespaces.terminating("pods", "", "team")
    assert daemonset_controller._namespace_terminating(refused)
    assert not daemonset_controller._namespace_terminating(errors.Forbidden("pods is forbidden"))
