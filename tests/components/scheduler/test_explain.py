"""The explanation of a scheduling attempt: verdicts per node as the framework stops, scores as it
normalizes and weighs them, and a `chosen` that is the node the scheduler binds."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from listwatch.actions import Action
from listwatch.cluster import Cluster
from listwatch.components.scheduler import explain
from listwatch.components.scheduler.nodeinfo import pod_requests
from listwatch.components.scheduler.placement import Placement
from listwatch.engine import Engine
from tests.builders import condition, pod

REQUESTS = (100, 209715200)


def node(
    name: str,
    labels: dict[str, str] | None = None,
    *,
    cpu: str = "4",
    pods: int = 110,
    taints: list[dict[str, str]] | None = None,
    unschedulable: bool = False,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"taints": taints or []}
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "kind": "Node",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
        "status": {"allocatable": {"cpu": cpu, "memory": "16Gi", "pods": str(pods)}},
    }


def placement_of(
    engine: Engine, nodes: list[dict[str, Any]], *, seed: int = 0, **settings: Any
) -> Placement:
    placement = Placement({**engine.spec.component("scheduler").settings, **settings}, seed=seed)
    for obj in nodes:
        placement.add_or_update(obj)
    return placement


def a_pod(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec},
    }


def cpu_pod(name: str, cpu: str, **spec: Any) -> dict[str, Any]:
    obj = a_pod(name, **spec)
    obj["spec"]["containers"][0]["resources"] = {"requests": {"cpu": cpu}}
    return obj


def verdicts(record: dict[str, Any], name: str) -> list[tuple[str, str]]:
    entry = next(n for n in record["nodes"] if n["node"] == name)
    return [(f["plugin"], f["verdict"]) for f in entry["filters"]]


def test_a_node_stops_at_its_first_rejection_and_the_rest_are_skipped(engine: Engine) -> None:
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    placement = placement_of(
        engine,
        [
            node("cordoned", {"cz": "bob"}, unschedulable=True),
            node("tainted", {"cz": "bob"}, taints=[taint]),
            node("alice", {"cz": "alice"}),
            node("bob", {"cz": "bob"}),
        ],
    )
    pod_ = a_pod("p", nodeSelector={"cz": "bob"})
    record = explain.explain(placement, pod_, pod_requests(pod_, *REQUESTS))
    assert verdicts(record, "cordoned") == [
        ("NodeUnschedulable", "Rejected"),
        ("NodeName", "Skipped"),
        ("TaintToleration", "Skipped"),
        ("NodeAffinity", "Skipped"),
        ("NodeResourcesFit", "Skipped"),
    ]
    assert verdicts(record, "tainted")[2] == ("TaintToleration", "Rejected")
    assert verdicts(record, "alice")[3] == ("NodeAffinity", "Rejected")
    assert all(v == "Passed" for _, v in verdicts(record, "bob"))
    reasons = {n["node"]: f["reason"] for n in record["nodes"] for f in n["filters"] if f["reason"]}
    assert reasons == {
        "cordoned": "node(s) were unschedulable",
        "tainted": "node(s) had untolerated taint {dedicated: gpu}",
        "alice": "node(s) didn't match Pod's node affinity/selector",
    }
    assert [f["plugin"] for f in record["filters"]] == [
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodeResourcesFit",
    ]
    # One feasible node: kube-scheduler binds it without scoring.
    assert record["chosen"] == "bob" and record["ranking"] == ["bob"]
    assert record["scored"] is False
    assert next(n for n in record["nodes"] if n["node"] == "bob")["scores"] == []


def test_scores_are_raw_normalized_and_weighted_and_sum_to_the_schedulers_score(
    engine: Engine,
) -> None:
    placement = placement_of(engine, [node("small", cpu="2"), node("big", cpu="8")])
    pod_ = cpu_pod("p", "1")
    requests = pod_requests(pod_, *REQUESTS)
    record = explain.explain(placement, pod_, requests)
    assert record["scored"] is True
    by_node = {n["node"]: n for n in record["nodes"]}
    for name, entry in by_node.items():
        scores = {s["plugin"]: s for s in entry["scores"]}
        assert list(scores) == [
            "TaintToleration",
            "NodeResourcesFit",
            "NodeResourcesBalancedAllocation",
        ]
        # TaintToleration: no untolerated PreferNoSchedule taint (raw 0), reversed to 100, x3.
        assert (scores["TaintToleration"]["raw"], scores["TaintToleration"]["normalized"]) == (
            0,
            100,
        )
        assert scores["TaintToleration"]["weighted"] == 300
        for s in scores.values():
            assert s["weighted"] == s["normalized"] * s["weight"]
        assert entry["total"] == sum(s["weighted"] for s in scores.values())
        assert entry["total"] == placement._score(placement.by_name[name], requests)
    assert by_node["big"]["total"] > by_node["small"]["total"]
    assert record["ranking"] == ["big", "small"]
    assert record["chosen"] == "big" == placement.choose(pod_, requests)[0]


def test_reverse_normalization_gives_the_fewest_taints_the_maximum() -> None:
    from listwatch.components.scheduler.plugins import normalize_reverse

    assert normalize_reverse([0, 0]) == [100, 100]
    assert normalize_reverse([0, 1, 2]) == [100, 50, 0]


def test_no_node_fits_gives_no_choice_and_the_fit_error(engine: Engine) -> None:
    placement = placement_of(engine, [node("a", {"cz": "alice"}), node("b", {"cz": "bob"})])
    pod_ = a_pod("p", nodeSelector={"cz": "carol"})
    requests = pod_requests(pod_, *REQUESTS)
    record = explain.explain(placement, pod_, requests)
    _, message, _ = placement.choose(pod_, requests)
    assert record["chosen"] is None and record["ranking"] == []
    assert (
        record["message"]
        == message
        == ("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.")
    )
    assert all(not n["feasible"] and n["total"] is None for n in record["nodes"])


def test_no_nodes_at_all(engine: Engine) -> None:
    record = explain.explain(placement_of(engine, []), a_pod("p"), (0, 0, 0, 0))
    assert record["chosen"] is None and record["total"] == 0
    assert record["message"] == "no nodes available to schedule pods"


def test_only_the_nodes_evaluated_are_explained_of_how_many(engine: Engine) -> None:
    placement = placement_of(
        engine,
        [node(f"n{i:02d}") for i in range(20)],
        percentageOfNodesToScore=20,
        minFeasibleNodesToFind=5,
    )
    placement.next_start = 7
    pod_ = a_pod("p")
    record = explain.explain(placement, pod_, pod_requests(pod_, *REQUESTS))
    assert (record["evaluated"], record["total"]) == (5, 20)
    assert [n["node"] for n in record["nodes"]] == ["n07", "n08", "n09", "n10", "n11"]
    assert placement.next_start == 7  # explaining changes nothing
    assert record["chosen"] == placement.choose(pod_, pod_requests(pod_, *REQUESTS))[0]


def random_node(rng: random.Random, i: int) -> dict[str, Any]:
    taints = (
        [{"key": "dedicated", "value": rng.choice(["gpu", "db"]), "effect": "NoSchedule"}]
        if rng.random() < 0.2
        else []
    )
    return node(
        f"n{i:03d}",
        {"zone": f"z{rng.randrange(3)}"},
        cpu=str(rng.choice([1, 2, 4, 8])),
        pods=rng.choice([3, 110]),
        taints=taints,
        unschedulable=rng.random() < 0.1,
    )


def random_pod(rng: random.Random, i: int) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if rng.random() < 0.5:
        spec["nodeSelector"] = {"zone": f"z{rng.randrange(4)}"}
    if rng.random() < 0.3:
        spec["tolerations"] = [{"key": "dedicated", "operator": "Exists"}]
    if rng.random() < 0.5:
        return cpu_pod(f"p{i}", f"{rng.choice([100, 500, 1500, 3000])}m", **spec)
    return a_pod(f"p{i}", **spec)


@pytest.mark.parametrize(("nodes", "percentage"), [(6, 0), (40, 0), (130, 0), (60, 10)])
def test_the_explanation_chooses_what_the_placement_chooses_pod_after_pod(
    engine: Engine, nodes: int, percentage: int
) -> None:
    """Indexed or linear, ties drawn at random, part of the nodes evaluated or all: the node
    the explanation names is the node `choose` then returns, and a misfit's message is its."""
    rng = random.Random(nodes + percentage)
    objs = [random_node(rng, i) for i in range(nodes)]
    minimum = 100 if percentage == 0 else 5
    for indexed in (True, False):
        placement = placement_of(
            engine,
            objs,
            seed=3,
            percentageOfNodesToScore=percentage,
            minFeasibleNodesToFind=minimum,
        )
        placement.indexed = indexed
        for i in range(300):
            pod_ = random_pod(rng, i)
            requests = pod_requests(pod_, *REQUESTS)
            record = explain.explain(placement, pod_, requests)
            start = placement.next_start
            chosen, message, _ = placement.choose(pod_, requests)
            assert record["chosen"] == (chosen or None), f"pod {i}: {record['ranking']}"
            # The nodes explained are the nodes the walk went over (or the index counted).
            moved = (placement.next_start - start) % nodes
            assert moved == record["evaluated"] % nodes, f"pod {i}"
            if chosen:
                assert record["ranking"][0] == chosen
                info = placement.by_name[chosen]
                info.add_pod(pod_["metadata"]["uid"], requests)
                placement.pod_count_changed(info)
            else:
                assert record["message"] == message


