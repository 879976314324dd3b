"""Priority classes, disruption budgets and evictions on `listwatch serve`, through the real
kubectl (v1.32) and the official Python client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from listwatch.engine import Engine
from tests.served import official_client, serving, wait_until
from tests.server.test_kubectl import KUBECTL, Kubectl, table

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client  # noqa: E402

pytestmark = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")


@pytest.fixture(scope="module")
def kubectl(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    with serving(engine) as server:
        yield Kubectl(server, tmp_path_factory.mktemp("priority"))


@pytest.fixture(scope="module")
def v1(kubectl: Kubectl) -> Iterator[Any]:
    with official_client(kubectl.server) as api_client:
        yield client.CoreV1Api(api_client)


def write(kubectl: Kubectl, name: str, text: str) -> str:
    (kubectl.workdir / name).write_text(text)
    return name


def running(v1: Any, name: str) -> bool:
    return bool(v1.read_namespaced_pod(name, "default").status.phase == "Running")


def test_kubectl_get_pc_lists_the_system_classes_in_v1_32_s_columns(kubectl: Kubectl) -> None:
    output = kubectl("get pc")
    assert output.splitlines()[0].split() == [
        "NAME",
        "VALUE",
        "GLOBAL-DEFAULT",
        "AGE",
        "PREEMPTIONPOLICY",
    ]
    rows = [
        (r["NAME"], r["VALUE"], r["GLOBAL-DEFAULT"], r["PREEMPTIONPOLICY"]) for r in table(output)
    ]
    assert rows == [
        ("system-cluster-critical", "2000000000", "false", "PreemptLowerPriority"),
        ("system-node-critical", "2000001000", "false", "PreemptLowerPriority"),
    ]


def test_kubectl_create_of_a_pod_with_an_unknown_class_is_forbidden(kubectl: Kubectl) -> None:
    manifest = write(
        kubectl,
        "orphan.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: orphan\nspec:\n  priorityClassName: foo\n"
        "  containers:\n  - name: c\n    image: nginx\n",
    )
    output = kubectl(f"create -f {manifest}", check=False)
    assert output.strip() == (
        'Error from server (Forbidden): error when creating "orphan.yaml": pods "orphan" is '
        "forbidden: no PriorityClass with name foo was found"
    )


def test_kubectl_create_priorityclass_and_a_second_global_default_is_refused(
    kubectl: Kubectl,
) -> None:
    # From manifests (kubectl create priorityclass is covered in test_kubectl_protobuf).
    for name, value in (("lw-default", 100), ("lw-other", 5)):
        write(
            kubectl,
            f"{name}.yaml",
            f"apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: {name}\n"
            f"value: {value}\nglobalDefault: true\n",
        )
    assert kubectl("create -f lw-default.yaml") == (
        "priorityclass.scheduling.k8s.io/lw-default created\n"
    )
    output = kubectl("create -f lw-other.yaml", check=False)
    assert output.strip() == (
        'Error from server (Forbidden): error when creating "lw-other.yaml": '
        'priorityclasses.scheduling.k8s.io "lw-other" is forbidden: PriorityClass lw-default is '
        "already marked as default. Only one default can exist"
    )
    row = {r["NAME"]: r for r in table(kubectl("get pc"))}["lw-default"]
    assert (row["VALUE"], row["GLOBAL-DEFAULT"]) == ("100", "true")
    kubectl("delete pc lw-default")


def test_kubectl_get_pdb_shows_the_budget_the_controller_keeps(kubectl: Kubectl, v1: Any) -> None:
    v1.create_namespaced_pod(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "kept", "labels": {"app": "kept"}},
            "spec": {"nodeName": "node01", "containers": [{"name": "c", "image": "nginx"}]},
        },
    )
    assert wait_until(lambda: running(v1, "kept"), timeout=30)
    manifest = write(
        kubectl,
        "kept-pdb.yaml",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: kept\nspec:\n"
        "  minAvailable: 1\n  selector:\n    matchLabels:\n      app: kept\n",
    )
    assert kubectl(f"create -f {manifest}") == "poddisruptionbudget.policy/kept created\n"

    def allowed() -> str:
        return kubectl("get pdb kept -o jsonpath={.status.currentHealthy}")

    assert wait_until(lambda: allowed() == "1", timeout=10)
    output = kubectl("get pdb")
    assert [c.strip() for c in output.splitlines()[0].split("  ") if c.strip()] == [
        "NAME",
        "MIN AVAILABLE",
        "MAX UNAVAILABLE",
        "ALLOWED DISRUPTIONS",
        "AGE",
    ]
    (row,) = table(output)
    assert (row["NAME"], row["MIN AVAILABLE"], row["MAX UNAVAILABLE"]) == ("kept", "1", "N/A")
    assert row["ALLOWED DISRUPTIONS"] == "0"


def test_the_client_s_eviction_a_budget_forbids_is_a_429_with_the_budget_cause(
    kubectl: Kubectl, v1: Any
) -> None:
    if not wait_until(lambda: running(v1, "kept"), timeout=1):
        pytest.skip(
            "needs the budget of test_kubectl_get_pdb_shows_the_budget_the_controller_keeps"
        )
    body = client.V1Eviction(metadata=client.V1ObjectMeta(name="kept", namespace="default"))
    with pytest.raises(client.exceptions.ApiException) as caught:
        v1.create_namespaced_pod_eviction("kept", "default", body)
    assert caught.value.status == 429
    status = json.loads(caught.value.body)
    assert (status["reason"], status["message"]) == (
        "TooManyRequests",
        "Cannot evict pod as it would violate the pod's disruption budget.",
    )
    assert status["details"]["causes"] == [
        {
            "reason": "DisruptionBudget",
            "message": "The disruption budget kept needs 1 healthy pods and has 1 currently",
        }
    ]
    assert v1.read_namespaced_pod("kept", "default").metadata.deletion_timestamp is None


def test_the_client_s_allowed_eviction_is_201_and_marks_the_pod(v1: Any) -> None:
    v1.create_namespaced_pod(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "free"},
            "spec": {
                "nodeName": "node02",
                "terminationGracePeriodSeconds": 30,
                "containers": [{"name": "c", "image": "nginx"}],
            },
        },
    )
    assert wait_until(lambda: running(v1, "free"), timeout=30)
    body = client.V1Eviction(metadata=client.V1ObjectMeta(name="free", namespace="default"))
    answer = v1.create_namespaced_pod_eviction("free", "default", body, _preload_content=False)
    assert answer.status == 201
    assert json.loads(answer.data) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }
    evicted = v1.read_namespaced_pod("free", "default")
    assert evicted.metadata.deletion_timestamp is not None
    (target,) = [c for c in evicted.status.conditions if c.type == "DisruptionTarget"]
    assert (target.status, target.reason, target.message) == (
        "True",
        "EvictionByEvictionAPI",
        "Eviction API: evicting",
    )


@pytest.fixture(scope="module")
def raw(kubectl: Kubectl) -> Any:
    from tests.served import Client

    return Client(kubectl.server)


def test_a_v1beta1_eviction_is_accepted_as_older_schedulers_send_it(raw: Any, v1: Any) -> None:
    v1.create_namespaced_pod(
        "default",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "old-style"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], "schedulerName": "none"},
        },
    )
    reply = raw.post(
        "/api/v1/namespaces/default/pods/old-style/eviction",
        {
            "apiVersion": "policy/v1beta1",
            "kind": "Eviction",
            "metadata": {"name": "old-style", "namespace": "default"},
            "deleteOptions": {"gracePeriodSeconds": 0},
        },
    )
    assert (reply.status, reply.json["status"], reply.json["code"]) == (201, "Success", 201)
    assert wait_until(
        lambda: (
            "old-style" not in [p.metadata.name for p in v1.list_namespaced_pod("default").items]
        )
    )


def test_an_eviction_whose_name_is_not_the_url_s_is_a_400_and_changes_nothing(
    raw: Any, v1: Any
) -> None:
    reply = raw.post(
        "/api/v1/namespaces/default/pods/kept/eviction",
        {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "other"}},
    )
    assert (reply.status, reply.json["message"]) == (
        400,
        "name in URL does not match name in Eviction object",
    )
    reply = raw.get("/api/v1/namespaces/default/pods/kept/eviction")
    assert reply.status == 405


def test_kubectl_drain_evicts_what_budgets_allow_and_retries_what_they_do_not(
    engine: Engine, tmp_path: Path
) -> None:
    with serving(engine) as server:
        kubectl = Kubectl(server, tmp_path)
        for name in ("free", "guarded"):
            pod = (
                f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
                f"  labels:\n    app: {name}\n"
                "spec:\n  nodeName: node02\n  containers:\n  - name: c\n    image: nginx\n"
            )
            kubectl(f"create -f {write(kubectl, f'{name}.yaml', pod)}")
        guard = write(
            kubectl,
            "guard.yaml",
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: guard\nspec:\n"
            "  minAvailable: 1\n  selector:\n    matchLabels:\n      app: guarded\n",
        )
        kubectl(f"create -f {guard}")
        kubectl("wait --for=condition=Ready pod/free pod/guarded --timeout=30s")
        assert wait_until(
            lambda: kubectl("get pdb guard -o jsonpath={.status.observedGeneration}") == "1"
        )
        output = kubectl("drain node02 --force --grace-period=1 --timeout=7s", check=False)
        assert "evicting pod default/free" in output and "pod/free evicted" in output
        assert (
            'error when evicting pods/"guarded" -n "default" (will retry after 5s): Cannot evict '
            "pod as it would violate the pod's disruption budget." in output
        )
        assert kubectl("get pods -o name").split() == ["pod/guarded"]


def test_a_scheduler_of_one_s_own_preempts_through_the_eviction_api(engine: Engine) -> None:
    """A custom scheduler (no default scheduler, no controller manager) evicts a pod to make
    room and binds its own there; a budget the disruption controller never observed answers 429
    with a Retry-After of 10 s, as kube-apiserver does for one it has not processed yet."""
    from tests.served import Client

    with serving(engine, without=("scheduler", "controller-manager")) as server:
        raw = Client(server)

        def a_pod(name: str, **spec: Any) -> dict[str, Any]:
            return {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec},
            }

        def phase(name: str) -> str:
            reply = raw.get(f"/api/v1/namespaces/default/pods/{name}")
            if reply.status != 200:
                return ""
            return str((reply.json.get("status") or {}).get("phase", ""))

        for name in ("victim", "kept"):
            assert raw.post("/api/v1/namespaces/default/pods", a_pod(name, nodeName="node01"))
        assert wait_until(lambda: phase("victim") == phase("kept") == "Running", timeout=30)
        budget = {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "kept"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "kept"}}},
        }
        assert (
            raw.post("/apis/policy/v1/namespaces/default/poddisruptionbudgets", budget).status
            == 201
        )

        def evict(name: str) -> Any:
            return raw.post(
                f"/api/v1/namespaces/default/pods/{name}/eviction",
                {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}},
            )

        refused = evict("kept")
        assert (refused.status, refused.headers.get("retry-after")) == (429, "10")
        assert refused.json["details"] == {
            "causes": [
                {
                    "reason": "DisruptionBudget",
                    "message": "The disruption budget kept is still being processed by the server.",
                }
            ],
            "retryAfterSeconds": 10,
        }
        assert evict("victim").status == 201
        assert raw.post("/api/v1/namespaces/default/pods", a_pod("mine")).status == 201
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": "mine"},
            "target": {"apiVersion": "v1", "kind": "Node", "name": "node01"},
        }
        assert raw.post("/api/v1/namespaces/default/pods/mine/binding", binding).status == 201
        assert wait_until(lambda: phase("mine") == "Running", timeout=30)
        assert wait_until(lambda: phase("victim") == "", timeout=40)
        assert phase("kept") == "Running"
