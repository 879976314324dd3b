"""Field errors as kube-apiserver words them: names, labels, ports, enums, quantities.

The formats and messages are those of k8s.io/apimachinery/pkg/util/validation (v0.32), so that a
refused object gets the text a real cluster gives; every kind's validation builds on these.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from listwatch.apiserver.objects import Obj

FieldErrors = list[str]

#: The formats and messages of k8s.io/apimachinery/pkg/util/validation (v0.32), which its
#: RegexError turns into kube-apiserver's field error texts.
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(_DNS1123_LABEL_FMT)
_DNS1035_LABEL = re.compile(_DNS1035_LABEL_FMT)
_DNS1123_SUBDOMAIN = re.compile(_DNS1123_SUBDOMAIN_FMT)
_QUALIFIED_NAME = re.compile(_QUALIFIED_NAME_FMT)
_LABEL_VALUE = re.compile(_LABEL_VALUE_FMT)
_DNS1123_LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character"
)
_DNS1035_LABEL_MESSAGE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)
_QUALIFIED_NAME_MESSAGE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_LABEL_VALUE_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character"
)
_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def go_quote(text: str) -> str:
    """`text` quoted as Go's strconv.Quote (and so `%q`) quotes it, which is how kube-apiserver
    prints a string value in a message: printable characters as they are, `"` and `\\` escaped,
    the others as `\\n`, `\\x01`, `\\u00a0` or `\\U0001f000`."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _regex_error(message: str, pattern: str, *examples: str) -> str:
    """apimachinery's RegexError: the message, its examples and the regular expression."""
    shown = " or ".join(f"'{example}', " for example in examples)
    return (
        f"{message} ({'e.g. ' if examples else ''}{shown}regex used for validation is '{pattern}')"
    )


def _size(value: str) -> int:
    """A string's length as Go counts it: in bytes of UTF-8."""
    return len(value.encode("utf-8", errors="surrogatepass"))


def dns1123_label_problems(value: str) -> list[str]:
    """Why `value` is not a DNS-1123 label (IsDNS1123Label), or nothing."""
    problems = []
    if _size(value) > 63:
        problems.append("must be no more than 63 characters")
    if not _DNS1123_LABEL.fullmatch(value):
        if _DNS1123_SUBDOMAIN.fullmatch(value):
            problems.append("must not contain dots")
        else:
            problems.append(
                _regex_error(_DNS1123_LABEL_MESSAGE, _DNS1123_LABEL_FMT, "my-name", "123-abc")
            )
    return problems


def dns1035_label_problems(value: str) -> list[str]:
    """Why `value` is not a DNS-1035 label (IsDNS1035Label), or nothing."""
    problems = []
    if _size(value) > 63:
        problems.append("must be no more than 63 characters")
    if not _DNS1035_LABEL.fullmatch(value):
        problems.append(
            _regex_error(_DNS1035_LABEL_MESSAGE, _DNS1035_LABEL_FMT, "my-name", "abc-123")
        )
    return problems


def dns1123_subdomain_problems(value: str) -> list[str]:
    """Why `value` is not a DNS-1123 subdomain (IsDNS1123Subdomain), or nothing."""
    problems = []
    if _size(value) > 253:
        problems.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        problems.append(
            _regex_error(_DNS1123_SUBDOMAIN_MESSAGE, _DNS1123_SUBDOMAIN_FMT, "example.com")
        )
    return problems


