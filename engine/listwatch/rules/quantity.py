"""Kubernetes resource quantities ("100m", "0.5", "128Mi", "1G", "1e3") as numbers
(resource.Quantity: a signed decimal, then a binary-SI suffix, a decimal-SI suffix or an exponent).
"""

from __future__ import annotations

import re
from decimal import Decimal

_FORM = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?P<suffix>[eE][+-]?[0-9]+|[a-zA-Z]*)"
)

_SUFFIXES = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


def parse(value: object) -> Decimal:
    """The quantity's value in base units; a malformed quantity is ValueError."""
    text = str(value).strip()
    form = _FORM.fullmatch(text)
    if form is None or (form["suffix"] not in _SUFFIXES and form["suffix"][:1] not in "eE"):
        raise ValueError(
            "quantities must match the regular expression "
            f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$', found {text!r}"
        )
    number, suffix = Decimal(form["number"]), form["suffix"]
    if suffix in _SUFFIXES:
        return number * _SUFFIXES[suffix]
    return number.scaleb(int(suffix[1:]))


def milli_cpu(value: object) -> int:
    """CPU in millicores, rounded up as Kubernetes does (MilliValue)."""
    return int((parse(value) * 1000).to_integral_value(rounding="ROUND_CEILING"))


def bytes_(value: object) -> int:
    """The quantity in whole base units (bytes, pods ...), rounded up as Kubernetes does (Value)."""
    return int(parse(value).to_integral_value(rounding="ROUND_CEILING"))
