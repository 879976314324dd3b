"""The simulated cluster as a user reads it: `kubectl logs`, with the API server's and the kubelet's
checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch import errors
from listwatch.cluster import Cluster, log_container_id
from listwatch.engine import Engine
from tests.builders import pod


def status(
    state: dict[str, Any], last: dict[str, Any] | None = None, container_id: str = ""
) -> dict[str, Any]:
    return {
        "name": "main",
        "state": state,
        "lastState": {"terminated": last} if last else {},
        "containerID": container_id,
    }


@pytest.mark.parametrize(
    ("entry", "previous", "expected"),
    [
        (status({"running": {}}, container_id="docker://now"), False, "now"),
        (
            status({"running": {}}, {"containerID": "docker://before"}, "docker://now"),
            True,
            "before",
        ),
        (status({"terminated": {"containerID": "docker://ended"}}), False, "ended"),
        (status({"terminated": {}}, {"containerID": "docker://before"}), False, "before"),
        # CrashLoopBackOff: waiting to restart, the instance that ended last is read, with or
        # without --previous
        (
            status(
                {"waiting": {"reason": "CrashLoopBackOff"}}, {"containerID": "docker://crashed"}
            ),
            False,
            "crashed",
        ),
        (
            status(
                {"waiting": {"reason": "CrashLoopBackOff"}}, {"containerID": "docker://crashed"}
            ),
            True,
            "crashed",
        ),
    ],
)
def test_the_kubelet_reads_the_log_of_the_instance_kubectl_means(
    entry: dict[str, Any], previous: bool, expected: str, engine: Engine
) -> None:
    assert (
        log_container_id(entry, "web", previous=previous, wording=engine.spec.logs_wording())
        == expected
    )


@pytest.mark.parametrize(
    ("entry", "previous", "message"),
    [
        (
            status({"running": {}}, container_id="docker://now"),
            True,
            'previous terminated container "main" in pod "web" not found',
        ),
        (status({"terminated": {}}), False, 'container "main" in pod "web" is terminated'),
        (
            status({"waiting": {"reason": "ErrImagePull"}}),
            False,
            'container "main" in pod "web" is waiting to start: image can\'t be pulled',
        ),
        (
            status({"waiting": {"reason": "ImagePullBackOff"}}),
            False,
            'container "main" in pod "web" is waiting to start: trying and failing to pull image',
        ),
        (
            status({"waiting": {"reason": "ContainerCreating"}}),
            False,
            'container "main" in pod "web" is waiting to start: ContainerCreating',
        ),
        (status({}), False, 'container "main" in pod "web" is waiting to start - no logs yet'),
    ],
)
def test_a_container_with_no_such_instance_is_a_bad_request_in_the_kubelets_words(
    entry: dict[str, Any], previous: bool, message: str, engine: Engine
) -> None:
    with pytest.raises(errors.BadRequest) as raised:
        log_container_id(entry, "web", previous=previous, wording=engine.spec.logs_wording())
    assert str(raised.value) == message


def test_previous_reads_the_instance_before_the_restart(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(
        pod(
            "crash",
            image="busybox:1.36",
            command=["sh", "-c", "echo run; sleep 5; exit 1"],
            node_name="node01",
        )
    )

    def container(key: str) -> Any:
        return cluster.pod("crash")["status"]["containerStatuses"][0][key]

    assert cluster.settle(until=lambda: "running" in container("state"))
    assert cluster.logs("crash") == "run\n"
    with pytest.raises(
        errors.BadRequest, match='previous terminated container "main" in pod "crash" not found'
    ):
        cluster.logs("crash", previous=True)
    assert cluster.settle(
        until=lambda: container("restartCount") == 1 and "running" in container("state")
    )
    assert cluster.logs("crash", previous=True) == "run\n"
    assert log_container_id(
        cluster.pod("crash")["status"]["containerStatuses"][0],
        "crash",
        previous=True,
        wording=cluster.spec.logs_wording(),
    ) != container("containerID")


def test_a_pod_not_yet_bound_has_an_empty_log_and_a_wrong_container_is_refused(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("unplaced", node_selector={"cz": "carol"}))
    assert cluster.settle(until=lambda: bool(cluster.pod("unplaced")["status"].get("conditions")))
    assert cluster.logs("unplaced") == ""
    with pytest.raises(errors.BadRequest, match="container sidecar is not valid for pod unplaced"):
        cluster.logs("unplaced", container="sidecar")
