"""The kubelet's admission, restarts, pull retries and image references as the real kubectl (v1.32)
shows them against `listwatch serve`: `kubectl get pods -w` rows, `kubectl describe`.

The served cluster runs on the system clock; its spec has the back-offs and the node status period
shortened to a second, so that a crash loop or a pull retry shows within seconds.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from listwatch import engine as engine_module
from listwatch.engine import Engine
from tests.served import serving
from tests.server.test_kubectl import KUBECTL, Kubectl, _events
from tests.spec_copies import changed_spec

pytestmark = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The spec with second-long back-offs and node status posts."""

    def shorten(kubelet: dict[str, Any]) -> None:
        settings = kubelet["settings"]
        settings["containerBackOffSeconds"] = settings["imageBackOffSeconds"] = 1
        settings["maxContainerBackOffSeconds"] = settings["maxImageBackOffSeconds"] = 2
        settings["nodeStatusUpdateFrequency"] = 1

    root = tmp_path_factory.mktemp("quick")
    changed_spec(root, "components/kubelet.yaml", shorten)
    return engine_module.load(root / "spec")


@pytest.fixture
def kubectl(quick: Engine, tmp_path: Path) -> Iterator[Kubectl]:
    with serving(quick) as server:
        yield Kubectl(server, tmp_path)


def manifest(directory: Path, name: str, *, image: str = "busybox:1.36", **container: Any) -> str:
    """Write a nodeName pod's manifest; its file name, for `kubectl create -f`."""
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "nodeName": "node01",
            "containers": [{"name": "app", "image": image, **container}],
        },
    }
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(body))
    return path.name


def watch_rows(
    kubectl: Kubectl, create: str, done: Callable[[list[str]], bool], *, timeout: float = 30
) -> list[str]:
    """The STATUS column of `kubectl get pods -w`, `create` run once it watches, until `done`
    holds for the statuses so far."""
    watcher = kubectl.popen("get pods -w")
    lines: list[str] = []
    statuses: list[str] = []
    finished = threading.Event()

    def read() -> None:
        assert watcher.stdout is not None
        for line in watcher.stdout:
            lines.append(line.rstrip("\n"))
            cells = re.split(r" {2,}", line.strip())
            if len(cells) > 2 and cells[0] != "NAME":
                statuses.append(cells[2])
                if done(statuses):
                    finished.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # kubectl prints nothing for an empty namespace: give it the time to list and watch.
        deadline = time.monotonic() + 2
        while not lines and time.monotonic() < deadline:
            time.sleep(0.05)
        kubectl(create)
        assert finished.wait(timeout), lines
    finally:
        watcher.kill()
        watcher.wait(10)
        reader.join(10)
        if watcher.stdout is not None:
            watcher.stdout.close()
    return list(statuses)


def ends_with(status: str) -> Callable[[list[str]], bool]:
    return lambda statuses: statuses[-1] == status


def after_first_start(statuses: list[str]) -> list[str]:
    """The rows after the pod's first start (Pending, then ContainerCreating)."""
    i = 0
    while i < len(statuses) and statuses[i] in ("Pending", "ContainerCreating"):
        i += 1
    return statuses[i:]


def test_kubectl_shows_a_pod_too_big_for_its_node_rejected_out_of_cpu(
    kubectl: Kubectl,
) -> None:
    name = manifest(
        kubectl.workdir, "big", command=["sleep", "3600"], resources={"requests": {"cpu": "100"}}
    )
    statuses = watch_rows(kubectl, f"create -f {name}", ends_with("OutOfcpu"))
    assert statuses[-1] == "OutOfcpu" and "Running" not in statuses
    row = re.split(r" {2,}", kubectl("get pod big").splitlines()[1].strip())
    assert row[1:4] == ["0/1", "OutOfcpu", "0"]
    described = kubectl("describe pod big")
    assert re.search(r"^Status:\s+Failed$", described, re.M)
    assert re.search(r"^Reason:\s+OutOfcpu$", described, re.M)
    message = "Node didn't have enough resource: cpu, requested: 100000, used: 0, capacity: 4000"
    assert re.search(rf"^Message:\s+Pod was rejected: {re.escape(message)}$", described, re.M)
    (event,) = _events(described)
    assert (event["Type"], event["Reason"], event["From"], event["Message"]) == (
        "Warning",
        "OutOfcpu",
        "kubelet",
        message,
    )


