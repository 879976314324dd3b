"""Events (core/v1) on a write: their validation."""

from __future__ import annotations

from listwatch.apiserver.fields import FieldErrors, validate_meta
from listwatch.apiserver.objects import Obj


def validate_event(event: Obj) -> FieldErrors:
    errs = validate_meta(event, namespaced=True)
    if not (event.get("involvedObject") or {}).get("kind"):
        errs.append("involvedObject.kind: Required value")
    return errs
