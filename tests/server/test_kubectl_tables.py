"""`kubectl get` of every served kind with the real kubectl (v1.32) against `listwatch serve`: the
server-side columns of v1.32's printers (and the `-o wide` ones), `kubectl get all` through
discovery's categories, and Events of both recorders and both API groups."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from listwatch.engine import Engine
from tests.served import serving, wait_until
from tests.server.test_kubectl import KUBECTL, Kubectl, table

pytestmark = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")

MANIFESTS = """\
apiVersion: v1
kind: ReplicationController
metadata: {name: web}
spec:
  replicas: 1
  selector: {app: web}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "busybox:1.36", command: [sleep, "3600"]}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: front}
spec:
  replicas: 1
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec:
      containers: [{name: front, image: "busybox:1.36", command: [sleep, "3600"]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""


@pytest.fixture(scope="module")
def kubectl(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    workdir = tmp_path_factory.mktemp("tables")
    (workdir / "app.yaml").write_text(MANIFESTS)
    with serving(engine) as server:
        run = Kubectl(server, workdir)
        run("create -f app.yaml")
        run("wait --for=condition=Ready pod -l app=web --timeout=60s")
        run("wait --for=condition=Ready pod -l app=front --timeout=60s")
        for controller in ("rc/web", "rs/front"):  # their status follows the pods' a moment later
            assert wait_until(
                lambda c=controller: run(f"get {c} -o jsonpath={{.status.readyReplicas}}") == "1"
            )
        yield run


def test_get_svc_prints_type_cluster_ip_external_ip_and_ports(kubectl: Kubectl) -> None:
    [row] = table(kubectl("get svc web"))
    assert list(row) == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert (row["NAME"], row["TYPE"], row["EXTERNAL-IP"], row["PORT(S)"]) == (
        "web",
        "ClusterIP",
        "<none>",
        "80/TCP",
    )
    assert re.fullmatch(r"10\.\d+\.\d+\.\d+", row["CLUSTER-IP"])
    [wide] = table(kubectl("get svc web -o wide"))
    assert list(wide)[-1] == "SELECTOR" and wide["SELECTOR"] == "app=web"


def test_get_rc_and_rs_print_desired_current_ready_and_wide_containers(kubectl: Kubectl) -> None:
    [rc] = table(kubectl("get rc web -o wide"))
    assert rc == {
        "NAME": "web",
        "DESIRED": "1",
        "CURRENT": "1",
        "READY": "1",
        "AGE": rc["AGE"],
        "CONTAINERS": "web",
        "IMAGES": "busybox:1.36",
        "SELECTOR": "app=web",
    }
    [rs] = table(kubectl("get rs front -o wide"))
    assert (rs["DESIRED"], rs["READY"], rs["CONTAINERS"], rs["SELECTOR"]) == (
        "1",
        "1",
        "front",
        "app=front",
    )


def test_get_namespaces_prints_status_and_age(kubectl: Kubectl) -> None:
    rows = {r["NAME"]: r for r in table(kubectl("get ns"))}
    assert list(rows["default"]) == ["NAME", "STATUS", "AGE"]
    assert rows["default"]["STATUS"] == "Active"


def test_get_all_lists_pods_controllers_and_services_by_the_all_category(
    kubectl: Kubectl,
) -> None:
    out = kubectl("get all")
    sections = [s for s in out.split("\n\n") if s.strip()]
    names = [[r["NAME"] for r in table(s)] for s in sections]
    flat = [n for section in names for n in section]
    assert any(n.startswith("pod/web-") for n in flat) and any(
        n.startswith("pod/front-") for n in flat
    )
    assert "replicationcontroller/web" in flat
    assert "service/web" in flat
    assert "replicaset.apps/front" in flat
    assert not any(n.startswith(("event", "node", "namespace")) for n in flat)


def test_get_events_wide_shows_both_recorders_sources_and_counts(kubectl: Kubectl) -> None:
    rows = table(kubectl("get events -o wide"))
    assert list(rows[0]) == [
        "LAST SEEN",
        "TYPE",
        "REASON",
        "OBJECT",
        "SUBOBJECT",
        "SOURCE",
        "MESSAGE",
        "FIRST SEEN",
        "COUNT",
        "NAME",
    ]
    scheduled = [r for r in rows if r["REASON"] == "Scheduled" and "pod/web-" in r["OBJECT"]]
    assert len(scheduled) == 1
    assert scheduled[0]["SOURCE"] == "default-scheduler, default-scheduler-control-plane"
    assert scheduled[0]["COUNT"] == "1" and scheduled[0]["LAST SEEN"] != "<unknown>"
    started = [r for r in rows if r["REASON"] == "Started" and "pod/web-" in r["OBJECT"]]
    assert started[0]["SOURCE"].startswith("kubelet, node0")
    assert started[0]["SUBOBJECT"] == "spec.containers{web}"
    created = [r for r in rows if r["REASON"] == "SuccessfulCreate"]
    assert {r["SOURCE"] for r in created} == {"replication-controller", "replicaset-controller"}


def test_get_events_through_events_k8s_io_prints_the_same_table(kubectl: Kubectl) -> None:
    core = {r["NAME"]: r for r in table(kubectl("get events -o wide"))}
    grouped = {r["NAME"]: r for r in table(kubectl("get events.v1.events.k8s.io -o wide"))}
    assert grouped.keys() == core.keys()
    name = next(n for n, r in core.items() if r["REASON"] == "Scheduled")
    assert grouped[name]["SOURCE"] == core[name]["SOURCE"]
    yaml = kubectl(f"get events.v1.events.k8s.io {name} -o yaml")
    assert (
        "apiVersion: events.k8s.io/v1" in yaml and "reportingController: default-scheduler" in yaml
    )
    assert "note: Successfully assigned default/" in yaml


def test_describe_pod_shows_default_scheduler_in_from(kubectl: Kubectl) -> None:
    pod = kubectl("get pods -l app=web -o name").strip()
    described = kubectl(f"describe {pod}")
    assert re.search(
        r"Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned", described
    )
