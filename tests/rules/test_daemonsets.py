"""The daemonset controller's value rules: which nodes a template fits, the daemon tolerations,
the node pin, the node a pod is for, whether a pod is current, the rolling update counts."""

from __future__ import annotations

from typing import Any

from listwatch.rules import daemonsets

DEFAULTS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]
NETWORK = [
    {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"}
]


def node(name: str, labels: dict[str, str] | None = None, *taints: dict[str, str]) -> Any:
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": {"taints": list(taints)}}


def test_a_template_without_constraints_runs_on_every_node() -> None:
    assert daemonsets.should_run(node("n1"), {}, DEFAULTS) == (True, True)


def test_a_node_selector_that_misses_neither_runs_nor_keeps_a_pod() -> None:
    spec = {"nodeSelector": {"cz": "alice"}}
    assert daemonsets.should_run(node("n1", {"cz": "bob"}), spec, DEFAULTS) == (False, False)
    assert daemonsets.should_run(node("n1", {"cz": "alice"}), spec, DEFAULTS) == (True, True)


def test_a_template_node_name_names_the_only_node() -> None:
    assert daemonsets.should_run(node("n2"), {"nodeName": "n1"}, DEFAULTS) == (False, False)


def test_required_node_affinity_is_checked_against_labels_and_name() -> None:
    spec = {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchFields": [
                                {"key": "metadata.name", "operator": "In", "values": ["n1"]}
                            ]
                        }
                    ]
                }
            }
        }
    }
    assert daemonsets.should_run(node("n1"), spec, DEFAULTS)[0]
    assert not daemonsets.should_run(node("n2"), spec, DEFAULTS)[0]


def test_a_no_schedule_taint_stops_new_pods_but_keeps_a_running_one() -> None:
    tainted = node("n1", {}, {"key": "dedicated", "value": "db", "effect": "NoSchedule"})
    assert daemonsets.should_run(tainted, {}, DEFAULTS) == (False, True)


def test_an_untolerated_no_execute_taint_removes_the_pod() -> None:
    tainted = node("n1", {}, {"key": "dedicated", "effect": "NoExecute"})
    assert daemonsets.should_run(tainted, {}, DEFAULTS) == (False, False)
    tolerating = {"tolerations": [{"key": "dedicated", "operator": "Exists"}]}
    assert daemonsets.should_run(tainted, tolerating, DEFAULTS) == (True, True)


def test_a_cordoned_or_not_ready_node_still_runs_its_daemon_pod() -> None:
    cordoned = node(
        "n1",
        {},
        {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"},
    )
    assert daemonsets.should_run(cordoned, {}, DEFAULTS) == (True, True)


def test_daemon_tolerations_replace_a_matching_one_and_append_the_rest() -> None:
    spec = {
        "tolerations": [
            {"key": "x", "operator": "Exists"},
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ]
    }
    out = daemonsets.with_tolerations(spec, DEFAULTS, NETWORK)
    assert out["tolerations"] == [{"key": "x", "operator": "Exists"}, *DEFAULTS]
    assert "tolerationSeconds" in spec["tolerations"][1]  # the input is not changed


def test_host_network_pods_also_tolerate_an_unavailable_network() -> None:
    out = daemonsets.with_tolerations({"hostNetwork": True}, DEFAULTS, NETWORK)
    assert out["tolerations"] == [*DEFAULTS, *NETWORK]


def test_the_pin_replaces_every_required_term_and_keeps_the_rest() -> None:
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "a", "operator": "Exists"}]}]
            },
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1}],
        },
        "podAntiAffinity": {"x": 1},
    }
    pinned = daemonsets.pinned_to(affinity, "n2")
    assert pinned["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}
        ]
    }
    assert pinned["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] == [
        {"weight": 1}
    ]
    assert pinned["podAntiAffinity"] == {"x": 1}
    assert daemonsets.pinned_to(None, "n1")["nodeAffinity"]


def test_the_target_node_is_the_bound_one_else_the_pinned_one() -> None:
    pinned = {"spec": {"affinity": daemonsets.pinned_to(None, "n3")}}
    assert daemonsets.target_node(pinned) == "n3"
    assert daemonsets.target_node({"spec": {**pinned["spec"], "nodeName": "n4"}}) == "n4"
    assert daemonsets.target_node({"spec": {}}) is None


def test_only_the_revision_hash_makes_a_pod_current() -> None:
    pod = {
        "metadata": {"labels": {"controller-revision-hash": "abc", "pod-template-generation": "2"}}
    }
    assert daemonsets.updated(pod, "abc")
    assert not daemonsets.updated(pod, "def")
    assert not daemonsets.updated({"metadata": {}}, "")


