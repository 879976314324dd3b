"""Why this node: one scheduling attempt explained, as kube-scheduler's framework reaches it.

`explain` reads the placement as it stands just before `Placement.choose` and walks it the way
`choose` will (the same start of the round-robin, the same number of nodes to find, the same
filters in the profile's order, the same scores and weights, the same draw among tied nodes, taken
from a copy of the placement's random state), changing nothing. Its record therefore names the
node the scheduler then binds; tests/components/scheduler/test_explain.py holds it to that over
many random clusters.

What it records, per evaluated node (in the order the walk met them):
- each filter plugin's verdict: `Passed`; `Rejected` with the reason the FitError counts; or
  `Skipped`, for the plugins after a node's first rejection (RunFilterPlugins stops there);
- for the feasible nodes, each score plugin's raw score, its normalized score (NormalizeScore,
  over the feasible nodes, where the plugin has one: TaintToleration reverses), its weight and the
  weighted score, and their total. kube-scheduler scores nothing when one node alone passes the
  filters (schedulePod binds it at once): that node's `scores` are then empty, its `total` null,
  and the record's `scored` false.

The walk stops once `nodes_to_find` feasible nodes are found (percentageOfNodesToScore): the
record lists only the nodes evaluated, `evaluated` of `total`. No PreFilter narrows the nodes first:
a pod naming its node (NodeName's PreFilter) is never the scheduler's (its watch selects pods
without a node), and the spec's scheduler does not model NodeAffinity's PreFilter (kube-scheduler
v1.32 evaluates only the nodes a required `matchFields: metadata.name In` term names); the
explanation follows the scheduler it explains, so every attempt walks the ring from where the last
one stopped. Nor does the spec's scheduler keep PreferNoSchedule taints: TaintToleration's raw
score is 0 on every node, 100 once reversed.

The record is JSON-able and is what a trace's EXPLAIN record holds (`listwatch.trace`). It is to be
read, not changed: the Passed and Skipped verdicts of its nodes are shared entries.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.components.scheduler.nodeinfo import NodeInfo, Requests, pod_requests
from listwatch.components.scheduler.placement import Placement
from listwatch.components.scheduler.plugins import NORMALIZE, RAW_SCORES, SCORES, FilterContext

EXPLAIN = "EXPLAIN"
#: The annotation `serve --explain` writes on each pod it schedules (compact JSON of the record).
ANNOTATION = "listwatch.io/scheduling-explanation"
PASSED, REJECTED, SKIPPED = "Passed", "Rejected", "Skipped"

Record = dict[str, Any]


def explain(
    placement: Placement, pod: Obj, requests: Requests, *, attempt: int = 1, time: float = 0.0
) -> Record:
    """The explanation of scheduling `pod` on `placement` now, before `placement.choose` runs."""
    total = len(placement.nodes)
    meta = pod.get("metadata") or {}
    record: Record = {
        "type": EXPLAIN,
        "time": round(time, 6),
        "attempt": attempt,
        "pod": {
            "namespace": meta.get("namespace", ""),
            "name": meta.get("name", ""),
            "uid": meta.get("uid", ""),
        },
        "evaluated": 0,
        "total": total,
        "filters": [{"plugin": name} for name, _, _ in placement.filters],
        "scores": [
            {"plugin": str(s["plugin"]), "weight": int(s["weight"])}
            for s in placement.settings["scores"]
        ],
        "nodes": [],
        "ranking": [],
        "chosen": None,
        "scored": False,
        "message": "",
    }
    if total == 0:
        record["message"] = str(placement.settings["messages"]["noNodes"])
        return record
    context = FilterContext(pod, requests)
    wanted = placement.nodes_to_find(total)
    entries: list[Record] = []
    feasible: list[tuple[NodeInfo, Record]] = []
    reasons: dict[str, int] = {}
    shared = (
        [{"plugin": name, "verdict": PASSED, "reason": ""} for name, _, _ in placement.filters],
        [{"plugin": name, "verdict": SKIPPED, "reason": ""} for name, _, _ in placement.filters],
    )
    for i in range(total):
        info = placement.nodes[(placement.next_start + i) % total]
        entry = _filter(placement, context, info, reasons, shared)
        entries.append(entry)
        if entry["feasible"]:
            feasible.append((info, entry))
            if len(feasible) >= wanted:
                break
    record["nodes"] = entries
    record["evaluated"] = len(entries)
    if not feasible:
        record["message"] = placement.fit_error(total, reasons)
        return record
    if len(feasible) == 1:
        record["chosen"] = feasible[0][0].name
        record["ranking"] = [feasible[0][0].name]
        return record
    _score(placement, feasible, requests)
    record["scored"] = True
    top = max(int(entry["total"]) for _, entry in feasible)
    best = [info.name for info, entry in feasible if entry["total"] == top]
    chosen = best[0] if len(best) == 1 else best[_draw(placement.random, len(best))]
    record["chosen"] = chosen
    ranked = sorted(feasible, key=lambda pair: (-int(pair[1]["total"]), pair[0].name != chosen))
    record["ranking"] = [info.name for info, _ in ranked]
    if len(best) > 1:
        record["tied"] = best
    return record


def _filter(
    placement: Placement,
    context: FilterContext,
    info: NodeInfo,
    reasons: dict[str, int],
    shared: tuple[list[Record], list[Record]],
) -> Record:
    """One node's filter verdicts, stopping at the first rejection; counts its reason. The Passed
    and Skipped entries are `shared` by the nodes of one record (a record is read, not changed)."""
    passed, skipped = shared
    for index, (plugin, reason, check) in enumerate(placement.filters):
        problem = check(context, info)
        if problem is None:
            continue
        text = reason.format(**problem) if problem else reason
        reasons[text] = reasons.get(text, 0) + 1
        rejected = {"plugin": plugin, "verdict": REJECTED, "reason": text}
        return {
            "node": info.name,
            "feasible": False,
            "filters": [*passed[:index], rejected, *skipped[index + 1 :]],
            "scores": [],
            "total": None,
        }
    return {"node": info.name, "feasible": True, "filters": passed, "scores": [], "total": None}


def _score(
    placement: Placement, feasible: list[tuple[NodeInfo, Record]], requests: Requests
) -> None:
    """Each score plugin over the feasible nodes: raw, normalized, weighted; and each node's
    total."""
    for entry in (entry for _, entry in feasible):
        entry["total"] = 0
    for spec in placement.settings["scores"]:
        plugin, weight = str(spec["plugin"]), int(spec["weight"])
        raw_of = RAW_SCORES.get(plugin, SCORES[plugin])
        raws = [raw_of(info, requests) for info, _ in feasible]
        normalize = NORMALIZE.get(plugin)
        normalized = normalize(raws) if normalize is not None else raws
        for (_, entry), raw, score in zip(feasible, raws, normalized, strict=True):
            entry["scores"].append(
                {
                    "plugin": plugin,
                    "raw": raw,
                    "normalized": score,
                    "weight": weight,
                    "weighted": score * weight,
                }
            )
            entry["total"] += score * weight


def _draw(source: random.Random, among: int) -> int:
    """The index the scheduler's tie-break will draw, from a copy of its random state."""
    copy = random.Random()
    copy.setstate(source.getstate())
    return copy.randrange(among)


