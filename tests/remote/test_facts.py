"""`listwatch diagnose`, `describe` and `logs` through a kubeconfig, against `listwatch serve`.

The served cluster is a real Kubernetes API on 127.0.0.1 (TLS, token) and the commands read it
with the official client, exactly as they would read any cluster: each pod below lands on one
branch of the troubleshooting tree, and the report must name it with its evidence and fix.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from listwatch import cli
from listwatch import engine as engine_module
from listwatch.remote.facts import KubeSource, try_port
from listwatch.remote.kubeapi import KubeAPI
from listwatch.server import Server
from listwatch.troubleshoot.diagnose import diagnose
from tests.served import Client, serving, wait_until

BUSYBOX = "busybox:1.36"


def server_pod(name: str, port: int, *, declared: int) -> dict[str, Any]:
    """A pod whose busybox httpd listens on `port`, declaring containerPort `declared`."""
    body = pod(name, f"httpd -f -p {port}")
    body["metadata"]["labels"] = {"app": name}
    body["spec"]["containers"][0]["ports"] = [{"containerPort": declared}]
    return body


def pod(name: str, command: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": spec.pop("image", BUSYBOX),
                    "command": ["sh", "-c", command],
                }
            ],
            **spec,
        },
    }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One served cluster holding a pod on each branch under test, each settled where it lands."""
    with serving(engine_module.load()) as server:
        client = Client(server)
        for body in (
            pod("healthy", "sleep 3600"),
            pod(
                "failed", "echo started; echo the config is missing; exit 3", restartPolicy="Never"
            ),
            pod("unpullable", "sleep 3600", image="nginx:no-such-tag"),
            pod("unplaced", "sleep 3600", nodeSelector={"cz": "carol"}),
            pod("busybox-tag", "sleep 3600", image="busybox:9.99"),
            server_pod("deaf", 80, declared=8080),
            server_pod("miswired", 80, declared=80),
        ):
            assert client.post("/api/v1/namespaces/default/pods", body).status == 201
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "miswired"},
            "spec": {"selector": {"app": "miswired"}, "ports": [{"port": 80, "targetPort": 8080}]},
        }
        assert client.post("/api/v1/namespaces/default/services", service).status == 201

        def status(name: str) -> dict[str, Any]:
            return dict(
                (client.get(f"/api/v1/namespaces/default/pods/{name}").json or {}).get("status", {})
            )

        def waiting(name: str) -> str:
            statuses = status(name).get("containerStatuses") or [{}]
            return str(statuses[0].get("state", {}).get("waiting", {}).get("reason", ""))

        def unschedulable(name: str) -> bool:
            return any(
                c.get("reason") == "Unschedulable" for c in status(name).get("conditions", [])
            )

        assert wait_until(lambda: status("healthy").get("phase") == "Running", timeout=30)
        assert wait_until(lambda: status("failed").get("phase") == "Failed", timeout=30)
        assert wait_until(
            lambda: waiting("unpullable") in ("ErrImagePull", "ImagePullBackOff"), timeout=30
        )
        assert wait_until(
            lambda: waiting("busybox-tag") in ("ErrImagePull", "ImagePullBackOff"), timeout=30
        )
        assert wait_until(
            lambda: status("deaf").get("phase") == status("miswired").get("phase") == "Running",
            timeout=30,
        )
        assert wait_until(lambda: unschedulable("unplaced"), timeout=30)
        yield server


def listwatch(server: Server, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    assert server.kubeconfig is not None
    code = cli.main([*argv, "--kubeconfig", str(Path(server.kubeconfig))], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("name", "code", "branch", "shown"),
    [
        ("healthy", 0, "TS-50", "The pod is healthy"),
        ("failed", 1, "TS-31", "the config is missing"),
        ("unpullable", 1, "TS-22", "nginx:no-such-tag"),
        ("unplaced", 1, "TS-20", "kubectl label nodes"),
        ("busybox-tag", 1, "TS-22", "kubectl set image pod/busybox-tag main=busybox:1.35"),
        (
            "deaf",
            1,
            "TS-45",
            "pods/deaf:PORT/proxy/) on ports 80, 443, 8000, 8080, 8443, listening: 80",
        ),
        ("deaf", 1, "TS-45", "containerPort 8080 -> 80"),
        ("miswired", 1, "TS-47", "service miswired maps port 80 to targetPort 8080"),
        (
            "miswired",
            1,
            "TS-47",
            "kubectl patch service miswired -p "
            """'{"spec":{"ports":[{"port":80,"targetPort":80,"protocol":"TCP"}]}}'""",
        ),
        ("nowhere", 2, "TS-90", "There is no such pod"),
    ],
)
def test_diagnose_names_the_branch_its_evidence_and_fix(
    served: Server, name: str, code: int, branch: str, shown: str
) -> None:
    exit_code, out, err = listwatch(served, "diagnose", name)
    assert exit_code == code, out + err
    assert branch in out and shown in out, out


def test_describe_prints_the_pod_and_its_events_in_kubectls_shape(served: Server) -> None:
    code, out, _ = listwatch(served, "describe", "pod", "failed")
    assert code == 0
    assert out.startswith("Name:")
    for field in (
        r"^Namespace:\s+default$",
        r"^Node:\s+node0\d/",
        r"^Status:\s+Failed$",
        r"^\s+Exit Code:\s+3$",
        r"^Events:$",
    ):
        assert re.search(field, out, re.MULTILINE), (field, out)
    events = out.split("Events:", 1)[1]
    assert (
        "Normal  Scheduled" in events
        and "default-scheduler" in events
        and "Successfully assigned default/failed to" in events
    )
    assert "Started" in events


def test_logs_prints_what_the_container_wrote(served: Server) -> None:
    code, out, _ = listwatch(served, "logs", "failed")
    assert (code, out) == (0, "started\nthe config is missing\n")
    code, out, _ = listwatch(served, "logs", "failed", "--tail", "1")
    assert (code, out) == (0, "the config is missing\n")


def test_a_missing_pod_is_a_clear_error_for_describe_and_logs(served: Server) -> None:
    for argv in (("describe", "pod", "nowhere"), ("logs", "nowhere")):
        code, _, err = listwatch(served, *argv)
        assert code == 1
        assert 'pods "nowhere" not found' in err, err


def test_a_port_is_tried_from_the_node_through_the_pods_proxy(served: Server) -> None:
    api = KubeAPI(str(served.kubeconfig))
    try:
        assert try_port(api, "deaf", 80, namespace="default") is True
        assert (
            try_port(api, "deaf", 8080, namespace="default") is False
        )  # 503 error trying to reach service
        assert (
            try_port(api, "unplaced", 80, namespace="default") is None
        )  # no IP: address not allowed
        assert try_port(api, "nowhere", 80, namespace="default") is None  # no such pod
    finally:
        api.close()


def test_the_ports_tried_besides_the_manifests_are_the_specs_tried_ports(served: Server) -> None:
    """With 80 left out of the spec's triedPorts, nothing says to try the port the pod "deaf"
    listens on: the diagnosis still lands on TS-45, but cannot show where the pod answers."""
    tree = engine_module.load().spec.troubleshooting
    assert tree is not None and 80 in tree.tried_ports
    api = KubeAPI(str(served.kubeconfig))
    try:
        found = diagnose(dataclasses.replace(tree, tried_ports=(9090,)), KubeSource(api), "deaf")
    finally:
        api.close()
    assert found.finding.id == "TS-45"
    assert "on ports 8080, 9090, listening: nothing" in "\n".join(found.evidence), found.evidence
