"""ConfigMaps and Secrets on a write: their keys, their size, `immutable`, and a Secret's
`stringData` (ValidateConfigMap, ValidateSecret and their updates, v1.32)."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from listwatch.apiserver.fields import FieldErrors, go_quote, validate_meta
from listwatch.apiserver.objects import Obj

#: core.MaxSecretSize: the most a ConfigMap's or a Secret's data may hold, in bytes.
MAX_SIZE = 1024 * 1024
_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_KEY_MESSAGE = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
    "'[-._a-zA-Z0-9]+')"
)
_IMMUTABLE = "Forbidden: field is immutable when `immutable` is set"
#: The keys a Secret of each type must hold (a `kubernetes.io/basic-auth` Secret needs one of its
#: two, which ValidateSecret checks apart).
_REQUIRED_KEYS: Mapping[str, tuple[str, ...]] = {
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
}


def key_problems(key: str) -> list[str]:
    """IsConfigMapKey: why `key` cannot name an entry of a ConfigMap or a Secret."""
    problems = []
    if len(key) > 253:
        problems.append("must be no more than 253 characters")
    if not _KEY.fullmatch(key):
        problems.append(_KEY_MESSAGE)
    if key in (".", ".."):
        problems.append(f"must not be '{key}'")
    elif key.startswith(".."):
        problems.append("must not start with '..'")
    return problems


def _entries(obj: Obj, field: str) -> Mapping[str, Any]:
    value = obj.get(field)
    return value if isinstance(value, dict) else {}


def _key_errors(entries: Mapping[str, Any], field: str) -> FieldErrors:
    return [
        f"{field}[{key}]: Invalid value: {go_quote(key)}: {problem}"
        for key in entries
        for problem in key_problems(key)
    ]


def _size(value: Any, *, encoded: bool) -> int:
    if not isinstance(value, str):
        return 0
    if encoded:
        try:
            return len(base64.b64decode(value, validate=True))
        except ValueError:
            return len(value)
    return len(value.encode())


def validate_config_map(obj: Obj) -> FieldErrors:
    errs = validate_meta(obj, namespaced=True)
    data, binary = _entries(obj, "data"), _entries(obj, "binaryData")
    errs.extend(_key_errors(data, "data"))
    errs.extend(
        f"data[{key}]: Invalid value: {go_quote(key)}: duplicate of key present in binaryData"
        for key in data
        if key in binary
    )
    errs.extend(_key_errors(binary, "binaryData"))
    size = sum(_size(v, encoded=False) for v in data.values())
    size += sum(_size(v, encoded=True) for v in binary.values())
    if size > MAX_SIZE:
        errs.append(f": Too long: may not be more than {MAX_SIZE} bytes")
    return errs


def _immutable_errors(old: Obj, new: Obj, fields: tuple[str, ...]) -> FieldErrors:
    if old.get("immutable") is not True:
        return []
    errs = [] if new.get("immutable") is True else [f"immutable: {_IMMUTABLE}"]
    errs.extend(f"{field}: {_IMMUTABLE}" for field in fields if new.get(field) != old.get(field))
    return errs


def validate_config_map_update(old: Obj, new: Obj) -> FieldErrors:
    return [*_immutable_errors(old, new, ("data", "binaryData")), *validate_config_map(new)]


def secret_on_write(obj: Obj) -> Obj:
    """A Secret's `stringData` goes into its `data`, base64-encoded, as the v1 conversion does:
    a stored Secret has no stringData."""
    string_data = obj.get("stringData")
    if string_data is None:
        return obj
    out = {k: v for k, v in obj.items() if k != "stringData"}
    if isinstance(string_data, dict):
        data = dict(_entries(obj, "data"))
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        out["data"] = data
    return out


def validate_secret(obj: Obj) -> FieldErrors:
    errs = validate_meta(obj, namespaced=True)
    data = _entries(obj, "data")
    errs.extend(_key_errors(data, "data"))
    if sum(_size(v, encoded=True) for v in data.values()) > MAX_SIZE:
        errs.append(f"data: Too long: may not be more than {MAX_SIZE} bytes")
    kind = obj.get("type")
    if kind == "kubernetes.io/service-account-token":
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if not annotations.get("kubernetes.io/service-account.name"):
            errs.append("metadata.annotations[kubernetes.io/service-account.name]: Required value")
    elif kind == "kubernetes.io/basic-auth" and "username" not in data and "password" not in data:
        errs.append("data[username]: Required value")
        errs.append("data[password]: Required value")
    errs.extend(
        f"data[{key}]: Required value"
        for key in _REQUIRED_KEYS.get(str(kind), ())
        if key not in data
    )
    return errs


def validate_secret_update(old: Obj, new: Obj) -> FieldErrors:
    errs = []
    if new.get("type") != old.get("type"):
        errs.append(f"type: Invalid value: {go_quote(str(new.get('type')))}: field is immutable")
    return [*errs, *_immutable_errors(old, new, ("data",)), *validate_secret(new)]