def failed(record: Record, message: str, *, error: bool = False) -> Record:
    """The record of an attempt that bound nothing, with the pod's final PodScheduled message (the
    FitError with what the PostFilter added, or the scheduler's error)."""
    record["message"] = message
    if error:
        record["chosen"] = None
        record["error"] = True
    return record


def of_cluster(settings: Mapping[str, Any], pod: Obj, nodes: list[Obj], pods: list[Obj]) -> Record:
    """What the spec's scheduler would decide for `pod` on a cluster as it is now: its nodes, and
    the pods on them counted against them (the pod itself and finished pods left out), the
    round-robin starting at the first node. A pod already bound is explained as if it were not."""
    placement = Placement(settings)
    for node_obj in nodes:
        placement.add_or_update(node_obj)
    defaults = int(settings["defaultMilliCPURequest"]), int(settings["defaultMemoryRequest"])
    uid = objects.uid_of(pod)
    for other in pods:
        phase = (other.get("status") or {}).get("phase")
        info = placement.by_name.get((other.get("spec") or {}).get("nodeName") or "")
        if info is None or objects.uid_of(other) == uid or phase in ("Succeeded", "Failed"):
            continue
        info.add_pod(objects.uid_of(other), pod_requests(other, *defaults))
    unbound = {**pod, "spec": {k: v for k, v in pod["spec"].items() if k != "nodeName"}}
    return explain(placement, unbound, pod_requests(unbound, *defaults))


def table(record: Mapping[str, Any]) -> str:
    """The record as text: each evaluated node's filter verdicts, the scores, the ranking and the
    choice."""
    pod = record.get("pod") or {}
    lines = [
        f"Pod {pod.get('namespace')}/{pod.get('name')}, scheduling attempt {record['attempt']} "
        f"(t={record['time']:g}s): {record['evaluated']} of {record['total']} node(s) evaluated",
        "",
        "Filters (in the profile's order; a node's first rejection skips the rest):",
    ]
    rows = [["NODE", *(f["plugin"] for f in record["filters"]), "FEASIBLE"]]
    for node in record["nodes"]:
        rows.append(
            [
                node["node"],
                *(f["verdict"] for f in node["filters"]),
                "yes" if node["feasible"] else "no",
            ]
        )
    lines += _columns(rows)
    rejections = [
        f"  {node['node']}: {f['plugin']}: {f['reason']}"
        for node in record["nodes"]
        for f in node["filters"]
        if f["verdict"] == REJECTED
    ]
    if rejections:
        lines += ["", "Rejections:", *rejections]
    lines.append("")
    if record.get("scored"):
        lines.append("Scores (raw, normalized x weight = weighted):")
        rows = [["NODE", *(f"{s['plugin']} (x{s['weight']})" for s in record["scores"]), "TOTAL"]]
        for node in record["nodes"]:
            if node["feasible"]:
                cells = [
                    f"{s['raw']}, {s['normalized']} x{s['weight']} = {s['weighted']}"
                    for s in node["scores"]
                ]
                rows.append([node["node"], *cells, str(node["total"])])
        lines += _columns(rows)
        lines.append("")
        lines.append(f"Ranking: {', '.join(record['ranking'])}")
        if record.get("tied"):
            lines.append(f"Tied at the top: {', '.join(record['tied'])} (one drawn at random)")
    elif record.get("chosen"):
        lines.append(
            "Scores: none; one node alone passed the filters, and kube-scheduler binds it "
            "without scoring."
        )
    if record.get("chosen"):
        lines.append(f"Chosen: {record['chosen']}")
    else:
        lines.append("Chosen: none")
        lines.append(f"Message: {record['message']}")
    return "\n".join(lines) + "\n"


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "   ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
