"""The Table columns and rows of PriorityClasses and PodDisruptionBudgets, as v1.32's printers
(printPriorityClass, printPodDisruptionBudget) give them to `kubectl get pc` and `kubectl get pdb`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from listwatch import printers
from listwatch.apiserver import objects

_NAME = "Name must be unique within a namespace."
_AGE = "CreationTimestamp is a timestamp representing the server time when this object was created."


def _column(
    name: str, description: str, *, type_: str = "string", format_: str = ""
) -> dict[str, Any]:
    return {
        "name": name,
        "type": type_,
        "format": format_,
        "description": description,
        "priority": 0,
    }


PRIORITY_CLASS_COLUMNS = [
    _column("Name", _NAME, format_="name"),
    _column(
        "Value",
        "value represents the integer value of this priority class. This is the actual priority "
        "that pods receive when they have the name of this class in their pod spec.",
        type_="integer",
    ),
    _column(
        "Global-Default",
        "globalDefault specifies whether this PriorityClass should be considered as the default "
        "priority for pods that do not have any priority class. Only one PriorityClass can be "
        "marked as `globalDefault`. However, if more than one PriorityClasses exists with their "
        "`globalDefault` field set to true, the smallest value of such global default "
        "PriorityClasses will be used as the default priority.",
        type_="boolean",
    ),
    _column("Age", _AGE),
    _column(
        "PreemptionPolicy",
        "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, "
        "PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.",
    ),
]
PDB_COLUMNS = [
    _column("Name", _NAME, format_="name"),
    _column("Min Available", "The minimum number of pods that must be available."),
    _column("Max Unavailable", "The maximum number of pods that may be unavailable."),
    _column(
        "Allowed Disruptions",
        "Calculated number of pods that may be disrupted at this time.",
        type_="integer",
    ),
    _column("Age", _AGE),
]


def priority_class_row(pc: Mapping[str, Any], now: datetime) -> list[str | int]:
    return [
        objects.name_of(pc),
        int(pc.get("value", 0)),
        bool(pc.get("globalDefault", False)),
        printers.age(objects.meta(pc).get("creationTimestamp"), now),
        str(pc.get("preemptionPolicy") or ""),
    ]


def pdb_row(pdb: Mapping[str, Any], now: datetime) -> list[str | int]:
    spec = pdb.get("spec") or {}

    def shown(value: Any) -> str:
        return "N/A" if value is None else str(value)

    return [
        objects.name_of(pdb),
        shown(spec.get("minAvailable")),
        shown(spec.get("maxUnavailable")),
        int((pdb.get("status") or {}).get("disruptionsAllowed", 0)),
        printers.age(objects.meta(pdb).get("creationTimestamp"), now),
    ]
