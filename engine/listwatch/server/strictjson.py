"""Request bodies decoded as kube-apiserver's Go decoder reads them: the one place bodies become
values.

Python's `json` accepts more than Go's `encoding/json` (and `sigs.k8s.io/json`, which kube-apiserver
uses) and gives back values that cannot be encoded again. `decode` closes each gap the Go way:

- `NaN`, `Infinity` and `-Infinity` are not JSON: a syntax error, as in Go;
- a number too large for a float64 (`1e400`) is an error, not infinity;
- the body is UTF-8; each byte that is not (in a string) becomes U+FFFD, and so does a lone UTF-16
  surrogate escape (`"\\ud800"`): Go's decoder replaces both, so nothing stored is unencodable;
- a key that repeats in one object keeps its last value (Go's rule); the object is then a
  `conform.RepeatedKeys`, which keeps the keys in document order for the strict decoding errors,
  and the repeats are listed (`Decoded.duplicates`, as field paths, in document order) for the
  caller's field validation to warn or refuse;
- nesting deeper than Go's 10,000 levels is Go's "exceeded max depth" syntax error. Python's
  decoder recurses on the C stack, so listwatch stops earlier, at `MAX_DEPTH` levels (no served
  kind nests a tenth as deep; kube-apiserver would drop such a field as unknown anyway).

Every error is a `ValueError` whose text is Go's for the same body (what follows "json parse
error: " in kube-apiserver's 400 answer): a syntax error is worded by `_GoScanner`, a port of the
error states of Go's JSON scanner, run over the few bytes around where Python's decoder stopped.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from listwatch.apiserver.conform import RepeatedKeys
from listwatch.apiserver.fields import go_quote

#: Go's encoding/json nesting limit (its scanner's maxNestingDepth).
GO_MAX_DEPTH = 10_000
#: The deepest nesting listwatch decodes (see the module docstring).
MAX_DEPTH = 512
#: At most this many strict decoding errors are kept (sigs.k8s.io/json's limit).
MAX_STRICT_ERRORS = 100

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DIGIT_RUN = re.compile(r"[0-9]{3,}")
_SPACE_RUN = re.compile(r"[ \t\r\n]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_GO_CONSTANT_ERRORS = {
    "NaN": "invalid character 'N' looking for beginning of value",
    "Infinity": "invalid character 'I' looking for beginning of value",
    "-Infinity": "invalid character 'I' in numeric literal",
}


@dataclass(frozen=True)
class Decoded:
    """A decoded body and the field paths of the keys it repeated (`metadata.name`), in document
    order."""

    value: Any
    duplicates: list[str] = field(default_factory=list)


def decode(body: bytes) -> Decoded:
    """The JSON value of `body` as Go reads it; ValueError (with Go's wording) when it is not
    JSON."""
    try:
        text, raw_bytes = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, raw_bytes = body.decode("utf-8", errors="surrogateescape"), True
    _check_depth(text)
    repeated = [False]
    try:
        value = json.loads(
            text,
            object_pairs_hook=lambda pairs: _object(pairs, repeated),
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
    except RecursionError:
        raise ValueError(_depth_error(GO_MAX_DEPTH + 1)) from None
    except json.JSONDecodeError as exc:
        raise ValueError(syntax_error(text, exc)) from None
    if raw_bytes or _SURROGATE_ESCAPE.search(text):
        value = _without_surrogates(value)
    duplicates = duplicate_paths(value) if repeated[0] else []
    return Decoded(value, duplicates)


def _check_depth(text: str) -> None:
    """Refuse a body nested deeper than MAX_DEPTH before the recursive decoder sees it (at C speed:
    strings removed, then the running depth over the brackets that remain)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return  # cannot nest deeper than it opens
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    deepest = max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)
    if deepest > MAX_DEPTH:
        raise ValueError(_depth_error(deepest))


