"""Node fit: a pod's nodeSelector AND its required node affinity."""

from __future__ import annotations

from typing import Any

import pytest

from listwatch.rules import affinity

NODE = {
    "metadata": {
        "name": "node01",
        "labels": {
            "disktype": "ssd",
            "topology.kubernetes.io/zone": "antarctica-east1",
            "gpus": "2",
        },
    }
}


def pod(*terms: dict[str, Any], node_selector: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx"}]}
    if node_selector is not None:
        spec["nodeSelector"] = node_selector
    if terms:
        required = {"nodeSelectorTerms": list(terms)}
        spec["affinity"] = {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}
        }
    return {"spec": spec}


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    found: dict[str, Any] = {"key": key, "operator": operator}
    if values:
        found["values"] = list(values)
    return {"matchExpressions": [found]}


def test_a_pod_without_constraints_fits_any_node() -> None:
    assert affinity.fits_node(pod(), NODE)
    assert not affinity.node_fit(pod()["spec"]).constrained


def test_a_node_selector_needs_every_label() -> None:
    # Assigning Pods to Nodes, "nodeSelector": the node must have each specified label.
    assert affinity.fits_node(pod(node_selector={"disktype": "ssd"}), NODE)
    assert not affinity.fits_node(pod(node_selector={"disktype": "ssd", "gpu": "yes"}), NODE)


# Assigning Pods to Nodes, "Node affinity": the operators In, NotIn, Exists, DoesNotExist, Gt, Lt.
@pytest.mark.parametrize(
    ("term", "fits"),
    [
        (expr("topology.kubernetes.io/zone", "In", "antarctica-east1", "antarctica-west1"), True),
        (expr("topology.kubernetes.io/zone", "In", "antarctica-west1"), False),
        (expr("topology.kubernetes.io/zone", "NotIn", "antarctica-west1"), True),
        (expr("disktype", "NotIn", "ssd"), False),
        (expr("disktype", "Exists"), True),
        (expr("gpu", "Exists"), False),
        (expr("gpu", "DoesNotExist"), True),
        (expr("gpus", "Gt", "1"), True),
        (expr("gpus", "Gt", "2"), False),
        (expr("gpus", "Lt", "3"), True),
        (expr("disktype", "Gt", "1"), False),  # not an integer label
        (expr("gpus", "Gt", "one"), False),  # not an integer bound: an invalid term
    ],
)
def test_each_node_affinity_operator_decides_as_documented(
    term: dict[str, Any], fits: bool
) -> None:
    assert affinity.fits_node(pod(term), NODE) is fits


def test_node_selector_terms_are_ored() -> None:
    # Assigning Pods to Nodes: "the Pod can be scheduled onto a node if one of the specified terms
    # can be satisfied (terms are ORed)".
    assert affinity.fits_node(pod(expr("gpu", "Exists"), expr("disktype", "Exists")), NODE)
    assert not affinity.fits_node(pod(expr("gpu", "Exists"), expr("x", "Exists")), NODE)


def test_expressions_in_one_term_are_anded() -> None:
    # Assigning Pods to Nodes: "the Pod can be scheduled onto a node only if all the expressions
    # are satisfied (expressions are ANDed)".
    both = {
        "matchExpressions": [
            {"key": "disktype", "operator": "In", "values": ["ssd"]},
            {"key": "gpu", "operator": "Exists"},
        ]
    }
    assert not affinity.fits_node(pod(both), NODE)


def test_node_selector_and_node_affinity_must_both_hold() -> None:
    # Assigning Pods to Nodes: "If you specify both nodeSelector and nodeAffinity, both must be
    # satisfied".
    assert not affinity.fits_node(pod(expr("disktype", "Exists"), node_selector={"a": "b"}), NODE)
    assert affinity.fits_node(
        pod(expr("disktype", "Exists"), node_selector={"disktype": "ssd"}), NODE
    )


def test_match_fields_select_the_node_by_name() -> None:
    # API reference NodeSelectorTerm.matchFields: a node selector requirement by node's fields.
    by_name = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node01"]}]}
    other = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node02"]}]}
    assert affinity.fits_node(pod(by_name), NODE)
    assert not affinity.fits_node(pod(other), NODE)


def test_an_empty_term_and_an_empty_term_list_match_nothing() -> None:
    # API reference NodeSelector: "The terms are ORed"; an empty or null term matches no objects.
    assert not affinity.fits_node(pod({}), NODE)
    empty = pod()
    empty["spec"]["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}
        }
    }
    assert not affinity.fits_node(empty, NODE)


def test_the_keys_a_pod_constrains_are_named_for_messages() -> None:
    fit = affinity.node_fit(pod(expr("gpu", "Exists"), node_selector={"disktype": "ssd"})["spec"])
    assert fit.keys == {"gpu", "disktype"}
