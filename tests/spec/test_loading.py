"""Loading the spec: the shipped spec is valid, and every kind of mistake names file, path and
line."""

from __future__ import annotations

from pathlib import Path

import pytest

from listwatch import engine as engine_module
from listwatch.errors import SpecError
from listwatch.spec import loading, yamlread
from tests.conftest import SPEC
from tests.spec_copies import edit


def line_of(root: Path, name: str, needle: str) -> int:
    for number, line in enumerate((root / name).read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_the_shipped_spec_loads_with_the_thirteen_steps_and_a_machine_per_component() -> None:
    spec = loading.load(SPEC)
    main = [s.id for s in spec.flow.steps if s.id.startswith("LW-")]
    assert main == [f"LW-{n:02d}" for n in range(1, 14)]
    owners = {m.owner for m in spec.machines.values()}
    assert {
        "etcd",
        "apiserver",
        "watch-cache",
        "controller-manager",
        "scheduler",
        "kubelet",
        "reflector",
    } <= owners
    assert {"pod-phase", "container"} <= set(spec.machines)
    assert spec.machine("pod-phase").state_names == (
        "Pending",
        "Running",
        "Succeeded",
        "Failed",
        "Unknown",
    )


def test_every_step_says_whether_and_how_it_is_observable() -> None:
    spec = loading.load(SPEC)
    scheduled = spec.flow.step("LW-10").observable
    assert scheduled is not None and scheduled["event"]["reason"] == "Scheduled"
    assert scheduled["event"]["source"] == "default-scheduler"
    assert spec.flow.step("LW-03").internal


Case = tuple[str, str, str, str, str]

CASES: list[Case] = [
    # (file, text to replace, replacement, expected YAML path, expected words in the problem)
    (
        "components/scheduler.yaml",
        "dest: Bound, conditions: [node_found]",
        "dest: Bonud, conditions: [node_found]",
        "machines[0].transitions[0].dest",
        "a declared state",
    ),
    (
        "objects/container.yaml",
        "dest: ImagePullBackOff, conditions: [in_image_backoff]",
        "dest: ErrImagePull, conditions: [in_image_backoff]",
        "machines[0].states[3]",
        "reachable from Waiting",
    ),
    (
        "flow.yaml",
        "next: [LW-10, US-01]",
        "next: [LW-10, US-09]",
        "steps[8].next[1]",
        "declared step",
    ),
    (
        "objects/pod.yaml",
        "initial: Pending",
        "initial: Waiting",
        "machines[0].initial",
        "a declared state",
    ),
    (
        "components/kubelet.yaml",
        "watches:\n  - id: pods\n    resource: pods",
        "watches:\n  - id: pods\n    resource: pod",
        "watches[0].resource",
        "one of pods, nodes",
    ),
    ("flow.yaml", "kind: Flow", "kind: Flw", "kind", "one of Flow, Component"),
]


@pytest.mark.parametrize(("name", "old", "new", "path", "problem"), CASES)
def test_a_broken_spec_is_refused_with_its_file_path_and_line(
    spec_copy: Path, name: str, old: str, new: str, path: str, problem: str
) -> None:
    edit(spec_copy, name, old, new)
    with pytest.raises(SpecError) as caught:
        engine_module.load(spec_copy)
    error = caught.value
    assert error.file == f"spec/{name}"
    assert error.path == path
    assert problem in error.problem
    assert error.line is not None and error.line > 0


def test_an_unknown_guard_name_is_a_load_error_listing_the_known_ones(spec_copy: Path) -> None:
    edit(
        spec_copy,
        "components/scheduler.yaml",
        "conditions: [node_found]",
        "conditions: [node_fund]",
    )
    with pytest.raises(SpecError) as caught:
        engine_module.load(spec_copy)
    error = caught.value
    assert error.file == "spec/components/scheduler.yaml"
    assert error.path == "machines[0].transitions[0].conditions[0]"
    assert (
        "unknown guard name" in error.problem
        and "node_found" in error.problem
        and "'node_fund'" in error.problem
    )
    assert error.line == line_of(spec_copy, "components/scheduler.yaml", "node_fund")


def test_an_unknown_watch_handler_is_a_load_error(spec_copy: Path) -> None:
    edit(spec_copy, "components/kubelet.yaml", "ADDED: pod_added", "ADDED: pod_arrived")
    with pytest.raises(
        SpecError,
        match=r"spec/components/kubelet.yaml:\d+: at watches\[0\].handlers.ADDED: unknown action "
        r"name",
    ):
        engine_module.load(spec_copy)


def test_an_unknown_scheduler_plugin_is_a_load_error(spec_copy: Path) -> None:
    edit(
        spec_copy,
        "components/scheduler.yaml",
        "plugin: NodeAffinity, reason",
        "plugin: NodeAfinity, reason",
    )
    with pytest.raises(SpecError, match=r"settings.filters\[3\].plugin: expected a filter plugin"):
        engine_module.load(spec_copy)


def test_invalid_yaml_names_its_line(spec_copy: Path) -> None:
    (spec_copy / "flow.yaml").write_text("kind: Flow\nname: [unclosed\n")
    with pytest.raises(SpecError) as caught:
        loading.load(spec_copy)
    assert caught.value.file == "spec/flow.yaml"
    assert "not valid YAML" in caught.value.problem
    assert caught.value.line is not None


def test_a_missing_flow_is_reported(spec_copy: Path) -> None:
    (spec_copy / "flow.yaml").unlink()
    with pytest.raises(SpecError, match="expected a document of kind Flow"):
        loading.load(spec_copy)


def test_the_error_message_reads_file_line_path_problem(spec_copy: Path) -> None:
    edit(
        spec_copy,
        "objects/container.yaml",
        "dest: Running, conditions: [image_present]",
        "dest: Runing, conditions: [image_present]",
    )
    with pytest.raises(SpecError) as caught:
        engine_module.load(spec_copy)
    line = line_of(spec_copy, "objects/container.yaml", "dest: Runing")
    assert str(caught.value).startswith(
        f"spec/objects/container.yaml:{line}: at machines[0].transitions[0].dest: a declared state"
    )


def test_parse_yaml_refuses_what_exceeds_its_limits_naming_the_limit() -> None:
    limits = yamlread.YamlLimits(max_bytes=100, max_depth=3, max_alias_nodes=5)
    with pytest.raises(SpecError, match="larger than 100 bytes"):
        yamlread.parse_yaml("f.yaml", "a: " + "x" * 100, limits=limits)
    with pytest.raises(SpecError, match="nested deeper than 3 levels") as deep:
        yamlread.parse_yaml("f.yaml", "a:\n  b:\n    c:\n      d: 1\n", limits=limits)
    assert (deep.value.line, deep.value.path) == (4, "a.b.c.d")
    with pytest.raises(SpecError, match="aliases expand to more than 5 nodes") as aliased:
        yamlread.parse_yaml("f.yaml", "a: &a [1, 2, 3]\nb: *a\nc: *a\n", limits=limits)
    assert (aliased.value.line, aliased.value.path) == (3, "c[0]")


def test_aliases_within_the_limit_and_merge_keys_are_read() -> None:
    (doc,) = yamlread.parse_yaml("f.yaml", "a: &a {x: 1, y: 2}\nb:\n  <<: *a\n  y: 3\nc: *a\n")
    assert doc.data == {"a": {"x": 1, "y": 2}, "b": {"x": 1, "y": 3}, "c": {"x": 1, "y": 2}}
    assert doc.line("c.x") == 5


def test_a_recursive_alias_is_refused_at_the_line_of_the_alias() -> None:
    with pytest.raises(SpecError, match="a recursive alias") as caught:
        yamlread.parse_yaml("f.yaml", "a: &a\n  b: 1\n  c:\n  - *a\n")
    assert (caught.value.line, caught.value.path) == (4, "a.c[0]")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: !!binary aGk=", "the YAML tag !!binary is not supported"),
        ("a: !foo 1", "the YAML tag !foo is not supported"),
        ("a: !!set {x}", "the YAML tag !!set is not supported"),
        ("a: !!python/name:os.system x", "the YAML tag !!python/name:os.system is not supported"),
        ("a: !!bool maybe", "'maybe' cannot be read as !!bool: expected true or false"),
        ("a: !!float x", "'x' cannot be read as !!float: expected a number"),
        ("a: 1\na: 2", "the key 'a' is repeated (first on line 1)"),
        ("? [a]\n: 1", "a mapping key that is a string"),
        ("a: *nowhere", "not valid YAML: found undefined alias 'nowhere'"),
        ("a: \x00", "not valid YAML: unacceptable character #x0000"),
    ],
)
def test_a_tag_key_or_character_kubernetes_would_not_read_is_refused(
    text: str, problem: str
) -> None:
    with pytest.raises(SpecError) as caught:
        yamlread.parse_yaml("f.yaml", text)
    assert problem in caught.value.problem
    assert caught.value.line is not None


def test_yaml_reads_as_json_would_hold_it() -> None:
    (doc,) = yamlread.parse_yaml("f.yaml", "1: a\ntrue: b\nwhen: 2024-01-01\nhex: 0x1F\n")
    assert doc.data == {"1": "a", "true": "b", "when": "2024-01-01", "hex": 31}
