"""Strategic merge patch (`api.strategic_merge`) with the patch strategies and merge keys of the
v1.32 Go tags (the fact table), as kube-apiserver applies them."""

from __future__ import annotations

from typing import Any

from listwatch.apiserver.api import strategic_merge

SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "finalizers": ["a"]},
    "spec": {
        "ports": [
            {"port": 80, "targetPort": 8080, "protocol": "TCP"},
            {"port": 443, "targetPort": 8443, "protocol": "TCP"},
        ],
        "selector": {"app": "web"},
    },
}


def test_a_services_ports_merge_by_port_its_merge_key() -> None:
    patched = strategic_merge(SERVICE, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}})
    assert patched["spec"]["ports"] == [
        {"port": 80, "targetPort": 9090, "protocol": "TCP"},
        {"port": 443, "targetPort": 8443, "protocol": "TCP"},
    ]


def test_a_containers_env_merges_by_name_and_a_delete_directive_removes_one() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "spec": {
            "containers": [
                {"name": "c", "image": "a", "env": [{"name": "X", "value": "1"}]},
                {"name": "d", "image": "b"},
            ]
        },
    }
    patch = {
        "spec": {
            "containers": [
                {"name": "c", "env": [{"name": "Y", "value": "2"}]},
                {"name": "d", "$patch": "delete"},
            ]
        }
    }
    assert strategic_merge(pod, patch)["spec"]["containers"] == [
        {
            "name": "c",
            "image": "a",
            "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}],
        }
    ]


def test_a_list_without_a_patch_strategy_is_replaced_and_a_scalar_set_merges() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"finalizers": ["a"]},
        "spec": {"tolerations": [{"key": "k1", "operator": "Exists"}]},
    }
    patch = {
        "metadata": {"finalizers": ["b"]},
        "spec": {"tolerations": [{"key": "k2", "operator": "Exists"}]},
    }
    patched = strategic_merge(pod, patch)
    assert patched["spec"]["tolerations"] == [{"key": "k2", "operator": "Exists"}]
    assert patched["metadata"]["finalizers"] == ["a", "b"]


def test_a_nodes_addresses_merge_by_type_its_merge_key() -> None:
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]},
    }
    patch = {"status": {"addresses": [{"type": "Hostname", "address": "n1"}]}}
    assert strategic_merge(node, patch)["status"]["addresses"] == [
        {"type": "InternalIP", "address": "10.0.0.1"},
        {"type": "Hostname", "address": "n1"},
    ]


def test_a_kind_without_facts_replaces_its_lists() -> None:
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "spec": {"containers": [{"name": "a"}]},
    }
    patch = {"spec": {"containers": [{"name": "b"}]}}
    assert strategic_merge(widget, patch)["spec"]["containers"] == [{"name": "b"}]
