"""Recording Kubernetes Events (core/v1), as client-go's event recorders write them.

Two styles, as in Kubernetes v1.32:
- `legacy` (kubelet, controller manager; client-go's tools/record): `source.component`/
  `source.host`, `reportingComponent`/`reportingInstance` the same two (so a controller's
  instance is empty, a kubelet's its node), a `count`, first/last timestamps and `eventTime:
  null`; an identical event (same object, type, reason, message, source) is not written again but
  has its count raised and lastTimestamp moved, as the recorder's correlator does;
- `events/v1` (the scheduler; client-go's tools/events): written as an events.k8s.io/v1 Event
  (`reportingController`, `reportingInstance` `<controller>-<host>`, `eventTime` in
  microseconds, an `action`, no deprecated source, count or timestamps), which core/v1 reads as
  `source: {}`, `count` unset, `firstTimestamp`/`lastTimestamp` null; a repeat (same object,
  reason and action) becomes a `series`.
Event names are `<object name>.<hex of the Unix time in nanoseconds>`, as Kubernetes names them:
16 hex digits, so that names sort in the order the events were made (a list sorts by name), on a
real clock as on the logical one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from listwatch import errors
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.kinds import events
from listwatch.apiserver.objects import Obj
from listwatch.spec.model import EventTemplate

#: tools/events' timings: a series not seen for 6 minutes is finished (its last count written,
#: a later repeat starts a new Event), as is a singleton; every 30 minutes the counts of the
#: series still going are written (finishTime, refreshTime).
SERIES_FINISH_SECONDS = 6 * 60
SERIES_REFRESH_SECONDS = 30 * 60


@dataclass
class _Isomorphic:
    """An events/v1 Event in the recorder's cache: how often it happened, when, what was written."""

    namespace: str
    uid: str
    key: tuple[Any, ...]
    first: float
    last: float
    last_stamp: str
    count: int = 1
    written: int = 1


