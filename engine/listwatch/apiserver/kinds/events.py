"""Events on a write: their validation, and the two versions they are served in.

One storage holds every Event in its core/v1 form; `events.k8s.io/v1` reads and writes the same
objects, converted as v1.32 converts them (pkg/apis/events/v1 conversion):

    core/v1                     events.k8s.io/v1
    involvedObject          <-> regarding
    message                 <-> note
    source                  <-> deprecatedSource
    firstTimestamp          <-> deprecatedFirstTimestamp
    lastTimestamp           <-> deprecatedLastTimestamp
    count                   <-> deprecatedCount
    reportingComponent      <-> reportingController
    eventTime, series, action, reason, related, reportingInstance, type: the same

Each side is written with the fields its Go type always encodes: a zero time as `null`, an empty
source as `{}`, a zero count (or an empty string with `omitempty`) left out.

Validation is v1.32's `ValidateEventCreate`: every Event passes the legacy rules (an Event with an
`eventTime` needs its reporting controller, instance, action and reason); one created through
events.k8s.io/v1 also the strict ones (an eventTime, a type of Normal or Warning, none of the
deprecated fields).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch.apiserver.fields import (
    FieldErrors,
    dns1123_subdomain_problems,
    go_quote,
    invalid_value,
    qualified_name_problems,
    validate_meta,
)
from listwatch.apiserver.objects import Obj

#: The API version of the events.k8s.io Events.
EVENTS_V1 = "events.k8s.io/v1"
#: Length limits of an Event's fields (ReportingInstanceLengthLimit, ...).
_LIMITS = {"reportingInstance": 128, "action": 128, "reason": 128}
_NOTE_LIMIT = 1024

#: The field selectors of events.k8s.io/v1 and the core/v1 field each one reads.
FIELD_LABELS: Mapping[str, str] = {
    "metadata.name": "metadata.name",
    "metadata.namespace": "metadata.namespace",
    **{
        f"regarding.{f}": f"involvedObject.{f}"
        for f in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
    },
    "reason": "reason",
    "reportingController": "reportingComponent",
    "source": "source",
    "type": "type",
}


def to_core(event: Mapping[str, Any]) -> Obj:
    """An events.k8s.io/v1 Event as the core/v1 Event it is stored as."""
    out: Obj = {"kind": "Event", "apiVersion": "v1", "metadata": event.get("metadata") or {}}
    out["involvedObject"] = event.get("regarding") or {}
    _put(out, "reason", event.get("reason"))
    _put(out, "message", event.get("note"))
    out["source"] = event.get("deprecatedSource") or {}
    out["firstTimestamp"] = event.get("deprecatedFirstTimestamp") or None
    out["lastTimestamp"] = event.get("deprecatedLastTimestamp") or None
    _put(out, "count", event.get("deprecatedCount"))
    _put(out, "type", event.get("type"))
    out["eventTime"] = event.get("eventTime") or None
    _put(out, "series", event.get("series"))
    _put(out, "action", event.get("action"))
    _put(out, "related", event.get("related"))
    out["reportingComponent"] = event.get("reportingController") or ""
    out["reportingInstance"] = event.get("reportingInstance") or ""
    return out


def from_core(event: Mapping[str, Any]) -> Obj:
    """A stored core/v1 Event as events.k8s.io/v1 serves it."""
    out: Obj = {"kind": "Event", "apiVersion": EVENTS_V1, "metadata": event.get("metadata") or {}}
    out["eventTime"] = event.get("eventTime") or None
    _put(out, "series", event.get("series"))
    _put(out, "reportingController", event.get("reportingComponent"))
    _put(out, "reportingInstance", event.get("reportingInstance"))
    _put(out, "action", event.get("action"))
    _put(out, "reason", event.get("reason"))
    out["regarding"] = event.get("involvedObject") or {}
    _put(out, "related", event.get("related"))
    _put(out, "note", event.get("message"))
    _put(out, "type", event.get("type"))
    out["deprecatedSource"] = event.get("source") or {}
    out["deprecatedFirstTimestamp"] = event.get("firstTimestamp") or None
    out["deprecatedLastTimestamp"] = event.get("lastTimestamp") or None
    _put(out, "deprecatedCount", event.get("count"))
    return out


def as_core(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """An Event in whichever version it was read, in its core/v1 form (for readers of both)."""
    return to_core(event) if event.get("apiVersion") == EVENTS_V1 else event


def _put(out: Obj, key: str, value: Any) -> None:
    """Set a field that Go's encoder omits when empty (`omitempty`)."""
    if value not in (None, "", 0, {}):
        out[key] = value


def validate_event(event: Obj) -> FieldErrors:
    """A core/v1 Event created through core/v1."""
    return validate_event_create(event, version="v1")


def validate_event_create(event: Obj, *, version: str) -> FieldErrors:
    """ValidateEventCreate of a core/v1-form Event sent through `version` (`v1` or
    `events.k8s.io/v1`), then the object metadata's rules."""
    errs = [*_legacy(event, version), *validate_meta(event, namespaced=True)]
    if version == EVENTS_V1:
        errs.extend(_strict(event))
    return errs


