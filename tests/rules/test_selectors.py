"""Label selectors: requirements matched as apimachinery's labels package matches them."""

from __future__ import annotations

from typing import Any

import pytest

from listwatch.rules import selectors

LABELS = {"app": "web", "tier": "frontend", "cores": "8"}


# Cases: "Labels and Selectors" (concepts/overview/working-with-objects/labels), set-based section.
@pytest.mark.parametrize(
    ("expression", "selected"),
    [
        ({"key": "tier", "operator": "In", "values": ["frontend", "backend"]}, True),
        ({"key": "tier", "operator": "In", "values": ["backend"]}, False),
        ({"key": "tier", "operator": "NotIn", "values": ["backend"]}, True),
        ({"key": "missing", "operator": "NotIn", "values": ["x"]}, True),  # absent key passes
        ({"key": "app", "operator": "Exists"}, True),
        ({"key": "missing", "operator": "Exists"}, False),
        ({"key": "missing", "operator": "DoesNotExist"}, True),
        ({"key": "app", "operator": "DoesNotExist"}, False),
    ],
)
def test_a_match_expression_selects_as_the_labels_doc_says(
    expression: dict[str, Any], selected: bool
) -> None:
    assert selectors.selects({"matchExpressions": [expression]}, LABELS) is selected


def test_match_labels_and_match_expressions_must_all_hold() -> None:
    # Labels and Selectors: "All of the requirements ... are ANDed".
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend"]}],
    }
    assert not selectors.selects(selector, LABELS)
    assert selectors.selects({**selector, "matchExpressions": []}, LABELS)


def test_an_empty_selector_selects_everything_and_a_nil_one_nothing() -> None:
    # LabelSelectorAsSelector: empty -> labels.Everything(), nil -> labels.Nothing().
    assert selectors.selects({}, {})
    assert selectors.selects({}, LABELS)
    assert not selectors.selects(None, LABELS)


@pytest.mark.parametrize(
    "expression",
    [
        {"key": "tier", "operator": "In", "values": []},
        {"key": "tier", "operator": "Exists", "values": ["x"]},
        {"key": "tier", "operator": "Matches", "values": ["x"]},
    ],
)
def test_an_invalid_expression_selects_nothing(expression: dict[str, Any]) -> None:
    # metav1 validation: In/NotIn need values, Exists/DoesNotExist take none.
    assert selectors.from_api({"matchExpressions": [expression]}) is None
    assert not selectors.selects({"matchExpressions": [expression]}, LABELS)


def test_gt_and_lt_compare_integer_label_values() -> None:
    more = selectors.Requirement("cores", selectors.GREATER_THAN, frozenset({"4"}))
    less = selectors.Requirement("cores", selectors.LESS_THAN, frozenset({"4"}))
    assert more.matches(LABELS) and not less.matches(LABELS)
    assert not more.matches({"cores": "many"})  # not an integer: no match
    assert not more.matches({})  # absent: no match


def test_a_map_selector_requires_each_pair_and_prints_as_the_api_does() -> None:
    selector = selectors.from_map({"tier": "frontend", "app": "web"})
    assert selector.matches(LABELS)
    assert not selector.matches({"app": "web"})
    assert str(selector) == "app=web,tier=frontend"
    assert selectors.from_map(None).matches({})
