"""Bodies decoded as Go's encoding/json reads them."""

from __future__ import annotations

import pytest

from listwatch.apiserver.conform import RepeatedKeys
from listwatch.server import strictjson


def test_a_lone_surrogate_becomes_the_replacement_character_in_keys_and_values() -> None:
    decoded = strictjson.decode(b'{"a\\ud800": ["\\udfff", "ok \\ud83d\\ude00"]}')
    assert decoded.value == {"a\ufffd": ["\ufffd", "ok \U0001f600"]}


def test_each_invalid_utf8_byte_becomes_a_replacement_character() -> None:
    assert strictjson.decode(b'"a\xffb"').value == "a\ufffdb"
    assert strictjson.decode(b'{"k\xe2\x82": "\xed\xa0\x80"}').value == {
        "k\ufffd\ufffd": "\ufffd\ufffd\ufffd"
    }


def test_a_repeated_key_keeps_the_last_value_and_is_reported_by_its_path_in_document_order() -> (
    None
):
    decoded = strictjson.decode(
        b'{"spec": {"containers": [{"name": "a", "name": "b"}]}, "x": 1, "y": 0, "x": 2}'
    )
    assert decoded.value == {"spec": {"containers": [{"name": "b"}]}, "x": 2, "y": 0}
    assert decoded.duplicates == ["spec.containers[0].name", "x"]
    assert isinstance(decoded.value, RepeatedKeys)
    assert decoded.value.document_keys == ["spec", "x", "y", "x"]
    assert strictjson.plain(decoded.value) == decoded.value
    assert type(strictjson.plain(decoded.value)) is dict


@pytest.mark.parametrize(
    ("text", "message"),
    [  # Go's own (encoding/json's decode_test.go), and the states at the end of the input
        (b"", "unexpected end of JSON input"),
        (b'{"X": "foo", "Y"}', "invalid character '}' after object key"),
        (b'{"X": "foo" "Y": "bar"}', "invalid character '\"' after object key:value pair"),
        (b"[1, 2, 3+]", "invalid character '+' after array element"),
        (b'{"X":12x}', "invalid character 'x' after object key:value pair"),
        (b"[2, 3", "unexpected end of JSON input"),
        (b'{"F3": -}', "invalid character '}' in numeric literal"),
        (b"\x01 42", "invalid character '\\x01' looking for beginning of value"),
        (b" 42 \x01", "invalid character '\\x01' after top-level value"),
        (b'{"a":1,}', "invalid character '}' looking for beginning of object key string"),
        (b"[1,]", "invalid character ']' looking for beginning of value"),
        (b"[1.]", "invalid character ']' after decimal point in numeric literal"),
        (b"[1e+]", "invalid character ']' in exponent of numeric literal"),
        (b"[01]", "invalid character '1' after array element"),
        (b"[tru]", "invalid character ']' in literal true (expecting 'e')"),
        (b"nul", "invalid character ' ' in literal null (expecting 'l')"),
        (b"1.", "invalid character ' ' after decimal point in numeric literal"),
        (b'"ab\\', "invalid character ' ' in string escape code"),
        (b'"a\x01"', "invalid character '\\x01' in string literal"),
        (b'"\\q"', "invalid character 'q' in string escape code"),
        (b'"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"),
        (b'"\\ud800\\u12', "invalid character ' ' in \\u hexadecimal character escape"),
        (b'"abc', "unexpected end of JSON input"),
        (b"{'a': 1}", "invalid character '\\'' looking for beginning of object key string"),
        (b"\xef\xbb\xbf{}", "invalid character '\u00ef' looking for beginning of value"),
        (b"[\xff]", "invalid character '\u00ff' looking for beginning of value"),
        (b'{"a": [1, {"b": "x,y" 2}]}', "invalid character '2' after object key:value pair"),
        (b'[{"a": 1}, ' + b"1" * 4000 + b"x]", "invalid character 'x' after array element"),
    ],
)
def test_a_syntax_error_is_worded_as_gos_scanner_words_it(text: bytes, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        strictjson.decode(text)
    assert str(raised.value) == message


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
