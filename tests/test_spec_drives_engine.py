"""The spec drives the engine: change the YAML, and the run changes with it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from listwatch import engine as engine_module
from listwatch import errors
from listwatch.cluster import Cluster, log_container_id
from listwatch.errors import SpecError
from tests.builders import events_of, pod, priority_class, sized
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
        '  - id: pods\n    resource: pods\n    fieldSelector: "spec.nodeName={node}"\n    doc: '
        "the pods bound to this kubelet's node ({node} is the node's name)\n    handlers: {ADDED: "
        "pod_added, MODIFIED: pod_updated, DELETED: pod_removed}\n",
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
        "      - {trigger: node_changed, source: Unschedulable, dest: BackingOff, conditions: "
        "[change_may_help], after: [back_off]}\n",
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
        match=r"scheduler.yaml:\d+: at machines\[0\].states\[3\]: a state reachable from Queued; "
        r"no transition leads to Bound",
    ):
        modified(
            tmp_path,
            "components/scheduler.yaml",
            "      - {trigger: schedule, source: Queued, dest: Bound, conditions: [node_found], "
            "after: [bind_pod]}\n",
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


def test_the_events_api_a_component_writes_through_is_the_specs(
    tmp_path: Path, make_cluster: Callable[..., Cluster], engine: engine_module.Engine
) -> None:
    def scheduled(eng: engine_module.Engine) -> dict[str, object]:
        cluster = make_cluster(eng=eng)
        cluster.apply(pod("web"))
        cluster.settle()
        (event,) = [e for e in cluster.events_for(cluster.pod("web")) if e["reason"] == "Scheduled"]
        return dict(event)

    shipped = scheduled(engine)  # events.k8s.io/v1, as kube-scheduler writes them
    assert shipped["source"] == {} and "count" not in shipped and shipped["action"] == "Binding"
    legacy = scheduled(
        modified(
            tmp_path,
            "components/scheduler.yaml",
            "eventsApi: events.k8s.io/v1",
            "eventsApi: v1",
        )
    )
    assert legacy["source"] == {"component": "default-scheduler", "host": "control-plane"}
    assert legacy["count"] == 1
    assert legacy["eventTime"] is None and "action" not in legacy


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
        '    - {check: NodeAffinity, reason: NodeAffinity, message: "Predicate '
        "NodeAffinity failed: node(s) didn't match Pod's node affinity/selector\"}\n",
        "",
    )
    cluster = make_cluster(eng=eng)
    cluster.apply(pod("web", node_name="node01", node_selector={"cz": "bob"}))
    cluster.settle()
    assert cluster.pod("web")["status"]["phase"] == "Running"


def _line_of(tmp_path: Path, name: str, needle: str) -> int:
    text = (tmp_path / "spec" / name).read_text().splitlines()
    return next(n for n, line in enumerate(text, start=1) if needle in line)


def test_a_misspelt_match_key_is_a_load_error_naming_the_file_line_and_path(
    tmp_path: Path,
) -> None:
    with pytest.raises(SpecError) as caught:
        modified(
            tmp_path, "flow.yaml", "verb: status, started: true}", "verb: status, strted: true}"
        )
    error = caught.value
    assert error.file == "spec/flow.yaml"
    assert error.path == "steps[11].match.strted"
    assert error.line == _line_of(tmp_path, "flow.yaml", "strted: true")
    assert "'strted'" in error.problem and "started" in error.problem


def test_a_match_on_an_attribute_its_kind_of_act_does_not_carry_is_a_load_error(
    tmp_path: Path,
) -> None:
    # The kubelet's admission decision carries a result; only requests and writes carry
    # image_changed.
    with pytest.raises(SpecError) as caught:
        modified(
            tmp_path,
            "flow.yaml",
            "match: {action: admit, actor: kubelet, result: admitted}",
            "match: {action: admit, actor: kubelet, image_changed: true}",
        )
    error = caught.value
    assert (error.file, error.path) == ("spec/flow.yaml", "steps[14].match.image_changed")
    assert error.line == _line_of(tmp_path, "flow.yaml", "action: admit, actor: kubelet, image")
    assert "acts of kind 'admit'" in error.problem


def test_an_unknown_kind_of_act_is_a_load_error_listing_the_kinds(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        modified(
            tmp_path,
            "flow.yaml",
            "match: {action: restart, actor: kubelet}",
            "match: {action: restrat}",
        )
    error = caught.value
    assert (error.file, error.path) == ("spec/flow.yaml", "steps[21].match.action")
    assert error.line == _line_of(tmp_path, "flow.yaml", "action: restrat")
    assert "'restrat'" in error.problem and "requeue, restart, schedule" in error.problem


def test_a_new_waiting_reason_is_a_yaml_change(tmp_path: Path) -> None:
    engine = modified(
        tmp_path,
        "objects/container.yaml",
        "waitingReasons:\n",
        "waitingReasons:\n"
        '  - {reason: SignatureRejected, stuck: true, pullFailure: true, logs: "image signature'
        ' rejected", doc: "a policy refused the image"}\n',
    )
    spec = engine.spec
    assert "SignatureRejected" in spec.stuck_reasons()
    assert spec.troubleshooting is not None
    assert "SignatureRejected" in spec.troubleshooting.pull_failures
    status = {"name": "web", "state": {"waiting": {"reason": "SignatureRejected"}}}
    with pytest.raises(errors.BadRequest, match="waiting to start: image signature rejected"):
        log_container_id(status, "pod", wording=spec.logs_wording())


def test_the_shipped_reasons_are_those_kubernetes_waits_in(engine: engine_module.Engine) -> None:
    spec = engine.spec
    assert spec.pull_failures() == {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
    }
    assert spec.stuck_reasons() == spec.pull_failures() | {
        "CrashLoopBackOff",
        "CreateContainerError",
        "CreateContainerConfigError",
    }
    # Every waiting state of the container machine shows a declared reason.
    shown = {s.status.get("reason") for s in spec.machine("container").states}
    waiting = {
        s.status["reason"]
        for s in spec.machine("container").states
        if s.status.get("state") == "waiting"
    }
    assert waiting <= set(spec.waiting_reasons) and waiting <= shown


def test_the_condition_a_preempted_pod_gets_is_the_spec_s(
    tmp_path: Path, make_cluster: Callable[..., Cluster]
) -> None:
    eng = modified(
        tmp_path,
        "components/scheduler.yaml",
        'message: "{scheduler}: preempting to accommodate a higher priority pod"',
        'message: "{scheduler}: making room"',
    )
    cluster = make_cluster(eng=eng)
    cluster.apply(priority_class("high", 1000))
    for name, node, klass in (
        ("low-1", "node01", ""),
        ("low-2", "node02", ""),
        ("vip", "", "high"),
    ):
        if klass:
            cluster.settle()  # the low pods are running (and counted) first
        cluster.apply(sized(name, "3", node=node, priority_class=klass))

    def marked() -> list[str]:
        return [
            c["message"]
            for p in cluster.pods()
            for c in p["status"].get("conditions") or ()
            if c["type"] == "DisruptionTarget"
        ]

    assert cluster.settle(until=lambda: bool(marked()))
    assert marked() == ["default-scheduler: making room"]
