"""kubectl's printing of Events, whichever API group they were read through."""

from __future__ import annotations

from datetime import UTC, datetime

from listwatch import printers
from listwatch.apiserver.kinds import events

NOW = datetime(2026, 1, 1, 0, 1, 0, tzinfo=UTC)
SCHEDULED = {
    "apiVersion": "events.k8s.io/v1",
    "kind": "Event",
    "metadata": {"name": "web.1", "namespace": "default"},
    "eventTime": "2026-01-01T00:00:30.000000Z",
    "reportingController": "default-scheduler",
    "reportingInstance": "default-scheduler-control-plane",
    "action": "Binding",
    "reason": "Scheduled",
    "regarding": {"kind": "Pod", "namespace": "default", "name": "web"},
    "note": "Successfully assigned default/web to node02",
    "type": "Normal",
}


def test_describe_and_get_events_print_an_events_v1_event_as_its_core_v1_form() -> None:
    core = events.to_core(SCHEDULED)
    assert printers.events_section([SCHEDULED], NOW) == printers.events_section([core], NOW)
    assert printers.get_events([SCHEDULED], NOW) == printers.get_events([core], NOW)
    line = printers.events_section([SCHEDULED], NOW)[-1]
    assert line.split("\t") == [
        "  Normal",
        "Scheduled",
        "30s",
        "default-scheduler",
        "Successfully assigned default/web to node02",
    ]
    assert printers.event_row(SCHEDULED, NOW)[5] == (
        "default-scheduler, default-scheduler-control-plane"
    )
