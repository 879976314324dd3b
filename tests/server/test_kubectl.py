"""The tutorial's kubectl commands, verbatim, with the real kubectl (v1.32) against `listwatch
serve`.

The tutorial fixture runs section 3 once (create the nodeName pod, label the nodes, create the
nodeSelector pod, wait for both to run); the tests read what kubectl printed then and since.
Commands that change the cluster (`delete -f .`, `get pods -w`) get a server of their own.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from listwatch import paths
from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import serving

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
pytestmark = pytest.mark.skipif(not os.access(KUBECTL, os.X_OK), reason="kubectl is not installed")
WIDE_HEADER = [
    "NAME",
    "READY",
    "STATUS",
    "RESTARTS",
    "AGE",
    "IP",
    "NODE",
    "NOMINATED NODE",
    "READINESS GATES",
]


@dataclass
class Kubectl:
    """kubectl run in a directory holding the tutorial's manifests, against one served cluster."""

    server: Server
    workdir: Path
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        assert self.server.kubeconfig is not None
        return {**os.environ, "KUBECONFIG": str(self.server.kubeconfig), "HOME": str(self.workdir)}

    def __call__(self, command: str, *, check: bool = True, timeout: float = 60) -> str:
        done = subprocess.run(
            [KUBECTL, *shlex.split(command)],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check:
            assert done.returncode == 0, (
                f"kubectl {command}: exit {done.returncode}\n{done.stdout}{done.stderr}"
            )
        self.outputs[command] = done.stdout
        return done.stdout + ("" if check else done.stderr)

    def popen(self, command: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [KUBECTL, *shlex.split(command)],
            cwd=self.workdir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


def table(text: str) -> list[dict[str, str]]:
    """A kubectl table as rows of {column: cell}, cut at the header's column offsets (which also
    checks the alignment: every cell starts where its header does)."""
    lines = [line for line in text.splitlines() if line.strip()]
    header = lines[0]
    names = re.split(r" {2,}", header.strip())
    starts: list[int] = []
    for name in names:  # in order: AGE is also in STORAGECLASS
        starts.append(header.index(name, starts[-1] + 1 if starts else 0))
    rows = []
    for line in lines[1:]:
        cells = {}
        for i, name in enumerate(names):
            end = starts[i + 1] if i + 1 < len(starts) else len(line)
            assert i == 0 or line[starts[i] - 1] == " ", f"cell {name} is not aligned in {line!r}"
            cells[name] = line[starts[i] : end].strip()
        rows.append(cells)
    return rows


def manifests(directory: Path) -> None:
    for name in ("pod5.yaml", "pod5-nodeselector.yaml"):
        shutil.copy(paths.examples_dir() / name, directory / name)


@pytest.fixture(scope="module")
def tutorial(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    workdir = tmp_path_factory.mktemp("tutorial")
    manifests(workdir)
    with serving(engine) as server:
        kubectl = Kubectl(server, workdir)
        kubectl("create -f pod5.yaml")
        kubectl("get node")
        kubectl("label nodes node01 cz=alice")
        kubectl("label nodes node02 cz=bob")
        kubectl("get nodes --show-labels")
        kubectl("create -f pod5-nodeselector.yaml")
        kubectl("wait --for=condition=Ready pod/pod-example pod/pod-example-selector --timeout=60s")
        yield kubectl


@pytest.fixture
def fresh(engine: Engine, tmp_path: Path) -> Iterator[Kubectl]:
    manifests(tmp_path)
    with serving(engine) as server:
        yield Kubectl(server, tmp_path)


def test_kubectl_create_validates_and_creates_without_validate_false(tutorial: Kubectl) -> None:
    assert tutorial.outputs["create -f pod5.yaml"] == "pod/pod-example created\n"
    assert (
        tutorial.outputs["create -f pod5-nodeselector.yaml"] == "pod/pod-example-selector created\n"
    )


def test_kubectl_create_of_a_bad_manifest_is_refused_by_the_server(tutorial: Kubectl) -> None:
    (tutorial.workdir / "bad.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers:\n  - name: "
        "c\n    image: nginx\n"
    )
    output = tutorial("create -f bad.yaml", check=False)
    assert 'The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"' in output


def test_kubectl_get_pods_wide_shows_each_pods_node_and_ip(tutorial: Kubectl) -> None:
    output = tutorial("get pods -o wide")
    assert re.split(r" {2,}", output.splitlines()[0].strip()) == WIDE_HEADER
    rows = {row["NAME"]: row for row in table(output)}
    assert set(rows) == {"pod-example", "pod-example-selector"}
    for name, node, subnet in (
        ("pod-example", "node01", "10.244.0."),
        ("pod-example-selector", "node02", "10.244.1."),
    ):
        row = rows[name]
        assert (row["READY"], row["STATUS"], row["RESTARTS"], row["NODE"]) == (
            "1/1",
            "Running",
            "0",
            node,
        )
        assert row["IP"].startswith(subnet) and re.fullmatch(r"\d+s", row["AGE"])
        assert (row["NOMINATED NODE"], row["READINESS GATES"]) == ("<none>", "<none>")


def test_kubectl_get_node_lists_the_ready_nodes(tutorial: Kubectl) -> None:
    rows = table(tutorial.outputs["get node"])
    assert [(r["NAME"], r["STATUS"], r["ROLES"], r["VERSION"]) for r in rows] == [
        ("node01", "Ready", "<none>", "v1.32.0"),
        ("node02", "Ready", "<none>", "v1.32.0"),
    ]
    assert list(rows[0]) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]


def test_kubectl_label_nodes_labels_them_and_show_labels_shows_it(tutorial: Kubectl) -> None:
    assert tutorial.outputs["label nodes node01 cz=alice"] == "node/node01 labeled\n"
    assert tutorial.outputs["label nodes node02 cz=bob"] == "node/node02 labeled\n"
    rows = {r["NAME"]: r for r in table(tutorial.outputs["get nodes --show-labels"])}
    assert rows["node01"]["LABELS"] == (
        "beta.kubernetes.io/arch=amd64,beta.kubernetes.io/os=linux,cz=alice,kubernetes.io/arch=amd64,kubernetes.io/hostname=node01,kubernetes.io/os=linux"
    )
    assert "cz=bob" in rows["node02"]["LABELS"].split(",")


def _events(describe: str) -> list[dict[str, str]]:
    section = describe.split("Events:", 1)[1]
    lines = [
        line[2:]
        for line in section.splitlines()
        if line.startswith("  ") and not line.strip().startswith("----")
    ]
    return table("\n".join(lines))


def test_kubectl_describe_the_nodename_pod_shows_kubelet_events_and_no_scheduled(
    tutorial: Kubectl,
) -> None:
    output = tutorial("describe pod pod-example")
    assert re.search(r"^Node:\s+node01/192\.168\.10\.2$", output, re.M)
    assert re.search(r"^Status:\s+Running$", output, re.M)
    events = _events(output)
    assert [(e["Type"], e["Reason"], e["From"]) for e in events] == [
        ("Normal", "Pulling", "kubelet"),
        ("Normal", "Pulled", "kubelet"),
        ("Normal", "Created", "kubelet"),
        ("Normal", "Started", "kubelet"),
    ]
    assert events[0]["Message"] == 'Pulling image "nginx:1.15"'
    assert (
        events[2]["Message"] == "Created container: nginx"
        and events[3]["Message"] == "Started container nginx"
    )


def test_kubectl_describe_the_nodeselector_pod_shows_scheduled_from_default_scheduler(
    tutorial: Kubectl,
) -> None:
    output = tutorial("describe pod pod-example-selector")
    assert re.search(r"^Node-Selectors:\s+cz=bob$", output, re.M)
    events = _events(output)
    assert (events[0]["Type"], events[0]["Reason"], events[0]["From"]) == (
        "Normal",
        "Scheduled",
        "default-scheduler",
    )
    assert events[0]["Message"] == "Successfully assigned default/pod-example-selector to node02"
    assert [e["Reason"] for e in events[1:]] == ["Pulling", "Pulled", "Created", "Started"]


def test_kubectl_get_events_lists_every_event_of_both_pods(tutorial: Kubectl) -> None:
    rows = table(tutorial("get events"))
    assert list(rows[0]) == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    by_object: dict[str, list[str]] = {}
    for row in rows:
        by_object.setdefault(row["OBJECT"], []).append(row["REASON"])
    assert sorted(by_object["pod/pod-example"]) == ["Created", "Pulled", "Pulling", "Started"]
    assert sorted(by_object["pod/pod-example-selector"]) == [
        "Created",
        "Pulled",
        "Pulling",
        "Scheduled",
        "Started",
    ]


def test_kubectl_logs_prints_a_containers_output(tutorial: Kubectl) -> None:
    assert tutorial("logs pod-example") == ""  # nginx logs nothing until it serves a request
    tutorial("run echoer --image=busybox --restart=Never -- sh -c 'echo hello from listwatch'")
    tutorial("wait --for=jsonpath={.status.phase}=Succeeded pod/echoer --timeout=60s")
    assert tutorial("logs echoer") == "hello from listwatch\n"
    assert tutorial("logs echoer -c echoer --tail=1") == "hello from listwatch\n"


def test_kubectl_explain_describes_the_fields_that_place_a_pod(tutorial: Kubectl) -> None:
    out = tutorial("explain pod.spec.nodeSelector")
    assert (
        "FIELD: nodeSelector <map[string]string>" in out
        and "Selector which must match a node's labels" in out
    )
    assert "FIELD: nodeName <string>" in tutorial("explain pod.spec.nodeName")
    fields = tutorial("explain pods.spec.containers")
    assert re.search(r"^  name\t<string> -required-$", fields, re.MULTILINE), fields
    assert "FIELD: replicas <integer>" in tutorial("explain rs.spec.replicas")


def test_kubectl_scale_scales_a_replication_controller(fresh: Kubectl) -> None:
    (fresh.workdir / "rc.yaml").write_text(
        "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: web}\nspec:\n  replicas: "
        "1\n  selector: {app: web}\n"
        "  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: nginx, "
        "image: 'nginx:1.15'}]}\n"
    )
    fresh("create -f rc.yaml")
    assert fresh("scale rc web --replicas=3") == "replicationcontroller/web scaled\n"
    fresh("wait --for=jsonpath={.status.readyReplicas}=3 rc/web --timeout=60s")
    refused = fresh("scale rc web --replicas=1 --current-replicas=2", check=False)
    assert refused.strip() == "error: Expected replicas to be 2, was 3"
    assert fresh("get rc web -o jsonpath={.spec.replicas}") == "3"


def test_kubectl_get_an_unknown_resource_or_pod_fails_as_on_a_real_cluster(
    tutorial: Kubectl,
) -> None:
    assert (
        tutorial("get foos", check=False).strip()
        == 'error: the server doesn\'t have a resource type "foos"'
    )
    assert (
        tutorial("get pod nosuch", check=False).strip()
        == 'Error from server (NotFound): pods "nosuch" not found'
    )


def test_kubectl_delete_f_dot_deletes_both_pods(fresh: Kubectl) -> None:
    fresh("create -f pod5.yaml")
    fresh("label nodes node02 cz=bob")
    fresh("create -f pod5-nodeselector.yaml")
    fresh("wait --for=condition=Ready pod/pod-example pod/pod-example-selector --timeout=60s")
    output = fresh("delete -f .")
    assert output == 'pod "pod-example-selector" deleted\npod "pod-example" deleted\n'
    assert fresh("get pods", check=False).strip() == "No resources found in default namespace."


def test_kubectl_get_pods_w_streams_the_pods_changes_until_stopped(fresh: Kubectl) -> None:
    watcher = fresh.popen("get pods -w")
    lines: list[str] = []
    running = threading.Event()

    def read() -> None:
        assert watcher.stdout is not None
        for line in watcher.stdout:
            lines.append(line.rstrip("\n"))
            if re.search(r"^pod-example\s+1/1\s+Running", line):
                running.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 10
        while (
            not any("No resources found" in line for line in lines) and time.monotonic() < deadline
        ):
            time.sleep(0.05)  # kubectl has listed (nothing yet) and is watching
        fresh("create -f pod5.yaml")
        assert running.wait(60), lines
    finally:
        watcher.terminate()
        watcher.wait(10)
        reader.join(10)
        if watcher.stdout is not None:
            watcher.stdout.close()
    rows = [line for line in lines if line.startswith(("NAME", "pod-example"))]
    assert re.split(r" {2,}", rows[0].strip()) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    statuses = [re.split(r" {2,}", row.strip())[2] for row in rows[1:]]
    assert statuses[0] == "Pending" and statuses[-1] == "Running"
    assert "ContainerCreating" in statuses


def test_kubectl_describe_shows_the_defaulted_protocol_requests_and_qos_class(
    fresh: Kubectl,
) -> None:
    (fresh.workdir / "limited.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: limited}\nspec:\n  nodeName: node01\n"
        "  containers:\n  - name: web\n    image: 'nginx:1.15'\n    ports: [{containerPort: 80}]\n"
        "    resources: {limits: {cpu: 500m, memory: 64Mi}}\n"
    )
    fresh("create -f limited.yaml")
    out = fresh("describe pod limited")
    assert re.search(r"^    Port:\s+80/TCP$", out, re.MULTILINE), out
    assert re.search(r"^    Requests:\n      cpu:\s+500m\n      memory:\s+64Mi$", out, re.MULTILINE)
    assert re.search(r"^QoS Class:\s+Guaranteed$", out, re.MULTILINE), out
