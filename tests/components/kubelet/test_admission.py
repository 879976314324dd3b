"""The kubelet's admission: what does not fit its node is rejected (phase Failed) with v1.32's
reason, message, status and Event; the node keeps reporting its own capacity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from listwatch import engine as engine_module
from listwatch.cluster import Cluster
from listwatch.components.kubelet import admission
from tests.builders import events_of, pod
from tests.spec_copies import changed_spec


def requesting(name: str, node: str = "node01", **requests: str) -> dict[str, Any]:
    """A nodeName pod whose one container requests `requests` (cpu, memory ...)."""
    manifest = pod(name, node_name=node)
    manifest["spec"]["containers"][0]["resources"] = {"requests": dict(requests)}
    return manifest


def phase(cluster: Cluster, name: str) -> str:
    return str(cluster.pod(name)["status"]["phase"])


def test_a_node_name_pod_asking_for_more_cpu_than_the_node_has_is_rejected_out_of_cpu(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(requesting("big", cpu="100"))
    cluster.settle()
    message = "Node didn't have enough resource: cpu, requested: 100000, used: 0, capacity: 4000"
    # rejectPod: phase, reason, "Pod was rejected: " + message, qosClass kept; the status
    # manager's startTime; no conditions, no container statuses (e2e PodRejectionStatus).
    status = cluster.pod("big")["status"]
    assert set(status) == {"phase", "reason", "message", "startTime", "qosClass"}
    assert (status["phase"], status["reason"]) == ("Failed", "OutOfcpu")
    assert status["message"] == f"Pod was rejected: {message}"
    assert status["qosClass"] == "Burstable"
    assert events_of(cluster, "big") == [("Warning", "OutOfcpu", message)]


def test_admission_counts_the_pods_already_admitted_on_the_node(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(requesting("first", cpu="3"))
    cluster.settle()
    cluster.apply(requesting("second", cpu="1500m"))
    cluster.apply(requesting("elsewhere", node="node02", cpu="1500m"))
    cluster.settle()
    assert phase(cluster, "first") == "Running" and phase(cluster, "elsewhere") == "Running"
    assert cluster.pod("second")["status"]["message"].endswith(
        "cpu, requested: 1500, used: 3000, capacity: 4000"
    )


def test_init_containers_and_overhead_count_as_the_scheduler_counts_them(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    manifest = requesting("init", memory="1Gi")
    manifest["spec"]["initContainers"] = [
        {"name": "warm", "image": "busybox:1.36", "resources": {"requests": {"memory": "20Gi"}}}
    ]
    manifest["spec"]["overhead"] = {"memory": "1Mi"}
    cluster.apply(manifest)
    cluster.settle()
    status = cluster.pod("init")["status"]
    assert status["reason"] == "OutOfmemory"
    assert status["message"].endswith(
        f"memory, requested: {20 * 2**30 + 2**20}, used: 0, capacity: {16261904 * 1024}"
    )


def test_the_node_s_pods_capacity_is_enforced_and_finished_pods_do_not_count(
    tmp_path: Path, make_cluster: Callable[..., Cluster]
) -> None:
    def two_pods(kubelet: dict[str, Any]) -> None:
        kubelet["settings"]["node"]["allocatable"]["pods"] = "2"

    changed_spec(tmp_path, "components/kubelet.yaml", two_pods)
    cluster = make_cluster(eng=engine_module.load(tmp_path / "spec"))
    done = pod("done", image="busybox:1.36", command=["true"], node_name="node01")
    done["spec"]["restartPolicy"] = "Never"
    cluster.apply(done)
    cluster.apply(pod("a", node_name="node01"))
    cluster.settle()
    assert phase(cluster, "done") == "Succeeded"
    cluster.apply(pod("b", node_name="node01"))
    cluster.settle()
    cluster.apply(pod("c", node_name="node01"))
    cluster.settle()
    assert [phase(cluster, n) for n in ("a", "b", "c")] == ["Running", "Running", "Failed"]
    assert events_of(cluster, "c") == [
        (
            "Warning",
            "OutOfpods",
            "Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2",
        )
    ]


def test_a_no_execute_taint_rejects_but_a_no_schedule_taint_does_not(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.patch("nodes", "node01", {"spec": {"taints": [{"key": "k", "effect": "NoExecute"}]}})
    cluster.patch("nodes", "node02", {"spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}})
    cluster.settle()
    cluster.apply(pod("tainted", node_name="node01"))
    cluster.apply(pod("scheduled", node_name="node02"))
    cluster.settle()
    assert phase(cluster, "scheduled") == "Running"
    status = cluster.pod("tainted")["status"]
    assert (status["phase"], status["reason"], status["message"]) == (
        "Failed",
        "TaintToleration",
        "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod "
        "didn't tolerate",
    )


def test_resources_are_checked_before_node_affinity(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    manifest = requesting("both", cpu="100")
    manifest["spec"]["nodeSelector"] = {"cz": "nowhere"}
    cluster.apply(manifest)
    cluster.settle()
    assert cluster.pod("both")["status"]["reason"] == "OutOfcpu"


def test_a_client_s_patch_of_the_node_s_allocatable_lasts_until_the_kubelet_s_next_post(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.api.patch(
        "nodes",
        "node01",
        {"status": {"capacity": {"cpu": "64"}, "allocatable": {"cpu": "64"}}},
        subresource="status",
        actor="kubectl",
    )
    assert cluster.api.get("nodes", "node01")["status"]["allocatable"]["cpu"] == "64"
    cluster.advance(10)  # nodeStatusUpdateFrequency
    status = cluster.api.get("nodes", "node01")["status"]
    assert (status["capacity"]["cpu"], status["allocatable"]["cpu"]) == ("4", "4")


def test_an_extended_resource_the_node_does_not_list_is_not_counted() -> None:
    node = {"status": {"allocatable": {"cpu": "4", "pods": "110"}}}
    wants = requesting("gpu", **{"example.com/gpu": "1"})
    assert admission.node_resources_fit(wants, node, []) is None
    node["status"]["allocatable"]["example.com/gpu"] = "0"
    assert admission.node_resources_fit(wants, node, []) == {
        "resource": "example.com/gpu",
        "requested": 1,
        "used": 0,
        "capacity": 0,
    }


def test_without_the_resource_check_in_the_spec_a_pod_too_big_for_its_node_runs(
    tmp_path: Path, make_cluster: Callable[..., Cluster]
) -> None:
    def no_resource_check(kubelet: dict[str, Any]) -> None:
        checks = kubelet["settings"]["admission"]
        kubelet["settings"]["admission"] = [c for c in checks if c["check"] != "NodeResourcesFit"]

    changed_spec(tmp_path, "components/kubelet.yaml", no_resource_check)
    cluster = make_cluster(eng=engine_module.load(tmp_path / "spec"))
    cluster.apply(requesting("big", cpu="100"))
    cluster.settle()
    assert phase(cluster, "big") == "Running"
