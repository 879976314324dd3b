"""Shapes of paths: how a path prints and how a value of the wrong type is described."""

from __future__ import annotations

from listwatch.apiserver import shapes


def test_paths_print_as_structured_merge_diff_prints_them() -> None:
    path = (("f", "spec"), ("f", "containers"), ("k", '{"name":"web"}'), ("f", "image"))
    assert shapes.path_text(path) == '.spec.containers[name="web"].image'
    assert shapes.path_text((("f", "finalizers"), ("v", '"x"'))) == '.finalizers[="x"]'


def test_bad_apply_configurations_are_described_by_path() -> None:
    shape = shapes.builtin("apps/v1", "Deployment")
    assert shapes.problems({"spec": {"replicas": "two", "nope": 1}}, shape) == [
        ".spec.replicas: expected numeric (int or float), got string",
        ".spec.nope: field not declared in schema",
    ]
