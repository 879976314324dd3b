"""ServiceAccounts on a write: v1.32 gives them no defaults; the name is a DNS subdomain
(ValidateServiceAccount), and the names of the secrets they list are required."""

from __future__ import annotations

from listwatch.apiserver.fields import FieldErrors, validate_meta
from listwatch.apiserver.objects import Obj


def validate_service_account(obj: Obj) -> FieldErrors:
    return validate_meta(obj, namespaced=True)