class EventRecorder:
    """Writes Events about objects on behalf of one component instance.

    An events/v1 repeat is counted in the recorder's cache, as tools/events does: the series is
    written at its second occurrence, then every 30 minutes while it goes on and once more when
    it has not been seen for 6 minutes, after which (as for a singleton) the cache forgets it.
    """

    def __init__(
        self,
        api: APIServer,
        *,
        component: str,
        host: str = "",
        actor: str,
        templates: Mapping[str, EventTemplate],
        style: str = "legacy",
    ) -> None:
        self.api = api
        self.component = component
        self.host = host
        self.actor = actor
        self.templates = templates
        self.style = style
        self._seen: dict[str, dict[tuple[Any, ...], str]] = {}
        self._serial = 0
        self._epoch_ns = int(
            api.clock.wall(0.0).timestamp() * 1e9
        )  # the Unix time, in ns, of the clock's 0
        self._source = {"component": component, **({"host": host} if host else {})}
        self._involved: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._cache: dict[str, _Isomorphic] = {}  # events/v1: by the Event's name
        if style == "events/v1":
            loop = api.loop
            loop.call_later(SERIES_FINISH_SECONDS, self._finish_series, daemon=True)
            loop.call_later(SERIES_REFRESH_SECONDS, self._refresh_series, daemon=True)

    def record(
        self,
        obj: Mapping[str, Any],
        template: str,
        *,
        field_path: str = "",
        action: str = "",
        **values: Any,
    ) -> Obj | None:
        """Write the event named `template` in the spec, its message filled from `values`."""
        spec = self.templates[template]
        return self.emit(
            obj,
            spec.type,
            spec.reason,
            spec.message.format(**values),
            field_path=field_path,
            action=action,
        )

    def emit(
        self,
        obj: Mapping[str, Any],
        type_: str,
        reason: str,
        message: str,
        *,
        field_path: str = "",
        action: str = "",
    ) -> Obj | None:
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        involved = self._reference(obj, field_path)
        now = self.api.clock.now()
        stamp = self.api.loop.stamps.now()
        # The legacy correlator's key has the message; tools/events' has the regarding reference
        # (its resourceVersion included), the type, the action and the reason, not the note.
        key = (
            (field_path, type_, reason, message)
            if self.style == "legacy"
            else (field_path, involved.get("resourceVersion", ""), type_, action, reason)
        )
        seen = self._seen.get(involved.get("uid", ""), {}).get(key)
        micro = f"{stamp[:-1]}.{int(now * 1e6) % 1000000:06d}Z"
        if seen is not None and self.style == "legacy":
            return self._repeat(namespace, seen, stamp)
        if seen is not None:
            return self._observe(seen, now, micro)
        self._serial += 1
        name = f"{meta.get('name', '')}.{self._epoch_ns + int(now * 1e9) + self._serial:x}"
        metadata = {"name": name, "namespace": namespace}
        if self.style == "legacy":
            event: Obj = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": metadata,
                "involvedObject": involved,
                "reason": reason,
                "message": message,
                "source": self._source,
                "firstTimestamp": stamp,
                "lastTimestamp": stamp,
                "count": 1,
                "type": type_,
                "eventTime": None,
                "reportingComponent": self.component,
                "reportingInstance": self.host,
            }
        else:  # written as events.k8s.io/v1, stored (and read through core/v1) as converted
            event = events.to_core(
                {
                    "apiVersion": events.EVENTS_V1,
                    "kind": "Event",
                    "metadata": metadata,
                    "eventTime": micro,
                    "reportingController": self.component,
                    "reportingInstance": (
                        f"{self.component}-{self.host}" if self.host else self.component
                    ),
                    "action": action,
                    "reason": reason,
                    "regarding": involved,
                    "note": message,
                    "type": type_,
                }
            )
        try:
            created = self.api.create("events", event, namespace=namespace, actor=self.actor)
        except errors.APIError:
            return None  # events are best effort, as in Kubernetes
        self._seen.setdefault(involved.get("uid", ""), {})[key] = name
        if self.style != "legacy":
            uid = involved.get("uid", "")
            self._cache[name] = _Isomorphic(namespace, uid, key, now, now, micro)
        return created

    def _reference(self, obj: Mapping[str, Any], field_path: str) -> dict[str, Any]:
        """The involvedObject of an event; events about the same object version share one."""
        meta = obj.get("metadata") or {}
        key = (meta.get("uid", ""), meta.get("resourceVersion", ""), field_path)
        found = self._involved.get(key)
        if found is None:
            found = {
                "kind": obj.get("kind", ""),
                "namespace": meta.get("namespace", ""),
                "name": meta.get("name", ""),
                "uid": meta.get("uid", ""),
                "apiVersion": obj.get("apiVersion", ""),
                "resourceVersion": meta.get("resourceVersion", ""),
            }
            if field_path:
                found["fieldPath"] = field_path
            for empty in [k for k in ("namespace", "uid", "resourceVersion") if not found[k]]:
                del found[empty]
            if len(self._involved) > 4096:
                self._involved.clear()
            self._involved[key] = found
        return found

    def _repeat(self, namespace: str, name: str, stamp: str) -> Obj | None:
        """The legacy correlator: an identical Event has its count raised and lastTimestamp
        moved."""
        try:
            current = self.api.get("events", name, namespace=namespace)
            patch = {"count": (current.get("count") or 1) + 1, "lastTimestamp": stamp}
            return self.api.patch("events", name, patch, namespace=namespace, actor=self.actor)
        except errors.APIError:
            return None

    def _observe(self, name: str, now: float, micro: str) -> Obj | None:
        """An events/v1 repeat: counted; written only when it makes the series (count 2)."""
        cached = self._cache.get(name)
        if cached is None:  # pragma: no cover - the cache and the dedup entries go together
            return None
        cached.count += 1
        cached.last, cached.last_stamp = now, micro
        return self._write_series(name, cached) if cached.count == 2 else None

    def _write_series(self, name: str, cached: _Isomorphic) -> Obj | None:
        series = {"count": cached.count, "lastObservedTime": cached.last_stamp}
        cached.written = cached.count
        try:
            return self.api.patch(
                "events", name, {"series": series}, namespace=cached.namespace, actor=self.actor
            )
        except errors.APIError:
            return None

    def _finish_series(self) -> None:
        """finishSeries: a series unseen for 6 minutes gets its last count written and is
        forgotten; so is a singleton 6 minutes old (a later repeat is a new Event)."""
        horizon = self.api.clock.now() - SERIES_FINISH_SECONDS
        for name, cached in list(self._cache.items()):
            if cached.count >= 2 and cached.last < horizon:
                if cached.count > cached.written:
                    self._write_series(name, cached)
                self._drop(name, cached)
            elif cached.count == 1 and cached.first < horizon:
                self._drop(name, cached)
        self.api.loop.call_later(SERIES_FINISH_SECONDS, self._finish_series, daemon=True)

    def _refresh_series(self) -> None:
        """refreshExistingEventSeries: every 30 minutes, the counts of the series still going."""
        for name, cached in list(self._cache.items()):
            if cached.count >= 2 and cached.count > cached.written:
                self._write_series(name, cached)
        self.api.loop.call_later(SERIES_REFRESH_SECONDS, self._refresh_series, daemon=True)

    def _drop(self, name: str, cached: _Isomorphic) -> None:
        del self._cache[name]
        seen = self._seen.get(cached.uid)
        if seen is not None and seen.get(cached.key) == name:
            del seen[cached.key]

    def forget(self, uid: str) -> None:
        """Drop the dedup entries of an object that is gone (keeps memory flat over long runs)."""
        for name in self._seen.pop(uid, {}).values():
            self._cache.pop(name, None)
