"""Pages of a list: the continue token as v1.32's storage writes and reads it, and pages cut by
the API server at one revision (limit, continue, remainingItemCount, 410 once compacted)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from listwatch import errors
from listwatch.apiserver import pagination
from listwatch.apiserver.listoptions import ListOptions
from listwatch.cluster import Cluster
from tests.builders import pod

PREFIX = "/registry/pods/default/"


def raw(fields: object) -> str:
    """A token holding `fields`, however wrong, encoded as a client could."""
    text = fields if isinstance(fields, str) else json.dumps(fields, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def refusal(token: str) -> str:
    with pytest.raises(errors.BadRequest) as refused:
        pagination.decode(token, PREFIX)
    return refused.value.message


def test_a_token_is_unpadded_url_base64_of_version_revision_and_start() -> None:
    token = pagination.encode(PREFIX + "web-1\x00", PREFIX, 12)
    assert "=" not in token
    assert base64.urlsafe_b64decode(token + "==") == (
        b'{"v":"meta.k8s.io/v1","rv":12,"start":"web-1\\u0000"}'
    )
    assert pagination.decode(token, PREFIX) == pagination.Start(PREFIX + "web-1\x00", 12)


def test_the_caches_leading_slash_and_etcds_bare_start_decode_to_the_same_key() -> None:
    cache = pagination.encode(PREFIX + "web-1\x00", PREFIX.rstrip("/"), 7)
    assert json.loads(base64.urlsafe_b64decode(cache + "=="))["start"] == "/web-1\x00"
    assert pagination.decode(cache, PREFIX).key == PREFIX + "web-1\x00"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("a", "illegal base64 data at input byte 0"),
        ("eyJ2Ijo=", "illegal base64 data at input byte 7"),
        ("ab*d", "illegal base64 data at input byte 2"),
        (raw("x"), "invalid character 'x' looking for beginning of value"),
        (raw("{"), "unexpected end of JSON input"),
        (raw("[1]"), "json: cannot unmarshal array into Go value of type storage.continueToken"),
        (
            raw({"v": "meta.k8s.io/v1", "rv": "12", "start": "a"}),
            "json: cannot unmarshal string into Go struct field continueToken.rv of type int64",
        ),
        (
            raw({"v": "meta.k8s.io/v1", "rv": True, "start": "a"}),
            "json: cannot unmarshal bool into Go struct field continueToken.rv of type int64",
        ),
        (
            raw({"v": "meta.k8s.io/v1", "rv": 1.5, "start": "a"}),
            "json: cannot unmarshal number 1.5 into Go struct field continueToken.rv of type int64",
        ),
        (
            raw({"v": "meta.k8s.io/v2", "rv": 1, "start": "a"}),
            "server does not recognize this encoded version meta.k8s.io/v2",
        ),
        (
            raw({"v": "meta.k8s.io/v1", "start": "a"}),
            "incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        ),
        (raw({"v": "meta.k8s.io/v1", "rv": 3}), "encoded start key empty (version meta.k8s.io/v1)"),
        (raw({"v": "meta.k8s.io/v1", "rv": 3, "start": "../kube-system/x"}), "../kube-system/x"),
    ],
)
def test_a_token_that_does_not_decode_is_400_with_storages_reason(token: str, reason: str) -> None:
    message = refusal(token)
    assert message.startswith("invalid continue token: continue key is not valid")
    assert message.endswith(reason)


def test_json_field_names_match_without_regard_to_case_as_gos_decoder_does() -> None:
    token = raw({"V": "meta.k8s.io/v1", "RV": 5, "Start": "web\u0000"})
    assert pagination.decode(token, PREFIX) == pagination.Start(PREFIX + "web\x00", 5)


def test_clean_path_is_gos() -> None:
    assert [
        pagination.clean_path(p) for p in ("/a//b", "/a/./b/", "/../a", "//a", "a/../..", "")
    ] == ["/a/b", "/a/b", "/a", "/a", "..", "."]


# -- pages cut by the API server ------------------------------------------------------------------


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    cluster = make_cluster(without=("controller-manager", "scheduler", "kubelet"))
    for index in range(5):
        labels = {"tier": "web" if index % 2 == 0 else "db"}
        cluster.api.create("pods", pod(f"p{index}", labels=labels), actor="kubectl")
    return cluster


def names(found: object) -> list[str]:
    return [item["metadata"]["name"] for item in found.items]  # type: ignore[attr-defined]


def test_pages_read_at_the_first_pages_revision_see_every_object_once(cluster: Cluster) -> None:
    api = cluster.api
    first = api.list("pods", namespace="default", options=ListOptions(limit=2))
    assert names(first) == ["p0", "p1"] and first.remaining_item_count == 3
    api.delete("pods", "p3", grace_period_seconds=0)
    api.create("pods", pod("p2a"), actor="kubectl")
    second = api.list(
        "pods", namespace="default", options=ListOptions(limit=2, continue_=first.continue_token)
    )
    assert names(second) == ["p2", "p3"]  # the state at the first page's revision
    assert second.resource_version == first.resource_version
    assert second.remaining_item_count == 1
    third = api.list(
        "pods", namespace="default", options=ListOptions(limit=2, continue_=second.continue_token)
    )
    assert names(third) == ["p4"]
    assert (third.continue_token, third.remaining_item_count) == ("", None)


def test_a_full_last_page_has_no_token(cluster: Cluster) -> None:
    page = cluster.api.list("pods", options=ListOptions(limit=5))
    assert len(page.items) == 5 and page.continue_token == ""
    assert page.metadata == {"resourceVersion": page.resource_version}


def test_a_selector_fills_each_page_and_counts_nothing(cluster: Cluster) -> None:
    first = cluster.api.list("pods", label_selector="tier=web", options=ListOptions(limit=2))
    assert names(first) == ["p0", "p2"] and first.remaining_item_count is None
    assert first.continue_token  # p3 and p4 follow p2
    rest = cluster.api.list(
        "pods",
        label_selector="tier=web",
        options=ListOptions(limit=2, continue_=first.continue_token),
    )
    assert names(rest) == ["p4"] and rest.continue_token == ""


def test_a_page_full_at_the_last_match_still_has_a_token_when_keys_follow(cluster: Cluster) -> None:
    first = cluster.api.list("pods", label_selector="tier=db", options=ListOptions(limit=2))
    assert names(first) == ["p1", "p3"] and first.continue_token  # p4 follows, unmatched
    rest = cluster.api.list(
        "pods",
        label_selector="tier=db",
        options=ListOptions(limit=2, continue_=first.continue_token),
    )
    assert names(rest) == [] and rest.continue_token == ""


def test_resource_version_0_ignores_the_limit(cluster: Cluster) -> None:
    page = cluster.api.list("pods", options=ListOptions(resource_version="0", limit=2))
    assert len(page.items) == 5 and page.continue_token == ""


def test_a_compacted_continue_is_410_with_an_inconsistent_token(cluster: Cluster) -> None:
    api = cluster.api
    first = api.list("pods", options=ListOptions(limit=2))
    api.create("pods", pod("p1a"), actor="kubectl")
    api.compact()
    with pytest.raises(pagination.ExpiredContinue) as expired:
        api.list("pods", options=ListOptions(limit=2, continue_=first.continue_token))
    status = expired.value.status()
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"] == pagination.INCONSISTENT_CONTINUE
    token = status["metadata"]["continue"]  # type: ignore[index]
    start = pagination.decode(token, "/registry/pods/")
    assert start == pagination.Start("/registry/pods/default/p1\x00", -1)
    rest = api.list("pods", options=ListOptions(limit=10, continue_=token))
    assert names(rest) == ["p1a", "p2", "p3", "p4"]  # the current state: p1a shows up
    assert rest.resource_version == str(cluster.store.revision)


def test_a_continue_with_a_resource_version_is_400(cluster: Cluster) -> None:
    first = cluster.api.list("pods", options=ListOptions(limit=2))
    with pytest.raises(errors.BadRequest) as refused:
        cluster.api.list(
            "pods",
            options=ListOptions(resource_version="3", limit=2, continue_=first.continue_token),
        )
    assert refused.value.message == (
        "specifying resource version is not allowed when using continue"
    )
    at_zero = cluster.api.list(
        "pods", options=ListOptions(resource_version="0", limit=2, continue_=first.continue_token)
    )
    assert names(at_zero) == ["p2", "p3"]  # "0" is allowed, and the limit honoured by etcd
