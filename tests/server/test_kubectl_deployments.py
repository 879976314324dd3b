"""Deployments with the real kubectl (v1.32) against `listwatch serve`: apply, rollout status,
history, undo and restart, set image to an image that cannot be pulled, scale, get, describe and
a cascading delete, as a user types them after the tutorial.

One served cluster for the module; each test works on a Deployment of its own name.
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
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: nginx
        image: nginx:1.14
"""


@pytest.fixture(scope="module")
def kubectl(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    workdir = tmp_path_factory.mktemp("deployments")
    with serving(engine) as server:
        yield Kubectl(server, workdir)


def deploy(kubectl: Kubectl, name: str, replicas: int = 3) -> str:
    """`kubectl apply -f` a Deployment and wait for `kubectl rollout status` to complete."""
    path: Path = kubectl.workdir / f"{name}.yaml"
    path.write_text(MANIFEST.format(name=name, replicas=replicas))
    created = kubectl(f"apply -f {path}")
    kubectl(f"rollout status deployment/{name} --timeout=60s", timeout=90)
    return created


def replica_sets(kubectl: Kubectl, name: str) -> dict[str, dict[str, str]]:
    rows = table(kubectl(f"get rs -l app={name}"))
    return {row["NAME"]: row for row in rows}


def test_apply_creates_and_rollout_status_completes(kubectl: Kubectl) -> None:
    assert deploy(kubectl, "web") == "deployment.apps/web created\n"
    done = kubectl.outputs["rollout status deployment/web --timeout=60s"]
    assert done.endswith('deployment "web" successfully rolled out\n')


def test_get_deploy_shows_v1_32_columns(kubectl: Kubectl) -> None:
    deploy(kubectl, "cols")
    out = kubectl("get deploy cols")
    assert out.splitlines()[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    row = table(out)[0]
    assert (row["NAME"], row["READY"], row["UP-TO-DATE"], row["AVAILABLE"]) == (
        "cols",
        "3/3",
        "3",
        "3",
    )
    wide = table(kubectl("get deploy cols -o wide"))[0]
    assert (wide["CONTAINERS"], wide["IMAGES"], wide["SELECTOR"]) == (
        "nginx",
        "nginx:1.14",
        "app=cols",
    )


def test_the_replica_set_is_named_for_the_pod_template_hash_it_adds_to_its_pods(
    kubectl: Kubectl,
) -> None:
    deploy(kubectl, "hashed")
    (name,) = replica_sets(kubectl, "hashed")
    hashed = name.removeprefix("hashed-")
    assert re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]{1,10}", hashed)
    selector = kubectl(f"get rs {name} -o jsonpath={{.spec.selector.matchLabels}}")
    assert '"pod-template-hash":"' + hashed + '"' in selector
    labels = kubectl(
        "get pods -l app=hashed -o jsonpath={.items[*].metadata.labels.pod-template-hash}"
    )
    assert labels.split() == [hashed] * 3
    annotation = r"deployment\.kubernetes\.io/revision"
    revision = kubectl(f"get deploy hashed -o 'jsonpath={{.metadata.annotations.{annotation}}}'")
    assert revision == "1"


def test_get_all_lists_the_deployment_and_its_replica_set(kubectl: Kubectl) -> None:
    deploy(kubectl, "everything", replicas=1)
    out = kubectl("get all")
    assert re.search(r"^deployment\.apps/everything +1/1 +1 +1 ", out, re.M), out
    assert re.search(r"^replicaset\.apps/everything-\w+ +1 +1 +1 ", out, re.M), out
    assert re.search(r"^pod/everything-\w+-\w{5} +1/1 +Running", out, re.M), out


def test_describe_deployment_reads_as_on_a_real_cluster(kubectl: Kubectl) -> None:
    deploy(kubectl, "described")
    (rs,) = replica_sets(kubectl, "described")
    out = kubectl("describe deployment described")
    for line in (
        "Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable",
        "StrategyType:           RollingUpdate",
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge",
        "Annotations:            deployment.kubernetes.io/revision: 1",
        "OldReplicaSets:  <none>",
        f"NewReplicaSet:   {rs} (3/3 replicas created)",
    ):
        assert line in out, out
    assert re.search(r"Available +True +MinimumReplicasAvailable", out), out
    assert re.search(r"Progressing +True +NewReplicaSetAvailable", out), out
    assert re.search(
        rf"Normal +ScalingReplicaSet +\S+ +deployment-controller +Scaled up replica set {rs} "
        r"from 0 to 3",
        out,
    ), out


def test_an_unpullable_image_stalls_the_rollout_and_undo_goes_back(kubectl: Kubectl) -> None:
    deploy(kubectl, "stall")
    (old,) = replica_sets(kubectl, "stall")
    assert kubectl("set image deployment/stall nginx=nginx:0.0-no-such-tag") == (
        "deployment.apps/stall image updated\n"
    )
    stalled = kubectl("rollout status deployment/stall --timeout=8s", check=False, timeout=30)
    assert "1 out of 3 new replicas have been updated" in stalled, stalled
    assert "timed out waiting for the condition" in stalled, stalled
    # maxSurge 25% of 3 is 1 (rounded up), maxUnavailable 0 (rounded down): one new pod, which
    # cannot pull its image, and every old one kept.
    (new,) = set(replica_sets(kubectl, "stall")) - {old}
    pods = table(kubectl("get pods -l app=stall"))
    assert sorted(p["STATUS"] for p in pods if p["NAME"].startswith(old)) == ["Running"] * 3
    (bad,) = [p for p in pods if p["NAME"].startswith(new)]
    assert bad["STATUS"] in ("ErrImagePull", "ImagePullBackOff") and bad["READY"] == "0/1"
    history = kubectl("rollout history deployment/stall")
    assert re.findall(r"^(\d+) +<none>$", history, re.M) == ["1", "2"], history
    assert kubectl("rollout undo deployment/stall") == "deployment.apps/stall rolled back\n"
    kubectl("rollout status deployment/stall --timeout=60s", timeout=90)
    sets = replica_sets(kubectl, "stall")
    assert (sets[old]["DESIRED"], sets[new]["DESIRED"]) == ("3", "0")
    history = kubectl("rollout history deployment/stall")
    assert re.findall(r"^(\d+) +<none>$", history, re.M) == ["2", "3"], history


def test_rollout_restart_rolls_out_a_new_replica_set(kubectl: Kubectl) -> None:
    deploy(kubectl, "restarted", replicas=2)
    (first,) = replica_sets(kubectl, "restarted")
    assert kubectl("rollout restart deployment/restarted") == (
        "deployment.apps/restarted restarted\n"
    )
    kubectl("rollout status deployment/restarted --timeout=60s", timeout=90)
    sets = replica_sets(kubectl, "restarted")
    assert sets[first]["DESIRED"] == "0" and len(sets) == 2
    (second,) = set(sets) - {first}
    assert sets[second]["READY"] == "2"
    events = kubectl("describe deployment restarted")
    assert f"Scaled down replica set {first} from 2 to 1" in events
    assert f"Scaled up replica set {second} from 0 to 1" in events


def test_scale_deployment_scales_its_replica_set(kubectl: Kubectl) -> None:
    deploy(kubectl, "scaled", replicas=1)
    assert kubectl("scale deployment scaled --replicas=4") == "deployment.apps/scaled scaled\n"
    kubectl("rollout status deployment/scaled --timeout=60s", timeout=90)
    row = table(kubectl("get deploy scaled"))[0]
    assert row["READY"] == "4/4"
    (rs,) = replica_sets(kubectl, "scaled").values()
    assert rs["DESIRED"] == "4"


def test_delete_deployment_cascades_to_its_replica_sets_and_pods(kubectl: Kubectl) -> None:
    deploy(kubectl, "doomed", replicas=2)
    assert kubectl("delete deployment doomed") == 'deployment.apps "doomed" deleted\n'
    assert wait_until(
        lambda: not kubectl("get rs,pods -l app=doomed -o name").strip(), timeout=30
    ), kubectl("get rs,pods -l app=doomed")


def test_create_deployment(kubectl: Kubectl) -> None:
    out = kubectl("create deployment made --image=nginx:1.14 --replicas=3", check=False)
    if "application/vnd.kubernetes.protobuf" in out and "unknown format" in out:
        pytest.skip(
            "kubectl create deployment sends protobuf, and this server answers 415 (protobuf "
            "bodies are issue 15 item 4)"
        )
    assert out == "deployment.apps/made created\n", out
    kubectl("rollout status deployment/made --timeout=60s", timeout=90)
    assert table(kubectl("get deploy made"))[0]["READY"] == "3/3"