def test_bound_pods_sort_first_then_the_oldest() -> None:
    pods = [
        {"metadata": {"name": "c", "creationTimestamp": "2024-01-01T00:00:00Z"}, "spec": {}},
        {
            "metadata": {"name": "b", "creationTimestamp": "2024-01-02T00:00:00Z"},
            "spec": {"nodeName": "n"},
        },
        {
            "metadata": {"name": "a", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"nodeName": "n"},
        },
    ]
    assert [p["metadata"]["name"] for p in sorted(pods, key=daemonsets.oldest_first)] == [
        "a",
        "b",
        "c",
    ]


def test_rolling_counts_round_up_and_never_leave_both_at_zero() -> None:
    def spec(**rolling: Any) -> dict[str, Any]:
        return {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": rolling}}

    assert daemonsets.rolling_counts(spec(maxUnavailable="25%", maxSurge=0), 5) == (0, 2)
    assert daemonsets.rolling_counts(spec(maxUnavailable=0, maxSurge="50%"), 3) == (2, 0)
    assert daemonsets.rolling_counts(spec(maxUnavailable="0%", maxSurge=0), 4) == (0, 1)
    assert daemonsets.rolling_counts({"updateStrategy": {"type": "OnDelete"}}, 4) == (0, 0)
    assert daemonsets.allows_surge(spec(maxSurge="1%"))
    assert not daemonsets.allows_surge(spec(maxSurge=0))


def test_revision_data_replaces_the_template_with_sorted_keys() -> None:
    data = daemonsets.revision_data({"spec": {"b": 1, "a": 2}, "metadata": {}})
    template = data["spec"]["template"]
    assert list(template) == ["$patch", "metadata", "spec"]
    assert template["$patch"] == "replace" and list(template["spec"]) == ["a", "b"]


def pod(name: str, hash_: str, *, deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"controller-revision-hash": hash_}}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return {"metadata": meta}


def names(pods: list[Any]) -> list[str]:
    return [p["metadata"]["name"] for p in pods]


def test_a_node_with_two_old_pods_has_no_versions_and_deleting_pods_do_not_count() -> None:
    assert daemonsets.versions([pod("a", "old"), pod("b", "old")], "new")[2] is False
    new, old, ok = daemonsets.versions(
        [pod("a", "old"), pod("b", "new"), pod("c", "new", deleting=True)], "new"
    )
    assert ok and names([new, old]) == ["b", "a"]


def test_in_place_replacement_stays_within_max_unavailable() -> None:
    by_node = {"n1": [pod("a", "old")], "n2": [pod("b", "old")], "n3": [pod("c", "old")]}
    doomed = daemonsets.replace_in_place(by_node, "new", 1, available=lambda p: True)
    assert names(doomed) == ["a"]
    doomed = daemonsets.replace_in_place(by_node, "new", 2, available=lambda p: True)
    assert names(doomed) == ["a", "b"]


def test_a_new_pod_not_yet_available_or_a_node_without_a_pod_uses_up_the_budget() -> None:
    by_node = {"n1": [pod("a", "new")], "n2": [pod("b", "old")], "n3": []}
    ready = {"b"}
    doomed = daemonsets.replace_in_place(
        by_node, "new", 2, available=lambda p: p["metadata"]["name"] in ready
    )
    assert doomed == []


def test_an_old_pod_that_is_not_available_is_replaced_whatever_the_budget() -> None:
    by_node = {"n1": [pod("a", "new")], "n2": [pod("b", "old")]}
    doomed = daemonsets.replace_in_place(by_node, "new", 1, available=lambda p: False)
    assert names(doomed) == ["b"]


def test_surge_starts_max_surge_new_pods_and_retires_the_old_ones_beside_available_ones() -> None:
    by_node = {
        "n1": [pod("a", "old"), pod("a2", "new")],
        "n2": [pod("b", "old")],
        "n3": [pod("c", "old")],
    }
    create, delete = daemonsets.surge(
        by_node, "new", 1, 3, available=lambda p: True, should_run=lambda n: True
    )
    assert (create, names(delete)) == (["n2"], ["a"])
    create, delete = daemonsets.surge(
        by_node,
        "new",
        1,
        3,
        available=lambda p: p["metadata"]["name"] != "a2",
        should_run=lambda n: True,
    )
    assert (create, delete) == ([], [])  # n1 is surging: the budget of 1 is spent


def test_surge_replaces_an_unavailable_old_pod_at_once_but_not_on_a_node_that_no_longer_fits() -> (
    None
):
    by_node = {"n1": [pod("a", "old")], "n2": [pod("b", "old")]}
    create, delete = daemonsets.surge(
        by_node,
        "new",
        1,
        1,
        available=lambda p: p["metadata"]["name"] == "b",
        should_run=lambda n: True,
    )
    assert create == ["n1", "n2"] and delete == []  # a replacement does not use the budget
    create, delete = daemonsets.surge(
        by_node,
        "new",
        1,
        1,
        available=lambda p: p["metadata"]["name"] == "b",
        should_run=lambda n: n != "n1",
    )
    assert create == ["n2"] and delete == []  # a is kept until more pods are available than wanted
