"""Load the spec: YAML files, validated against `spec/schema.json`, into the frozen model.

Every error is a `SpecError` naming the file, the YAML path inside it (`steps[3].next[0]`) and the
line, with what was expected there. Nothing of a spec that fails is returned.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema

from listwatch.errors import SpecError
from listwatch.spec import checking
from listwatch.spec.model import (
    Arrow,
    ComponentDef,
    ConditionDef,
    ConditionRule,
    EventTemplate,
    Flow,
    MachineDef,
    ObjectDef,
    PhaseNote,
    Spec,
    State,
    Step,
    Transition,
    TreeNode,
    Troubleshooting,
    Variant,
    WaitingReason,
    WatchDef,
    frozen_mapping,
)
from listwatch.spec.yamlread import Document, parse_yaml, read_file

SCHEMA_FILE = "schema.json"


def yaml_path(parts: Iterable[Any]) -> str:
    """`["steps", 3, "next", 0]` -> `steps[3].next[0]`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class SchemaValidator:
    """The spec's JSON Schema, one validator per document kind."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self._validators: dict[str, jsonschema.Draft202012Validator] = {}

    @classmethod
    def from_file(cls, path: Path) -> SchemaValidator:
        try:
            schema = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise SpecError(str(path), "", f"the spec's JSON Schema cannot be read: {exc}") from exc
        jsonschema.Draft202012Validator.check_schema(schema)
        return cls(schema)

    def validate(self, doc: Document) -> None:
        data = doc.data
        if not isinstance(data, dict):
            raise doc.error("", f"expected a mapping with a `kind`, found {type(data).__name__}")
        kinds = self.schema["properties"]["kind"]["enum"]
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in kinds:
            raise doc.error("kind", f"expected one of {', '.join(kinds)}, found {kind!r}")
        validator = self._validators.get(kind)
        if validator is None:
            sub = {"$ref": f"#/$defs/{kind}", "$defs": self.schema["$defs"]}
            validator = self._validators[kind] = jsonschema.Draft202012Validator(sub)
        found = sorted(
            validator.iter_errors(data), key=lambda e: (len(e.absolute_path), str(e.message))
        )
        if found:
            err = jsonschema.exceptions.best_match(found)
            assert err is not None
            # For oneOf failures, the deepest sub-error says most about what was expected.
            while err.context:
                err = max(err.context, key=lambda e: len(e.absolute_path))
            raise doc.error(yaml_path(err.absolute_path), f"expected {_expected(err)}")


def _expected(err: jsonschema.ValidationError) -> str:
    validator = err.validator
    if validator == "required":
        return f"the field {err.message.split(' is a required')[0]}"
    if validator == "additionalProperties":
        return f"only the known fields ({err.message})"
    if validator == "enum":
        return f"one of {', '.join(map(str, err.validator_value))}, found {err.instance!r}"  # type: ignore[arg-type]
    if validator == "pattern":
        return f"a value matching {err.validator_value}, found {err.instance!r}"
    if validator == "type":
        return f"a {err.validator_value}, found {type(err.instance).__name__} {err.instance!r}"
    if validator == "const":
        return f"{err.validator_value!r}, found {err.instance!r}"
    return err.message


def spec_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.yaml") if p.is_file())


def load(root: str | Path) -> Spec:
    """Load and check every document under `root`; raise `SpecError` at the first problem."""
    root = Path(root)
    if not root.is_dir():
        raise SpecError(str(root), "", "expected a directory holding the spec's YAML files")
    validator = SchemaValidator.from_file(root / SCHEMA_FILE)
    documents = []
    for path in spec_files(root):
        display = _display(path, root)
        text = read_file(path, display=display)
        for doc in parse_yaml(display, text):
            validator.validate(doc)
            documents.append(doc)
    spec = build(documents, root=str(root))
    checking.check(spec)
    return spec


def _display(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def build(documents: list[Document], *, root: str) -> Spec:
    """Turn validated documents into the model; duplicates and a missing flow are errors."""
    flows: list[Flow] = []
    components: dict[str, ComponentDef] = {}
    objects: dict[str, ObjectDef] = {}
    machines: dict[str, MachineDef] = {}
    extras: dict[str, Mapping[str, Any]] = {}
    trees: list[Troubleshooting] = []
    for doc in documents:
        kind = doc.data["kind"]
        if kind == "Flow":
            if flows:
                first = flows[0].origin
                raise doc.error(
                    "",
                    "a second Flow document; the flow is already defined in "
                    f"{first.file if first is not None else 'another document'}",
                )
            flows.append(_flow(doc))
        elif kind == "Machine":
            _add_machine(
                machines, _machine(doc, doc.data, "", owner=doc.data["owner"]), doc, "name"
            )
        elif kind == "Component":
            name = doc.data["name"]
            if name in components:
                raise doc.error("name", f"a unique component name; {name!r} is defined twice")
            names = []
            for i, m in enumerate(doc.data["machines"]):
                machine = _machine(doc, m, f"machines[{i}]", owner=m.get("owner", name))
                _add_machine(machines, machine, doc, f"machines[{i}].name")
                names.append(machine.name)
            components[name] = _component(doc, tuple(names))
        elif kind == "Object":
            name = doc.data["name"]
            names = []
            for i, m in enumerate(doc.data["machines"]):
                machine = _machine(doc, m, f"machines[{i}]", owner=m.get("owner", "kubelet"))
                _add_machine(machines, machine, doc, f"machines[{i}].name")
                names.append(machine.name)
            objects[name] = _object(doc, tuple(names))
        elif kind == "Troubleshooting":
            if trees:
                raise doc.error("", "a second Troubleshooting document; there is one decision tree")
            trees.append(_troubleshooting(doc))
        else:
            extras[kind] = frozen_mapping(doc.data)
    if not flows:
        raise SpecError(
            root, "", "expected a document of kind Flow (the pod-creation flow); none was found"
        )
    spec = Spec(
        root=root,
        flow=flows[0],
        components=frozen_mapping(components),
        objects=frozen_mapping(objects),
        machines=frozen_mapping(machines),
        troubleshooting=trees[0] if trees else None,
        extras=frozen_mapping(extras),
    )
    if spec.troubleshooting is None:
        return spec
    # The tree judges images by the reasons the objects' documents mark as pull failures.
    tree = dataclasses.replace(spec.troubleshooting, pull_failures=spec.pull_failures())
    return dataclasses.replace(spec, troubleshooting=tree)


def _troubleshooting(doc: Document) -> Troubleshooting:
    data = doc.data
    nodes: dict[str, TreeNode] = {}
    for i, n in enumerate(data["nodes"]):
        if n["id"] in nodes:
            raise doc.error(f"nodes[{i}].id", f"a unique id; {n['id']} is repeated")
        nodes[n["id"]] = TreeNode(
            id=n["id"],
            ask=n.get("ask", ""),
            check=n.get("check", ""),
            yes=n.get("yes", ""),
            no=n.get("no", ""),
            finding=n.get("finding", ""),
            evidence=tuple(n.get("evidence", ())),
            fix=n.get("fix", ""),
            healthy=bool(n.get("healthy", False)),
            missing=bool(n.get("missing", False)),
            origin=doc.origin(f"nodes[{i}]"),
        )
    return Troubleshooting(
        name=data["name"],
        title=data["title"],
        statuses=tuple(PhaseNote(s["phase"], s["means"], s["check"]) for s in data["statuses"]),
        start=data["start"],
        nodes=frozen_mapping(nodes),
        tried_ports=tuple(data.get("triedPorts", ())),
        origin=doc.origin(""),
    )


def _add_machine(
    machines: dict[str, MachineDef], machine: MachineDef, doc: Document, path: str
) -> None:
    if machine.name in machines:
        other = machines[machine.name].origin
        raise doc.error(
            path,
            f"a unique machine name; {machine.name!r} is also defined in "
            f"{other.file if other else '?'}",
        )
    machines[machine.name] = machine


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(value)
    return (value,)


def _flow(doc: Document) -> Flow:
    data = doc.data
    steps = []
    for i, s in enumerate(data["steps"]):
        observable = s["observable"]
        steps.append(
            Step(
                id=s["id"],
                title=s["title"],
                sources=_as_tuple(s["from"]),
                targets=_as_tuple(s["to"]),
                message=s["message"],
                match=frozen_mapping(s["match"]),
                observable=frozen_mapping(observable) if observable else None,
                next=tuple(s["next"]),
                k8s=s.get("k8s", ""),
                same_as_for_direct_pods=s.get("same_as_for_direct_pods", ""),
                origin=doc.origin(f"steps[{i}]"),
            )
        )
    return Flow(
        name=data["name"],
        actors=tuple(data["actors"]),
        entries=frozen_mapping({e["step"]: e["when"] for e in data["entries"]}),
        steps=tuple(steps),
        variants=tuple(Variant(v["id"], v["name"], tuple(v["steps"])) for v in data["variants"]),
        simplified=tuple(
            Arrow(a["arrow"], a["from"], a["to"], tuple(a["steps"]), a["label"], a.get("via", ""))
            for a in data.get("simplified", [])
        ),
        origin=doc.origin(""),
    )


def _machine(doc: Document, data: Mapping[str, Any], path: str, *, owner: str) -> MachineDef:
    prefix = f"{path}." if path else ""
    states = tuple(
        State(
            name=s["name"],
            doc=s.get("doc", ""),
            final=s.get("final", False),
            status=frozen_mapping(s.get("status")),
        )
        for s in data["states"]
    )
    transitions = tuple(
        Transition(
            trigger=t["trigger"],
            sources=_as_tuple(t["source"]),
            dest=t["dest"],
            conditions=_as_tuple(t.get("conditions")),
            unless=_as_tuple(t.get("unless")),
            before=_as_tuple(t.get("before")),
            after=_as_tuple(t.get("after")),
            doc=t.get("doc", ""),
            observed_only=t.get("why", "") if t.get("observedOnly") else "",
            origin=doc.origin(f"{prefix}transitions[{i}]"),
        )
        for i, t in enumerate(data["transitions"])
    )
    return MachineDef(
        name=data["name"],
        owner=owner,
        per=data["per"],
        initial=data["initial"],
        states=states,
        transitions=transitions,
        title=data.get("title", ""),
        doc=data.get("doc", ""),
        origin=doc.origin(path),
    )


def _component(doc: Document, machines: tuple[str, ...]) -> ComponentDef:
    data = doc.data
    watches = tuple(
        WatchDef(
            id=w["id"],
            resource=w["resource"],
            handlers=frozen_mapping(w["handlers"]),
            label_selector=w.get("labelSelector", ""),
            field_selector=w.get("fieldSelector", ""),
            doc=w.get("doc", ""),
            origin=doc.origin(f"watches[{i}]"),
        )
        for i, w in enumerate(data.get("watches", []))
    )
    events = {
        name: EventTemplate(e["type"], e["reason"], e["message"])
        for name, e in data.get("events", {}).items()
    }
    return ComponentDef(
        name=data["name"],
        title=data["title"],
        watches=watches,
        machines=machines,
        events=frozen_mapping(events),
        settings=frozen_mapping(data.get("settings")),
        event_source=data.get("eventSource", ""),
        events_api=data.get("eventsApi", "v1"),
        k8s=data.get("k8s", ""),
        origin=doc.origin(""),
    )


def _object(doc: Document, machines: tuple[str, ...]) -> ObjectDef:
    data = doc.data
    conditions = tuple(
        ConditionDef(
            type=c["type"],
            owner=c["owner"],
            rules=tuple(
                ConditionRule(
                    status=r["status"],
                    when=r.get("when", ""),
                    reason=r.get("reason", ""),
                    message=r.get("message", ""),
                )
                for r in c.get("rules", [])
            ),
            doc=c.get("doc", ""),
            origin=doc.origin(f"conditions[{i}]"),
        )
        for i, c in enumerate(data.get("conditions", []))
    )
    return ObjectDef(
        name=data["name"],
        title=data.get("title", data["name"]),
        machines=machines,
        conditions=conditions,
        settings=frozen_mapping(data.get("settings")),
        k8s=data.get("k8s", ""),
        waiting_reasons=tuple(
            WaitingReason(
                reason=w["reason"],
                doc=w["doc"],
                stuck=w.get("stuck", False),
                pull_failure=w.get("pullFailure", False),
                logs=w.get("logs", ""),
            )
            for w in data.get("waitingReasons", ())
        ),
        origin=doc.origin(""),
    )
