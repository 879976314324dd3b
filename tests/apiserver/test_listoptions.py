"""A list's resourceVersion options: where kube-apiserver serves them and how it refuses them."""

from __future__ import annotations

import pytest

from listwatch import errors
from listwatch.apiserver.listoptions import ListOptions, parse_problem


@pytest.mark.parametrize(
    ("options", "from_storage"),
    [
        (ListOptions(), True),  # a consistent read
        (ListOptions(resource_version="0"), False),
        (ListOptions(resource_version="7"), False),
        (ListOptions(resource_version="7", match="NotOlderThan"), False),
        (ListOptions(resource_version="7", match="Exact"), True),
        (ListOptions(resource_version="7", limit=500), True),  # the legacy exact read
        (ListOptions(resource_version="0", limit=500), False),
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
