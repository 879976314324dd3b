"""StatefulSets with the real kubectl (v1.32) against `listwatch serve`: apply, rollout status,
get sts (columns), describe, scale, set image, get pvc and controllerrevisions, and the official
Python client reading the status, as a user types them.

One served cluster for the module; each test works on a StatefulSet of its own name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from listwatch.engine import Engine
from tests.served import serving, wait_until
from tests.server.test_kubectl import KUBECTL, Kubectl, table

pytestmark = pytest.mark.skipif(not os.access(KUBECTL, os.X_OK), reason="kubectl is not installed")

MANIFEST = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  clusterIP: None
  selector:
    app: {name}
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {name}
spec:
  serviceName: {name}
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: nginx
        image: nginx:1.14
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Gi
"""


@pytest.fixture(scope="module")
def kubectl(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    workdir = tmp_path_factory.mktemp("statefulsets")
    with serving(engine) as server:
        yield Kubectl(server, workdir)


def deploy(kubectl: Kubectl, name: str, replicas: int = 3) -> str:
    """`kubectl apply -f` a headless Service and a StatefulSet, then wait for `kubectl rollout
    status` to complete."""
    path: Path = kubectl.workdir / f"{name}.yaml"
    path.write_text(MANIFEST.format(name=name, replicas=replicas))
    created = kubectl(f"apply -f {path}")
    kubectl(f"rollout status sts/{name} --timeout=90s", timeout=120)
    return created


def test_apply_and_rollout_status(kubectl: Kubectl) -> None:
    created = deploy(kubectl, "web")
    assert created == "service/web created\nstatefulset.apps/web created\n"
    done = kubectl.outputs["rollout status sts/web --timeout=90s"]
    assert done.endswith("partitioned roll out complete: 3 new pods have been updated...\n"), done
    pods = table(kubectl("get pods -l app=web"))
    assert [(p["NAME"], p["READY"], p["STATUS"]) for p in pods] == [
        ("web-0", "1/1", "Running"),
        ("web-1", "1/1", "Running"),
        ("web-2", "1/1", "Running"),
    ]


def test_get_sts_shows_v1_32_columns(kubectl: Kubectl) -> None:
    deploy(kubectl, "cols", replicas=2)
    out = kubectl("get sts cols")
    assert out.splitlines()[0].split() == ["NAME", "READY", "AGE"]
    assert (table(out)[0]["NAME"], table(out)[0]["READY"]) == ("cols", "2/2")
    wide = table(kubectl("get statefulset cols -o wide"))[0]
    assert (wide["CONTAINERS"], wide["IMAGES"]) == ("nginx", "nginx:1.14")


def test_describe_sts_reads_as_on_a_real_cluster(kubectl: Kubectl) -> None:
    deploy(kubectl, "described", replicas=2)
    out = kubectl("describe sts described")
    assert re.search(r"^Replicas:\s+2 desired \| 2 total$", out, re.M), out
    assert re.search(r"^Update Strategy:\s+RollingUpdate$", out, re.M), out
    assert re.search(r"^  Partition:\s+0$", out, re.M), out
    assert re.search(r"^Pods Status:\s+2 Running / 0 Waiting / 0 Succeeded / 0 Failed$", out, re.M)
    assert re.search(r"^Volume Claims:\n  Name:\s+www\n", out, re.M), out
    assert re.search(r"^  Capacity:\s+1Gi$", out, re.M), out
    events = [line.split(None, 4) for line in out.split("Events:", 1)[1].splitlines()[3:]]
    assert [(e[0], e[1], e[3], e[4]) for e in events if len(e) == 5] == [
        (
            "Normal",
            "SuccessfulCreate",
            "statefulset-controller",
            f"create {what} in StatefulSet described success{tail}",
        )
        for ordinal in range(2)
        for what, tail in (
            (f"Claim www-described-{ordinal} Pod described-{ordinal}", ""),
            (f"Pod described-{ordinal}", "ful"),
        )
    ]


def test_each_pod_has_its_claim_which_stays_pending(kubectl: Kubectl) -> None:
    deploy(kubectl, "claimed", replicas=2)
    rows = table(kubectl("get pvc -l app=claimed"))
    assert [(r["NAME"], r["STATUS"]) for r in rows] == [
        ("www-claimed-0", "Pending"),
        ("www-claimed-1", "Pending"),
    ]
    claim = kubectl(
        "get pod claimed-1 -o "
        """'jsonpath={.spec.volumes[?(@.name=="www")].persistentVolumeClaim.claimName}'"""
    )
    assert claim == "www-claimed-1"
    identity = kubectl("get pod claimed-1 -o jsonpath={.spec.hostname}/{.spec.subdomain}")
    assert identity == "claimed-1/claimed"


def test_scale_sts_deletes_from_the_highest_ordinal(kubectl: Kubectl) -> None:
    deploy(kubectl, "scaled", replicas=3)
    assert kubectl("scale sts scaled --replicas=1") == "statefulset.apps/scaled scaled\n"
    assert wait_until(
        lambda: kubectl("get pods -l app=scaled -o name").split() == ["pod/scaled-0"],
        timeout=60,
    ), kubectl("get pods -l app=scaled")
    kubectl("rollout status sts/scaled --timeout=60s", timeout=90)
    assert table(kubectl("get sts scaled"))[0]["READY"] == "1/1"
    messages = kubectl(
        "get events --field-selector involvedObject.name=scaled,reason=SuccessfulDelete "
        "--sort-by=.metadata.resourceVersion -o jsonpath={.items[*].message}"
    )
    assert re.findall(r"delete Pod (scaled-\d)", messages) == ["scaled-2", "scaled-1"]
    assert len(table(kubectl("get pvc -l app=scaled"))) == 3


def test_set_image_rolls_out_a_new_revision(kubectl: Kubectl) -> None:
    deploy(kubectl, "rolled", replicas=2)
    kubectl("set image sts/rolled nginx=nginx:1.15")
    kubectl("rollout status sts/rolled --timeout=90s", timeout=120)
    images = kubectl("get pods -l app=rolled -o jsonpath={.items[*].spec.containers[0].image}")
    assert images.split() == ["nginx:1.15", "nginx:1.15"]
    revisions = table(kubectl("get controllerrevisions -l app=rolled"))
    assert sorted(r["REVISION"] for r in revisions) == ["1", "2"]
    assert {r["CONTROLLER"] for r in revisions} == {"statefulset.apps/rolled"}
    status = kubectl(
        "get sts rolled -o jsonpath={.status.currentRevision}/{.status.updateRevision}/"
        "{.status.updatedReplicas}/{.status.observedGeneration}"
    )
    current, update, updated, generation = status.split("/")
    assert current == update and updated == "2" and generation == "2"
    hashes = kubectl(
        "get pods -l app=rolled -o jsonpath={.items[*].metadata.labels.controller-revision-hash}"
    )
    assert hashes.split() == [update, update]


def test_the_official_client_reads_the_status(kubectl: Kubectl) -> None:
    from kubernetes import client, config

    deploy(kubectl, "typed", replicas=1)
    api = client.AppsV1Api(config.new_client_from_config(str(kubectl.server.kubeconfig)))
    sts = api.read_namespaced_stateful_set("typed", "default")
    status = sts.status
    assert (status.replicas, status.ready_replicas, status.available_replicas) == (1, 1, 1)
    assert (status.current_replicas, status.updated_replicas, status.collision_count) == (1, 1, 0)
    assert status.current_revision == status.update_revision
    assert status.current_revision.startswith("typed-")
    assert status.observed_generation == 1
    scale = api.read_namespaced_stateful_set_scale("typed", "default")
    assert (scale.spec.replicas, scale.status.replicas) == (1, 1)
