"""A kopf operator (from PyPI) runs against `listwatch serve` as against a real cluster: it finds
its CRD through discovery, watches CronTabs, adds its finalizer, reconciles each into a ConfigMap
it owns, reports in the status and in an Event, and lets the CronTab go when it is deleted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import serving, wait_until
from tests.server.test_crds import CRD, apply, crontab
from tests.server.test_kubectl import KUBECTL, Kubectl

pytestmark = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")

OPERATOR = Path(__file__).parents[1] / "operators" / "crontab_operator.py"
#: The CronTab CRD with a status that keeps what the operator writes (kopf reports each
#: handler's result under status.<handler>; a schema that does not declare it prunes it, as a
#: real cluster does, and kopf warns of the inconsistency).
OPEN_STATUS = json.loads(
    json.dumps(CRD).replace(
        '"status": {"type": "object", "properties": {"phase": {"type": "string"}}}',
        '"status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}',
    )
)
FINALIZER = "stable.example.com/crontab-operator"


@pytest.fixture(scope="module")
def kubectl(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    with serving(engine) as server:
        run = Kubectl(server, tmp_path_factory.mktemp("kopf"))
        assert OPEN_STATUS != CRD
        apply(run, OPEN_STATUS)
        run("wait --for condition=established crd/crontabs.stable.example.com --timeout=30s")
        yield run


@pytest.fixture(scope="module")
def operator(kubectl: Kubectl) -> Iterator[subprocess.Popen[str]]:
    server: Server = kubectl.server
    log = (kubectl.workdir / "operator.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "kopf", "run", "--standalone", "--all-namespaces", str(OPERATOR)],
        env={**os.environ, "KUBECONFIG": str(server.kubeconfig)},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def get(kubectl: Kubectl, what: str) -> dict[str, object]:
    out = kubectl(f"get {what} -o json", check=False)
    return json.loads(out) if out.startswith("{") else {}


def operator_log(kubectl: Kubectl) -> str:
    return (kubectl.workdir / "operator.log").read_text()


def test_the_operator_reconciles_a_crontab_into_a_configmap_it_owns(
    kubectl: Kubectl, operator: subprocess.Popen[str]
) -> None:
    apply(kubectl, crontab("nightly", replicas=2))
    assert wait_until(lambda: "data" in get(kubectl, "configmap nightly-schedule"), timeout=60), (
        operator_log(kubectl)[-4000:]
    )
    config = get(kubectl, "configmap nightly-schedule")
    assert config["data"] == {"cronSpec": "* * * * */5", "replicas": "2"}
    owner = config["metadata"]["ownerReferences"][0]  # type: ignore[index]
    assert (owner["kind"], owner["name"]) == ("CronTab", "nightly")
    tab = get(kubectl, "crontab nightly")
    assert FINALIZER in tab["metadata"]["finalizers"]  # type: ignore[index]
    assert wait_until(
        lambda: (
            get(kubectl, "crontab nightly").get("status", {}).get("reconcile")  # type: ignore[union-attr]
            == {"schedule": "nightly-schedule"}
        ),
        timeout=30,
    ), operator_log(kubectl)[-4000:]
    events = kubectl("get events --field-selector involvedObject.name=nightly -o json")
    assert "schedule * * * * */5 written" in events


def test_an_update_is_reconciled_too(kubectl: Kubectl, operator: subprocess.Popen[str]) -> None:
    apply(kubectl, crontab("nightly", replicas=5))
    assert wait_until(
        lambda: get(kubectl, "configmap nightly-schedule").get("data", {}).get("replicas") == "5",  # type: ignore[union-attr]
        timeout=60,
    ), operator_log(kubectl)[-4000:]


def test_a_deleted_crontab_goes_once_the_operator_let_it(
    kubectl: Kubectl, operator: subprocess.Popen[str]
) -> None:
    kubectl("delete crontab nightly --timeout=60s")
    assert "crontab nightly deleted" in operator_log(kubectl)
    assert not get(kubectl, "crontab nightly")
    assert operator.poll() is None, operator_log(kubectl)[-4000:]
