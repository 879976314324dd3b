"""Components never die on data: an object a component cannot handle is logged, recorded on the
cluster's `component_errors`, retried with back-off, and the component goes on with the others.

The odd objects are written straight into the store (as an older API server, or a bug elsewhere,
could have left them), since the API's validation would refuse most of them.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

import pytest

from listwatch.apiserver import objects
from listwatch.apiserver.resources import RESOURCES
from listwatch.cluster import Cluster
from listwatch.components import failures
from tests.builders import condition, pod, replication_controller

QUANTITY_ERROR = (
    "ValueError: quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$', found 'lots'"
)


def store_directly(cluster: Cluster, resource: str, obj: dict[str, Any]) -> None:
    """Write `obj` into etcd as is, past the API server's validation (the watches see it)."""
    obj = copy.deepcopy(obj)
    meta = obj.setdefault("metadata", {})
    if RESOURCES[resource].namespaced:
        meta.setdefault("namespace", "default")
    meta["resourceVersion"] = str(cluster.store.next_revision())
    meta.setdefault("uid", f"uid-{meta['name']}")
    meta.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
    key = RESOURCES[resource].key(meta.get("namespace", ""), meta["name"])
    if cluster.store.get(key) is None:
        cluster.store.create(key, obj)
    else:
        cluster.store.update(key, obj)


def settle(cluster: Cluster, seconds: float = 120.0) -> None:
    cluster.settle(horizon=cluster.clock.now() + seconds)


def taken_errors(cluster: Cluster) -> list[str]:
    """The errors recorded so far, taken off the list (the fixture checks it is empty at last)."""
    found = [str(error) for error in cluster.component_errors]
    cluster.component_errors.clear()
    return found


def a_good_pod_runs(cluster: Cluster, name: str = "good") -> bool:
    cluster.apply(pod(name))
    settle(cluster, 30)
    return bool(cluster.pod(name)["status"].get("phase") == "Running")


def test_a_pod_the_scheduler_cannot_read_is_logged_retried_with_back_off_then_left(
    make_cluster: Callable[..., Cluster], caplog: pytest.LogCaptureFixture
) -> None:
    cluster = make_cluster()
    odd = pod("nospec")
    del odd["spec"]
    with caplog.at_level(logging.ERROR, logger="listwatch.components"):
        store_directly(cluster, "pods", odd)
        settle(cluster)
    line = "scheduler: cannot handle ADDED Pod default/nospec: KeyError: 'spec'"
    assert taken_errors(cluster) == [line] * (1 + failures.RETRY_LIMIT)
    assert [r.getMessage() for r in caplog.records] == [line] * (1 + failures.RETRY_LIMIT)
    assert a_good_pod_runs(cluster)


def test_a_failed_object_is_handled_again_on_its_next_event(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    odd = pod("late")
    del odd["spec"]
    store_directly(cluster, "pods", odd)
    cluster.loop.run_ready()
    assert taken_errors(cluster) == [
        "scheduler: cannot handle ADDED Pod default/late: KeyError: 'spec'"
    ]
    store_directly(cluster, "pods", {**pod("late"), "status": {"phase": "Pending"}})
    settle(cluster)
    assert cluster.pod("late")["spec"].get("nodeName")  # bound: the later event was handled
    assert taken_errors(cluster) == []  # and the pending retry of the old version did nothing


def test_a_node_with_unreadable_status_is_skipped_by_the_scheduler_and_node_lifecycle(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "odd"},
        "status": {"allocatable": {"cpu": "x"}, "conditions": "not a list"},
    }
    store_directly(cluster, "nodes", node)
    settle(cluster)
    found = taken_errors(cluster)
    assert set(found) == {
        "controller-manager: cannot handle ADDED Node odd: "
        "AttributeError: 'str' object has no attribute 'get'",
        "scheduler: cannot handle ADDED Node odd: ValueError: quantities must match the regular "
        "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$', found 'x'",
    }
    assert len(found) == 2 * (1 + failures.RETRY_LIMIT)
    assert a_good_pod_runs(cluster)


def test_a_scheduling_error_other_than_a_misfit_is_a_failed_scheduling_event(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    odd = pod("greedy")
    odd["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "lots"}}
    store_directly(cluster, "pods", odd)
    settle(cluster, 5)
    assert taken_errors(cluster) == [
        f"scheduler: cannot handle schedule Pod default/greedy: {QUANTITY_ERROR}"
    ]
    greedy = cluster.pod("greedy")
    message = QUANTITY_ERROR.removeprefix("ValueError: ")
    assert [(e["type"], e["reason"], e["message"]) for e in cluster.events_for(greedy)] == [
        ("Warning", "FailedScheduling", message)
    ]
    scheduled = condition(greedy, "PodScheduled") or {}
    assert (scheduled["status"], scheduled["reason"], scheduled["message"]) == (
        "False",
        "SchedulerError",
        message,
    )
    assert a_good_pod_runs(cluster)


def test_a_template_the_api_refuses_is_a_failed_create_event_and_other_controllers_go_on(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    refused = replication_controller("refused", 1)
    refused["spec"]["template"]["spec"]["containers"][0]["name"] = "Bad_Name"
    store_directly(cluster, "replicationcontrollers", refused)
    cluster.apply(replication_controller("web", 2))
    settle(cluster, 30)
    events = cluster.events_for(cluster.api.get("replicationcontrollers", "refused"))
    assert events and {(e["type"], e["reason"]) for e in events} == {("Warning", "FailedCreate")}
    assert events[0]["message"].startswith('Error creating: Pod "refused-')
    assert events[0]["message"].endswith(
        'is invalid: spec.containers[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 '
        "label must consist of lower case alphanumeric characters or '-', and must start and end "
        "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation "
        "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    )
    web = [p for p in cluster.pods() if (objects.controller_of(p) or {}).get("name") == "web"]
    assert [p["status"]["phase"] for p in web] == ["Running", "Running"]
    assert taken_errors(cluster) == []  # a refused create is no component error


def test_a_controller_whose_sync_fails_is_retried_with_back_off_and_the_others_go_on(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    odd = replication_controller("odd", 1)
    odd["spec"]["replicas"] = "two"
    store_directly(cluster, "replicationcontrollers", odd)
    cluster.apply(replication_controller("web", 1))
    settle(cluster)
    line = (
        "controller-manager: cannot handle sync ReplicationController default/odd: "
        "ValueError: invalid literal for int() with base 10: 'two'"
    )
    assert taken_errors(cluster) == [line] * (1 + failures.RETRY_LIMIT)
    web = [p for p in cluster.pods() if (objects.controller_of(p) or {}).get("name") == "web"]
    assert [p["status"]["phase"] for p in web] == ["Running"]


def test_an_unparsable_image_reference_does_not_stop_the_kubelet(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("shouty", image="Nginx:Latest", node_name="node01"))
    settle(cluster, 30)
    waiting = cluster.pod("shouty")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "InvalidImageName"
    cluster.apply(pod("good", node_name="node01"))
    settle(cluster, 30)
    assert cluster.pod("good")["status"]["phase"] == "Running"
    assert taken_errors(cluster) == []