def _legacy(event: Obj, version: str) -> FieldErrors:
    """legacyValidateEvent: namespaces agree; an Event with an eventTime names its reporter."""
    errs: FieldErrors = []
    namespace = str((event.get("metadata") or {}).get("namespace") or "")
    involved = event.get("involvedObject") or {}
    involved_ns = str(involved.get("namespace") or "")
    mismatch = (
        f"involvedObject.namespace: Invalid value: {go_quote(involved_ns)}: does not match "
        "event.namespace"
    )
    if not event.get("eventTime"):
        if (not involved_ns and namespace not in ("", "default")) or (
            involved_ns and namespace != involved_ns
        ):
            errs.append(mismatch)
    else:
        if not involved_ns and namespace not in ("default", "kube-system"):
            errs.append(mismatch)
        reporter = "reportingComponent" if version == "v1" else "reportingController"
        controller = str(event.get("reportingComponent") or "")
        if not controller:
            errs.append(f"{reporter}: Required value")
        errs.extend(invalid_value(reporter, controller, qualified_name_problems(controller)))
        for field in ("reportingInstance", "action", "reason"):
            value = str(event.get(field) or "")
            if not value:
                errs.append(f"{field}: Required value")
            if len(value) > _LIMITS[field]:
                errs.append(
                    f'{field}: Invalid value: "": can have at most {_LIMITS[field]} characters'
                )
        if len(str(event.get("message") or "")) > _NOTE_LIMIT:
            errs.append(f'message: Invalid value: "": can have at most {_NOTE_LIMIT} characters')
    errs.extend(invalid_value("namespace", namespace, dns1123_subdomain_problems(namespace)))
    return errs


def _strict(event: Obj) -> FieldErrors:
    """The rules of an Event created through events.k8s.io/v1 (after the legacy ones)."""
    errs: FieldErrors = []
    series = event.get("series")
    if isinstance(series, Mapping):
        if int(series.get("count") or 0) < 2:
            errs.append('series.count: Invalid value: "": should be at least 2')
        if not series.get("lastObservedTime"):
            errs.append("series.lastObservedTime: Required value")
    if not event.get("eventTime"):
        errs.append("eventTime: Required value")
    type_ = str(event.get("type") or "")
    if type_ not in ("Normal", "Warning"):
        errs.append(f'type: Invalid value: "": has invalid value: {type_}')
    for field in ("firstTimestamp", "lastTimestamp", "count"):
        if event.get(field):
            errs.append(f'{field}: Invalid value: "": needs to be unset')
    source = event.get("source") or {}
    if source.get("component") or source.get("host"):
        errs.append('source: Invalid value: "": needs to be unset')
    return errs


def validate_events_v1(event: Obj) -> FieldErrors:
    """A core/v1-form Event created through events.k8s.io/v1."""
    return validate_event_create(event, version=EVENTS_V1)


#: The fields of an Event that an update through events.k8s.io/v1 may not change (after the
#: series), in ValidateEventUpdate's order, and how Go prints each one's value in the message.
_IMMUTABLE = (
    ("involvedObject", "reference"),
    ("reason", "string"),
    ("message", "string"),
    ("source", "source"),
    ("firstTimestamp", "time"),
    ("lastTimestamp", "time"),
    ("count", "int"),
    ("reason", "string"),  # v1.32 checks it twice, and so reports it twice
    ("type", "string"),
    ("eventTime", "microtime"),
    ("action", "string"),
    ("related", "reference"),
    ("reportingComponent", "string"),
    ("reportingInstance", "string"),
)
_REFERENCE_FIELDS = (
    ("Kind", "kind"),
    ("Namespace", "namespace"),
    ("Name", "name"),
    ("UID", "uid"),
    ("APIVersion", "apiVersion"),
    ("ResourceVersion", "resourceVersion"),
    ("FieldPath", "fieldPath"),
)
#: The message names of the fields whose JSON name in core/v1 differs.
_UPDATE_PATHS = {"reportingComponent": "reportingController"}


def validate_events_v1_update(new: Obj, old: Obj) -> FieldErrors:
    """ValidateEventUpdate of an update through events.k8s.io/v1 (both in their stored form):
    the legacy rules, a changed series checked, and nothing else changed."""
    errs = _legacy(new, EVENTS_V1)
    if new.get("series") != old.get("series"):
        errs.extend(e for e in _strict(new) if e.startswith("series."))
    for field, kind in _IMMUTABLE:
        before, after = _comparable(old.get(field), kind), _comparable(new.get(field), kind)
        if before != after:
            errs.append(
                f"{_UPDATE_PATHS.get(field, field)}: Invalid value: "
                f"{_go_value(new.get(field), kind)}: field is immutable"
            )
    return errs


def _comparable(value: Any, kind: str) -> Any:
    if kind in ("reference", "source"):
        return {k: v for k, v in (value or {}).items() if v not in (None, "")} or None
    if kind == "microtime":  # changes below a microsecond are tolerated
        whole, _, fraction = str(value or "").rstrip("Z").partition(".")
        return f"{whole}.{(fraction + '000000')[:6]}" if whole else None
    return value or None


def _go_value(value: Any, kind: str) -> str:
    """A field's value as apimachinery's field.Invalid prints it (%q, %v, String(), %#v)."""
    if kind == "string":
        return go_quote(str(value or ""))
    if kind == "int":
        return str(int(value or 0))
    if kind in ("time", "microtime"):
        return _go_time(str(value or ""))
    if kind == "source":
        source = value or {}
        return (
            f"core.EventSource{{Component:{go_quote(str(source.get('component') or ''))}, "
            f"Host:{go_quote(str(source.get('host') or ''))}}}"
        )
    if value is None:
        return "null"
    inner = ", ".join(f"{go}:{go_quote(str(value.get(js) or ''))}" for go, js in _REFERENCE_FIELDS)
    return f"core.ObjectReference{{{inner}}}"


def _go_time(stamp: str) -> str:
    """Go's time.String() of an RFC 3339 UTC stamp: `2026-01-01 00:00:01.5 +0000 UTC`."""
    if not stamp:
        return "0001-01-01 00:00:00 +0000 UTC"
    date, _, clock = stamp.rstrip("Z").partition("T")
    whole, _, fraction = clock.partition(".")
    fraction = fraction.rstrip("0")
    return f"{date} {whole}{'.' + fraction if fraction else ''} +0000 UTC"
