"""Choosing a node for a pod: kube-scheduler's findNodesThatFitPod, prioritizeNodes and selectHost.

The decision, as Kubernetes v1.32 makes it:
1. walk the nodes round-robin from `next_start`, running the filters in order on each, until
   `nodes_to_find` feasible nodes are found (or every node was tried); `next_start` then moves on
   by the number of nodes tried;
2. one feasible node is taken at once; several are scored (weighted sum of the score plugins) and
   the highest wins, a tie going to one of the tied nodes at random (seeded: runs repeat);
3. no feasible node: the FitError message counts each filter's reason over the nodes (the
   scheduler then runs the PostFilter, `preemption.py`, which may add to it).

Two ways to the same decision. The *linear* walk does exactly the above. The *indexed* way serves
the common case of pods without resource requests on untainted nodes, where feasibility is a fixed
property of a node for a given nodeSelector and a node's score does not depend on the pod: per
nodeSelector it keeps the feasible nodes' ring positions and a max-tree of their scores, so the same
window of feasible nodes, the same maximum and the same tie-break are found in logarithmic time
instead of walking hundreds of nodes. `tests/components/scheduler/test_placement.py` checks that
both give the same node, pod after pod.

Worked example (ring of 6 nodes, selector matching nodes 1, 2, 4, 5; 3 to find; next_start 2):
the linear walk tries nodes 2, 3, 4, 5 and keeps 2, 4, 5 (4 tried, next_start becomes 0); the
index bisects the positions [1, 2, 4, 5] at 2, takes the 3 positions 2, 4, 5, and counts the
nodes tried as 5 - 2 + 1 = 4.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.components.scheduler.nodeinfo import NodeInfo, Requests
from listwatch.components.scheduler.plugins import FILTERS, SCORES, FilterContext
from listwatch.rules import selectors

Filter = tuple[str, str, Callable[[FilterContext, NodeInfo], Any]]


class MaxTree:
    """Maximum and its count over ranges of a fixed-size array, with point updates."""

    def __init__(self, values: Sequence[int]) -> None:
        size = 1
        while size < max(1, len(values)):
            size *= 2
        self.size = size
        self.best = [-1] * (2 * size)
        self.count = [0] * (2 * size)
        for i, value in enumerate(values):
            self.best[size + i] = value
            self.count[size + i] = 1
        for i in range(size - 1, 0, -1):
            self._pull(i)

    def _pull(self, i: int) -> None:
        left, right = 2 * i, 2 * i + 1
        a, b = self.best[left], self.best[right]
        if a > b:
            self.best[i], self.count[i] = a, self.count[left]
        elif b > a:
            self.best[i], self.count[i] = b, self.count[right]
        else:
            self.best[i], self.count[i] = a, self.count[left] + self.count[right]

    def update(self, index: int, value: int) -> None:
        i = self.size + index
        self.best[i] = value
        i //= 2
        while i:
            self._pull(i)
            i //= 2

    def query(self, lo: int, hi: int) -> tuple[int, int]:
        """(maximum, how many hold it) over positions lo..hi inclusive."""
        best, count = -1, 0
        lo += self.size
        hi += self.size + 1
        while lo < hi:
            if lo & 1:
                best, count = _merge(best, count, self.best[lo], self.count[lo])
                lo += 1
            if hi & 1:
                hi -= 1
                best, count = _merge(best, count, self.best[hi], self.count[hi])
            lo //= 2
            hi //= 2
        return best, count

    def nth(self, lo: int, hi: int, value: int, n: int) -> int:
        """The position of the n-th (from 0) occurrence of `value` in lo..hi, in order."""
        return self._nth(1, 0, self.size - 1, lo, hi, value, [n])

    def _nth(
        self, node: int, left: int, right: int, lo: int, hi: int, value: int, n: list[int]
    ) -> int:
        if right < lo or left > hi or self.best[node] < value:
            return -1
        if lo <= left and right <= hi:
            if self.best[node] == value and self.count[node] <= n[0]:
                n[0] -= self.count[node]
                return -1
            if left == right:
                return left
        middle = (left + right) // 2
        found = self._nth(2 * node, left, middle, lo, hi, value, n)
        if found >= 0:
            return found
        return self._nth(2 * node + 1, middle + 1, right, lo, hi, value, n)


def _merge(a: int, ca: int, b: int, cb: int) -> tuple[int, int]:
    if a > b:
        return a, ca
    if b > a:
        return b, cb
    return a, ca + cb


class SelectorIndex:
    """The feasible nodes for one nodeSelector and pod shape: their ring positions and a score
    tree."""

    def __init__(self, selector: Mapping[str, str], nonzero: Requests) -> None:
        self.selector = selector
        self.matcher = selectors.from_map(selector)
        self.nonzero = nonzero
        self.positions: list[int] = []
        self.slot: dict[int, int] = {}
        self.tree = MaxTree([])
        self.dirty = True


class Placement:
    """The node list in ring order, the round-robin start, and the choice of a node for a pod."""

    def __init__(self, settings: Mapping[str, Any], *, seed: int = 0) -> None:
        self.settings = settings
        self.filters: list[Filter] = [
            (f["plugin"], f["reason"], FILTERS[f["plugin"]]) for f in settings["filters"]
        ]
        self.scores = [(SCORES[sc["plugin"]], int(sc["weight"])) for sc in settings["scores"]]
        self.nodes: list[NodeInfo] = []
        self.by_name: dict[str, NodeInfo] = {}
        self.next_start = 0
        self.random = random.Random(seed)
        self.indexed = True
        self._indexes: dict[tuple[Any, ...], SelectorIndex] = {}
        self._plugins = {f[0] for f in self.filters}
        self._tainted = 0

    # -- the node list -----------------------------------------------------------------------------

    def add_or_update(self, obj: Obj) -> NodeInfo:
        info = self.by_name.get(objects.name_of(obj))
        if info is None:
            info = NodeInfo(obj)
            info.index = len(self.nodes)
            self.nodes.append(info)
            self.by_name[info.name] = info
        else:
            self._tainted -= info.restricted
            info.update(obj)
        self._tainted += info.restricted
        for index in self._indexes.values():
            index.dirty = True
        return info

    def remove(self, name: str) -> None:
        info = self.by_name.pop(name, None)
        if info is None:
            return
        self._tainted -= info.restricted
        self.nodes.remove(info)
        for i, node in enumerate(self.nodes):
            node.index = i
        self._indexes.clear()

    def pod_count_changed(self, info: NodeInfo) -> None:
        """A pod was assumed on or removed from `info`: refresh its score where it is indexed."""
        for index in self._indexes.values():
            if index.dirty:
                continue
            slot = index.slot.get(info.index)
            if (slot is not None) != self._member(info, index):
                index.dirty = True
            elif slot is not None:
                index.tree.update(slot, self._score(info, index.nonzero))

    # -- the decision ------------------------------------------------------------------------------

    def nodes_to_find(self, total: int) -> int:
        s = self.settings
        minimum = int(s["minFeasibleNodesToFind"])
        if total < minimum:
            return total
        percentage = int(s["percentageOfNodesToScore"])
        if percentage <= 0:
            percentage = max(50 - total // 125, int(s["minFeasibleNodesPercentageToFind"]))
        return max(total * percentage // 100, minimum)

    def choose(self, pod: Obj, requests: Requests) -> tuple[str, str, set[str]]:
        """(node, "", set()) for the chosen node, or ("", the FitError message, the rejecting
        plugins)."""
        total = len(self.nodes)
        if total == 0:
            return "", str(self.settings["messages"]["noNodes"]), set()
        context = FilterContext(pod, requests)
        if self.indexed and self._indexable(context):
            chosen = self._choose_indexed(context, total)
            if chosen is not None:
                return chosen, "", set()
        return self._choose_linear(context, total)

    def _choose_linear(self, context: FilterContext, total: int) -> tuple[str, str, set[str]]:
        wanted = self.nodes_to_find(total)
        feasible: list[NodeInfo] = []
        reasons: dict[str, int] = {}
        failed: set[str] = set()
        start = self.next_start
        processed = 0
        nodes = self.nodes
        for i in range(total):
            info = nodes[(start + i) % total]
            processed += 1
            for plugin, reason, check in self.filters:
                problem = check(context, info)
                if problem is not None:
                    text = reason.format(**problem) if problem else reason
                    reasons[text] = reasons.get(text, 0) + 1
                    failed.add(plugin)
                    break
            else:
                feasible.append(info)
                if len(feasible) >= wanted:
                    break
        self.next_start = (start + processed) % total
        if not feasible:
            return "", self.fit_error(total, reasons), failed
        if len(feasible) == 1:
            return feasible[0].name, "", set()
        best: list[NodeInfo] = []
        top = -1
        for info in feasible:
            score = self._score(info, context.requests)
            if score > top:
                top, best = score, [info]
            elif score == top:
                best.append(info)
        if len(best) == 1:
            return best[0].name, "", set()
        return best[self.random.randrange(len(best))].name, "", set()

    def _indexable(self, context: FilterContext) -> bool:
        requests = context.requests
        return (
            self._tainted == 0
            and requests[0] == 0
            and requests[1] == 0
            and context.node_fit.terms is None
            and not context.pod["spec"].get("nodeName")
        )

    def _choose_indexed(self, context: FilterContext, total: int) -> str | None:
        selector = (
            dict(context.pod["spec"].get("nodeSelector") or {})
            if "NodeAffinity" in self._plugins
            else {}
        )
        key = (tuple(sorted(selector.items())), context.requests[2], context.requests[3])
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = SelectorIndex(selector, context.requests)
        if index.dirty:
            self._rebuild(index)
        positions = index.positions
        members = len(positions)
        if members == 0:
            return None  # no node fits: the linear walk writes the FitError
        wanted = self.nodes_to_find(total)
        start = self.next_start
        first = bisect_left(positions, start) % members
        take = min(wanted, members)
        last = (first + take - 1) % members
        self.next_start = (
            start + (total if members < wanted else (positions[last] - start) % total + 1)
        ) % total
        if take == 1:
            return self.nodes[positions[first]].name
        ranges = [(first, last)] if first <= last else [(first, members - 1), (0, last)]
        top, count = -1, 0
        for lo, hi in ranges:
            top, count = _merge(top, count, *index.tree.query(lo, hi))
        n = self.random.randrange(count) if count > 1 else 0
        for lo, hi in ranges:
            in_range = index.tree.query(lo, hi)
            here = in_range[1] if in_range[0] == top else 0
            if n < here:
                return self.nodes[positions[index.tree.nth(lo, hi, top, n)]].name
            n -= here
        raise AssertionError("the maximum was counted but not found")

    def _member(self, info: NodeInfo, index: SelectorIndex) -> bool:
        """Whether a best-effort pod with the index's nodeSelector fits `info` (untainted nodes
        only)."""
        if "NodeResourcesFit" in self._plugins and len(info.pods) >= info.alloc_pods:
            return False
        return index.matcher.matches(info.labels)

    def _rebuild(self, index: SelectorIndex) -> None:
        positions = [info.index for info in self.nodes if self._member(info, index)]
        index.positions = positions
        index.slot = {position: i for i, position in enumerate(positions)}
        index.tree = MaxTree([self._score(self.nodes[p], index.nonzero) for p in positions])
        index.dirty = False

    def _score(self, info: NodeInfo, requests: Requests) -> int:
        return sum(weight * score(info, requests) for score, weight in self.scores)

    def fit_error(self, total: int, reasons: Mapping[str, int]) -> str:
        """The FitError's message without what the PostFilter (preemption) adds to it."""
        messages = self.settings["messages"]
        histogram = ", ".join(sorted(f"{count} {reason}" for reason, count in reasons.items()))
        return str(messages["unschedulable"]).format(total=total, reasons=histogram)
