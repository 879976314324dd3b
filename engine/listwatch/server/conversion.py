"""A resource served in another version than it is stored in (events.k8s.io/v1 Events over the
core/v1 Events' storage): what the handlers convert on the way in and out.

A request through such a version reads and writes the stored objects: a body is converted to the
stored form before the API server sees it, every object it answers with (get, list, watch,
create, update, patch, delete) is converted back, and its field selector is translated to the
stored resource's field labels. For a resource without a `Conversion` each of these is the
identity. No I/O here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from listwatch import errors
from listwatch.apiserver.api import invalid
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.resources import Resource
from listwatch.apiserver.selectors import parse_field_selector


def served(resource: Resource, obj: Obj) -> Obj:
    """A stored object as `resource` serves it."""
    conversion = resource.conversion
    return obj if conversion is None else conversion.from_storage(obj)


def stored(resource: Resource, obj: Obj) -> Obj:
    """A body sent through `resource`, in the form it is stored in."""
    conversion = resource.conversion
    return obj if conversion is None else conversion.to_storage(obj)


def checked_create(resource: Resource, obj: Obj, *, namespace: str | None) -> Obj:
    """A create's body in its stored form, refused (422) when it breaks the rules of the version it
    came through (the stored resource's own rules run in the API server after). It is checked in
    the request's namespace, as the API server sets it before validating."""
    body = stored(resource, obj)
    conversion = resource.conversion
    if conversion is not None and conversion.validate_create is not None:
        meta = dict(body.get("metadata") or {})
        if resource.namespaced:
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        problems = conversion.validate_create({**body, "metadata": meta})
        if problems:
            meta = body.get("metadata") or {}
            name = meta.get("name") or meta.get("generateName") or ""
            raise invalid(resource.kind, str(name), problems)
    return body


def checked_update(resource: Resource, new: Obj, old: Obj) -> Obj:
    """An update's result in its stored form, refused (422) when the version it came through
    forbids the change (an events.k8s.io/v1 Event's fields other than its series are
    immutable)."""
    conversion = resource.conversion
    if conversion is not None and conversion.validate_update is not None:
        old_meta = old.get("metadata") or {}
        meta = {**(new.get("metadata") or {}), "namespace": old_meta.get("namespace", "")}
        problems = conversion.validate_update({**new, "metadata": meta}, old)
        if problems:
            raise invalid(resource.kind, str((old.get("metadata") or {}).get("name", "")), problems)
    return new


def through(resource: Resource, transform: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A patch of the served form, as a change of the stored one (held to the version's update
    rules)."""
    if resource.conversion is None:
        return transform
    conversion = resource.conversion

    def patch(current: Any) -> Any:
        new = conversion.to_storage(transform(conversion.from_storage(current)))
        return checked_update(resource, new, current)

    return patch


def field_selector(resource: Resource, text: str) -> str:
    """A field selector of `resource`, in the stored resource's field labels (400 for one it does
    not support, named as the served version names it)."""
    conversion = resource.conversion
    if conversion is None or not text:
        return text
    selector = parse_field_selector(text, resource.fields, resource=resource.plural)
    labels = conversion.field_labels
    parts = []
    for r in selector.requirements:
        if r.field not in labels:  # pragma: no cover - parse_field_selector refused it already
            raise errors.BadRequest(f"field label not supported: {r.field}")
        parts.append(f"{labels[r.field]}{'=' if r.equal else '!='}{r.value}")
    return ",".join(parts)
