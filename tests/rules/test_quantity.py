"""Quantities: the suffixes and forms of resource.Quantity, and how CPU and bytes round."""

from __future__ import annotations

from decimal import Decimal

import pytest

from listwatch.rules import quantity


# Cases: "Managing Resources for Containers" (CPU and memory units) and the resource.Quantity docs.
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100m", Decimal("0.1")),
        ("0.1", Decimal("0.1")),
        ("1", Decimal(1)),
        ("128974848", Decimal(128974848)),
        ("129e6", Decimal(129000000)),
        ("129M", Decimal(129000000)),
        ("128974848000m", Decimal(128974848)),
        ("123Mi", Decimal(123 * 2**20)),
        ("1Ki", Decimal(1024)),
        ("1k", Decimal(1000)),
        ("1.5Gi", Decimal(3 * 2**29)),
        ("1E", Decimal(10**18)),  # exa, not an exponent
        ("5n", Decimal("5e-9")),
        ("-1", Decimal(-1)),
    ],
)
def test_a_quantity_reads_as_the_resource_docs_say(text: str, value: Decimal) -> None:
    assert quantity.parse(text) == value


@pytest.mark.parametrize("text", ["", "1K", "Mi", "1.2.3", "inf", "nan", "1_000", "1 Mi", "0x10"])
def test_a_malformed_quantity_is_a_value_error(text: str) -> None:
    # resource.Quantity: "1K" is invalid (kilo is lower-case k; Ki is binary).
    with pytest.raises(ValueError, match="quantities must match"):
        quantity.parse(text)


def test_cpu_rounds_up_to_a_millicore_and_bytes_to_a_byte() -> None:
    # Managing Resources for Containers: "CPU resource ... precision finer than 1m is not allowed";
    # Quantity.MilliValue and Value round up.
    assert quantity.milli_cpu("0.5") == 500
    assert quantity.milli_cpu("0.0001") == 1
    assert quantity.milli_cpu(2) == 2000
    assert quantity.bytes_("1.5") == 2
    assert quantity.bytes_("1Mi") == 1048576
