"""The troubleshooting tree: loading and checking it, walking it, its fixes; names resolved at
load."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from listwatch import engine as engine_module
from listwatch.cluster import Cluster
from listwatch.clusterfacts import ClusterSource
from listwatch.engine import Engine
from listwatch.errors import SpecError
from listwatch.troubleshoot.diagnose import diagnose, write
from listwatch.troubleshoot.fixes import corrected_command, manifest
from listwatch.troubleshoot.images import same_repository
from tests.builders import pod
from tests.conftest import SPEC


def spec_with(tmp_path: Path, old: str, new: str) -> Path:
    root = tmp_path / "spec"
    shutil.copytree(SPEC, root)
    path = root / "troubleshooting.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return root


def test_the_tree_loads_with_stable_ids_and_a_finding_at_every_leaf(engine: Engine) -> None:
    tree = engine.spec.troubleshooting
    assert tree is not None and tree.start == "TS-01"
    findings = {n.id for n in tree.nodes.values() if n.is_finding}
    assert {
        "TS-20",
        "TS-21",
        "TS-22",
        "TS-30",
        "TS-31",
        "TS-41",
        "TS-43",
        "TS-45",
        "TS-47",
        "TS-80",
        "TS-90",
        "TS-50",
    } <= findings
    assert [s.phase for s in tree.statuses] == [
        "Pending",
        "Running",
        "Succeeded",
        "Failed",
        "Unknown",
    ]


def test_an_unknown_check_name_is_a_load_error_with_file_path_and_line(tmp_path: Path) -> None:
    root = spec_with(tmp_path, "check: phase_pending,", "check: phase_pendng,")
    with pytest.raises(SpecError) as caught:
        engine_module.load(root)
    assert (
        caught.value.file == "spec/troubleshooting.yaml" and caught.value.path == "nodes[2].check"
    )
    assert "'phase_pendng'" in caught.value.problem and caught.value.line is not None


def test_a_branch_to_an_undeclared_node_is_a_load_error(tmp_path: Path) -> None:
    root = spec_with(tmp_path, '"no": TS-90}', '"no": TS-99}')
    with pytest.raises(
        SpecError, match=r"nodes\[0\]\.no: the id of a declared node, found 'TS-99'"
    ):
        engine_module.load(root)


def test_a_cycle_is_a_load_error(tmp_path: Path) -> None:
    root = spec_with(tmp_path, '"yes": TS-11, "no": TS-23}', '"yes": TS-11, "no": TS-10}')
    with pytest.raises(SpecError, match="is a cycle"):
        engine_module.load(root)


def test_a_failing_script_is_corrected_by_dropping_what_fails() -> None:
    assert corrected_command(["sh", "-c", "echo started; exit 3"]) == ["sh", "-c", "echo started"]
    assert corrected_command(["sh", "-c", "echo hi; exit 0"]) is None
    assert corrected_command(["false"]) == ["true"]
    assert corrected_command(["sleep", "10"]) is None


def test_a_pod_becomes_a_manifest_without_what_the_server_set(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    created = cluster.apply(pod("web", node_name="node01"))
    again = manifest(created)
    assert set(again["metadata"]) == {"name", "namespace", "labels"} and "status" not in again
    assert "volumes" not in again["spec"] and "volumeMounts" not in again["spec"]["containers"][0]
    cluster.delete("pods", "web", grace_period_seconds=0)
    recreated = cluster.apply(again)
    assert next(v["name"] for v in recreated["spec"]["volumes"]).startswith("kube-api-access-")
    assert len(recreated["spec"]["volumes"]) == 1


def test_the_report_lists_the_path_the_finding_its_evidence_and_the_fix(
    make_cluster: Callable[..., Cluster], engine: Engine
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_selector={"cz": "carol"}))
    cluster.settle()
    assert engine.spec.troubleshooting is not None
    found = diagnose(engine.spec.troubleshooting, ClusterSource(cluster), "web")
    out = io.StringIO()
    write(found, out)
    text = out.getvalue()
    assert text.splitlines()[0] == "Diagnosis of pod default/web:"
    assert "  TS-11  Does some node match the pod's nodeSelector?  no" in text
    assert "  => TS-20  No node matches the pod's nodeSelector  (problem)" in text
    assert "Fix:\n  kubectl label nodes node01 cz=carol\n" in text
    assert found.exit_code == 1


def test_a_healthy_pod_exits_0_and_a_missing_one_2(
    make_cluster: Callable[..., Cluster], engine: Engine
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle()
    tree = engine.spec.troubleshooting
    assert tree is not None
    assert diagnose(tree, ClusterSource(cluster), "web").exit_code == 0
    assert diagnose(tree, ClusterSource(cluster), "ghost").exit_code == 2


# -- what the nodes have, and what answers ---------------------------------------------------------


def node_with(*names: list[str]) -> dict[str, Any]:
    return {"status": {"images": [{"names": n, "sizeBytes": 1} for n in names]}}


def test_the_images_of_a_repository_are_the_other_tags_the_nodes_list_newest_numbered_first() -> (
    None
):
    nodes = [
        node_with(
            ["docker.io/library/busybox@sha256:aa", "docker.io/library/busybox:1.35"],
            ["registry.k8s.io/pause:3.10"],
        ),
        node_with(
            ["busybox:latest", "busybox:1.37"],
            ["docker.io/library/busybox:9.99"],
            ["127.0.0.1:5000/busybox:1.40"],
        ),
    ]
    assert same_repository(nodes, "busybox:9.99") == [
        "busybox:1.37",
        "busybox:1.35",
        "busybox:latest",
    ]
    assert same_repository(nodes, "docker.io/library/busybox:9.99") == [
        "docker.io/library/busybox:1.37",
        "docker.io/library/busybox:1.35",
        "docker.io/library/busybox:latest",
    ]
    assert same_repository(nodes, "nginx:1.15") == []


def test_an_unpullable_image_is_fixed_with_one_its_nodes_already_have(
    make_cluster: Callable[..., Cluster], engine: Engine
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", image="busybox:9.99", command=["sleep", "3600"]))
    cluster.settle()
    assert engine.spec.troubleshooting is not None
    found = diagnose(engine.spec.troubleshooting, ClusterSource(cluster), "web")
    assert found.finding.id == "TS-22" and found.fix is not None
    assert found.fix.commands == ("kubectl set image pod/web main=busybox:1.35",)
    assert (
        "images of busybox:9.99's repository the nodes have (status.images): busybox:1.35"
        in found.evidence
    )


def test_a_pod_answers_on_the_ports_its_containers_listen_on(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", image="busybox:1.36", command=["httpd", "-f", "-p", "8080"]))
    source = ClusterSource(cluster)
    assert source.answers(cluster.pod("web"), 8080) is None  # no IP yet: it cannot be tried
    cluster.settle()
    assert (source.answers(cluster.pod("web"), 8080), source.answers(cluster.pod("web"), 80)) == (
        True,
        False,
    )
