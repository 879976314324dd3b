"""The kubelet: admission, image pulls, container states, restart back-off, phases, deletion."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from listwatch import engine as engine_module
from listwatch.cluster import Cluster
from listwatch.components.kubelet import go_duration
from tests.builders import condition, events_of, pod
from tests.spec_copies import changed_spec


def container_status(cluster: Cluster, name: str) -> dict:
    return dict(cluster.pod(name)["status"]["containerStatuses"][0])


def test_a_running_pod_has_the_kubelet_conditions_in_order(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle()
    web = cluster.pod("web")
    assert web["status"]["phase"] == "Running"
    assert [(c["type"], c["status"]) for c in web["status"]["conditions"]] == [
        ("PodReadyToStartContainers", "True"),
        ("Initialized", "True"),
        ("Ready", "True"),
        ("ContainersReady", "True"),
        ("PodScheduled", "True"),
    ]
    status = container_status(cluster, "web")
    assert status["ready"] and status["started"] and "running" in status["state"]
    assert (
        status["containerID"].startswith("containerd://")
        and status["image"] == "docker.io/library/nginx:1.15"
    )
    assert (
        web["status"]["podIP"].startswith("10.244.0.") and web["status"]["hostIP"] == "192.168.10.2"
    )
    reasons = [r for _, r, _ in events_of(cluster, "web")]
    assert reasons == ["Pulling", "Pulled", "Created", "Started"]


def test_a_second_pod_with_the_same_image_finds_it_present(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("a", node_name="node01"))
    cluster.settle()
    cluster.apply(pod("b", node_name="node01"))
    cluster.settle()
    assert events_of(cluster, "b")[0] == (
        "Normal",
        "Pulled",
        'Container image "nginx:1.15" already present on machine',
    )


def test_the_first_status_shows_container_creating(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle(until=lambda: bool(cluster.pod("web")["status"].get("containerStatuses")))
    web = cluster.pod("web")
    assert web["status"]["phase"] == "Pending"
    assert container_status(cluster, "web")["state"] == {"waiting": {"reason": "ContainerCreating"}}
    ready = condition(web, "Ready")
    assert ready is not None and (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "ContainersNotReady",
        "containers with unready status: [nginx]",
    )


def test_a_node_name_pod_that_fails_its_node_selector_is_rejected(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster(node_labels={"node01": {"cz": "alice"}})
    cluster.apply(pod("web", node_name="node01", node_selector={"cz": "bob"}))
    cluster.settle()
    status = cluster.pod("web")["status"]
    assert status["phase"] == "Failed"
    assert status["reason"] == "NodeAffinity"
    assert (
        status["message"]
        == "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node "
        "affinity/selector"
    )
    assert "containerStatuses" not in status and "conditions" not in status
    assert events_of(cluster, "web") == [
        (
            "Warning",
            "NodeAffinity",
            "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector",
        )
    ]


def test_an_unknown_image_goes_err_image_pull_then_image_pull_back_off(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", image="nginx:1.13-invalid", node_name="node01"))
    cluster.advance(0.9)
    assert container_status(cluster, "web")["state"]["waiting"]["reason"] == "ErrImagePull"
    cluster.advance(1.0)
    status = container_status(cluster, "web")
    assert status["state"]["waiting"]["reason"] == "ImagePullBackOff"
    assert status["state"]["waiting"]["message"].startswith(
        'Back-off pulling image "nginx:1.13-invalid": ErrImagePull: rpc error: code = NotFound'
    )
    cluster.advance(120)
    web = cluster.pod("web")
    assert web["status"]["phase"] == "Pending"
    assert container_status(cluster, "web")["restartCount"] == 0
    reasons = [r for _, r, _ in events_of(cluster, "web")]
    assert reasons[:3] == ["Pulling", "Failed", "Failed"] and "BackOff" in reasons
    messages = [m for _, _, m in events_of(cluster, "web")]
    assert "Error: ErrImagePull" in messages and "Error: ImagePullBackOff" in messages


def test_exit_zero_under_restart_never_succeeds(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(
        pod(
            "job",
            image="busybox:1.36",
            command=["sh", "-c", "echo hello; exit 0"],
            restart_policy="Never",
            node_name="node01",
        )
    )
    cluster.settle()
    job = cluster.pod("job")
    assert job["status"]["phase"] == "Succeeded"
    terminated = container_status(cluster, "job")["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
    assert [(c["type"], c["status"], c.get("reason")) for c in job["status"]["conditions"]][:4] == [
        ("PodReadyToStartContainers", "False", None),
        ("Initialized", "True", "PodCompleted"),
        ("Ready", "False", "PodCompleted"),
        ("ContainersReady", "False", "PodCompleted"),
    ]
    assert cluster.logs("job") == "hello\n"


def test_a_failing_container_under_never_fails_the_pod_with_its_logs(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(
        pod(
            "job",
            image="busybox:1.36",
            command=["sh", "-c", "echo started; exit 3"],
            restart_policy="Never",
            node_name="node01",
        )
    )
    cluster.settle()
    assert cluster.pod("job")["status"]["phase"] == "Failed"
    terminated = container_status(cluster, "job")["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (3, "Error")
    assert cluster.logs("job") == "started\n"


def test_a_crashing_container_under_always_backs_off_10_20_40(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(
        pod("crash", image="busybox:1.36", command=["sh", "-c", "exit 1"], node_name="node01")
    )
    restarts: list[tuple[float, int]] = []
    last = -1
    while cluster.clock.now() < 120:
        cluster.advance(0.5)
        count = container_status(cluster, "crash")["restartCount"]
        if count != last:
            restarts.append((cluster.clock.now(), count))
            last = count
    times = {count: t for t, count in restarts}
    assert times[2] - times[1] >= 10 and times[3] - times[2] >= 20 and times[4] - times[3] >= 40
    status = container_status(cluster, "crash")
    crash = cluster.pod("crash")
    assert crash["status"]["phase"] == "Running"
    assert status["lastState"]["terminated"]["exitCode"] == 1
    assert any(
        r == "BackOff"
        and m.startswith("Back-off restarting failed container main in pod crash_default(")
        for _, r, m in events_of(cluster, "crash")
    )


def test_crash_loop_back_off_shows_in_the_waiting_state(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(
        pod("crash", image="busybox:1.36", command=["sh", "-c", "exit 1"], node_name="node01")
    )
    seen = set()
    for _ in range(60):
        cluster.advance(0.5)
        waiting = container_status(cluster, "crash")["state"].get("waiting") or {}
        if waiting.get("reason") == "CrashLoopBackOff":
            seen.add(waiting["message"].split(" restarting")[0])
    assert "back-off 10s" in seen and "back-off 20s" in seen


def test_on_failure_restarts_a_failure_but_not_a_success(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(
        pod(
            "ok",
            image="busybox:1.36",
            command=["sh", "-c", "exit 0"],
            restart_policy="OnFailure",
            node_name="node01",
        )
    )
    cluster.apply(
        pod(
            "bad",
            image="busybox:1.36",
            command=["sh", "-c", "exit 2"],
            restart_policy="OnFailure",
            node_name="node02",
        )
    )
    cluster.advance(30)
    assert cluster.pod("ok")["status"]["phase"] == "Succeeded"
    assert container_status(cluster, "ok")["restartCount"] == 0
    assert cluster.pod("bad")["status"]["phase"] == "Running"
    assert container_status(cluster, "bad")["restartCount"] >= 2


def test_changing_the_image_restarts_the_container_with_it(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle()
    cluster.set_image("web", "nginx", "nginx:1.16")
    cluster.settle()
    status = container_status(cluster, "web")
    assert status["image"] == "docker.io/library/nginx:1.16"
    assert status["restartCount"] == 1 and "running" in status["state"]
    messages = [m for _, _, m in events_of(cluster, "web")]
    assert "Container nginx definition changed, will be restarted" in messages
    assert 'Pulling image "nginx:1.16"' in messages


def test_deleting_a_running_pod_stops_it_and_removes_it(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle()
    cluster.delete("pods", "web")
    cluster.settle()
    assert cluster.pods() == []
    assert "Stopping container nginx" in [e["message"] for e in cluster.api.list("events").items]


def test_go_durations_print_as_go_prints_them() -> None:
    assert [go_duration(s) for s in (0.812, 2.182, 10, 62.5, 300)] == [
        "812ms",
        "2.182s",
        "10s",
        "1m2.5s",
        "5m0s",
    ]


# -- the node's images ---------------------------------------------------------------------------

PAUSE = ["registry.k8s.io/pause@sha256:", "registry.k8s.io/pause:3.10"]


def image_names(cluster: Cluster, node: str) -> list[list[str]]:
    """The node's status.images, each image's names with the digests cut short to `...@sha256:`."""
    images = cluster.api.get("nodes", node)["status"]["images"]
    return [
        [n.partition("@sha256:")[0] + "@sha256:" if "@" in n else n for n in i["names"]]
        for i in images
    ]


def test_a_node_registers_with_the_images_it_starts_with_largest_first(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    images = cluster.api.get("nodes", "node01")["status"]["images"]
    assert [i["sizeBytes"] for i in images] == [4_270_000, 320_368]
    assert image_names(cluster, "node01") == [
        ["docker.io/library/busybox@sha256:", "docker.io/library/busybox:1.35"],
        PAUSE,
    ]


def test_an_image_pulled_shows_in_its_node_s_status_at_the_next_post(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle()
    cluster.advance(10)  # nodeStatusUpdateFrequency
    nginx = cluster.api.get("nodes", "node01")["status"]["images"][0]
    assert nginx["names"][1] == "docker.io/library/nginx:1.15" and nginx["sizeBytes"] == 44_712_000
    assert nginx["names"][0] == cluster.pod("web")["status"]["containerStatuses"][0]["imageID"]
    assert len(image_names(cluster, "node02")) == 2  # pulled on node01 only


def test_the_spec_caps_the_images_and_the_names_a_node_reports(
    tmp_path: Path, make_cluster: Callable[..., Cluster]
) -> None:
    def cap(kubelet: dict[str, Any]) -> None:
        kubelet["settings"]["nodeStatusMaxImages"] = 1
        kubelet["settings"]["maxNamesPerImageInNodeStatus"] = 1

    changed_spec(tmp_path, "components/kubelet.yaml", cap)
    cluster = make_cluster(eng=engine_module.load(tmp_path / "spec"))
    assert image_names(cluster, "node01") == [["docker.io/library/busybox@sha256:"]]


# -- a deleted pod's last phase -----------------------------------------------------------------


def phases_until_deleted(cluster: Cluster, name: str, *, image: str = "nginx:1.15") -> list[str]:
    """The phases a watch shows for pod `name`, from its creation on node01 to its deletion."""
    phases: list[str] = []

    def seen(event: Any) -> None:
        if event.object["metadata"]["name"] == name and event.type != "DELETED":
            phase = (event.object.get("status") or {}).get("phase", "")
            if not phases or phases[-1] != phase:
                phases.append(phase)

    cluster.api.watch("pods", seen)
    command = ["sleep", "3600"] if image.startswith("busybox") else None
    cluster.apply(pod(name, image=image, node_name="node01", command=command))
    cluster.settle()
    cluster.delete("pods", name)
    cluster.settle()
    assert cluster.pods() == []
    return phases


def test_a_deleted_pod_whose_containers_stop_cleanly_ends_succeeded(
    make_cluster: Callable[..., Cluster],
) -> None:
    assert phases_until_deleted(make_cluster(), "web")[-2:] == ["Running", "Succeeded"]


def test_a_deleted_pod_whose_container_is_killed_ends_failed(
    make_cluster: Callable[..., Cluster],
) -> None:
    # busybox's sleep ignores SIGTERM: it is killed at the end of the grace period (exit 137).
    phases = phases_until_deleted(make_cluster(), "sleeper", image="busybox:1.36")
    assert phases[-2:] == ["Running", "Failed"]


def test_a_deleted_pod_s_last_phase_is_the_pod_phase_machine_s_stopped_transition(
    tmp_path: Path, make_cluster: Callable[..., Cluster]
) -> None:
    def without_stopped(document: dict[str, Any]) -> None:
        (phase,) = document["machines"]
        phase["transitions"] = [t for t in phase["transitions"] if t["trigger"] != "stopped"]

    changed_spec(tmp_path, "objects/pod.yaml", without_stopped)
    cluster = make_cluster(eng=engine_module.load(tmp_path / "spec"))
    assert phases_until_deleted(cluster, "web")[-1] == "Running"
