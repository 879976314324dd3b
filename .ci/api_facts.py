#!/usr/bin/env python3
"""Extract the facts of the Kubernetes API types that the served API needs into spec/api/types.json.

What it reads (git objects, no work tree, nothing fetched):
- kubernetes/api at tag v0.32.0 (the v1.32 API types), mirrored at
  /work/.mirror/kubernetes+api/repo: `<group>/<version>/generated.proto` and the Go sources beside
  it (`types.go` and the other non-generated `*.go` files) of each package in API_PACKAGES;
- kubernetes/apimachinery at tag v0.32.0, mirrored at /work/.mirror/kubernetes+apimachinery/repo:
  the same files of pkg/apis/meta/v1, pkg/runtime (TypeMeta, RawExtension, Unknown),
  pkg/util/intstr and pkg/api/resource.

What it writes, per type (keyed by the name the type is served under in OpenAPI,
`io.k8s.api.core.v1.PodSpec`): its fields, each as
`[jsonName, protobufNumber, label, type, extras]` where
- label is "opt", "rep" (repeated) or "map" (type is then the map's value type; keys are strings);
- type is a protobuf scalar ("string", "int32", "int64", "bool", "bytes", "double", ...) or the
  served name of a message type;
- extras (omitted when empty) holds `inline` (a Go embedded struct whose JSON fields are the
  parent's), `patchStrategy` and `patchMergeKey` (the Go struct tags, else the `+patchStrategy` /
  `+patchMergeKey` markers), `listType`, `listMapKeys`, `mapType` (the `+listType`, `+listMapKey`,
  `+mapType` markers), `go` (the Go field's name where it is not the JSON name capitalized),
  `pointer` (a Go pointer: a zero value on the wire is a value) and `always`
  (a Go value without `omitempty`: the JSON encoding writes its zero value).
A type whose Go definition is a named slice (`type Verbs []string`) is wrapped on the wire in a
message with one repeated `items` field; the table marks it `"items": true`.

Only facts are kept (names, numbers, tags): no generated code. Run from the repository root:

    python3 .ci/api_facts.py            # rewrite spec/api/types.json
    python3 .ci/api_facts.py --check    # exit 1 when the committed table differs
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

API_REPO = "/work/.mirror/kubernetes+api/repo"
MACHINERY_REPO = "/work/.mirror/kubernetes+apimachinery/repo"
TAG = "v0.32.0"
OUT = Path(__file__).resolve().parent.parent / "spec" / "api" / "types.json"

#: The kubernetes/api packages whose types are read (the groups listwatch serves or may serve).
API_PACKAGES = [
    "core/v1",
    "apps/v1",
    "batch/v1",
    "policy/v1",
    "scheduling/v1",
    "coordination/v1",
    "rbac/v1",
    "storage/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "events/v1",
    "networking/v1",
    "discovery/v1",
    "node/v1",
    "certificates/v1",
    "authentication/v1",
    "authorization/v1",
    "admissionregistration/v1",
]
MACHINERY_PACKAGES = ["pkg/apis/meta/v1", "pkg/runtime", "pkg/util/intstr", "pkg/api/resource"]

_MESSAGE = re.compile(r"^message (\w+) \{$")
_FIELD = re.compile(r"^\s+(optional|repeated) ([\w.]+) (\w+) = (\d+);")
_MAP_FIELD = re.compile(r"^\s+map<(\w+), ([\w.]+)> (\w+) = (\d+);")
_PACKAGE = re.compile(r"^package ([\w.]+);")
_STRUCT = re.compile(r"^type (\w+) struct \{")
_SLICE_TYPE = re.compile(r"^type (\w+) \[\]")
_TAG = re.compile(r'(\w+):"([^"]*)"')
_GO_FIELD = re.compile(r"^\t(\w[\w.]*)(?:\s+([^`]+?))?\s*`([^`]*)`")
_MARKER = re.compile(r"^\s*// \+(patchStrategy|patchMergeKey|listType|listMapKey|mapType)=(\S+)")
_SCALARS = {"string", "int32", "int64", "bool", "bytes", "double", "float", "uint32", "uint64"}


def git_show(repo: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", repo, "show", f"{TAG}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def git_files(repo: str, directory: str) -> list[str]:
    out = subprocess.run(
        ["git", "-C", repo, "ls-tree", "--name-only", f"{TAG}:{directory}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [
        name
        for name in out.split()
        if name.endswith(".go")
        and not name.endswith("_test.go")
        and not name.startswith(("zz_", "generated"))
    ]


def served_name(proto_name: str) -> str:
    """`k8s.io.api.core.v1.Pod` (a protobuf package and message) as OpenAPI names it."""
    return "io.k8s." + proto_name.removeprefix("k8s.io.")


def parse_proto(text: str) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """The package and, per message, its fields with their comment markers."""
    package = ""
    messages: dict[str, list[dict[str, Any]]] = {}
    current: list[dict[str, Any]] | None = None
    markers: list[tuple[str, str]] = []
    for line in text.splitlines():
        if m := _PACKAGE.match(line):
            package = m.group(1)
        elif m := _MESSAGE.match(line):
            current = messages[m.group(1)] = []
            markers = []
        elif current is not None and (m := _MARKER.match(line)):
            markers.append((m.group(1), m.group(2)))
        elif current is not None and (m := _FIELD.match(line) or _MAP_FIELD.match(line)):
            if len(m.groups()) == 4 and m.re is _MAP_FIELD:
                label, ptype, name, number = "map", m.group(2), m.group(3), m.group(4)
            else:
                label, ptype, name, number = m.group(1), m.group(2), m.group(3), m.group(4)
            label = {"optional": "opt", "repeated": "rep"}.get(label, label)
            current.append(
                {
                    "name": name,
                    "number": int(number),
                    "label": label,
                    "type": ptype,
                    "markers": markers,
                }
            )
            markers = []
        elif line.startswith("}"):
            current = None
        elif not line.strip().startswith("//"):
            markers = []
    return package, messages


def parse_go(text: str) -> tuple[dict[str, dict[int, dict[str, Any]]], set[str]]:
    """Per Go struct, its fields by protobuf number (json name, inline, patch tags, markers); and
    the named slice types."""
    structs: dict[str, dict[int, dict[str, Any]]] = {}
    slices: set[str] = set()
    current: dict[int, dict[str, Any]] | None = None
    markers: list[tuple[str, str]] = []
    for line in text.splitlines():
        if m := _STRUCT.match(line):
            current = structs[m.group(1)] = {}
            markers = []
            continue
        if m := _SLICE_TYPE.match(line):
            slices.add(m.group(1))
        if current is None:
            continue
        if line.startswith("}"):
            current = None
        elif m := _MARKER.match(line):
            markers.append((m.group(1), m.group(2)))
        elif m := _GO_FIELD.match(line):
            tags = dict(_TAG.findall(m.group(3)))
            go_type = (m.group(2) or m.group(1)).strip()
            go_name = m.group(1) if m.group(2) else m.group(1).lstrip("*").rpartition(".")[2]
            proto = tags.get("protobuf", "").split(",")
            if len(proto) > 1 and proto[1].isdigit():
                json_name, _, json_opts = tags.get("json", "").partition(",")
                current[int(proto[1])] = {
                    "json": json_name,
                    "go": go_name,
                    "inline": json_name == "" and "inline" in json_opts,
                    "omitempty": "omitempty" in json_opts,
                    "pointer": go_type.startswith("*"),
                    "patchStrategy": tags.get("patchStrategy", ""),
                    "patchMergeKey": tags.get("patchMergeKey", ""),
                    "markers": markers,
                }
            markers = []
        elif not line.strip().startswith("//"):
            markers = []
    return structs, slices


def field_type(ptype: str, package: str) -> str:
    if ptype in _SCALARS:
        return ptype
    if ptype.startswith("."):
        return served_name(ptype[1:])
    return served_name(f"{package}.{ptype}")


def extras(markers: list[tuple[str, str]], go: dict[str, Any] | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    keys: list[str] = []
    for name, value in markers + list((go or {}).get("markers", [])):
        if name == "listMapKey":
            if value not in keys:
                keys.append(value)
        else:
            found[name] = value
    if keys:
        found["listMapKeys"] = keys
    if go:
        for tag in ("patchStrategy", "patchMergeKey"):
            if go[tag]:
                found[tag] = go[tag]
        if go["inline"]:
            found["inline"] = True
        if go["pointer"]:
            found["pointer"] = True
        elif not go["omitempty"] and not go["inline"]:
            found["always"] = True
    return found


def go_extra(row: list[Any], go: dict[str, Any] | None) -> None:
    """The Go field's name, where it is not the JSON name capitalized (gogo-protobuf's decoding
    errors name it)."""
    json_name = str(row[0])
    if go and go["go"] != json_name[:1].upper() + json_name[1:]:
        if len(row) == 4:
            row.append({})
        row[4]["go"] = go["go"]


def package_facts(repo: str, directory: str) -> dict[str, Any]:
    package, messages = parse_proto(git_show(repo, f"{directory}/generated.proto"))
    structs: dict[str, dict[int, dict[str, Any]]] = {}
    slices: set[str] = set()
    for name in git_files(repo, directory):
        found, named = parse_go(git_show(repo, f"{directory}/{name}"))
        structs.update(found)
        slices |= named
    facts: dict[str, Any] = {}
    for message, fields in messages.items():
        go_fields = structs.get(message, {})
        rows = []
        for f in fields:
            go = go_fields.get(int(f["number"]))
            json_name = (go or {}).get("json") or f["name"]
            if json_name == "-":
                json_name = f["name"]
            row: list[Any] = [
                json_name,
                f["number"],
                f["label"],
                field_type(str(f["type"]), package),
            ]
            more = extras(f["markers"], go)
            if more:
                row.append(more)
            go_extra(row, go)
            rows.append(row)
        entry: dict[str, Any] = {"fields": rows}
        if message in slices and [r[0] for r in rows] == ["items"]:
            entry["items"] = True
        facts[served_name(f"{package}.{message}")] = entry
    return facts


def build() -> dict[str, Any]:
    types: dict[str, Any] = {}
    for directory in API_PACKAGES:
        types.update(package_facts(API_REPO, directory))
    for directory in MACHINERY_PACKAGES:
        types.update(package_facts(MACHINERY_REPO, directory))
    return {
        "source": f"kubernetes/api and kubernetes/apimachinery {TAG} (generated.proto, *.go tags)",
        "types": dict(sorted(types.items())),
    }


def render(table: dict[str, Any]) -> str:
    """One type a line: compact, and a diff shows which types changed."""
    lines = ["{", f'"source": {json.dumps(table["source"])},', '"types": {']
    items = list(table["types"].items())
    for i, (name, entry) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"{json.dumps(name)}: {json.dumps(entry, separators=(',', ':'))}{comma}")
    lines += ["}", "}", ""]
    return "\n".join(lines)


def main() -> int:
    text = render(build())
    if "--check" in sys.argv[1:]:
        return 0 if OUT.read_text() == text else 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
