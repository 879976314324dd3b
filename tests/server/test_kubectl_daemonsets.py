"""DaemonSets with the real kubectl (v1.32) against `listwatch serve`: apply, `rollout status`,
get (v1.32's columns), a node labelled later, `set image` rolled out node by node, `rollout
history` and `rollout undo`, controllerrevisions, describe, a refused DaemonSet, delete.

The server runs its clock 10 times faster, so that pods start within a second. Each test works
on a DaemonSet of its own and a node label key of its own, so they may run in any order.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import serving

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
pytestmark = pytest.mark.skipif(not os.access(KUBECTL, os.X_OK), reason="kubectl is not installed")

DAEMONSET = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {labels}}}
    spec:
      nodeSelector: {{{key}: "yes"}}
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox:1.36
        command: ["sleep", "3600"]
"""


class Kubectl:
    def __init__(self, server: Server, workdir: Path) -> None:
        assert server.kubeconfig is not None
        self.workdir = workdir
        self.env = {**os.environ, "KUBECONFIG": str(server.kubeconfig), "HOME": str(workdir)}

    def run(self, command: str, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KUBECTL, *shlex.split(command)],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def __call__(self, command: str, *, timeout: float = 60) -> str:
        done = self.run(command, timeout=timeout)
        assert done.returncode == 0, f"kubectl {command}: exit {done.returncode}\n{done.stderr}"
        return done.stdout

    def write(self, name: str, *, key: str, labels: str = "") -> Path:
        path = self.workdir / f"{name}.yaml"
        path.write_text(DAEMONSET.format(name=name, key=key, labels=labels or name))
        return path

    def apply(self, name: str, *, key: str) -> None:
        out = self(f"apply -f {self.write(name, key=key)}")
        assert out.strip() == f"daemonset.apps/{name} created"

    def until(self, check: Callable[[], bool], *, seconds: float = 30) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(0.2)
        return check()

    def pods(self, name: str) -> list[dict[str, object]]:
        items = json.loads(self(f"get pods -l app={name} -o json"))["items"]
        return [p for p in items if not p["metadata"].get("deletionTimestamp")]


