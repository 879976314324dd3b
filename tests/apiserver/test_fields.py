"""Field errors as kube-apiserver words them."""

from __future__ import annotations

from listwatch.apiserver import fields


def test_a_value_in_a_message_is_quoted_as_go_quotes_it() -> None:
    assert fields.go_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert fields.go_quote("\n\x01\x7f\u00a0é\U0001f600") == '"\\n\\x01\\x7f\\u00a0é\U0001f600"'
