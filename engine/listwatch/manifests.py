"""Reading a user's Kubernetes manifests, and refusing bad ones before anything is applied.

`read` parses (multi-document) YAML files into objects, each remembering where it came from,
and holds each object against its kind's schema as kube-apiserver decodes a body
(`apiserver.conform`, the served API's own check): a field of the wrong type is refused with
kube-apiserver's words (`Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal
...`), an unknown field as kubectl's default `--validate=strict` has the server refuse it
(`strict decoding error: unknown field "spec.nodeSelecter"`). `apply_all` first sends every
object as a server-side dry run, so a bad document anywhere means nothing is created at all.
Every problem is a `ManifestError` naming the file, the path in it (and its line) and what was
expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from listwatch import errors
from listwatch.apiserver import conform, schemas
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.resources import KINDS
from listwatch.errors import ManifestError
from listwatch.spec import yamlread
from listwatch.spec.yamlread import Document


@dataclass(frozen=True)
class Manifest:
    """One object from a manifest file, with the document it came from.

    `prefix` is the object's own path in that document: `items[2]` for an item of a List.
    """

    obj: Obj
    document: Document
    index: int
    prefix: str = ""

    @property
    def file(self) -> str:
        return self.document.file

    def error(self, path: str, problem: str) -> ManifestError:
        full = f"{self.prefix}.{path}" if self.prefix and path else self.prefix or path
        return ManifestError(self.file, full, problem, line=self.document.line(full))


def read(paths: Iterable[str | Path]) -> list[Manifest]:
    """Every object in the given files (directories: their *.yaml, *.yml and *.json files)."""
    found: list[Manifest] = []
    for path in _expand(paths):
        text = yamlread.read_file(path, error=ManifestError)
        found.extend(parse(text, name=str(path)))
    return found


def parse(text: str, *, name: str = "<stdin>") -> list[Manifest]:
    """Every object in one (multi-document) YAML text, each checked for its shape and types."""
    found: list[Manifest] = []
    for index, doc in enumerate(yamlread.parse_yaml(name, text, error=ManifestError)):
        found.extend(_objects(doc, index))
    return found


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml", ".json")))
        else:
            out.append(p)
    return out


def _objects(doc: Document, index: int) -> list[Manifest]:
    """The document's object, or each item of a List, checked; a List's items must be objects."""
    data = doc.data
    whole = Manifest(data, doc, index)
    if not isinstance(data, dict):
        raise whole.error(
            "",
            "expected a Kubernetes object (a mapping with apiVersion and kind), "
            f"found {_describe(data)}",
        )
    kind = data.get("kind")
    if not (isinstance(kind, str) and kind.endswith("List") and "items" in data):
        return [_checked(whole)]
    items = data["items"]
    if items is None:
        return []
    if not isinstance(items, list):
        raise whole.error(
            "items", f"expected a list of Kubernetes objects in a {kind}, found {_describe(items)}"
        )
    found = []
    for i, item in enumerate(items):
        manifest = Manifest(item, doc, index, prefix=f"items[{i}]")
        if not isinstance(item, dict):
            raise manifest.error(
                "",
                "expected a Kubernetes object (a mapping with apiVersion and kind), "
                f"found {_describe(item)}",
            )
        found.append(_checked(manifest))
    return found


def _checked(manifest: Manifest) -> Manifest:
    """The manifest with its kind known, its fields of the types its schema declares and none
    unknown (`null` fields dropped, quantities as text), as kube-apiserver decodes the body."""
    _check_shape(manifest)
    resource = KINDS[manifest.obj["kind"]]
    refused = (
        f'{resource.kind} in version "{resource.version}" cannot be handled as a {resource.kind}'
    )
    try:
        result = conform.conform_model(schemas.model_name(resource), manifest.obj)
    except conform.DecodeError as exc:
        raise manifest.error(_yaml_path(exc.path), f"{refused}: {exc}") from exc
    if result.unknown:
        unknown = ", ".join(f'unknown field "{path}"' for path in result.unknown)
        raise manifest.error(
            _yaml_path(result.unknown[0]), f"{refused}: strict decoding error: {unknown}"
        )
    return replace(manifest, obj=result.value)


_MAP_KEY = re.compile(r"\[([^\]]*[^\]0-9][^\]]*)\]")


def _yaml_path(path: str) -> str:
    """A decoder's path as the YAML reader writes it: a map key as `.key`, not `[key]`, so that
    its line is found (`metadata.labels[app]` is `metadata.labels.app`)."""
    return _MAP_KEY.sub(r".\1", path)


def _describe(value: object) -> str:
    """A value as an error message shows it: its YAML type, and the value when short."""
    kind = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "list",
        dict: "mapping",
        type(None): "null",
    }.get(type(value), type(value).__name__)
    if isinstance(value, list | dict):
        return f"a {kind}"
    shown = repr(value)
    return f"{kind} {shown if len(shown) <= 40 else shown[:37] + '...'}"


def _check_shape(manifest: Manifest) -> None:
    obj = manifest.obj
    for field in ("apiVersion", "kind"):
        if not isinstance(obj.get(field), str) or not obj.get(field):
            raise manifest.error(
                field,
                f"expected a string {field} (e.g. apiVersion: v1, kind: Pod), "
                f"found {_describe(obj.get(field))}",
            )
    kind = obj["kind"]
    resource = KINDS.get(kind)
    if resource is None:
        raise manifest.error(
            "kind",
            f'no matches for kind "{kind}" in version "{obj["apiVersion"]}"; expected one of '
            f"{', '.join(sorted(KINDS))}",
        )
    if obj["apiVersion"] != resource.api_version:
        raise manifest.error(
            "apiVersion",
            f'no matches for kind "{kind}" in version "{obj["apiVersion"]}"; expected apiVersion: '
            f"{resource.api_version}",
        )
    if not isinstance(obj.get("metadata"), dict):
        raise manifest.error(
            "metadata",
            f"expected a mapping with at least a name, found {_describe(obj.get('metadata'))}",
        )


_CAUSE = re.compile(r"^(?P<path>[A-Za-z0-9_.\[\]-]+): (?P<problem>.*)$")


def check(api: APIServer, manifests: Sequence[Manifest], *, actor: str = "kubectl") -> None:
    """Send every object as a server-side dry run; the first refusal is a `ManifestError`."""
    for manifest in manifests:
        _submit(api, manifest, actor=actor, dry_run=True)


def apply_all(
    api: APIServer, manifests: Sequence[Manifest], *, actor: str = "kubectl"
) -> list[Obj]:
    """Create every object, or none: all are checked with a server-side dry run first."""
    check(api, manifests, actor=actor)
    return [_submit(api, manifest, actor=actor, dry_run=False) for manifest in manifests]


def _submit(api: APIServer, manifest: Manifest, *, actor: str, dry_run: bool) -> Obj:
    obj = manifest.obj
    resource = KINDS[obj["kind"]]
    namespace = (obj.get("metadata") or {}).get("namespace") or None
    try:
        return api.create(resource.plural, obj, namespace=namespace, actor=actor, dry_run=dry_run)
    except errors.Invalid as exc:
        causes = exc.details.get("causes") or [{"message": exc.message}]
        cause = causes[0]  # type: ignore[index]
        first = (
            f"{cause['field']}: {cause['message']}" if cause.get("field") else str(cause["message"])
        )
        m = _CAUSE.match(first)
        if m:
            raise manifest.error(m.group("path"), f"{m.group('problem')} ({exc.message})") from exc
        raise manifest.error("", exc.message) from exc
    except errors.APIError as exc:
        raise manifest.error("metadata.name", exc.message) from exc
