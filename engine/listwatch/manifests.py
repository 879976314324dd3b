"""Reading a user's Kubernetes manifests, and refusing bad ones before anything is applied.

`read` parses (multi-document) YAML files into objects, each remembering where it came from.
`apply_all` first sends every object as a server-side dry run, so a bad document anywhere means
nothing is created at all; every problem is a `ManifestError` naming the file, the path in it
(and its line) and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from listwatch import errors
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.resources import KINDS
from listwatch.errors import ManifestError
from listwatch.spec.loading import Document, parse_yaml


@dataclass(frozen=True)
class Manifest:
    """One object from a manifest file, with the document it came from."""

    obj: Obj
    document: Document
    index: int

    @property
    def file(self) -> str:
        return self.document.file

    def error(self, path: str, problem: str) -> ManifestError:
        return ManifestError(self.file, path, problem, line=self.document.line(path))


def read(paths: Iterable[str | Path]) -> list[Manifest]:
    """Every object in the given files (directories: their *.yaml, *.yml and *.json files)."""
    found: list[Manifest] = []
    for path in _expand(paths):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(str(path), "", f"cannot be read: {exc}") from exc
        for index, doc in enumerate(parse_yaml(str(path), text, error=ManifestError)):
            found.extend(_objects(doc, index))
    return found


def parse(text: str, *, name: str = "<stdin>") -> list[Manifest]:
    found: list[Manifest] = []
    for index, doc in enumerate(parse_yaml(name, text, error=ManifestError)):
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
    data = doc.data
    if not isinstance(data, dict):
        raise ManifestError(
            doc.file,
            "",
            f"expected a Kubernetes object (a mapping with apiVersion and kind), found {type(data).__name__}",
            line=doc.line(""),
        )
    if data.get("kind") == "List" or (
        str(data.get("kind", "")).endswith("List") and "items" in data
    ):
        items = data.get("items") or []
        return [Manifest(item, _Sub(doc, f"items[{i}]"), index) for i, item in enumerate(items)]
    manifest = Manifest(data, doc, index)
    _check_shape(manifest)
    return [manifest]


class _Sub(Document):
    """A document for one item of a List: paths inside it are prefixed with the item's path."""

    def __init__(self, parent: Document, prefix: str) -> None:
        super().__init__(parent.file, parent.data, parent.lines)
        self.prefix = prefix

    def line(self, path: str) -> int | None:
        return super().line(f"{self.prefix}.{path}" if path else self.prefix)


def _check_shape(manifest: Manifest) -> None:
    obj = manifest.obj
    for field in ("apiVersion", "kind"):
        if not isinstance(obj.get(field), str) or not obj.get(field):
            raise manifest.error(
                field, f"expected a string {field} (e.g. apiVersion: v1, kind: Pod)"
            )
    kind = obj["kind"]
    resource = KINDS.get(kind)
    if resource is None:
        raise manifest.error(
            "kind",
            f'no matches for kind "{kind}" in version "{obj["apiVersion"]}"; expected one of {", ".join(sorted(KINDS))}',
        )
    if obj["apiVersion"] != resource.api_version:
        raise manifest.error(
            "apiVersion",
            f'no matches for kind "{kind}" in version "{obj["apiVersion"]}"; expected apiVersion: {resource.api_version}',
        )
    if not isinstance(obj.get("metadata"), dict):
        raise manifest.error("metadata", "expected a mapping with at least a name")


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
