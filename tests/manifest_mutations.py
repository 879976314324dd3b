"""Seeded mutations of valid manifests, for fuzzing the loaders (the test and the benchmark).

`mutations(seed, count)` yields `(name, bytes)`: each a valid example manifest with one or a few
mutations: a field deleted, replaced or given another YAML type, a YAML tag, an alias (or a
recursive one, or a billion laughs), deep nesting, a huge scalar, bad UTF-8, a List with odd
items. The same seed gives the same manifests.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: Values of every YAML type (and of the types people write by mistake), as YAML text.
ODD_VALUES = (
    "",
    "null",
    "~",
    "0",
    "-1",
    "0x1F",
    "0o17",
    "1e400",
    ".inf",
    ".nan",
    "99999999999999999999999",
    "true",
    "no",
    "2024-01-01",
    "2024-01-01T00:00:00Z",
    "[]",
    "{}",
    "[a, 1, null]",
    "{a: b}",
    "{a: {b: [c]}}",
    "'x'",
    '"\\u0000"',
    "!!int x",
    "!!float y",
    "!!bool maybe",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!python/object:os.system x",
    "!custom 1",
    "!!str 1",
    "*undefined",
    "&a [*a]",
    "1:2",
    "'not valid!'",
    "UPPER_case",
    "a" * 300,
)


def _examples() -> list[dict[str, Any]]:
    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        found.extend(d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict))
    return found


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.extend(_paths(value, (*prefix, i)))
    return out


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    if value is _DELETE:
        del data[path[-1]]
    else:
        data[path[-1]] = value


_DELETE = object()


class _Raw:
    """A YAML text placed verbatim where a value goes (tags, aliases: what dump cannot write)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _dump(data: Any, indent: int = 0) -> str:
    """Block YAML of `data`, with `_Raw` values written as they are."""
    pad = "  " * indent
    if isinstance(data, dict):
        if not data:
            return pad + "{}\n"
        out = ""
        for key, value in data.items():
            k = yaml.safe_dump(key, default_flow_style=True).strip().removesuffix("...").strip()
            if isinstance(value, (dict, list)) and value:
                out += f"{pad}{k}:\n{_dump(value, indent + 1)}"
            else:
                out += f"{pad}{k}: {_scalar(value)}\n"
        return out
    if isinstance(data, list):
        if not data:
            return pad + "[]\n"
        out = ""
        for value in data:
            if isinstance(value, (dict, list)) and value:
                body = _dump(value, indent + 1)
                out += f"{pad}- {body.lstrip()}"
            else:
                out += f"{pad}- {_scalar(value)}\n"
        return out
    return pad + _scalar(data) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, _Raw):
        return value.text
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9).strip()
    return text.removesuffix("...").strip()


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


Mutation = Callable[[random.Random, dict[str, Any]], str | bytes]


def _replace(rng: random.Random, doc: dict[str, Any]) -> str:
    path = rng.choice(_paths(doc))
    _set(doc, path, _Raw(rng.choice(ODD_VALUES)))
    return _dump(doc)


def _delete(rng: random.Random, doc: dict[str, Any]) -> str:
    path = rng.choice(_paths(doc))
    _set(doc, path, _DELETE)
    return _dump(doc)


def _retype(rng: random.Random, doc: dict[str, Any]) -> str:
    path = rng.choice(_paths(doc))
    value: Any = rng.choice([None, 7, 3.5, True, [], {}, ["x"], {"k": "v"}, "s"])
    _set(doc, path, value)
    return _dump(doc)


def _several(rng: random.Random, doc: dict[str, Any]) -> str:
    for _ in range(rng.randint(2, 4)):
        paths = _paths(doc)
        if not paths:
            break
        _set(doc, rng.choice(paths), _Raw(rng.choice(ODD_VALUES)))
    return _dump(doc)


def _alias(rng: random.Random, doc: dict[str, Any]) -> str:
    text = _dump(doc)
    if rng.random() < 0.5:
        return text.replace("metadata:", "metadata: &m", 1) + "extra: *m\n"
    return text.replace("metadata:", "metadata: &m", 1).replace("  name:", "  self: *m\n  name:", 1)


def _laughs_at(rng: random.Random, doc: dict[str, Any]) -> str:
    return _laughs(rng.randint(4, 10)) + _dump(doc)


def _nesting(rng: random.Random, doc: dict[str, Any]) -> str:
    path = rng.choice(_paths(doc))
    _set(doc, path, _Raw(_deep(rng.choice([50, 99, 101, 500, 5000, 50000]))))
    return _dump(doc)


def _huge(rng: random.Random, doc: dict[str, Any]) -> str:
    path = rng.choice(_paths(doc))
    size = rng.choice([10_000, 1_000_000, 4_000_000])
    _set(doc, path, _Raw("x" * size))
    return _dump(doc)


def _bad_utf8(rng: random.Random, doc: dict[str, Any]) -> bytes:
    raw = bytearray(_dump(doc).encode())
    raw.insert(rng.randrange(len(raw)), rng.choice([0xFF, 0xC3, 0x80, 0xFE]))
    return bytes(raw)


def _as_list(rng: random.Random, doc: dict[str, Any]) -> str:
    items = rng.choice(
        [_Raw("{a: b}"), _Raw("[1, 2]"), _Raw("~"), _Raw("x"), [doc, "x"], [doc, [doc]], [doc]]
    )
    kind = rng.choice(["List", "PodList"])
    return _dump({"apiVersion": "v1", "kind": kind, "items": items})


def _garble(rng: random.Random, doc: dict[str, Any]) -> str:
    text = _dump(doc)
    cut = rng.randrange(len(text))
    junk = rng.choice(["\t", ":", "- ", "{", "]", "&", "*", "!", "%YAML 1.1\n", "---\n", "\0"])
    return text[:cut] + junk + text[cut:]


MUTATIONS: tuple[Mutation, ...] = (
    _replace,
    _replace,
    _replace,
    _delete,
    _retype,
    _retype,
    _several,
    _alias,
    _laughs_at,
    _nesting,
    _huge,
    _bad_utf8,
    _as_list,
    _garble,
)


def mutations(seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    """`count` mutated manifests, named by their mutation, as the bytes of a file."""
    rng = random.Random(seed)
    examples = _examples()
    for n in range(count):
        mutation = rng.choice(MUTATIONS)
        doc = yaml.safe_load(yaml.safe_dump(rng.choice(examples)))
        text = mutation(rng, doc)
        raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        yield f"{n:04d}-{mutation.__name__.lstrip('_')}", raw