def test_chosen_is_the_binding_target_over_random_clusters(
    make_cluster: Callable[..., Cluster],
) -> None:
    """In whole clusters: each explained choice is where the pod is bound (and its Scheduled
    event's node); each explained misfit carries the PodScheduled message the pod got."""
    for seed in range(8):
        rng = random.Random(seed)
        names = tuple(f"node{i:02d}" for i in range(rng.randrange(2, 7)))
        cluster = make_cluster(nodes=names, seed=seed)
        records: list[dict[str, Any]] = []
        cluster.on_explain(records.append)
        for name in names:
            patch: dict[str, Any] = {"metadata": {"labels": {"zone": f"z{rng.randrange(3)}"}}}
            if rng.random() < 0.25:
                patch["spec"] = {"taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]}
            cluster.api.patch("nodes", name, patch, actor="kubectl")
        cluster.settle()
        for i in range(12):
            cluster.apply(random_pod(rng, i) | {"metadata": {"name": f"p{i}"}})
        cluster.settle(horizon=30)
        assert records, f"seed {seed}: no explanation"
        for obj in cluster.pods():
            uid = obj["metadata"]["uid"]
            mine = [r for r in records if r["pod"]["uid"] == uid]
            assert [r["attempt"] for r in mine] == list(range(1, len(mine) + 1))
            bound = obj["spec"].get("nodeName")
            if bound:
                assert mine[-1]["chosen"] == bound, f"seed {seed} {obj['metadata']['name']}"
                assert all(r["chosen"] is None for r in mine[:-1])
            else:
                scheduled = condition(obj, "PodScheduled")
                assert scheduled is not None
                assert mine[-1]["chosen"] is None
                assert mine[-1]["message"] == scheduled["message"]
            json.dumps(mine)  # JSON-able


def test_a_listener_stops_getting_explanations_once_it_unsubscribes(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    records: list[dict[str, Any]] = []
    stop = cluster.on_explain(records.append)
    cluster.apply(pod("first"))
    cluster.settle()
    stop()
    assert cluster.scheduler is not None and cluster.scheduler.explain_listeners == []
    cluster.apply(pod("second"))
    cluster.settle()
    assert [r["pod"]["name"] for r in records] == ["first"]
    assert cluster.pod("second")["spec"]["nodeName"]


def test_nothing_is_computed_when_nobody_asks(
    make_cluster: Callable[..., Cluster], monkeypatch: pytest.MonkeyPatch, actions: list[Action]
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("explained without a listener")

    monkeypatch.setattr(explain, "explain", refuse)
    cluster = make_cluster()
    cluster.apply(pod("web"))
    cluster.settle()
    assert cluster.pod("web")["spec"]["nodeName"]
    assert explain.ANNOTATION not in (cluster.pod("web")["metadata"].get("annotations") or {})
    assert scheduler_writes(actions, "web") == ["bind"]


def scheduler_writes(actions: list[Action], name: str) -> list[str]:
    return [
        a.verb
        for a in actions
        if a.actor == "scheduler" and a.action == "request" and a.obj and a.obj.name == name
    ]


def test_annotations_are_written_before_binding_when_asked(
    make_cluster: Callable[..., Cluster], actions: list[Action]
) -> None:
    cluster = make_cluster(node_labels={"node02": {"cz": "bob"}})
    assert cluster.scheduler is not None
    cluster.scheduler.annotate_explanations = True
    cluster.apply(pod("web", node_selector={"cz": "bob"}))
    cluster.apply(pod("nowhere", node_selector={"cz": "carol"}))
    cluster.settle(horizon=5)
    web = json.loads(cluster.pod("web")["metadata"]["annotations"][explain.ANNOTATION])
    assert web["chosen"] == "node02" and web["type"] == "EXPLAIN"
    assert verdicts(web, "node01")[3] == ("NodeAffinity", "Rejected")
    nowhere = cluster.pod("nowhere")
    record = json.loads(nowhere["metadata"]["annotations"][explain.ANNOTATION])
    scheduled = condition(nowhere, "PodScheduled")
    assert scheduled is not None and record["message"] == scheduled["message"]
    # A patch of the pod's metadata, then the binding (Events and the rest unchanged).
    assert scheduler_writes(actions, "web") == ["update", "bind"]


def test_of_cluster_counts_the_other_pods_and_leaves_the_pod_itself_out(engine: Engine) -> None:
    settings = engine.spec.component("scheduler").settings
    nodes = [node("a", cpu="2"), node("b", cpu="2")]
    me = cpu_pod("me", "1500m", nodeName="a")
    other = cpu_pod("other", "1500m", nodeName="b")
    record = explain.of_cluster(settings, me, nodes, [me, other])
    assert record["chosen"] == "a"  # its own request on a is not counted; b is full
    assert verdicts(record, "b")[4] == ("NodeResourcesFit", "Rejected")
    assert next(n for n in record["nodes"] if n["node"] == "b")["filters"][4]["reason"] == (
        "Insufficient cpu"
    )


def test_the_table_shows_verdicts_scores_ranking_and_choice(engine: Engine) -> None:
    placement = placement_of(engine, [node("small", cpu="2"), node("big", cpu="8")])
    pod_ = cpu_pod("p", "1")
    text = explain.table(explain.explain(placement, pod_, pod_requests(pod_, *REQUESTS)))
    assert "2 of 2 node(s) evaluated" in text
    assert "NodeResourcesFit (x1)" in text and "0, 100 x3 = 300" in text
    assert "Ranking: big, small" in text and "Chosen: big" in text
