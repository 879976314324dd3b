"""Kubernetes resource quantities ("100m", "0.5", "128Mi", "1G") as integers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

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
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if suffix and text.endswith(suffix):
            number = text[: -len(suffix)]
            break
    else:
        suffix, number = "", text
    try:
        return Decimal(number) * _SUFFIXES[suffix]
    except InvalidOperation:
        raise ValueError(
            f"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$', found {text!r}"
        ) from None


def milli_cpu(value: object) -> int:
    """CPU in millicores, rounded up as Kubernetes does (MilliValue)."""
    return int((parse(value) * 1000).to_integral_value(rounding="ROUND_CEILING"))


def bytes_(value: object) -> int:
    return int(parse(value).to_integral_value(rounding="ROUND_CEILING"))