def test_kubectl_patching_a_node_s_allocatable_lasts_until_the_kubelet_reports_again(
    kubectl: Kubectl,
) -> None:
    kubectl(
        "patch node node01 --subresource=status --type=merge "
        '-p \'{"status":{"allocatable":{"cpu":"64"}}}\''
    )
    assert kubectl("get node node01 -o jsonpath={.status.allocatable.cpu}") in ("64", "4")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if kubectl("get node node01 -o jsonpath={.status.allocatable.cpu}") == "4":
            break
        time.sleep(0.2)
    assert kubectl("get node node01 -o jsonpath={.status.allocatable.cpu}") == "4"


def test_kubectl_get_pods_w_shows_a_crash_loop_without_container_creating_between_restarts(
    kubectl: Kubectl,
) -> None:
    name = manifest(kubectl.workdir, "crash", command=["sh", "-c", "sleep 0.3; exit 1"])
    # Until a restart from the back-off has run and failed again.
    statuses = watch_rows(
        kubectl, f"create -f {name}", lambda s: s.count("CrashLoopBackOff") >= 2, timeout=30
    )
    shown = after_first_start(statuses)
    assert "ContainerCreating" not in shown, statuses
    assert {"Running", "Error", "CrashLoopBackOff"} <= set(shown), shown


def test_kubectl_get_pods_w_shows_pull_retries_without_container_creating(
    kubectl: Kubectl,
) -> None:
    name = manifest(kubectl.workdir, "bad", image="nginx:1.13-invalid")
    statuses = watch_rows(
        kubectl, f"create -f {name}", lambda s: s.count("ErrImagePull") >= 2, timeout=30
    )
    shown = after_first_start(statuses)
    assert "ContainerCreating" not in shown, statuses
    assert set(shown) == {"ErrImagePull", "ImagePullBackOff"}, shown
    assert shown.count("ErrImagePull") >= 2, shown


def test_kubectl_shows_an_unparsable_image_as_invalid_image_name(kubectl: Kubectl) -> None:
    name = manifest(kubectl.workdir, "shouty", image="busyBOX")
    statuses = watch_rows(kubectl, f"create -f {name}", ends_with("InvalidImageName"))
    assert after_first_start(statuses) == ["InvalidImageName"], statuses
    described = kubectl("describe pod shouty")
    assert re.search(r"^\s+State:\s+Waiting$", described, re.M)
    assert re.search(r"^\s+Reason:\s+InvalidImageName$", described, re.M)
    events = [(e["Type"], e["Reason"], e["Message"]) for e in _events(described)]
    assert events == [
        (
            "Warning",
            "InspectFailed",
            'Failed to apply default image tag "busyBOX": couldn\'t parse image name "busyBOX": '
            "invalid reference format: repository name (library/busyBOX) must be lowercase",
        ),
        ("Warning", "Failed", "Error: InvalidImageName"),
    ]


def test_kubectl_get_pods_w_shows_a_deleted_pod_completed_once_its_phase_is_terminal(
    kubectl: Kubectl,
) -> None:
    name = manifest(kubectl.workdir, "web", image="nginx:1.15")
    watch_rows(kubectl, f"create -f {name}", ends_with("Running"))
    statuses = watch_rows(kubectl, "delete pod web --wait=false", ends_with("Completed"))
    # Terminating while the phase is Running, then the terminal pod's own status (v1.31+).
    assert "Terminating" in statuses, statuses
    assert statuses[statuses.index("Terminating") :][:2] == ["Terminating", "Completed"], statuses
