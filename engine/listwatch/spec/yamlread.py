"""Reading YAML a user wrote (the spec, manifests) into JSON-like data, safely and with lines.

Guarantees:

- the result holds only what JSON can hold: mappings with string keys, lists, strings, ints,
  floats, booleans and None (as Kubernetes' sigs.k8s.io/yaml turns YAML into JSON first);
- every YAML path in a document (`spec.containers[0].image`) has the line it starts on;
- bounded work: a file over `YamlLimits.max_bytes`, nesting deeper than `max_depth`, or aliases
  that expand to more than `max_alias_nodes` nodes (a "billion laughs" file) are refused before
  anything larger is built; a recursive (self-referencing) alias is refused;
- only the YAML core schema's tags (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`,
  `!!seq`, and the merge key `<<`) are read; any other tag is refused, and a scalar that its
  explicit tag cannot read (`!!int x`) is refused;
- every refusal is one error of the caller's type (`SpecError`, `ManifestError`) naming the file,
  the line, the YAML path and what was expected.

Where this differs from YAML 1.1 as PyYAML reads it: timestamps stay strings (JSON has no time
type; Kubernetes keeps them as RFC 3339 strings); non-string scalar keys become strings (`1: a`
is the key "1", `true: a` the key "true") as in JSON; a key repeated in one mapping is refused
(kubectl refuses it too) rather than silently keeping the last value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
import yaml.composer
import yaml.events
import yaml.nodes

from listwatch.errors import ManifestError, SpecError
from listwatch.spec.model import Origin

ErrorType = type[SpecError | ManifestError]

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null"))
_TIMESTAMP = f"{_CORE}timestamp"
_MERGE = f"{_CORE}merge"
_MAP = f"{_CORE}map"
_SEQ = f"{_CORE}seq"
_WANTED = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "null": "null or nothing",
    "str": "a string",
}
_CORE_NAMES = "!!str, !!int, !!float, !!bool, !!null, !!map, !!seq"


@dataclass(frozen=True, kw_only=True)
class YamlLimits:
    """How much one YAML file may ask of the reader.

    `max_bytes` is the Kubernetes API server's limit on a request body (3 MiB): no object larger
    could be created anyway. `max_depth` is far beyond any Kubernetes object (a Pod is about 12
    levels deep) and well inside Python's recursion limit. `max_alias_nodes` bounds the nodes
    that aliases add beyond the text itself: a shared block of env vars costs tens, a billion
    laughs costs billions.
    """

    max_bytes: int = 3 * 1024 * 1024
    max_depth: int = 100
    max_alias_nodes: int = 10_000


DEFAULT_LIMITS = YamlLimits()


class Document:
    """One parsed YAML document with the line of every YAML path in it."""

    def __init__(self, file: str, data: Any, lines: Mapping[str, int]) -> None:
        self.file = file
        self.data = data
        self.lines = lines

    def origin(self, path: str) -> Origin:
        return Origin(self.file, path, self.line(path), self.lines)

    def line(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.lines.get("")

    def error(self, path: str, problem: str) -> SpecError:
        return SpecError(self.file, path, problem, line=self.line(path))


def read_file(
    path: str | Path,
    *,
    display: str | None = None,
    error: ErrorType = SpecError,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> str:
    """A file's text, refusing one over `limits.max_bytes` (before reading it all) or not UTF-8."""
    name = display if display is not None else str(path)
    try:
        with open(path, "rb") as stream:
            raw = stream.read(limits.max_bytes + 1)
    except OSError as exc:
        raise error(name, "", f"cannot be read: {exc.strerror or exc}") from exc
    if len(raw) > limits.max_bytes:
        raise error(name, "", _too_big(limits))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(
            name,
            "",
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start} cannot be decoded; "
            "save the file as UTF-8",
            line=line,
        ) from exc


def _too_big(limits: YamlLimits) -> str:
    return (
        f"larger than {limits.max_bytes} bytes, the limit for one file (the Kubernetes API "
        "server's limit on a request body); split it into smaller files"
    )


