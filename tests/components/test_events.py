"""The event recorders: client-go's legacy correlator (counts) and tools/events' series, on the
logical clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from listwatch.cluster import Cluster
from listwatch.components.events import (
    SERIES_FINISH_SECONDS,
    SERIES_REFRESH_SECONDS,
    EventRecorder,
)
from tests.builders import pod


def recorder(cluster: Cluster, style: str) -> EventRecorder:
    return EventRecorder(
        cluster.api,
        component="default-scheduler",
        host="cp",
        actor="test",
        templates={},
        style=style,
    )


def stored(cluster: Cluster, name: str) -> dict[str, Any]:
    return dict(cluster.api.get("events", name, namespace="default"))


def test_a_legacy_repeat_raises_the_count_and_moves_the_last_timestamp(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    web = cluster.apply(pod("web", node_name="node01"))
    legacy = recorder(cluster, "legacy")
    first = legacy.emit(web, "Warning", "BackOff", "Back-off restarting failed container")
    assert first is not None
    cluster.advance(10)
    legacy.emit(web, "Warning", "BackOff", "Back-off restarting failed container")
    event = stored(cluster, first["metadata"]["name"])
    assert event["count"] == 2 and event["firstTimestamp"] != event["lastTimestamp"]
    assert event["source"] == {"component": "default-scheduler", "host": "cp"}


def test_an_events_v1_series_is_written_at_two_then_at_its_refresh_and_its_finish(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    web = cluster.apply(pod("web", node_name="node01"))
    events_v1 = recorder(cluster, "events/v1")

    def failed() -> Any:
        return events_v1.emit(web, "Warning", "FailedScheduling", "0/2 nodes", action="Scheduling")

    name = failed()["metadata"]["name"]
    assert "series" not in stored(cluster, name)
    cluster.advance(60)
    failed()
    assert stored(cluster, name)["series"]["count"] == 2
    for _ in range(6):  # every 5 minutes: counted in the recorder's cache, not written each time
        cluster.advance(300)
        failed()
        if cluster.clock.now() < SERIES_REFRESH_SECONDS:
            assert stored(cluster, name)["series"]["count"] == 2
    # The 30-minute refresh wrote the count it had then (7: the occurrence at 31 minutes came
    # after), and the series is finished 6 minutes after its last occurrence with its last count.
    assert stored(cluster, name)["series"]["count"] == 7
    cluster.advance(SERIES_FINISH_SECONDS * 2)
    series = stored(cluster, name)["series"]
    assert series["count"] == 8 and series["lastObservedTime"].endswith("Z")
    again = failed()  # after the finish, a repeat is a new Event
    assert again is not None and again["metadata"]["name"] != name
    assert "series" not in again
