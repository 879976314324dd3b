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
from typing import Any

from listwatch import errors
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.kinds import events
from listwatch.apiserver.objects import Obj
from listwatch.spec.model import EventTemplate


class EventRecorder:
    """Writes Events about objects on behalf of one component instance."""

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
        # (its resourceVersion included), the action and the reason, not the note.
        key = (
            (field_path, type_, reason, message)
            if self.style == "legacy"
            else (field_path, involved.get("resourceVersion", ""), action, reason)
        )
        seen = self._seen.get(involved.get("uid", ""), {}).get(key)
        if seen is not None:
            return self._repeat(namespace, seen, stamp)
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
                    "eventTime": f"{stamp[:-1]}.{int(now * 1e6) % 1000000:06d}Z",
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
        try:
            current = self.api.get("events", name, namespace=namespace)
            if self.style == "legacy":
                patch = {"count": (current.get("count") or 1) + 1, "lastTimestamp": stamp}
            elif current.get("series"):
                # tools/events writes a series once, at its second occurrence; later ones are
                # counted in its cache and written at its 30-minute refresh (not simulated).
                return None
            else:
                micro = f"{stamp[:-1]}.{int(self.api.clock.now() * 1e6) % 1000000:06d}Z"
                patch = {"series": {"count": 2, "lastObservedTime": micro}}
            return self.api.patch("events", name, patch, namespace=namespace, actor=self.actor)
        except errors.APIError:
            return None

    def forget(self, uid: str) -> None:
        """Drop the dedup entries of an object that is gone (keeps memory flat over long runs)."""
        self._seen.pop(uid, None)
