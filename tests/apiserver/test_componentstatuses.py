"""ComponentStatuses: computed from which control-plane parts run, never stored."""

from __future__ import annotations

from collections.abc import Callable

from listwatch import errors
from listwatch.apiserver import componentstatuses
from listwatch.cluster import Cluster


def conditions(running: set[str]) -> dict[str, dict[str, str]]:
    return {
        obj["metadata"]["name"]: obj["conditions"][0] for obj in componentstatuses.statuses(running)
    }


def test_running_parts_and_etcd_are_healthy_with_their_probe_s_answer() -> None:
    found = conditions({"scheduler", "controller-manager"})
    assert list(found) == ["scheduler", "controller-manager", "etcd-0"]
    assert all(c == {"type": "Healthy", "status": "True", "message": "ok"} for c in found.values())


def test_a_part_that_does_not_run_is_refused_as_its_port_would_be() -> None:
    found = conditions({"scheduler"})
    assert found["controller-manager"] == {
        "type": "Healthy",
        "status": "Unknown",
        "error": 'Get "https://127.0.0.1:10257/healthz": dial tcp 127.0.0.1:10257: connect: '
        "connection refused",
    }


def test_the_api_server_answers_from_the_cluster_s_parts_and_stores_nothing(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster(without=("scheduler",))
    listed = cluster.api.list("componentstatuses")
    assert listed.metadata == {}
    assert [o["conditions"][0]["status"] for o in listed.items] == ["Unknown", "True", "True"]
    assert cluster.api.get("componentstatuses", "etcd-0")["conditions"][0]["message"] == "ok"
    assert cluster.store.range("/registry/componentstatuses/")[0] == []
    selected = cluster.api.list("componentstatuses", field_selector="metadata.name=etcd-0")
    assert [o["metadata"]["name"] for o in selected.items] == ["etcd-0"]
    try:
        cluster.api.get("componentstatuses", "nonesuch")
    except errors.NotFound as exc:
        assert str(exc) == 'componentstatus "nonesuch" not found'
    else:
        raise AssertionError("a missing component was found")