@pytest.fixture(scope="module")
def kubectl(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    with serving(engine, speed=10) as server:
        yield Kubectl(server, tmp_path_factory.mktemp("daemonsets"))


def test_apply_rolls_out_to_the_selected_node_and_get_prints_v1_32s_columns(
    kubectl: Kubectl,
) -> None:
    kubectl("label node node01 ds-columns=yes")
    try:
        kubectl.apply("columns", key="ds-columns")
        out = kubectl("rollout status ds/columns --timeout=30s")
        assert out.strip().splitlines()[-1] == 'daemon set "columns" successfully rolled out'
        lines = kubectl("get ds columns").splitlines()
        assert lines[0].split() == [
            "NAME",
            "DESIRED",
            "CURRENT",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "NODE",
            "SELECTOR",
            "AGE",
        ]
        assert lines[1].split()[:7] == ["columns", "1", "1", "1", "1", "1", "ds-columns=yes"]
        wide = kubectl("get ds columns -o wide").splitlines()
        assert wide[1].split()[8:] == ["main", "busybox:1.36", "app=columns"]
        (pod,) = kubectl.pods("columns")
        assert pod["spec"]["nodeName"] == "node01"  # type: ignore[index]
    finally:
        kubectl("label node node01 ds-columns-")


def test_a_node_labelled_later_gets_its_pod_and_an_unlabelled_one_loses_it(
    kubectl: Kubectl,
) -> None:
    kubectl("label node node01 ds-later=yes")
    try:
        kubectl.apply("later", key="ds-later")
        kubectl("rollout status ds/later --timeout=30s")
        kubectl("label node node02 ds-later=yes")

        def on_nodes() -> list[str]:
            return sorted(str(p["spec"]["nodeName"]) for p in kubectl.pods("later"))  # type: ignore[index]

        assert kubectl.until(lambda: on_nodes() == ["node01", "node02"]), on_nodes()
        kubectl("label node node01 ds-later-")
        assert kubectl.until(lambda: on_nodes() == ["node02"]), on_nodes()
        status = json.loads(kubectl("get ds later -o json"))["status"]
        assert kubectl.until(
            lambda: (
                json.loads(kubectl("get ds later -o json"))["status"]["desiredNumberScheduled"] == 1
            )
        ), status
    finally:
        kubectl("label node node01 ds-later- --overwrite")
        kubectl("label node node02 ds-later-")


def test_set_image_rolls_out_node_by_node_with_a_revision_each(kubectl: Kubectl) -> None:
    kubectl("label node node01 ds-roll=yes")
    kubectl("label node node02 ds-roll=yes")
    try:
        kubectl.apply("roll", key="ds-roll")
        kubectl("rollout status ds/roll --timeout=30s")
        kubectl("set image ds/roll main=busybox:1.37")
        out = kubectl("rollout status ds/roll --timeout=60s").strip().splitlines()
        assert out[-1] == 'daemon set "roll" successfully rolled out'
        waited = [line for line in out[:-1] if line.startswith('Waiting for daemon set "roll"')]
        assert waited, out
        images = {p["spec"]["containers"][0]["image"] for p in kubectl.pods("roll")}  # type: ignore[index]
        assert images == {"busybox:1.37"}
        generations = {
            p["metadata"]["labels"]["pod-template-generation"] for p in kubectl.pods("roll")
        }  # type: ignore[index]
        assert generations == {"2"}
        history = kubectl("rollout history ds/roll").splitlines()
        assert history[0].strip() == "daemonset.apps/roll"
        assert [line.split() for line in history[1:4]] == [
            ["REVISION", "CHANGE-CAUSE"],
            ["1", "<none>"],
            ["2", "<none>"],
        ]
        revisions = kubectl("get controllerrevisions -l app=roll").splitlines()
        assert revisions[0].split() == ["NAME", "CONTROLLER", "REVISION", "AGE"]
        assert sorted(r.split()[1:3] for r in revisions[1:]) == [
            ["daemonset.apps/roll", "1"],
            ["daemonset.apps/roll", "2"],
        ]
        assert kubectl("rollout undo ds/roll").strip() == "daemonset.apps/roll rolled back"
        kubectl("rollout status ds/roll --timeout=60s")
        image = kubectl("get ds roll -o jsonpath={.spec.template.spec.containers[0].image}")
        assert image == "busybox:1.36"
        history = kubectl("rollout history ds/roll").splitlines()
        assert [line.split()[0] for line in history[2:4]] == ["2", "3"]  # revision 1 became 3
    finally:
        kubectl("label node node01 ds-roll-")
        kubectl("label node node02 ds-roll-")


def test_describe_shows_the_counts_the_pods_and_the_controllers_events(kubectl: Kubectl) -> None:
    kubectl("label node node02 ds-describe=yes")
    try:
        kubectl.apply("described", key="ds-describe")
        kubectl("rollout status ds/described --timeout=30s")
        (pod,) = kubectl.pods("described")
        name = pod["metadata"]["name"]  # type: ignore[index]
        out = kubectl("describe ds described")
        for line in (
            "Name:           described",
            "Selector:       app=described",
            "Node-Selector:  ds-describe=yes",
            "Annotations:    deprecated.daemonset.template.generation: 1",
            "Desired Number of Nodes Scheduled: 1",
            "Current Number of Nodes Scheduled: 1",
            "Number of Nodes Scheduled with Up-to-date Pods: 1",
            "Number of Nodes Scheduled with Available Pods: 1",
            "Number of Nodes Misscheduled: 0",
            "Pods Status:  1 Running / 0 Waiting / 0 Succeeded / 0 Failed",
        ):
            assert line in out.splitlines(), f"{line!r} not in\n{out}"
        event = next(line for line in out.splitlines() if "SuccessfulCreate" in line)
        assert event.split()[:2] == ["Normal", "SuccessfulCreate"]
        assert event.split()[-4:] == ["daemonset-controller", "Created", "pod:", name]
    finally:
        kubectl("label node node02 ds-describe-")


def test_a_daemon_set_whose_selector_misses_its_template_is_refused(kubectl: Kubectl) -> None:
    path = kubectl.write("refused", key="ds-refused", labels="other")
    done = kubectl.run(f"apply -f {path}")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'The DaemonSet "refused" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"other"}: `selector` does not match template `labels`'
    )
    assert kubectl.run("get ds refused").returncode == 1


def test_delete_takes_the_pods_and_revisions_with_it(kubectl: Kubectl) -> None:
    kubectl("label node node01 ds-gone=yes")
    try:
        kubectl.apply("gone", key="ds-gone")
        kubectl("rollout status ds/gone --timeout=30s")
        assert kubectl("delete ds gone").strip() == 'daemonset.apps "gone" deleted'

        def left() -> int:
            revisions = json.loads(kubectl("get controllerrevisions -l app=gone -o json"))
            return len(kubectl.pods("gone")) + len(revisions["items"])

        assert kubectl.until(lambda: left() == 0), left()
    finally:
        kubectl("label node node01 ds-gone-")
