"""Field sets and FieldsV1, as structured-merge-diff writes them."""

from __future__ import annotations

from listwatch.apiserver import fieldsets, shapes


def test_fieldsv1_round_trips_with_dot_for_members_that_have_children() -> None:
    fields = frozenset(
        {
            (("f", "metadata"), ("f", "labels")),
            (("f", "metadata"), ("f", "labels"), ("f", "app")),
            (("f", "spec"), ("f", "ports"), ("k", '{"port":80,"protocol":"TCP"}')),
            (("f", "spec"), ("f", "ports"), ("k", '{"port":80,"protocol":"TCP"}'), ("f", "port")),
            (("f", "metadata"), ("f", "finalizers"), ("v", '"a"')),
        }
    )
    encoded = fieldsets.encode(fields)
    assert encoded == {
        "f:metadata": {
            "f:finalizers": {'v:"a"': {}},
            "f:labels": {".": {}, "f:app": {}},
        },
        "f:spec": {"f:ports": {'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}}},
    }
    assert list(encoded["f:metadata"]["f:labels"]) == [".", "f:app"]
    assert fieldsets.decode(encoded) == fields


def test_custom_resources_take_list_types_from_their_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "ports": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                    },
                    "args": {"type": "array", "items": {"type": "string"}},
                },
            }
        },
    }
    shape = shapes.custom(schema)
    value = {"spec": {"ports": [{"name": "http"}], "args": ["a"]}}
    assert fieldsets.encode(fieldsets.field_set(value, shape)) == {
        "f:spec": {
            "f:args": {},
            "f:ports": {'k:{"name":"http"}': {".": {}, "f:name": {}}},
        }
    }
