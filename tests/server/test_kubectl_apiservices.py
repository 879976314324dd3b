"""APIServices and ComponentStatuses with the real kubectl (v1.32) against `listwatch serve`:
`kubectl get apiservices` lists a local APIService per built-in group version as kube-aggregator
registers them, a CRD's group version gets one while the CRD is served, an APIService backed by a
missing Service is not available, and `kubectl get componentstatuses` probes the control plane
with v1.32's deprecation warning."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from listwatch.engine import Engine
from tests.served import serving, wait_until
from tests.server.test_kubectl import KUBECTL, Kubectl, table

pytestmark = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")

#: `kubectl get apiservices` of a v1.32 cluster, the rows of the group versions listwatch serves
#: (kube-aggregator's own group, apiregistration.k8s.io, has none).
BUILT_IN = [
    "v1.",
    "v1.apiextensions.k8s.io",
    "v1.apps",
    "v1.batch",
    "v1.coordination.k8s.io",
    "v1.events.k8s.io",
    "v1.policy",
    "v1.rbac.authorization.k8s.io",
    "v1.scheduling.k8s.io",
    "v1.storage.k8s.io",
]

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: crontabs.stable.example.com}
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"""

AGGREGATED = """\
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
  service: {namespace: kube-system, name: metrics-server}
"""


@pytest.fixture(scope="module")
def kubectl(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    workdir = tmp_path_factory.mktemp("apiservices")
    (workdir / "crd.yaml").write_text(CRD)
    (workdir / "aggregated.yaml").write_text(AGGREGATED)
    with serving(engine) as server:
        yield Kubectl(server, workdir)


def test_every_built_in_group_version_is_a_local_available_apiservice(kubectl: Kubectl) -> None:
    rows = {row["NAME"]: row for row in table(kubectl("get apiservices"))}
    assert sorted(name for name in rows if name in BUILT_IN) == BUILT_IN
    for name in BUILT_IN:
        assert (rows[name]["SERVICE"], rows[name]["AVAILABLE"]) == ("Local", "True")
    apps = json.loads(kubectl("get apiservice v1.apps -o json"))
    assert apps["metadata"]["labels"] == {"kube-aggregator.kubernetes.io/automanaged": "onstart"}
    assert apps["spec"] == {
        "group": "apps",
        "version": "v1",
        "groupPriorityMinimum": 17800,
        "versionPriority": 15,
    }
    (condition,) = apps["status"]["conditions"]
    assert condition["type"] == "Available" and condition["status"] == "True"
    assert (condition["reason"], condition["message"]) == (
        "Local",
        "Local APIServices are always available",
    )
    core = json.loads(kubectl("get apiservice v1. -o json"))
    assert "group" not in core["spec"] and core["spec"]["groupPriorityMinimum"] == 18000


def test_a_crd_s_group_version_is_registered_while_the_crd_is_served(kubectl: Kubectl) -> None:
    kubectl("apply -f crd.yaml")
    name = "v1.stable.example.com"
    assert wait_until(lambda: name in kubectl("get apiservices -o name"))
    registered = json.loads(kubectl(f"get apiservice {name} -o json"))
    assert registered["metadata"]["labels"] == {"kube-aggregator.kubernetes.io/automanaged": "true"}
    assert (registered["spec"]["groupPriorityMinimum"], registered["spec"]["versionPriority"]) == (
        1000,
        100,
    )
    kubectl("delete -f crd.yaml --wait=true")
    assert wait_until(lambda: name not in kubectl("get apiservices -o name"))


def test_an_apiservice_whose_service_is_missing_is_not_available(kubectl: Kubectl) -> None:
    kubectl("apply -f aggregated.yaml")
    name = "v1beta1.metrics.k8s.io"

    def row() -> dict[str, str]:
        return {r["NAME"]: r for r in table(kubectl("get apiservices"))}[name]

    assert wait_until(lambda: row()["AVAILABLE"] != "Unknown")
    assert (row()["SERVICE"], row()["AVAILABLE"]) == (
        "kube-system/metrics-server",
        "False (ServiceNotFound)",
    )
    (condition,) = json.loads(kubectl(f"get apiservice {name} -o json"))["status"]["conditions"]
    assert condition["message"] == 'service/metrics-server in "kube-system" is not present'
    kubectl(f"delete apiservice {name}")


def test_an_invalid_apiservice_is_refused_with_kube_aggregator_s_words(kubectl: Kubectl) -> None:
    wrong = AGGREGATED.replace("v1beta1.metrics.k8s.io", "metrics").replace(
        "groupPriorityMinimum: 100", "groupPriorityMinimum: 30000"
    )
    (kubectl.workdir / "wrong.yaml").write_text(wrong)
    out = kubectl("apply -f wrong.yaml", check=False)
    assert 'metadata.name: Invalid value: "metrics": must be `spec.version+"."+spec.group`: ' in out
    assert '"v1beta1.metrics.k8s.io"' in out
    assert (
        "spec.groupPriorityMinimum: Invalid value: 30000: must be positive and less than 20000"
        in out
    )
    assert "metrics" not in kubectl("get apiservices -o name").split("/")


def test_componentstatuses_probe_the_control_plane_with_the_deprecation_warning(
    kubectl: Kubectl,
) -> None:
    done = subprocess.run(
        [KUBECTL, "get", "componentstatuses"],
        env=kubectl.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stderr == "Warning: v1 ComponentStatus is deprecated in v1.19+\n"
    rows = table(done.stdout)
    assert sorted((r["NAME"], r["STATUS"], r["MESSAGE"]) for r in rows) == [
        ("controller-manager", "Healthy", "ok"),
        ("etcd-0", "Healthy", "ok"),
        ("scheduler", "Healthy", "ok"),
    ]
    one = json.loads(kubectl("get cs scheduler -o json"))
    assert one["conditions"] == [{"type": "Healthy", "status": "True", "message": "ok"}]
    missing = kubectl("get cs nonesuch", check=False)
    assert 'componentstatus "nonesuch" not found' in missing
    watched = kubectl("get cs --watch --request-timeout=5s", check=False)
    assert "the server does not allow this method on the requested resource" in watched


def test_a_missing_scheduler_is_unhealthy_as_a_refused_probe(
    engine: Engine, tmp_path: Path
) -> None:
    with serving(engine, without=("scheduler",)) as server:
        out = Kubectl(server, tmp_path)("get cs scheduler -o json")
    (condition,) = json.loads(out)["conditions"]
    assert condition == {
        "type": "Healthy",
        "status": "Unknown",
        "error": 'Get "https://127.0.0.1:10259/healthz": dial tcp 127.0.0.1:10259: connect: '
        "connection refused",
    }
