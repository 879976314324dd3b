"""Bodies decoded as Go's encoding/json reads them."""

from __future__ import annotations

import pytest

from listwatch.server import strictjson


def test_a_lone_surrogate_becomes_the_replacement_character_in_keys_and_values() -> None:
    decoded = strictjson.decode(b'{"a\\ud800": ["\\udfff", "ok \\ud83d\\ude00"]}')
    assert decoded.value == {"a\ufffd": ["\ufffd", "ok \U0001f600"]}


def test_invalid_utf8_becomes_the_replacement_character() -> None:
    assert strictjson.decode(b'"a\xffb"').value == "a\ufffdb"


def test_a_repeated_key_keeps_the_last_value_and_is_reported_by_its_path() -> None:
    decoded = strictjson.decode(
        b'{"spec": {"containers": [{"name": "a", "name": "b"}]}, "x": 1, "x": 2}'
    )
    assert decoded.value == {"spec": {"containers": [{"name": "b"}]}, "x": 2}
    assert decoded.duplicates == ["x", "spec.containers[0].name"]


@pytest.mark.parametrize("text", [b"NaN", b"[Infinity]", b'{"a": -Infinity}', b"1e400"])
def test_what_is_not_finite_json_is_refused(text: bytes) -> None:
    with pytest.raises(ValueError):
        strictjson.decode(text)


def test_nesting_beyond_gos_limit_is_gos_error() -> None:
    with pytest.raises(ValueError, match=r"^invalid character '\[' exceeded max depth$"):
        strictjson.decode(b"[" * 20_000)


def test_nesting_beyond_listwatchs_limit_says_so() -> None:
    with pytest.raises(ValueError, match="listwatch decodes at most 512 nesting levels"):
        strictjson.decode(b"[" * 600 + b"]" * 600)
    assert strictjson.decode(b"[" * 500 + b"]" * 500).value is not None


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert strictjson.decode(b'"' + b"[" * 20_000 + b'"').value == "[" * 20_000
