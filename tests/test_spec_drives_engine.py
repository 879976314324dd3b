"""The spec drives the engine: change the YAML, and the run changes with it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from listwatch import engine as engine_module
from listwatch.cluster import Cluster
from listwatch.errors import SpecError
from tests.builders import events_of, pod
from tests.conftest import SPEC


def modified(tmp_path: Path, name: str, old: str, new: str) -> engine_module.Engine:
    root = tmp_path / "spec"
    shutil.copytree(SPEC, root)
    path = root / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return engine_module.load(root)


def test_a_kubelet_that_no_longer_watches_pods_never_runs_them(
    tmp_path: Path, make_cluster: Callable[..., Cluster]
) -> None:
    eng = modified(
        tmp_path,
        "components/kubelet.yaml",
        "  - id: pods\n    resource: pods\n    fieldSelector: \"spec.nodeName={node}\"\n    doc: the pods bound to this kubelet's node ({node} is the node's name)\n    handlers: {ADDED: pod_added, MODIFIED: pod_updated, DELETED: pod_removed}\n",
        "",
    )
    cluster = make_cluster(eng=eng)
    cluster.apply(pod("web"))
    cluster.settle()
    web = cluster.pod("web")
    assert web["spec"]["nodeName"]  # the scheduler still binds it
    assert web["status"]["phase"] == "Pending" and "containerStatuses" not in web["status"]
    assert [r for _, r, _ in events_of(cluster, "web")] == ["Scheduled"]


def test_without_the_requeue_on_node_change_a_labelled_node_waits_for_the_periodic_flush(
    tmp_path: Path, make_cluster: Callable[..., Cluster]
) -> None:
    eng = modified(
        tmp_path,
        "components/scheduler.yaml",
        "      - {trigger: node_changed, source: Unschedulable, dest: BackingOff, conditions: [change_may_help], after: [back_off]}\n",
        "",
    )
    cluster = make_cluster(eng=eng)
    cluster.apply(pod("web", node_selector={"cz": "bob"}))
    cluster.settle()
    cluster.label_node("node02", "cz", "bob")
    cluster.advance(60)
    assert (
        "nodeName" not in cluster.pod("web")["spec"]
    )  # the shipped spec schedules it within a second
    cluster.advance(300)
    assert cluster.pod("web")["spec"]["nodeName"] == "node02"  # podMaxInUnschedulablePodsDuration


def test_removing_the_bind_transition_leaves_bound_unreachable_and_the_spec_is_refused(
    tmp_path: Path,
) -> None:
    with pytest.raises(
        SpecError,
        match=r"scheduler.yaml:\d+: at machines\[0\].states\[3\]: a state reachable from Queued; no transition leads to Bound",
    ):
        modified(
            tmp_path,
            "components/scheduler.yaml",
            "      - {trigger: schedule, source: Queued, dest: Bound, conditions: [node_found], after: [bind_pod]}\n",
            "",
        )


def test_a_changed_event_message_in_the_spec_is_the_message_recorded(
    tmp_path: Path, make_cluster: Callable[..., Cluster]
) -> None:
    eng = modified(
        tmp_path,
        "components/kubelet.yaml",
        'message: "Started container {container}"',
        'message: "Container {container} is up"',
    )
    cluster = make_cluster(eng=eng)
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle()
    assert ("Normal", "Started", "Container nginx is up") in events_of(cluster, "web")


def test_a_longer_crash_back_off_in_the_spec_slows_the_restarts(
    tmp_path: Path, make_cluster: Callable[..., Cluster]
) -> None:
    eng = modified(
        tmp_path,
        "components/kubelet.yaml",
        "containerBackOffSeconds: 10",
        "containerBackOffSeconds: 100",
    )
    cluster = make_cluster(eng=eng)
    cluster.apply(
        pod("crash", image="busybox:1.36", command=["sh", "-c", "exit 1"], node_name="node01")
    )
    cluster.advance(90)
    assert cluster.pod("crash")["status"]["containerStatuses"][0]["restartCount"] == 1


def test_without_the_kubelet_admission_check_a_mismatched_pod_runs(
    tmp_path: Path, make_cluster: Callable[..., Cluster]
) -> None:
    eng = modified(
        tmp_path,
        "components/kubelet.yaml",
        "  admission:\n    - {check: NodeAffinity, reason: NodeAffinity, message: \"Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector\"}\n",
        "  admission: []\n",
    )
    cluster = make_cluster(eng=eng)
    cluster.apply(pod("web", node_name="node01", node_selector={"cz": "bob"}))
    cluster.settle()
    assert cluster.pod("web")["status"]["phase"] == "Running"
