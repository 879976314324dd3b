"""The generic strategy: what the resource table declares, turned into the API server's hooks."""

from __future__ import annotations

from listwatch.apiserver import strategies
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.strategies import Default, Immutable, Strategy, generic


def test_a_default_fills_only_what_is_unset_and_descends_into_lists() -> None:
    default = Default("subsets[].ports[].protocol", "TCP", {})
    obj = {"subsets": [{"ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}, {}]}
    assert default.apply(obj) == {
        "subsets": [
            {"ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]},
            {},
        ]
    }
    assert obj["subsets"][0]["ports"][0] == {"port": 80}  # the input is left alone


def test_a_default_with_a_condition_applies_only_where_it_holds() -> None:
    hooks = generic(
        namespaced=True,
        strategy=Strategy(),
        defaults=[
            Default("spec.updateStrategy.type", "RollingUpdate", {}),
            Default(
                "spec.updateStrategy.rollingUpdate",
                {"partition": 0},
                {"spec.updateStrategy.type": "RollingUpdate"},
            ),
        ],
    )
    assert hooks.on_write is not None
    assert hooks.on_write({"spec": {}})["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"partition": 0},
    }
    on_delete = {"spec": {"updateStrategy": {"type": "OnDelete"}}}
    assert hooks.on_write(on_delete) == on_delete


def test_a_created_object_gets_its_generation_and_first_status() -> None:
    hooks = generic(
        namespaced=True, strategy=Strategy(), generation=True, status={"phase": "Pending"}
    )
    assert hooks.defaults is not None
    created = hooks.defaults({"metadata": {"name": "x"}, "status": {"phase": "Bound"}}, None)
    assert created == {"metadata": {"name": "x", "generation": 1}, "status": {"phase": "Pending"}}


def test_a_kind_without_declarations_has_no_write_hooks_and_checks_its_metadata() -> None:
    hooks = generic(namespaced=True, strategy=Strategy(), names="path")
    assert hooks.defaults is None and hooks.on_write is None
    assert hooks.validate({"metadata": {"name": "system:reader"}}) == []
    assert hooks.validate({"metadata": {"name": "a/b"}}) == [
        "metadata.name: Invalid value: \"a/b\": may not contain '/'"
    ]


def test_immutable_fields_are_refused_in_the_kinds_words() -> None:
    hooks = generic(
        namespaced=False,
        strategy=Strategy(),
        immutable=[
            Immutable("provisioner", "updates to provisioner are forbidden."),
            Immutable("mode"),
        ],
    )
    old = {"metadata": {"name": "x"}, "provisioner": "a", "mode": "Immediate"}
    new = {**old, "provisioner": "b", "mode": "Later"}
    assert hooks.validate_update(old, new) == [
        "provisioner: Forbidden: updates to provisioner are forbidden.",
        'mode: Invalid value: "Later": field is immutable',
    ]
    assert hooks.validate_update(old, old) == []


def test_a_named_strategy_runs_after_the_declared_defaults() -> None:
    seen = []

    def on_write(obj: Obj) -> Obj:
        seen.append(dict(obj))
        return obj

    hooks = generic(
        namespaced=True,
        strategy=Strategy(on_write=on_write),
        defaults=[Default("type", "Opaque", {})],
    )
    assert hooks.on_write is not None
    hooks.on_write({"metadata": {"name": "x"}})
    assert seen == [{"metadata": {"name": "x"}, "type": "Opaque"}]
    assert "secrets" in strategies.NAMED