def qualified_name_problems(value: str) -> list[str]:
    """Why `value` is not a qualified name, a label key (IsQualifiedName), or nothing."""
    parts = value.split("/")
    if len(parts) > 2:
        return [
            "a qualified name "
            + _regex_error(
                _QUALIFIED_NAME_MESSAGE, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"
            )
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    problems = []
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            problems.append("prefix part must be non-empty")
        else:
            problems.extend(f"prefix part {p}" for p in dns1123_subdomain_problems(prefix))
    name = parts[-1]
    if not name:
        problems.append("name part must be non-empty")
    elif _size(name) > 63:
        problems.append("name part must be no more than 63 characters")
    if not _QUALIFIED_NAME.fullmatch(name):
        problems.append(
            "name part "
            + _regex_error(
                _QUALIFIED_NAME_MESSAGE, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"
            )
        )
    return problems


def label_value_problems(value: str) -> list[str]:
    """Why `value` is not a label value (IsValidLabelValue), or nothing."""
    problems = []
    if _size(value) > 63:
        problems.append("must be no more than 63 characters")
    if not _LABEL_VALUE.fullmatch(value):
        problems.append(
            _regex_error(_LABEL_VALUE_MESSAGE, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345")
        )
    return problems


def shown(value: Any) -> str:
    """A simple value in a field error as apimachinery's ErrorBody prints it: a string quoted,
    a bool lower-case, nil as null."""
    if isinstance(value, str):
        return go_quote(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def invalid_value(path: str, value: str, problems: list[str]) -> FieldErrors:
    """One `Invalid value` field error per problem, the value quoted as Go quotes it."""
    return [f"{path}: Invalid value: {go_quote(value)}: {problem}" for problem in problems]


def path_segment_problems(value: str) -> list[str]:
    """Why `value` cannot be a name that is a path segment (IsValidPathSegmentName: the names
    of RBAC objects), or nothing."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


#: The forms a kind's names take (its ValidateObjectMeta name function).
NAME_FORMS = {
    "subdomain": dns1123_subdomain_problems,
    "label": dns1123_label_problems,
    "path": path_segment_problems,
}


def validate_meta(obj: Obj, *, namespaced: bool, names: str = "subdomain") -> FieldErrors:
    """ValidateObjectMeta: a name (or generateName) of the kind's form (`NAME_FORMS`), and
    valid labels."""
    errs: FieldErrors = []
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return ["metadata: Required value"]
    name = meta.get("name", "")
    if not name:
        errs.append("metadata.name: Required value: name or generateName is required")
    else:
        errs.extend(invalid_value("metadata.name", str(name), NAME_FORMS[names](str(name))))
    errs.extend(validate_labels(meta.get("labels"), "metadata.labels"))
    return errs


def validate_labels(labels: Any, path: str) -> FieldErrors:
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [f"{path}: Invalid value: expected a map of string keys to string values"]
    errs: FieldErrors = []
    for key, value in labels.items():
        errs.extend(invalid_value(path, str(key), qualified_name_problems(str(key))))
        if not isinstance(value, str):
            errs.append(f"{path}[{key}]: Invalid value: {value!r}: a label value must be a string")
        else:
            errs.extend(invalid_value(path, value, label_value_problems(value)))
    return errs


_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def validate_port(port: Any, path: str, *, required: bool = False) -> FieldErrors:
    """A port number (1-65535) or, where a name may stand for it, an IANA service name."""
    if port is None or port == "":
        return [f"{path}: Required value"] if required else []
    if isinstance(port, str):
        if len(port) > 15 or not _PORT_NAME.match(port) or not any(c.isalpha() for c in port):
            return [
                f'{path}: Invalid value: "{port}": must contain only alpha-numeric characters '
                "(a-z, 0-9), and hyphens (-)"
            ]
        return []
    if not 1 <= port <= 65535:
        return [f"{path}: Invalid value: {port}: must be between 1 and 65535, inclusive"]
    return []


PROTOCOLS = ("SCTP", "TCP", "UDP")
TAINT_EFFECTS = ("NoExecute", "NoSchedule", "PreferNoSchedule")


def enum_problems(obj: Any, enums: Mapping[str, tuple[str, ...]]) -> FieldErrors:
    """`Unsupported value` for every field of `enums` that holds a word not in its list."""
    errs: FieldErrors = []
    for pattern, allowed in enums.items():
        for path, value in _values_at(obj, _steps(pattern), ()):
            if value not in ("", None) and value not in allowed:
                supported = ", ".join(f'"{v}"' for v in allowed)
                errs.append(
                    f'{_dotted(path)}: Unsupported value: "{value}": supported values: {supported}'
                )
    return errs


@functools.cache
def _steps(pattern: str) -> tuple[tuple[str, bool], ...]:
    """`spec.containers[*].name` -> (("spec", False), ("containers", True), ("name", False))."""
    return tuple((part.removesuffix("[*]"), part.endswith("[*]")) for part in pattern.split("."))


def _values_at(
    value: Any, steps: tuple[tuple[str, bool], ...], path: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], Any]]:
    """Each value the steps lead to, with its path (a name or a list index per step), level by
    level; the path is spelt out only for a field in error, which keeps a valid object cheap."""
    level: list[tuple[tuple[str | int, ...], Any]] = [(path, value)]
    for name, each in steps:
        found: list[tuple[tuple[str | int, ...], Any]] = []
        for at, holder in level:
            if not isinstance(holder, dict) or name not in holder:
                continue
            item = holder[name]
            if not each:
                found.append(((*at, name), item))
            elif isinstance(item, list):
                found.extend(((*at, name, i), x) for i, x in enumerate(item))
        if not found:
            return found
        level = found
    return level


def _dotted(path: tuple[str | int, ...]) -> str:
    """("spec", "containers", 0, "name") -> `spec.containers[0].name`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def quantity_text(value: Any) -> Any:
    """A resource quantity as the API serialises it: always a string (`"110"`, `"94580335255"`),
    whatever number a manifest (or a YAML spec) gave."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)