def parse_yaml(
    file: str,
    text: str,
    *,
    error: ErrorType = SpecError,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> list[Document]:
    """Parse (multi-document) YAML, keeping the line of every path; every problem is one `error`
    naming the file, the line and the path (see the module's guarantees)."""
    if (
        len(text) > limits.max_bytes
        or len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes
    ):
        raise error(file, "", _too_big(limits))
    documents = []
    loader: _Composer | None = None
    try:
        loader = _Composer(text, max_depth=limits.max_depth)  # reads (and checks) every character
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            builder = _Builder(file, error, loader, limits)
            data = builder.build(node)
            if data is not None:  # an empty document (a stray ---) is skipped, as kubectl does
                documents.append(Document(file, data, builder.lines))
    except _TooDeep as exc:
        raise error(file, exc.path, exc.problem, line=exc.mark.line + 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or str(exc)
        line = mark.line + 1 if mark is not None else None
        raise error(file, "", f"not valid YAML: {problem}", line=line) from exc
    except yaml.YAMLError as exc:  # the reader: a character YAML does not allow
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        raise error(file, "", f"not valid YAML: {exc}", line=line) from exc
    finally:
        if loader is not None:
            loader.dispose()
    return documents


class _TooDeep(Exception):
    def __init__(self, path: str, problem: str, mark: yaml.Mark) -> None:
        self.path = path
        self.problem = problem
        self.mark = mark
        super().__init__(problem)


class _Composer(yaml.SafeLoader):
    """PyYAML's safe composer, bounded in depth (it recurses once per level), remembering where
    each alias was used (the composer hands back the anchored node itself) and the path so far."""

    def __init__(self, text: str, *, max_depth: int) -> None:
        super().__init__(text)
        self.max_depth = max_depth
        self.parts: list[str | int] = []
        #: (id of the parent node, the key node's id or the item's index) -> the alias's mark
        self.alias_marks: dict[tuple[int, int | None], yaml.Mark] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        part = _part(index)
        if part is not None:
            self.parts.append(part)
        try:
            if self.check_event(yaml.events.AliasEvent) and parent is not None:
                key = index if isinstance(index, int) else id(index) if index is not None else None
                self.alias_marks[(id(parent), key)] = self._mark()
            if len(self.parts) > self.max_depth:
                raise _TooDeep(
                    _path(self.parts),
                    f"nested deeper than {self.max_depth} levels, the limit for a YAML document",
                    self._mark(),
                )
            node = super().compose_node(parent, index)
            assert node is not None  # compose_node is only called where a node starts
            return node
        finally:
            if part is not None:
                self.parts.pop()

    def _mark(self) -> yaml.Mark:
        mark: yaml.Mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        return mark


def _part(index: Any) -> str | int | None:
    if isinstance(index, int):
        return index
    if isinstance(index, yaml.ScalarNode):
        return str(index.value)
    if isinstance(index, yaml.Node):
        return "?"
    return None


def _path(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class _Builder:
    """Builds one document's data from its nodes, counting what aliases add and refusing cycles."""

    def __init__(self, file: str, error: ErrorType, loader: _Composer, limits: YamlLimits) -> None:
        self.file = file
        self.error = error
        self.loader = loader
        self.limits = limits
        self.lines: dict[str, int] = {}
        self.seen: set[int] = set()
        self.open: set[int] = set()
        self.alias_nodes = 0

    def build(self, node: yaml.Node) -> Any:
        return self._node(node, "", node.start_mark.line + 1)

    def _fail(self, path: str, problem: str, line: int) -> SpecError | ManifestError:
        return self.error(self.file, path, problem, line=line)

    def _node(self, node: yaml.Node, path: str, line: int, *, expanding: bool = False) -> Any:
        """`line`: where this use of the node is (an alias's line, not its anchor's); inside an
        alias's expansion (`expanding`) every node is reported at the alias's line."""
        if id(node) in self.open:
            raise self._fail(
                path,
                "a recursive alias: it refers to a node that contains it; "
                "expected a finite document (copy the values instead)",
                line,
            )
        if id(node) in self.seen:
            expanding = True
            self.alias_nodes += 1
            if self.alias_nodes > self.limits.max_alias_nodes:
                raise self._fail(
                    path,
                    f"aliases expand to more than {self.limits.max_alias_nodes} nodes, the limit "
                    "for a YAML document (a 'billion laughs' file?); expected fewer aliases",
                    line,
                )
        self.seen.add(id(node))
        self.lines.setdefault(path, line)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path, line)
        if len(self.open) >= self.limits.max_depth:  # aliases inside aliases can nest deeper
            raise self._fail(
                path,
                f"nested deeper than {self.limits.max_depth} levels, the limit for a YAML document",
                line,
            )
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                self._tag(node, _SEQ, path, line)
                return [
                    self._node(
                        item,
                        f"{path}[{i}]",
                        line if expanding else self._line(node, i, item),
                        expanding=expanding,
                    )
                    for i, item in enumerate(node.value)
                ]
            assert isinstance(node, yaml.MappingNode)
            self._tag(node, _MAP, path, line)
            return self._mapping(node, path, line if expanding else None)
        finally:
            self.open.discard(id(node))

    def _line(self, parent: yaml.Node, index: int | None, child: yaml.Node) -> int:
        mark = self.loader.alias_marks.get((id(parent), index))
        return (mark or child.start_mark).line + 1

    def _tag(self, node: yaml.Node, expected: str, path: str, line: int) -> None:
        if node.tag != expected:
            raise self._fail(path, _unsupported(node.tag), line)

    def _mapping(self, node: yaml.MappingNode, path: str, alias_line: int | None) -> dict[str, Any]:
        """`alias_line`: the line of the alias this mapping is expanded from, if it is."""
        expanding = alias_line is not None
        explicit: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        key_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = alias_line or key_node.start_mark.line + 1
            value_line = alias_line or (
                key_line if _empty(value_node) else self._line(node, id(key_node), value_node)
            )
            if key_node.tag == _MERGE:
                # `<<: *defaults` (or a list of them): keys not given explicitly, earlier first.
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in reversed(sources):
                    value = self._node(source, path, value_line, expanding=expanding)
                    if not isinstance(value, dict):
                        raise self._fail(
                            path, "a merge key (<<) takes a mapping or a list of them", value_line
                        )
                    merged.update(value)
                continue
            key = self._key(key_node, path, key_line)
            child = f"{path}.{key}" if path else key
            if key in explicit:
                raise self._fail(
                    child,
                    f"the key {key!r} is repeated (first on line {key_lines[key]}); "
                    "expected each key once in a mapping",
                    key_line,
                )
            key_lines[key] = key_line
            explicit[key] = self._node(value_node, child, value_line, expanding=expanding)
        return {**merged, **explicit}

    def _key(self, node: yaml.Node, path: str, line: int) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self._fail(
                path, "a mapping key that is a string (JSON's keys are), found a collection", line
            )
        value = self._scalar(node, path, line)
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return "null"
        return str(value)

    def _scalar(self, node: yaml.ScalarNode, path: str, line: int) -> Any:
        if node.tag == _TIMESTAMP:
            return str(node.value)
        if node.tag not in _SCALAR_TAGS:
            raise self._fail(path, _unsupported(node.tag), line)
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, KeyError, OverflowError, yaml.YAMLError) as exc:
            short = node.tag.removeprefix(_CORE)
            raise self._fail(
                path,
                f"{node.value!r} cannot be read as !!{short}: expected {_WANTED.get(short, short)}",
                line,
            ) from exc


def _empty(node: yaml.Node) -> bool:
    """`image:` with nothing after it: its (null) value is on the key's line, not the next one."""
    return isinstance(node, yaml.ScalarNode) and node.start_mark.index == node.end_mark.index


def _unsupported(tag: str) -> str:
    shown = f"!!{tag.removeprefix(_CORE)}" if tag.startswith(_CORE) else tag
    return (
        f"the YAML tag {shown} is not supported; expected plain YAML or the core schema's "
        f"tags ({_CORE_NAMES}), as Kubernetes reads YAML as JSON"
    )
