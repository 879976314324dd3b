"""A list's resourceVersion options: where kube-apiserver serves them and how it refuses them."""

from __future__ import annotations

import pytest

from listwatch import errors
from listwatch.apiserver.listoptions import ListOptions, parse_problem


@pytest.mark.parametrize(
    ("options", "from_storage"),
    [
        (ListOptions(), False),  # a consistent read, from the cache once it caught up
        (ListOptions(limit=500), False),
        (ListOptions(resource_version="0"), False),
        (ListOptions(resource_version="7"), False),
        (ListOptions(resource_version="7", match="NotOlderThan"), False),
        (ListOptions(resource_version="7", match="Exact"), True),
        (ListOptions(resource_version="7", limit=500), True),  # the legacy exact read
        (ListOptions(resource_version="0", limit=500), False),
        (ListOptions(resource_version="7", match="NotOlderThan", limit=500), False),
        (ListOptions(limit=500, continue_="token"), True),
        (ListOptions(resource_version="0", limit=500, continue_="token"), True),
    ],
)
def test_where_each_list_is_served(options: ListOptions, from_storage: bool) -> None:
    assert options.from_storage is from_storage


def test_a_cached_list_waits_for_its_version_and_an_exact_one_reads_at_it() -> None:
    assert (
        ListOptions(resource_version="7").minimum(),
        ListOptions(resource_version="7").exact(),
    ) == (7, 0)
    exact = ListOptions(resource_version="7", match="Exact")
    assert (exact.minimum(), exact.exact()) == (0, 7)


def test_parse_problems_are_strconv_parse_uints() -> None:
    assert parse_problem("12") is None
    assert parse_problem("-1") == (
        'resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax'
    )
    big = str(2**64)
    assert parse_problem(big) == (
        f'resourceVersion: Invalid value: "{big}": strconv.ParseUint: parsing "{big}": value out '
        "of range"
    )


def test_several_problems_are_one_422_listing_them_all() -> None:
    with pytest.raises(errors.Invalid) as refused:
        ListOptions(match="Newest", send_initial_events=True).validate()
    assert refused.value.message == (
        'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: '
        "resourceVersionMatch is forbidden unless resourceVersion is provided, "
        'resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", '
        '"NotOlderThan", "", sendInitialEvents: Forbidden: sendInitialEvents is forbidden for '
        "list]"
    )
    assert [c["field"] for c in refused.value.details["causes"]] == [  # type: ignore[attr-defined]
        "resourceVersionMatch",
        "resourceVersionMatch",
        "sendInitialEvents",
    ]


@pytest.mark.parametrize(
    ("options", "page_limit"),
    [
        (ListOptions(limit=2), 2),
        (ListOptions(resource_version="0", limit=2), 0),  # the watch cache ignores it
        (ListOptions(resource_version="0", limit=2, continue_="token"), 2),  # etcd honours it
        (ListOptions(resource_version="7", match="NotOlderThan", limit=2), 2),
        (ListOptions(limit=-1), 0),
    ],
)
def test_which_limit_a_page_honours(options: ListOptions, page_limit: int) -> None:
    assert options.page_limit == page_limit


def test_a_match_with_a_continue_is_422() -> None:
    with pytest.raises(errors.Invalid) as refused:
        ListOptions(resource_version="7", match="NotOlderThan", continue_="token").validate()
    assert refused.value.message == (
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
        "resourceVersionMatch is forbidden when continue is provided"
    )
    ListOptions(resource_version="0", continue_="token").validate()  # a version alone passes
