"""The kubelet's volume manager, in brief: a pod's volumes resolved before its sandbox is made.

Each configMap and secret volume projects the object's keys (all of them, or its `items`) as
files with the volume's `defaultMode` (or an item's `mode`); an emptyDir is an empty, writable
directory. Other volume types are not modelled: they too get an empty directory. A configMap or
secret that does not exist (and is not `optional`), or an item naming a key it lacks, fails the
mount with the kubelet's message (pkg/volume/configmap, pkg/volume/secret), and the kubelet tries
again with back-off while the pod waits in ContainerCreating, as on a real node.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from listwatch import errors
from listwatch.apiserver.api import APIServer
from listwatch.runtime.volumes import Projected, Volume

#: The volumeSource fields whose objects are projected: resource, the name field, the singular
#: the not-found error names, and what a missing key's error calls the key.
PROJECTED = {
    "configMap": (
        "configmaps",
        "name",
        "configmap",
        "configmap references non-existent config key",
    ),
    "secret": ("secrets", "secretName", "secret", "references non-existent secret key"),
}
DEFAULT_MODE = 0o644


@dataclass(frozen=True, slots=True)
class MountFailure:
    """Why a volume could not be set up: the FailedMount event's volume and error."""

    volume: str
    error: str


def resolve(api: APIServer, pod: Mapping[str, Any]) -> list[Volume] | MountFailure:
    """The pod's volumes, or the first that cannot be set up."""
    namespace = str((pod.get("metadata") or {}).get("namespace") or "default")
    resolved = []
    for source in (pod.get("spec") or {}).get("volumes") or ():
        name = str(source.get("name", ""))
        kind = next((k for k in PROJECTED if isinstance(source.get(k), Mapping)), None)
        if kind is None:
            resolved.append(Volume(name, "empty-dir"))
            continue
        files = _project(api, namespace, kind, source[kind])
        if isinstance(files, str):
            return MountFailure(name, files)
        resolved.append(Volume(name, kind.lower(), files, read_only=True))
    return resolved


def _project(
    api: APIServer, namespace: str, kind: str, source: Mapping[str, Any]
) -> dict[str, Projected] | str:
    """The files of a configMap or secret volume, or the error that fails its mount."""
    resource, name_field, singular, missing_key = PROJECTED[kind]
    name = str(source.get(name_field) or "")
    optional = bool(source.get("optional"))
    try:
        obj = api.get(resource, name, namespace=namespace)
    except errors.NotFound:
        return {} if optional else f'{singular} "{name}" not found'
    values = _values(kind, obj)
    mode = int(source.get("defaultMode", DEFAULT_MODE))
    items = source.get("items")
    if not items:
        return {key: Projected(data, mode) for key, data in values.items()}
    files = {}
    for item in items:
        key = str(item.get("key", ""))
        if key not in values:
            if optional:
                continue
            return f"{missing_key}: {key}"
        files[str(item.get("path", key))] = Projected(values[key], int(item.get("mode", mode)))
    return files


def _values(kind: str, obj: Mapping[str, Any]) -> dict[str, bytes]:
    if kind == "secret":
        return {key: _decoded(value) for key, value in (obj.get("data") or {}).items()}
    values = {key: str(value).encode() for key, value in (obj.get("data") or {}).items()}
    values.update({key: _decoded(v) for key, v in (obj.get("binaryData") or {}).items()})
    return values


def _decoded(value: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except binascii.Error:  # validated on write; stored data is base64
        return str(value).encode()
