"""Events in both versions: v1.32's conversion between core/v1 and events.k8s.io/v1, and
ValidateEventCreate's rules and texts."""

from __future__ import annotations

from typing import Any

import pytest

from listwatch.apiserver.kinds import events

REGARDING = {"kind": "Pod", "namespace": "default", "name": "web", "uid": "u1", "apiVersion": "v1"}
SCHEDULED_V1 = {
    "apiVersion": "events.k8s.io/v1",
    "kind": "Event",
    "metadata": {"name": "web.1", "namespace": "default"},
    "eventTime": "2026-01-01T00:00:00.123456Z",
    "reportingController": "default-scheduler",
    "reportingInstance": "default-scheduler-control-plane",
    "action": "Binding",
    "reason": "Scheduled",
    "regarding": REGARDING,
    "note": "Successfully assigned default/web to node02",
    "type": "Normal",
}
PULLED_CORE = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "web.2", "namespace": "default"},
    "involvedObject": {**REGARDING, "fieldPath": "spec.containers{web}"},
    "reason": "Pulled",
    "message": "Successfully pulled image",
    "source": {"component": "kubelet", "host": "node02"},
    "firstTimestamp": "2026-01-01T00:00:01Z",
    "lastTimestamp": "2026-01-01T00:00:03Z",
    "count": 2,
    "type": "Normal",
    "eventTime": None,
    "reportingComponent": "kubelet",
    "reportingInstance": "node02",
}


def test_an_events_v1_event_reads_through_core_v1_with_an_empty_source_and_no_count() -> None:
    core = events.to_core(SCHEDULED_V1)
    assert core["involvedObject"] == REGARDING
    assert core["message"] == "Successfully assigned default/web to node02"
    assert core["source"] == {} and "count" not in core
    assert core["firstTimestamp"] is None and core["lastTimestamp"] is None
    assert (core["reportingComponent"], core["reportingInstance"], core["action"]) == (
        "default-scheduler",
        "default-scheduler-control-plane",
        "Binding",
    )
    assert core["eventTime"] == "2026-01-01T00:00:00.123456Z"


def test_a_legacy_event_reads_through_events_v1_with_its_deprecated_fields() -> None:
    served = events.from_core(PULLED_CORE)
    assert (
        served["apiVersion"] == "events.k8s.io/v1" and served["note"] == "Successfully pulled image"
    )
    assert served["regarding"]["fieldPath"] == "spec.containers{web}"
    assert served["deprecatedSource"] == {"component": "kubelet", "host": "node02"}
    assert (served["deprecatedFirstTimestamp"], served["deprecatedLastTimestamp"]) == (
        "2026-01-01T00:00:01Z",
        "2026-01-01T00:00:03Z",
    )
    assert served["deprecatedCount"] == 2 and served["eventTime"] is None
    assert served["reportingController"] == "kubelet" and "message" not in served


def test_the_conversion_round_trips_both_ways() -> None:
    assert events.to_core(events.from_core(PULLED_CORE)) == PULLED_CORE
    assert events.from_core(events.to_core(SCHEDULED_V1)) == {
        **SCHEDULED_V1,
        "deprecatedSource": {},
        "deprecatedFirstTimestamp": None,
        "deprecatedLastTimestamp": None,
    }


def test_either_shape_reads_as_core_for_the_printers_and_the_checker() -> None:
    assert events.as_core(PULLED_CORE) is PULLED_CORE
    assert events.as_core(SCHEDULED_V1)["message"] == SCHEDULED_V1["note"]


def test_a_core_event_with_an_event_time_must_name_its_reporter_action_and_reason() -> None:
    bare = {
        "metadata": {"name": "web.3", "namespace": "default"},
        "involvedObject": REGARDING,
        "reason": "Scheduled",
        "type": "Normal",
        "eventTime": "2026-01-01T00:00:00.123456Z",
    }
    assert events.validate_event(bare) == [
        "reportingComponent: Required value",
        'reportingComponent: Invalid value: "": name part must be non-empty',
        'reportingComponent: Invalid value: "": name part must consist of alphanumeric '
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
        "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        "reportingInstance: Required value",
        "action: Required value",
    ]


def test_a_core_event_without_an_event_time_needs_no_reporter() -> None:
    assert events.validate_event(PULLED_CORE) == []


def test_a_legacy_event_about_another_namespaces_object_is_refused() -> None:
    elsewhere = {**PULLED_CORE, "involvedObject": {**REGARDING, "namespace": "other"}}
    assert events.validate_event(elsewhere) == [
        'involvedObject.namespace: Invalid value: "other": does not match event.namespace'
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"eventTime": None}, "eventTime: Required value"),
        ({"type": "Fatal"}, 'type: Invalid value: "": has invalid value: Fatal'),
        ({"count": 3}, 'count: Invalid value: "": needs to be unset'),
        (
            {"firstTimestamp": "2026-01-01T00:00:00Z"},
            'firstTimestamp: Invalid value: "": needs to be unset',
        ),
        ({"source": {"component": "me"}}, 'source: Invalid value: "": needs to be unset'),
        (
            {"series": {"count": 1, "lastObservedTime": "2026-01-01T00:00:00.000000Z"}},
            'series.count: Invalid value: "": should be at least 2',
        ),
    ],
)
def test_an_events_v1_create_also_passes_the_strict_rules(
    change: dict[str, Any], problem: str
) -> None:
    event = {**events.to_core(SCHEDULED_V1), **change}
    assert problem in events.validate_events_v1(event)
    assert problem not in events.validate_event(event)


def test_an_events_v1_update_may_change_the_series_and_nothing_else() -> None:
    old = events.to_core(SCHEDULED_V1)
    series = {"count": 2, "lastObservedTime": "2026-01-01T00:00:05.000001Z"}
    assert events.validate_events_v1_update({**old, "series": series}, old) == []
    assert events.validate_events_v1_update({**old, "series": {"count": 1}}, old) == [
        'series.count: Invalid value: "": should be at least 2',
        "series.lastObservedTime: Required value",
    ]
    assert events.validate_events_v1_update({**old, "message": "moved"}, old) == [
        'message: Invalid value: "moved": field is immutable'
    ]
    assert events.validate_events_v1_update({**old, "reason": "Moved"}, old) == [
        'reason: Invalid value: "Moved": field is immutable',
        'reason: Invalid value: "Moved": field is immutable',
    ]
    moved = {**old, "involvedObject": {**REGARDING, "name": "other"}}
    assert events.validate_events_v1_update(moved, old) == [
        'involvedObject: Invalid value: core.ObjectReference{Kind:"Pod", Namespace:"default", '
        'Name:"other", UID:"u1", APIVersion:"v1", ResourceVersion:"", FieldPath:""}: field is '
        "immutable"
    ]
    later = {**old, "eventTime": "2026-01-01T00:00:01.5Z"}
    assert events.validate_events_v1_update(later, old) == [
        "eventTime: Invalid value: 2026-01-01 00:00:01.5 +0000 UTC: field is immutable"
    ]
    finer = {**old, "eventTime": "2026-01-01T00:00:00.123456789Z"}
    assert events.validate_events_v1_update(finer, old) == []
