"""The cluster backend (remote/cluster.py) against a real served API (`listwatch serve`, in this
process).

What it promises: a namespace of its own that the features see as `default`; the features' node
names on any cluster; nothing left behind at close, node labels included, also when the process
is interrupted; what it observes judged by the checker.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from listwatch import errors
from listwatch.backend import API_ONLY, SERVED, SIMULATOR, Capability, missing
from listwatch.engine import Engine
from listwatch.remote.cluster import MANAGED_BY, RemoteCluster
from listwatch.remote.controlapi import ControlClient
from listwatch.remote.facts import RemoteSource
from listwatch.remote.kubeapi import KubeAPI
from listwatch.remote.names import NameMap, choose_nodes, schedulable
from listwatch.remote.nodelabels import LABELS_BEFORE
from listwatch.remote.nodelock import DisruptionLock, NodeLabelLock
from listwatch.remote.undo import UndoLog
from listwatch.server import Server
from tests.served import serving

ROOT = Path(__file__).resolve().parents[2]
POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web"},
    "spec": {
        "containers": [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "3600"]}]
    },
}


def with_spec(**spec: Any) -> dict[str, Any]:
    return {**POD, "spec": {**POD["spec"], **spec}}


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[Server]:
    with serving(engine, nodes=("worker-a", "worker-b")) as served:
        yield served


@pytest.fixture
def api(server: Server) -> Iterator[KubeAPI]:
    made = KubeAPI(str(server.kubeconfig))
    yield made
    made.close()


@pytest.fixture
def remote(engine: Engine, server: Server, tmp_path: Path) -> Iterator[RemoteCluster]:
    made = RemoteCluster(engine.spec, kubeconfig=str(server.kubeconfig), lock_dir=str(tmp_path))
    made.start(["node01", "node02"])
    yield made
    made.close()


def labels_of(api: KubeAPI, node: str) -> dict[str, str]:
    return dict(api.get("nodes", node)["metadata"].get("labels") or {})


def running(remote: RemoteCluster, name: str) -> bool:
    return remote.pod(name)["status"].get("phase") == "Running"


# -- a namespace of its own ------------------------------------------------------------------------


def test_start_makes_a_namespace_of_its_own_that_the_features_see_as_default(
    remote: RemoteCluster, api: KubeAPI
) -> None:
    namespace = remote.names.namespace
    assert namespace.startswith("listwatch-")
    assert MANAGED_BY.items() <= api.get("namespaces", namespace)["metadata"]["labels"].items()
    created = remote.apply(POD)
    assert created["metadata"]["namespace"] == "default"
    assert (
        api.get("pods", "web", namespace=namespace)["metadata"]["uid"] == created["metadata"]["uid"]
    )
    assert [p["metadata"]["name"] for p in remote.pods()] == ["web"]


def test_close_deletes_what_it_created_and_its_namespace_and_nothing_else(
    engine: Engine, server: Server, api: KubeAPI, tmp_path: Path
) -> None:
    api.create(
        "pods", POD, namespace="default"
    )  # someone else's pod, outside the backend's namespace
    try:
        remote = RemoteCluster(
            engine.spec, kubeconfig=str(server.kubeconfig), lock_dir=str(tmp_path)
        )
        remote.start(["node01", "node02"])
        namespace = remote.names.namespace
        remote.apply(
            {
                "apiVersion": "v1",
                "kind": "ReplicationController",
                "metadata": {"name": "rc"},
                "spec": {
                    "replicas": 2,
                    "selector": {"app": "rc"},
                    "template": {"metadata": {"labels": {"app": "rc"}}, "spec": POD["spec"]},
                },
            }
        )
        assert remote.settle(until=lambda: len(remote.pods()) == 2, horizon=30)
        remote.close()
        for plural in ("pods", "replicationcontrollers", "events"):
            assert api.list(plural, namespace=namespace) == []
        with pytest.raises(errors.NotFound):
            api.get("namespaces", namespace)
        assert (
            api.get("pods", "web", namespace="default")["metadata"].get("deletionTimestamp") is None
        )
    finally:
        api.delete("pods", "web", namespace="default", grace_period_seconds=0)


# -- node labels -----------------------------------------------------------------------------------


def test_node_labels_it_changed_are_restored_at_close_and_others_untouched(
    engine: Engine, server: Server, api: KubeAPI, tmp_path: Path
) -> None:
    api.patch("nodes", "worker-a", {"metadata": {"labels": {"cz": "zed", "keep": "me"}}})
    before = {n: labels_of(api, n) for n in ("worker-a", "worker-b")}
    try:
        remote = RemoteCluster(
            engine.spec, kubeconfig=str(server.kubeconfig), lock_dir=str(tmp_path)
        )
        remote.start(["node01", "node02"])
        remote.label_node("node01", "cz", "alice", overwrite=True)
        remote.label_node("node01", "cz", "bob", overwrite=True)
        remote.label_node("node02", "disk", "ssd")
        assert (
            labels_of(api, "worker-a")["cz"] == "bob"
            and labels_of(api, "worker-b")["disk"] == "ssd"
        )
        remote.close()
        assert {n: labels_of(api, n) for n in ("worker-a", "worker-b")} == before
    finally:
        api.patch("nodes", "worker-a", {"metadata": {"labels": {"cz": None, "keep": None}}})


def test_labelling_without_overwrite_refuses_to_change_a_value_as_kubectl_does(
    remote: RemoteCluster,
) -> None:
    remote.label_node("node01", "cz", "alice")
    with pytest.raises(
        errors.Conflict, match=r"'cz' already has a value \(alice\), and --overwrite is false"
    ):
        remote.label_node("node01", "cz", "bob")


def test_an_interrupted_run_restores_labels_and_deletes_its_namespace(
    server: Server, api: KubeAPI, tmp_path: Path
) -> None:
    """SIGTERM in the middle of a scenario: the undo runs before the process ends."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from listwatch import engine
        from listwatch.remote.cluster import RemoteCluster
        remote = RemoteCluster(
            engine.load().spec, kubeconfig={str(server.kubeconfig)!r}, lock_dir={str(tmp_path)!r}
        )
        remote.start(["node01", "node02"])
        remote.label_node("node02", "interrupted", "yes")
        remote.apply({{"apiVersion": "v1", "kind": "Pod", "metadata": {{"name": "web"}},
                       "spec": {{"containers": [{{"name": "app", "image": "busybox:1.36"}}]}}}})
        print(remote.names.namespace, flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        print("not reached", flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -15, done.stderr  # ended by the SIGTERM, as it would have been
    namespace = done.stdout.split()[0]
    assert "not reached" not in done.stdout
    assert "interrupted" not in labels_of(api, "worker-b")
    with pytest.raises(errors.NotFound):
        api.get("namespaces", namespace)
    assert api.list("pods", namespace=namespace) == []


def test_labels_a_killed_run_left_are_put_back_by_the_next_run_to_take_the_lock(
    engine: Engine, server: Server, api: KubeAPI, tmp_path: Path
) -> None:
    """SIGKILL cannot be caught: the node keeps what its labels were in an annotation, and the
    next run to take the node-label lock puts them back (here, by creating a nodeSelector pod)."""
    api.patch("nodes", "worker-b", {"metadata": {"labels": {"cz": "zed"}}})
    script = textwrap.dedent(
        f"""
        import os, signal
        from listwatch import engine
        from listwatch.remote.cluster import RemoteCluster
        remote = RemoteCluster(
            engine.load().spec, kubeconfig={str(server.kubeconfig)!r}, lock_dir={str(tmp_path)!r}
        )
        remote.start(["node01", "node02"])
        remote.label_node("node02", "cz", "bob", overwrite=True)
        remote.label_node("node02", "killed", "yes")
        print(remote.names.namespace, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -9, done.stderr
    left = api.get("nodes", "worker-b")["metadata"]
    try:
        assert (left["labels"]["cz"], left["labels"]["killed"]) == ("bob", "yes")
        assert json.loads(left["annotations"][LABELS_BEFORE]) == {"cz": "zed", "killed": None}
        remote = RemoteCluster(
            engine.spec, kubeconfig=str(server.kubeconfig), lock_dir=str(tmp_path)
        )
        remote.start(["node01", "node02"])
        try:
            remote.apply({**with_spec(nodeSelector={"cz": "zed"}), "metadata": {"name": "picky"}})
            now = api.get("nodes", "worker-b")["metadata"]
            assert (now["labels"]["cz"], "killed" in now["labels"]) == ("zed", False)
            assert LABELS_BEFORE not in (now.get("annotations") or {})
        finally:
            remote.close()
    finally:
        api.patch(
            "nodes",
            "worker-b",
            {
                "metadata": {
                    "labels": {"cz": None, "killed": None},
                    "annotations": {LABELS_BEFORE: None},
                }
            },
        )
        api.delete("namespaces", done.stdout.split()[0])


def test_a_labels_before_annotation_that_is_not_one_is_a_clear_error(
    engine: Engine, server: Server, api: KubeAPI, tmp_path: Path
) -> None:
    api.patch("nodes", "worker-a", {"metadata": {"annotations": {LABELS_BEFORE: "[1]"}}})
    remote = RemoteCluster(engine.spec, kubeconfig=str(server.kubeconfig), lock_dir=str(tmp_path))
    remote.start(["node01", "node02"])
    try:
        with pytest.raises(
            errors.ListwatchError,
            match=r"node worker-a: metadata.annotations\['listwatch.io/labels-before'\] is "
            r"'\[1\]', expected",
        ):
            remote.label_node("node01", "cz", "alice")
    finally:
        api.patch("nodes", "worker-a", {"metadata": {"annotations": {LABELS_BEFORE: None}}})
        remote.close()


def test_a_second_run_waits_for_the_node_label_lock(tmp_path: Path) -> None:
    first, second = (
        NodeLabelLock("https://127.0.0.1:1", directory=str(tmp_path)),
        NodeLabelLock("https://127.0.0.1:1", directory=str(tmp_path)),
    )
    first.acquire()
    got = threading.Event()
    waiter = threading.Thread(target=lambda: (second.acquire(), got.set()))
    waiter.start()
    assert not got.wait(0.3)
    first.release()
    assert got.wait(5)
    second.release()
    waiter.join()


def test_a_pod_placed_by_labels_takes_the_node_label_lock_and_close_releases_it(
    remote: RemoteCluster,
) -> None:
    remote.apply(POD)
    assert not remote.lock.held
    remote.apply({**with_spec(nodeSelector={"cz": "bob"}), "metadata": {"name": "picky"}})
    assert remote.lock.held
    remote.close()
    assert not remote.lock.held


def test_a_pod_that_asks_for_resources_takes_the_node_lock_too(remote: RemoteCluster) -> None:
    """Two scenarios that each fill a node's CPU would make the kubelet reject the other's pods:
    a pod with resource requests holds the same lock as one placed by labels."""
    hungry = dict(POD["spec"]["containers"][0], resources={"requests": {"cpu": "3"}})
    remote.apply({**with_spec(containers=[hungry]), "metadata": {"name": "hungry"}})
    assert remote.lock.held
    remote.close()
    assert not remote.lock.held


# -- the features' node names on any cluster -------------------------------------------------------


def test_feature_nodes_map_in_order_onto_schedulable_nodes_and_back(
    remote: RemoteCluster, api: KubeAPI
) -> None:
    assert remote.names.nodes == {"node01": "worker-a", "node02": "worker-b"}
    assert remote.describe().endswith("nodes node01 -> worker-a, node02 -> worker-b")
    remote.label_node("node02", "cz", "bob")
    assert labels_of(api, "worker-b")["cz"] == "bob"
    remote.apply(with_spec(nodeSelector={"cz": "bob"}))
    assert remote.settle(until=lambda: running(remote, "web"), horizon=30)
    pod = remote.pod("web")
    assert pod["spec"]["nodeName"] == "node02"
    assert (
        api.get("pods", "web", namespace=remote.names.namespace)["spec"]["nodeName"] == "worker-b"
    )
    messages = [e["message"] for e in remote.events_for(pod) if e["reason"] == "Scheduled"]
    assert messages == ["Successfully assigned default/web to node02"]


def test_a_node_named_by_the_scenario_goes_to_its_cluster_node(remote: RemoteCluster) -> None:
    remote.apply(with_spec(nodeName="node01"))
    assert remote.settle(until=lambda: running(remote, "web"), horizon=30)
    assert remote.pod("web")["spec"]["nodeName"] == "node01"
    assert {
        e["source"].get("host")
        for e in remote.events_for(remote.pod("web"))
        if e["reason"] == "Started"
    } == {"node01"}


def test_a_cluster_with_the_features_node_names_keeps_them() -> None:
    nodes = [{"metadata": {"name": n}} for n in ("node02", "node01", "other")]
    assert choose_nodes(["node01", "node02"], nodes) == {"node01": "node01", "node02": "node02"}


def test_cordoned_tainted_and_unready_nodes_are_not_chosen_and_too_few_is_said() -> None:
    ready = {"conditions": [{"type": "Ready", "status": "True"}]}
    nodes = [
        {"metadata": {"name": "a"}, "spec": {"unschedulable": True}, "status": ready},
        {
            "metadata": {"name": "b"},
            "spec": {
                "taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
            },
            "status": ready,
        },
        {
            "metadata": {"name": "c"},
            "spec": {},
            "status": {"conditions": [{"type": "Ready", "status": "False"}]},
        },
        {"metadata": {"name": "d"}, "spec": {}, "status": ready},
    ]
    assert choose_nodes(["node01"], nodes) == {"node01": "d"}
    with pytest.raises(
        errors.BackendUnavailable,
        match=r"needs 2 nodes \(node01, node02\) and the cluster has 1 schedulable \(d\)",
    ):
        choose_nodes(["node01", "node02"], nodes)


def test_a_view_renames_whole_node_names_only_and_leaves_the_object_untouched() -> None:
    names = NameMap("listwatch-1", {"node01": "kind-worker", "node02": "kind-worker2"})
    event = {
        "kind": "Event",
        "metadata": {"namespace": "listwatch-1"},
        "message": "Successfully assigned listwatch-1/web to kind-worker2",
    }
    assert names.view(event)["message"] == "Successfully assigned default/web to node02"
    assert (
        names.message("on kind-worker and kind-worker.example")
        == "on node01 and kind-worker.example"
    )
    assert event["metadata"]["namespace"] == "listwatch-1"


# -- observed and checked --------------------------------------------------------------------------


def test_the_recorded_watch_streams_pass_the_checker_for_a_pod_that_ran(
    remote: RemoteCluster,
) -> None:
    remote.apply(with_spec(nodeSelector={}))
    assert remote.settle(until=lambda: running(remote, "web"), horizon=30)
    # The flow ends with the pod's Running status, which may reach the recorder after the
    # Started Event (LW-12): wait for the end, not only for LW-12.
    assert remote.settle(
        until=lambda: next(iter(remote.report().pods)).verdict != "inconclusive", horizon=10
    )
    report = remote.report()
    assert report.violations == ()
    [verdict] = report.pods
    assert (verdict.pod.name, verdict.verdict) == ("web", "pass")
    assert {"LW-02", "LW-10", "LW-12"} <= set(verdict.steps)
    kinds = {(r.get("object") or r).get("kind") for r in remote.records()}
    assert {"Pod", "Event", "Node"} <= kinds


def test_records_in_revision_order_put_an_effect_after_its_cause(remote: RemoteCluster) -> None:
    remote.apply(POD)
    assert remote.settle(until=lambda: running(remote, "web"), horizon=30)
    assert remote.recorder is not None
    ordered = remote.recorder.in_revision_order()
    revisions = [
        int(((r.get("object") or r).get("metadata") or {}).get("resourceVersion") or 0)
        for r in ordered
    ]
    assert revisions == sorted(revisions)
    assert sorted(map(str, ordered)) == sorted(map(str, remote.records()))


def test_settle_without_a_condition_waits_for_the_watches_to_fall_quiet(
    remote: RemoteCluster,
) -> None:
    assert remote.settle(horizon=30)


def test_the_troubleshooting_source_reads_through_the_backend_in_the_features_names(
    remote: RemoteCluster,
) -> None:
    source = RemoteSource(remote)
    assert sorted(n["metadata"]["name"] for n in source.nodes()) == ["node01", "node02"]
    assert source.pod("ghost", "default") is None
    assert source.listening(POD, "app") is None


# -- capabilities and undo -------------------------------------------------------------------------


def test_a_step_needing_a_capability_the_backend_lacks_is_told_where_it_can_run() -> None:
    assert missing(SIMULATOR, Capability.COMPACTION, backend="memory") is None
    assert missing(API_ONLY, Capability.KUBELET_CONTROL, backend="cluster") == (
        "the cluster backend cannot stop or restart a node's kubelet: only a simulator (--backend "
        "memory or docker) can, "
        "or the cluster backend against listwatch serve (its control API, /listwatch/v1)"
    )
    assert missing(SERVED, Capability.INTERNAL_STEPS, backend="cluster") == (
        "the cluster backend cannot report the flow's internal steps (etcd writes, watch events "
        "passed on, a component's "
        "decisions): only a simulator (--backend memory or docker) can"
    )


# -- out-of-band control: listwatch serve's control API --------------------------------------------


def test_against_listwatch_serve_it_finds_the_control_api_and_holds_the_disruption_lock_shared(
    remote: RemoteCluster,
) -> None:
    assert remote.control is not None
    assert remote.capabilities == SERVED
    assert remote.disruption.mode == "shared"


def test_before_start_and_where_the_control_path_is_404_it_has_no_capabilities(
    engine: Engine, server: Server, tmp_path: Path
) -> None:
    """A real cluster answers 404 at /listwatch/v1: here, the served API under a path it does not
    serve."""
    assert RemoteCluster(engine.spec, kubeconfig=str(server.kubeconfig)).capabilities == API_ONLY
    config = yaml.safe_load(Path(str(server.kubeconfig)).read_text())
    config["clusters"][0]["cluster"]["server"] += "/elsewhere"
    elsewhere = tmp_path / "kubeconfig"
    elsewhere.write_text(yaml.safe_dump(config))
    api = KubeAPI(str(elsewhere))
    try:
        with pytest.raises(errors.NotFound):
            api.request("GET", "/listwatch/v1")
        assert ControlClient.probe(api) is None
    finally:
        api.close()


def test_watches_and_list_watches_come_in_the_features_node_names(remote: RemoteCluster) -> None:
    """The served nodes are worker-a and worker-b; the features' node01 is worker-a."""
    assert remote.control is not None
    assert {w["fieldSelector"] for w in remote.control.watches(actor="kubelet/worker-a")} == {
        "spec.nodeName=worker-a",
        "metadata.name=worker-a",
    }
    own = remote.watches(actor="kubelet/node01")
    assert {(w["actor"], w["resource"], w["fieldSelector"]) for w in own} == {
        ("kubelet/node01", "pods", "spec.nodeName=node01"),
        ("kubelet/node01", "nodes", "metadata.name=node01"),
    }
    assert ("scheduler", "spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed") in {
        (w["actor"], w["fieldSelector"]) for w in remote.watches()
    }
    assert {i["watch"] for i in remote.informers(actor="kubelet/node02")} == {"pods", "node"}


def test_a_held_watch_is_reconnected_at_close_and_the_lock_released(
    engine: Engine, server: Server, api: KubeAPI, tmp_path: Path
) -> None:
    remote = RemoteCluster(engine.spec, kubeconfig=str(server.kubeconfig), lock_dir=str(tmp_path))
    remote.start(["node01", "node02"])
    try:
        remote.cut("kubelet/node02", resource="pods", reconnect=False)
        assert remote.disruption.mode == "exclusive"
        (held,) = [i for i in remote.informers(actor="kubelet/node02") if i["watch"] == "pods"]
        assert held["held"] and held["actor"] == "kubelet/node02"
    finally:
        remote.close()
    assert remote.disruption.mode == ""
    control = ControlClient(api)
    (back,) = [i for i in control.informers(actor="kubelet/worker-b") if i["watch"] == "pods"]
    assert not back["held"]


def test_a_stopped_kubelet_is_restarted_at_close_and_its_node_schedulable(
    engine: Engine, server: Server, api: KubeAPI, tmp_path: Path
) -> None:
    remote = RemoteCluster(engine.spec, kubeconfig=str(server.kubeconfig), lock_dir=str(tmp_path))
    remote.start(["node01", "node02"])
    control = ControlClient(api)
    try:
        remote.stop_kubelet("node02")
        assert control.kubelet("worker-b")["state"] == "Stopped"
        assert control.kubelet("worker-a")["state"] == "Running"
    finally:
        remote.close()
    assert control.kubelet("worker-b")["state"] == "Running"
    assert schedulable(control.api.get("nodes", "worker-b"))


def test_a_scenario_holding_the_node_label_lock_cannot_also_stop_a_kubelet(
    remote: RemoteCluster,
) -> None:
    remote.label_node("node01", "cz", "alice")
    with pytest.raises(
        errors.ListwatchError,
        match="a scenario that holds the node-label lock cannot also stop the kubelet of node02",
    ):
        remote.stop_kubelet("node02")
    assert remote.disruption.mode == "shared"


def test_without_a_control_api_the_kubelet_is_the_users_to_restart(
    engine: Engine, server: Server
) -> None:
    remote = RemoteCluster(
        engine.spec, kubeconfig=str(server.kubeconfig)
    )  # not started: no control API found
    try:
        with pytest.raises(
            errors.BackendUnavailable, match="run `systemctl restart kubelet` on node01"
        ):
            remote.restart_kubelet("node01")
    finally:
        remote.api.close()


def test_disruption_lock_holders_share_it_and_one_that_excludes_waits_for_them(
    tmp_path: Path,
) -> None:
    first, second, third = (
        DisruptionLock("https://127.0.0.1:1", directory=str(tmp_path)) for _ in range(3)
    )
    first.share()
    second.share()  # shared holders do not wait for each other
    excluded = threading.Event()
    waiter = threading.Thread(target=lambda: (third.exclude(), excluded.set()))
    waiter.start()
    assert not excluded.wait(0.3)
    first.release()
    assert not excluded.wait(0.3)
    second.release()
    assert excluded.wait(5)
    waiter.join()
    third.release()


def test_a_disruption_lock_waiting_to_exclude_goes_before_later_sharers(tmp_path: Path) -> None:
    holder, excluder, late = (
        DisruptionLock("https://127.0.0.1:1", directory=str(tmp_path)) for _ in range(3)
    )
    holder.share()
    order: list[str] = []
    excluding = threading.Thread(target=lambda: (excluder.exclude(), order.append("excluded")))
    excluding.start()
    excluding.join(0.3)
    assert excluding.is_alive() and order == []
    sharing = threading.Thread(target=lambda: (late.share(), order.append("shared")))
    sharing.start()
    sharing.join(0.3)
    assert order == []  # the late sharer waits at the gate behind the one waiting to exclude
    holder.release()
    excluding.join(5)
    assert order == ["excluded"]
    excluder.release()
    sharing.join(5)
    assert order == ["excluded", "shared"]
    late.release()


def test_an_undo_log_runs_newest_first_once_and_goes_on_past_a_failure() -> None:
    done: list[str] = []
    log = UndoLog("test")
    log.push("first", lambda: done.append("first"))
    log.push("broken", lambda: (_ for _ in ()).throw(RuntimeError("stuck")))
    log.push("last", lambda: done.append("last"))
    assert log.undo() == ["broken: stuck"]
    assert done == ["last", "first"]
    assert log.undo() == [] and done == ["last", "first"]
