"""Label and field selectors, as the API server parses and matches them."""

from __future__ import annotations

import pytest

from listwatch import errors
from listwatch.apiserver.selectors import (
    parse_field_selector,
    parse_label_selector,
    selector_from_map,
)


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("cz=bob", {"cz": "bob"}, True),
        ("cz=bob", {"cz": "alice"}, False),
        ("cz==bob", {"cz": "bob"}, True),
        ("cz!=bob", {}, True),
        ("cz in (alice,bob)", {"cz": "alice"}, True),
        ("cz notin (alice,bob)", {"cz": "carol"}, True),
        ("cz", {"cz": ""}, True),
        ("!cz", {"cz": "bob"}, False),
        ("app=nginx,cz in (bob)", {"app": "nginx", "cz": "bob"}, True),
        ("app=nginx,cz in (bob)", {"app": "nginx", "cz": "alice"}, False),
    ],
)
def test_label_selectors_match_as_kubernetes_does(
    selector: str, labels: dict[str, str], expected: bool
) -> None:
    assert parse_label_selector(selector).matches(labels) is expected


def test_a_malformed_label_selector_is_a_bad_request() -> None:
    with pytest.raises(errors.BadRequest, match="invalid label key"):
        parse_label_selector("bad key!=x")


def test_a_node_selector_map_requires_every_pair() -> None:
    selector = selector_from_map({"cz": "bob", "disk": "ssd"})
    assert selector.matches({"cz": "bob", "disk": "ssd", "x": "y"})
    assert not selector.matches({"cz": "bob"})


def test_field_selectors_compare_dotted_paths_and_pin_exact_values() -> None:
    selector = parse_field_selector(
        "spec.nodeName=,status.phase!=Failed", frozenset({"spec.nodeName", "status.phase"})
    )
    assert selector.matches({"spec": {}, "status": {"phase": "Pending"}})
    assert not selector.matches({"spec": {"nodeName": "node01"}, "status": {"phase": "Pending"}})
    assert selector.exact("spec.nodeName") == ""
    assert selector.exact("status.phase") is None


def test_an_unsupported_field_is_refused_like_the_api_server_does() -> None:
    with pytest.raises(errors.BadRequest, match=r"field label not supported: spec\.image"):
        parse_field_selector("spec.image=nginx", frozenset({"spec.nodeName"}), resource="pods")
