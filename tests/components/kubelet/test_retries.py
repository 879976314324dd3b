"""Restarts and pull retries keep the last failure: only a pod's first start shows
ContainerCreating, as `kubectl get pods -w` prints a v1.32 cluster's pods; and an image reference
that does not parse is InvalidImageName at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from listwatch import printers
from listwatch.cluster import Cluster
from tests.builders import events_of, pod


def watched_rows(cluster: Cluster, name: str) -> list[tuple[str, str, str]]:
    """(READY, STATUS, RESTARTS without the age) of each watch event of pod `name`, as
    `kubectl get pods -w` prints them; filled as the cluster runs."""
    rows: list[tuple[str, str, str]] = []

    def seen(event: Any) -> None:
        if event.object["metadata"]["name"] == name:
            cells = printers.pod_row(event.object, datetime.now(UTC))
            rows.append((cells[1], cells[2], cells[3].split(" ")[0]))

    cluster.api.watch("pods", seen)
    return rows


def statuses(rows: list[tuple[str, str, str]]) -> list[str]:
    """The STATUS column with repeats of the same row dropped."""
    kept: list[str] = []
    for _, status, _ in rows:
        if not kept or kept[-1] != status:
            kept.append(status)
    return kept


def crashing(name: str, script: str, policy: str | None = None) -> dict[str, Any]:
    return pod(
        name,
        image="busybox:1.36",
        command=["sh", "-c", script],
        restart_policy=policy,
        node_name="node01",
    )


def test_a_crash_loop_never_shows_container_creating_after_the_first_start(
    make_cluster: Callable[..., Cluster],
) -> None:
    for script, policy, ended in (
        ("exit 1", None, "Error"),
        ("exit 0", None, "Completed"),
        ("exit 1", "OnFailure", "Error"),
    ):
        cluster = make_cluster()
        rows = watched_rows(cluster, "crash")
        cluster.apply(crashing("crash", script, policy))
        cluster.advance(40)
        shown = statuses(rows)
        assert shown[:3] == ["Pending", "ContainerCreating", "Running"], (script, policy, rows)
        assert "ContainerCreating" not in shown[3:], (script, policy, rows)
        # Each restart runs the new instance straight from the last failure's row.
        loop = ["Running", ended, "CrashLoopBackOff"]
        assert shown[3:] == [ended, "Running", ended, "CrashLoopBackOff", *loop, *loop], rows
        assert [r for _, r, _ in rows[-3:]] == loop and rows[-1][2] == "3"


def test_a_restarted_container_reports_its_last_state_until_the_new_one_runs(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(crashing("crash", "sleep 2; exit 1"))
    cluster.settle(until=lambda: "lastState" in _state(cluster) and bool(_state(cluster)))
    cluster.advance(14)  # into the 10s back-off, then its end
    while "running" not in _state(cluster)["state"]:
        status = _state(cluster)
        assert status["state"].get("waiting", {}).get("reason") != "ContainerCreating", status
        cluster.advance(0.05)
    assert _state(cluster)["restartCount"] == 2


def _state(cluster: Cluster) -> dict[str, Any]:
    found = cluster.pod("crash")["status"].get("containerStatuses") or [{}]
    return dict(found[0])


def test_an_image_pull_retry_keeps_the_last_pull_failure(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    rows = watched_rows(cluster, "bad")
    cluster.apply(pod("bad", image="nginx:1.13-invalid", node_name="node01"))
    cluster.advance(40)
    shown = statuses(rows)
    assert shown == [
        "Pending",
        "ContainerCreating",
        "ErrImagePull",
        "ImagePullBackOff",
        "ErrImagePull",
        "ImagePullBackOff",
        "ErrImagePull",
        "ImagePullBackOff",
    ]
    pulls = [e for e in cluster.events_for(cluster.pod("bad")) if e["reason"] == "Pulling"]
    assert sum(e.get("count") or 1 for e in pulls) == 3  # one Event, its count the pulls


def test_a_terminal_pod_being_deleted_shows_its_last_status_not_terminating(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    rows = watched_rows(cluster, "web")
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle()
    cluster.delete("pods", "web")
    cluster.settle()
    # kubectl since v1.31: Terminating while the phase is not terminal, then the pod's status.
    assert rows[-4:] == [
        ("1/1", "Terminating", "0"),
        ("0/1", "Completed", "0"),
        ("0/1", "Completed", "0"),  # the kubelet's final delete: deletionGracePeriodSeconds 0
        ("0/1", "Completed", "0"),  # the DELETED event
    ]


def test_an_unparsable_image_is_invalid_image_name_with_no_pull_and_no_back_off(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    rows = watched_rows(cluster, "bad")
    cluster.apply(pod("bad", image="Nginx:::bad", node_name="node01"))
    cluster.advance(60)
    status = cluster.pod("bad")["status"]
    waiting = status["containerStatuses"][0]["state"]["waiting"]
    error = "invalid reference format: repository name (library/Nginx) must be lowercase"
    message = (
        'Failed to apply default image tag "Nginx:::bad": couldn\'t parse image name '
        f'"Nginx:::bad": {error}'
    )
    assert waiting == {"reason": "InvalidImageName", "message": message}
    assert status["phase"] == "Pending"
    assert statuses(rows) == ["Pending", "ContainerCreating", "InvalidImageName"]
    assert events_of(cluster, "bad") == [
        ("Warning", "InspectFailed", message),
        ("Warning", "Failed", "Error: InvalidImageName"),
    ]


def test_an_image_name_in_capitals_is_invalid_as_the_reference_package_says(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("shouty", image="busyBOX", node_name="node01"))
    cluster.settle()
    waiting = cluster.pod("shouty")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["message"] == (
        'Failed to apply default image tag "busyBOX": couldn\'t parse image name "busyBOX": '
        "invalid reference format: repository name (library/busyBOX) must be lowercase"
    )


def test_fixing_the_image_of_an_invalid_image_name_starts_the_container(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("bad", image="Nginx:::bad", node_name="node01"))
    cluster.settle()
    cluster.set_image("bad", "nginx", "nginx:1.15")
    cluster.settle()
    assert cluster.pod("bad")["status"]["phase"] == "Running"