def _depth_error(depth: int) -> str:
    if depth > GO_MAX_DEPTH:
        return "invalid character '[' exceeded max depth"
    return f"exceeded max depth (listwatch decodes at most {MAX_DEPTH} nesting levels)"


def _object(pairs: list[tuple[str, Any]], repeated: list[bool]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    repeated[0] = True
    return RepeatedKeys(obj, [key for key, _ in pairs])


def _refuse_constant(name: str) -> Any:
    raise ValueError(_GO_CONSTANT_ERRORS.get(name, f"invalid character {name[:1]!r}"))


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return number


def _clean(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def _without_surrogates(value: Any) -> Any:
    """`value` with every surrogate (a lone escape, or an invalid byte kept by surrogateescape) in
    keys and strings replaced by U+FFFD; an object that repeats keys keeps their order."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    if isinstance(value, dict):
        out = {_clean(k): _without_surrogates(v) for k, v in value.items()}
        if isinstance(value, RepeatedKeys):
            return RepeatedKeys(out, [_clean(k) for k in value.document_keys])
        return out
    return value


def duplicate_paths(value: Any, path: str = "") -> list[str]:
    """The paths of the keys that repeat in `value` (under `path`), in document order, each once
    and at most MAX_STRICT_ERRORS: what Go's strict decoder reports of a map[string]interface{}."""
    return list(itertools.islice(dict.fromkeys(_duplicates(value, path)), MAX_STRICT_ERRORS))


def _duplicates(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        keys = value.document_keys if isinstance(value, RepeatedKeys) else list(value)
        last = {key: i for i, key in enumerate(keys)}
        seen: set[str] = set()
        for i, key in enumerate(keys):
            at = f"{path}.{key}" if path else key
            if key in seen:
                yield at
            seen.add(key)
            if last[key] == i and isinstance(value[key], dict | list):
                yield from _duplicates(value[key], at)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict | list):
                yield from _duplicates(item, f"{path}[{i}]")


def plain(value: Any) -> Any:
    """`value` with every `RepeatedKeys` object a plain dict again (for a body whose repeats were
    already reported)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


# -- Go's syntax errors ----------------------------------------------------------------------------


def syntax_error(text: str, error: json.JSONDecodeError) -> str:
    """Go's wording of the syntax error that Python's decoder found at `error.pos` of `text`.

    Everything before the token that holds `error.pos` is JSON to both decoders, so Go's scanner
    is started at the last structural character before it, in the state that character leaves
    it in, and run to its error."""
    at = min(error.pos, len(text))
    message = error.msg
    if message.startswith("Unterminated string"):
        backslashes = len(text) - len(text.rstrip("\\"))
        if backslashes % 2:  # the string ends in the middle of an escape
            return _invalid(" ", "in string escape code")
        return "unexpected end of JSON input"
    if message.startswith("Invalid control character"):
        return _invalid(text[at], "in string literal")
    if message.startswith("Invalid \\escape"):
        after = at + 1 if text[at : at + 1] == "\\" else at
        return _invalid(text[after] if after < len(text) else " ", "in string escape code")
    if message.startswith("Invalid \\uXXXX escape"):
        start = at + 1 if text[at : at + 1] == "u" else at + 2
        for ch in text[start : start + 4].ljust(4):
            if ch not in "0123456789abcdefABCDEF":
                return _invalid(ch, "in \\u hexadecimal character escape")
        return "unexpected end of JSON input"  # a whole escape, and the input ends after it
    scanner = _GoScanner.after(_STRING.sub('""', text[:at]))
    tail = _SPACE_RUN.sub(" ", _DIGIT_RUN.sub(_two_digits, scanner.tail))
    return scanner.run(itertools.chain(tail, text[at:]))


def _two_digits(run: re.Match[str]) -> str:
    """A run of digits as two of them: the scanner's state after a run is that after two (its
    first digit decides `0` against `1-9`, the rest only repeat), as it is after one space for a
    run of spaces."""
    digits = run.group()
    return digits[0] + digits[-1]


def _invalid(ch: str, context: str) -> str:
    """Go's scanner error: `invalid character 'x' <context>`, the character quoted as Go's
    quoteChar quotes the byte (the first byte of the character's UTF-8, read as a rune)."""
    byte = ch.encode("utf-8", errors="surrogateescape")[0]  # an invalid byte is U+DC80-U+DCFF
    if byte == ord("'"):
        quoted = "'\\''"
    elif byte == ord('"'):
        quoted = "'\"'"
    else:
        quoted = "'" + go_quote(chr(byte))[1:-1] + "'"
    return f"invalid character {quoted} {context}"


class _SyntaxError(Exception):
    pass


_OBJECT_KEY, _OBJECT_VALUE, _ARRAY_VALUE = "key", "value", "array"
_SPACE = " \t\r\n"
_HEX = "0123456789abcdefABCDEF"


class _GoScanner:
    """The states of Go's encoding/json scanner (scanner.go) that decide its error text; `step`
    is the current state, `stack` what the scanner's parseState holds."""

    def __init__(self, stack: list[str], step: Callable[[str], None], tail: str = "") -> None:
        self.stack = stack
        self.step = step
        self.tail = tail
        self.end_top = False

    @classmethod
    def after(cls, prefix: str) -> _GoScanner:
        """The scanner as it stands after `prefix` (valid JSON so far, every string in it written
        as `""`), but for the scalar after its last structural character (`tail`), which is to be
        scanned again."""
        stack: list[str] = []
        for bracket in _NOT_BRACKET.sub("", prefix):
            if bracket in "[{":
                stack.append(_OBJECT_VALUE if bracket == "{" else _ARRAY_VALUE)
            elif stack:
                stack.pop()
        at = max(map(prefix.rfind, "[]{},:"))
        scanner = cls(stack, lambda c: None, prefix[at + 1 :])
        last = prefix[at] if at >= 0 else ""
        if last == "{":
            stack[-1] = _OBJECT_KEY
            scanner.step = scanner.begin_string_or_empty
        elif last == "[":
            scanner.step = scanner.begin_value_or_empty
        elif last == "," and stack and stack[-1] == _OBJECT_VALUE:
            stack[-1] = _OBJECT_KEY
            scanner.step = scanner.begin_string
        elif last in ",:":  # "" (nothing before) too
            scanner.step = scanner.begin_value
        else:  # a closing bracket
            scanner.step = scanner.end_value
            if not stack:
                scanner.end_top = True
                scanner.step = scanner.end_top_value
        return scanner

    def run(self, chars: Iterator[str]) -> str:
        """Go's error for the characters that follow, or for their end."""
        try:
            for ch in chars:
                self.step(ch)
            self.step(" ")  # Go's eof(): one more space, then "unexpected end" unless done
        except _SyntaxError as exc:
            return str(exc)
        return "unexpected end of JSON input"

    def error(self, ch: str, context: str) -> None:
        raise _SyntaxError(_invalid(ch, context))

    # -- values

    def begin_value_or_empty(self, c: str) -> None:
        if c in _SPACE:
            return
        if c == "]":
            self.end_value(c)
            return
        self.begin_value(c)

    def begin_value(self, c: str) -> None:
        if c in _SPACE:
            return
        if c == "{":
            self.push(c, _OBJECT_KEY, self.begin_string_or_empty)
        elif c == "[":
            self.push(c, _ARRAY_VALUE, self.begin_value_or_empty)
        elif c == '"':
            self.step = self.in_string
        elif c == "-":
            self.step = self.neg
        elif c == "0":
            self.step = self.zero
        elif c in "123456789":
            self.step = self.one
        elif c in "tfn":
            self.step = self.literal({"t": "rue", "f": "alse", "n": "ull"}[c], c)
        else:
            self.error(c, "looking for beginning of value")

    def push(self, c: str, state: str, step: Callable[[str], None]) -> None:
        self.stack.append(state)
        if len(self.stack) > GO_MAX_DEPTH:
            self.error(c, "exceeded max depth")
        self.step = step

    def begin_string_or_empty(self, c: str) -> None:
        if c in _SPACE:
            return
        if c == "}":
            self.stack[-1] = _OBJECT_VALUE
            self.end_value(c)
            return
        self.begin_string(c)

    def begin_string(self, c: str) -> None:
        if c in _SPACE:
            return
        if c != '"':
            self.error(c, "looking for beginning of object key string")
        self.step = self.in_string

    def end_value(self, c: str) -> None:
        if not self.stack:
            self.end_top = True
            self.step = self.end_top_value
            self.end_top_value(c)
            return
        if c in _SPACE:
            self.step = self.end_value
            return
        state = self.stack[-1]
        if state == _OBJECT_KEY:
            if c != ":":
                self.error(c, "after object key")
            self.stack[-1] = _OBJECT_VALUE
            self.step = self.begin_value
        elif state == _OBJECT_VALUE:
            if c == ",":
                self.stack[-1] = _OBJECT_KEY
                self.step = self.begin_string
            elif c == "}":
                self.pop()
            else:
                self.error(c, "after object key:value pair")
        elif c == ",":
            self.step = self.begin_value
        elif c == "]":
            self.pop()
        else:
            self.error(c, "after array element")

    def pop(self) -> None:
        self.stack.pop()
        if self.stack:
            self.step = self.end_value
        else:
            self.end_top = True
            self.step = self.end_top_value

    def end_top_value(self, c: str) -> None:
        if c not in _SPACE:
            self.error(c, "after top-level value")

    # -- strings

    def in_string(self, c: str) -> None:
        if c == '"':
            self.step = self.end_value
        elif c == "\\":
            self.step = self.in_string_escape
        elif ord(c) < 0x20:
            self.error(c, "in string literal")

    def in_string_escape(self, c: str) -> None:
        if c in 'bfnrt\\/"':
            self.step = self.in_string
        elif c == "u":
            self.step = self.unicode_escape(4)
        else:
            self.error(c, "in string escape code")

    def unicode_escape(self, left: int) -> Callable[[str], None]:
        def step(c: str) -> None:
            if c not in _HEX:
                self.error(c, "in \\u hexadecimal character escape")
            self.step = self.unicode_escape(left - 1) if left > 1 else self.in_string

        return step

    # -- numbers

    def neg(self, c: str) -> None:
        if c == "0":
            self.step = self.zero
        elif c in "123456789":
            self.step = self.one
        else:
            self.error(c, "in numeric literal")

    def one(self, c: str) -> None:
        if c in "0123456789":
            return
        self.zero(c)

    def zero(self, c: str) -> None:
        if c == ".":
            self.step = self.dot
        elif c in "eE":
            self.step = self.exponent
        else:
            self.end_value(c)

    def dot(self, c: str) -> None:
        if c not in "0123456789":
            self.error(c, "after decimal point in numeric literal")
        self.step = self.dot_digits

    def dot_digits(self, c: str) -> None:
        if c in "0123456789":
            return
        if c in "eE":
            self.step = self.exponent
        else:
            self.end_value(c)

    def exponent(self, c: str) -> None:
        if c in "+-":
            self.step = self.exponent_sign
            return
        self.exponent_sign(c)

    def exponent_sign(self, c: str) -> None:
        if c not in "0123456789":
            self.error(c, "in exponent of numeric literal")
        self.step = self.exponent_digits

    def exponent_digits(self, c: str) -> None:
        if c not in "0123456789":
            self.end_value(c)

    # -- true, false, null

    def literal(self, rest: str, first: str) -> Callable[[str], None]:
        word = {"t": "true", "f": "false", "n": "null"}[first]

        def step(c: str) -> None:
            if c != rest[0]:
                self.error(c, f"in literal {word} (expecting '{rest[0]}')")
            self.step = self.literal(rest[1:], first) if len(rest) > 1 else self.end_value

        return step
