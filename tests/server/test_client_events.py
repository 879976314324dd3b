"""Events through the official Python client: events.k8s.io/v1 served over the core/v1 Events'
storage, the components' Events as v1.32's write them, and Event validation."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import official_client, serving, wait_until

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

MICROTIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[Server]:
    with serving(engine) as served:
        yield served


@pytest.fixture(scope="module")
def api_client(server: Server) -> Iterator[Any]:
    with official_client(server) as api:
        yield api


@pytest.fixture(scope="module")
def v1(api_client: Any) -> Any:
    return client.CoreV1Api(api_client)


@pytest.fixture(scope="module")
def events_v1(api_client: Any) -> Any:
    return client.EventsV1Api(api_client)


@pytest.fixture(scope="module")
def scheduled(v1: Any) -> Any:
    """A pod the scheduler places, once it runs."""
    v1.create_namespaced_pod(
        "default",
        client.V1Pod(
            metadata=client.V1ObjectMeta(name="placed"),
            spec=client.V1PodSpec(
                containers=[
                    client.V1Container(name="c", image="busybox:1.36", command=["sleep", "3600"])
                ]
            ),
        ),
    )
    assert wait_until(
        lambda: v1.read_namespaced_pod("placed", "default").status.phase == "Running", timeout=30
    )
    return v1.read_namespaced_pod("placed", "default")


def raw(call: Any, *args: Any, **kwargs: Any) -> Any:
    """An answer's JSON as the server wrote it (the client's models would fill in None)."""
    return json.loads(call(*args, _preload_content=False, **kwargs).data)


def about(events: list[dict[str, Any]], pod: Any, reason: str) -> dict[str, Any]:
    key = "involvedObject" if "involvedObject" in events[0] else "regarding"
    found = [e for e in events if e[key].get("uid") == pod.metadata.uid and e["reason"] == reason]
    assert len(found) == 1, found
    return found[0]


def test_the_scheduled_event_reads_through_core_v1_as_a_v1_32_cluster_lists_it(
    v1: Any, scheduled: Any
) -> None:
    events = raw(v1.list_namespaced_event, "default")["items"]
    event = about(events, scheduled, "Scheduled")
    assert event["message"] == f"Successfully assigned default/placed to {scheduled.spec.node_name}"
    assert event["source"] == {} and "count" not in event
    assert event["firstTimestamp"] is None and event["lastTimestamp"] is None
    assert MICROTIME.match(event["eventTime"])
    assert (event["reportingComponent"], event["reportingInstance"], event["action"]) == (
        "default-scheduler",
        "default-scheduler-control-plane",
        "Binding",
    )


def test_the_kubelets_events_are_the_legacy_recorders(v1: Any, scheduled: Any) -> None:
    events = raw(v1.list_namespaced_event, "default")["items"]
    started = about(events, scheduled, "Started")
    node = scheduled.spec.node_name
    assert started["source"] == {"component": "kubelet", "host": node}
    assert (started["reportingComponent"], started["reportingInstance"]) == ("kubelet", node)
    assert started["count"] == 1 and started["eventTime"] is None
    assert started["firstTimestamp"] == started["lastTimestamp"] and "action" not in started


def test_events_k8s_io_v1_serves_the_same_events_converted(events_v1: Any, scheduled: Any) -> None:
    listed = raw(events_v1.list_namespaced_event, "default")
    assert listed["kind"] == "EventList" and listed["apiVersion"] == "events.k8s.io/v1"
    event = about(listed["items"], scheduled, "Scheduled")
    assert event["note"].startswith("Successfully assigned default/placed to ")
    assert event["reportingController"] == "default-scheduler" and event["action"] == "Binding"
    assert event["deprecatedSource"] == {} and "deprecatedCount" not in event
    started = about(listed["items"], scheduled, "Started")
    assert started["deprecatedSource"]["component"] == "kubelet"
    assert started["deprecatedCount"] == 1 and started["eventTime"] is None
    # (raw: the client's model requires an eventTime, which a legacy Event has not)
    one = raw(events_v1.read_namespaced_event, started["metadata"]["name"], "default")
    assert one["regarding"]["uid"] == scheduled.metadata.uid and one["deprecatedCount"] == 1


def test_events_k8s_io_v1_selects_by_its_own_field_labels(events_v1: Any, scheduled: Any) -> None:
    found = events_v1.list_namespaced_event(
        "default", field_selector="regarding.name=placed,reportingController=default-scheduler"
    ).items
    assert [e.reason for e in found] == ["Scheduled"]
    with pytest.raises(ApiException) as refused:
        events_v1.list_namespaced_event("default", field_selector="involvedObject.name=placed")
    assert refused.value.status == 400


def _note(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": name},
        "eventTime": "2026-01-01T00:00:00.000001Z",
        "reportingController": "example.com/mine",
        "reportingInstance": "mine-1",
        "action": "Checking",
        "reason": "Checked",
        "regarding": {"kind": "Node", "name": "node01", "apiVersion": "v1"},
        "note": "all good",
        "type": "Normal",
        **fields,
    }


def test_an_event_created_through_events_v1_is_read_through_core_v1_and_watched(
    v1: Any, events_v1: Any
) -> None:
    start = v1.list_namespaced_event("default").metadata.resource_version
    created = raw(events_v1.create_namespaced_event, "default", _note("checked"))
    assert created["apiVersion"] == "events.k8s.io/v1" and created["note"] == "all good"
    core = raw(v1.read_namespaced_event, "checked", "default")
    assert core["message"] == "all good" and core["involvedObject"]["name"] == "node01"
    assert core["reportingComponent"] == "example.com/mine" and core["source"] == {}
    stream = watch.Watch().stream(
        events_v1.list_namespaced_event,
        "default",
        resource_version=start,
        field_selector="metadata.name=checked",
        timeout_seconds=5,
    )
    first = next(stream)
    stream.close()  # ends the watch and closes its connection (else its socket leaks to the GC)
    assert first["type"] == "ADDED" and first["object"].note == "all good"
    # What tools/events patches on a repeat: the series (read through core/v1 as the same).
    series = {"count": 2, "lastObservedTime": "2026-01-01T00:00:05.000001Z"}
    patched = events_v1.patch_namespaced_event("checked", "default", {"series": series})
    assert patched.series.count == 2
    assert raw(v1.read_namespaced_event, "checked", "default")["series"] == series
    before = v1.read_namespaced_event("checked", "default").metadata.resource_version
    with pytest.raises(ApiException) as refused:  # ValidateEventUpdate: the rest is immutable
        events_v1.patch_namespaced_event("checked", "default", {"note": "changed"})
    assert refused.value.status == 422
    assert json.loads(refused.value.body)["message"] == (
        'Event "checked" is invalid: message: Invalid value: "changed": field is immutable'
    )
    assert v1.read_namespaced_event("checked", "default").metadata.resource_version == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"type": "Fatal"}, 'type: Invalid value: "": has invalid value: Fatal'),
        ({"deprecatedCount": 2}, 'count: Invalid value: "": needs to be unset'),
        ({"action": ""}, "action: Required value"),
    ],
)
def test_events_v1_refuses_what_v1_32_refuses(
    v1: Any, events_v1: Any, fields: dict[str, Any], message: str
) -> None:
    before = v1.list_namespaced_event("default").metadata.resource_version
    with pytest.raises(ApiException) as refused:
        events_v1.create_namespaced_event("default", _note("refused", **fields))
    body = json.loads(refused.value.body)
    assert (
        refused.value.status == 422 and body["message"] == f'Event "refused" is invalid: {message}'
    )
    assert v1.list_namespaced_event("default").metadata.resource_version == before


def test_a_core_event_with_an_event_time_but_no_reporter_is_refused(v1: Any) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "unreported"},
        "involvedObject": {"kind": "Node", "name": "node01"},
        "reason": "Checked",
        "type": "Normal",
        "eventTime": "2026-01-01T00:00:00.000001Z",
    }
    with pytest.raises(ApiException) as refused:
        v1.create_namespaced_event("default", body)
    message = json.loads(refused.value.body)["message"]
    assert refused.value.status == 422
    assert message.startswith(
        'Event "unreported" is invalid: [reportingComponent: Required value, reportingComponent: '
        'Invalid value: "": name part must be non-empty, '
    )
    assert message.endswith("reportingInstance: Required value, action: Required value]")
    with pytest.raises(ApiException):
        v1.read_namespaced_event("unreported", "default")


def test_discovery_lists_events_k8s_io_v1(api_client: Any) -> None:
    groups = client.ApisApi(api_client).get_api_versions().groups
    assert "events.k8s.io" in [g.name for g in groups]
    resources = client.EventsV1Api(api_client).get_api_resources().resources
    assert [(r.name, r.kind, r.short_names) for r in resources] == [("events", "Event", ["ev"])]
