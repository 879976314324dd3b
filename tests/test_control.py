"""Out-of-band control of an in-process cluster (listwatch.control): under the logical clock,
exactly."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from listwatch import errors
from listwatch.cluster import Cluster
from listwatch.control import Control
from tests.builders import pod


def test_a_held_off_kubelet_misses_a_pod_until_it_reconnects_then_relists_and_starts_it_once(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    control = Control(cluster)
    cut = control.cut("kubelet/node01", resource="pods", reconnect=False)
    assert [(w["resource"], w["fieldSelector"]) for w in cut] == [("pods", "spec.nodeName=node01")]
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle()
    assert cluster.pod("web")["status"]["phase"] == "Pending"
    (held,) = [i for i in control.informers(actor="kubelet/node01") if i["watch"] == "pods"]
    assert held["held"] and not held["connected"] and held["lists"] == 1
    compaction = control.compact()
    assert compaction["revision"] == cluster.store.revision == compaction["currentRevision"]
    control.reconnect("kubelet/node01")
    cluster.settle()
    (back,) = [i for i in control.informers(actor="kubelet/node01") if i["watch"] == "pods"]
    assert (back["lists"], back["state"], back["connected"], back["held"]) == (
        2,
        "Watching",
        True,
        False,
    )
    assert cluster.pod("web")["status"]["phase"] == "Running"
    assert [
        e["count"] for e in cluster.events_for(cluster.pod("web")) if e["reason"] == "Started"
    ] == [1]


def test_a_stopped_kubelet_forgets_what_was_held_and_restarts_watching(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    control = Control(cluster)
    control.cut("kubelet/node02", reconnect=False)
    assert control.stop_kubelet("node02")["state"] == "Stopped"
    assert control.watches(actor="kubelet/node02") == []
    with pytest.raises(errors.NotFound, match="no watch held off by a cut"):
        control.reconnect("kubelet/node02")
    assert control.restart_kubelet("node02")["state"] == "Running"
    cluster.settle(until=lambda: len(control.watches(actor="kubelet/node02")) == 2)
    assert {w["resource"] for w in control.watches(actor="kubelet/node02")} == {"pods", "nodes"}


def test_compaction_keeps_to_etcds_rules(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    control = Control(cluster)
    current = cluster.store.revision
    assert control.compact(current - 1)["revision"] == current - 1
    with pytest.raises(errors.Conflict, match="required revision has been compacted"):
        control.compact(current - 1)
    with pytest.raises(errors.BadRequest, match="future revision"):
        control.compact(current + 1)
    assert control.compact()["revision"] == current
    assert (
        control.compact()["revision"] == current
    )  # to the current revision again: nothing more to forget
