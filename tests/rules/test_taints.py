"""Taints and tolerations: which toleration matches a taint, and when the taint eviction
controller evicts."""

from __future__ import annotations

from typing import Any

import pytest

from listwatch.rules.taints import eviction_delay, first_untolerated, toleration_matches

UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}
DEFAULT = {
    "key": "node.kubernetes.io/unreachable",
    "operator": "Exists",
    "effect": "NoExecute",
    "tolerationSeconds": 300,
}


@pytest.mark.parametrize(
    ("toleration", "matches"),
    [
        (DEFAULT, True),
        ({"operator": "Exists"}, True),  # every taint
        (
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoSchedule"},
            False,
        ),
        (
            {"key": "node.kubernetes.io/unreachable", "value": ""},
            True,
        ),  # Equal, the default operator
        ({"key": "node.kubernetes.io/unreachable", "value": "x"}, False),
        ({"key": "other", "operator": "Exists"}, False),
    ],
)
def test_a_toleration_matches_a_taint_as_kubernetes_compares_them(
    toleration: dict[str, Any], matches: bool
) -> None:
    assert toleration_matches(toleration, UNREACHABLE) is matches


@pytest.mark.parametrize(
    ("tolerations", "delay"),
    [
        ([DEFAULT], 300.0),
        ([{**DEFAULT, "tolerationSeconds": 30}, DEFAULT], 30.0),  # the first that matches counts
        ([{**DEFAULT, "tolerationSeconds": -5}], 0.0),
        (
            [{k: v for k, v in DEFAULT.items() if k != "tolerationSeconds"}],
            None,
        ),  # tolerated forever
        ([], 0.0),  # not tolerated: at once
        ([{"key": "other", "operator": "Exists"}], 0.0),
    ],
)
def test_the_eviction_delay_is_the_shortest_toleration_of_the_taints(
    tolerations: list[dict[str, Any]], delay: float | None
) -> None:
    assert eviction_delay(tolerations, [UNREACHABLE]) == delay


# Taints and Tolerations (concepts/scheduling-eviction/taint-and-toleration): key1=value1:NoSchedule
KEY1 = {"key": "key1", "value": "value1", "effect": "NoSchedule"}


@pytest.mark.parametrize(
    ("toleration", "matches"),
    [
        ({"key": "key1", "operator": "Equal", "value": "value1", "effect": "NoSchedule"}, True),
        ({"key": "key1", "operator": "Exists", "effect": "NoSchedule"}, True),
        ({"key": "key1", "value": "value1"}, True),  # Equal by default, effect empty: all effects
        ({"key": "key1", "operator": "Equal", "value": "value2"}, False),
        ({"key": "key1", "operator": "Exists", "effect": "NoExecute"}, False),
        ({"operator": "Exists", "effect": "NoSchedule"}, True),  # empty key: every key
        ({"key": "key1", "operator": "Lt", "value": "value1"}, False),  # not an operator
    ],
)
def test_the_taints_doc_examples_tolerate_key1_as_documented(
    toleration: dict[str, Any], matches: bool
) -> None:
    assert toleration_matches(toleration, KEY1) is matches


def test_the_scheduler_rejects_for_the_first_untolerated_no_schedule_or_no_execute_taint() -> None:
    # Taints and Tolerations: PreferNoSchedule is a preference, not a rejection.
    soft = {"key": "soft", "value": "", "effect": "PreferNoSchedule"}
    hard = {"key": "hard", "value": "", "effect": "NoExecute"}
    assert first_untolerated([soft, KEY1, hard], [{"key": "key1", "operator": "Exists"}]) == hard
    assert first_untolerated([soft], []) is None


def test_without_taints_nothing_is_evicted() -> None:
    # The taint eviction controller leaves pods on a node without NoExecute taints alone.
    assert eviction_delay([], []) is None
