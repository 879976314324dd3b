"""A Deployment's revisions: the pod-template-hash, template equality, revision annotations."""

from __future__ import annotations

from listwatch.components import revisions
from listwatch.components.revisions import SAFE_ALPHABET, pod_template_hash

TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c"}]}}


def test_the_pod_template_hash_is_stable_and_changes_with_a_collision() -> None:
    first = pod_template_hash(TEMPLATE, None)
    assert first == pod_template_hash(dict(TEMPLATE), None)
    assert set(first) <= set(SAFE_ALPHABET) and 1 <= len(first) <= 10
    assert pod_template_hash(TEMPLATE, 1) not in (first, pod_template_hash(TEMPLATE, 2))


def test_a_template_equals_its_replica_sets_but_for_the_hash_label() -> None:
    hashed = {
        "metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}, "annotations": {}},
        "spec": {"containers": [{"name": "c"}]},
    }
    assert revisions.equal_ignore_hash(TEMPLATE, hashed)
    other = {**hashed, "spec": {"containers": [{"name": "d"}]}}
    assert not revisions.equal_ignore_hash(TEMPLATE, other)


def test_a_revision_that_is_no_number_is_0() -> None:
    annotated = {"metadata": {"annotations": {revisions.REVISION: "x"}}}
    assert revisions.revision_of(annotated) == 0
    assert revisions.revision_of({"metadata": {"annotations": {revisions.REVISION: "7"}}}) == 7
