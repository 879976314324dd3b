"""Taints and tolerations: which toleration matches a taint, and when the taint eviction controller evicts."""

from __future__ import annotations

from typing import Any

import pytest

from listwatch.rules.taints import eviction_delay, toleration_matches

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
