"""Server-side Tables: the columns and cells `kubectl get` prints, as kube-apiserver's printers make
them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from listwatch.apiserver.resources import RESOURCES
from listwatch.server import tables

NOW = datetime(2026, 1, 1, 0, 1, 0, tzinfo=UTC)
KUBECTL_ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)


def running_pod() -> dict[str, Any]:
    return {
        "metadata": {
            "name": "web",
            "namespace": "default",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"app": "nginx"},
        },
        "spec": {"nodeName": "node02", "containers": [{"name": "nginx", "image": "nginx"}]},
        "status": {
            "phase": "Running",
            "podIPs": [{"ip": "10.244.1.3"}],
            "containerStatuses": [
                {
                    "name": "nginx",
                    "ready": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": "2026-01-01T00:00:02Z"}},
                }
            ],
        },
    }


def test_kubectl_s_accept_header_asks_for_a_table() -> None:
    assert tables.wants(KUBECTL_ACCEPT, "Table")
    assert not tables.wants("application/json", "Table")
    assert not tables.wants("application/vnd.kubernetes.protobuf, application/json", "Table")
    assert tables.wants(
        "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
        "PartialObjectMetadataList",
    )


def test_a_pod_row_has_the_default_and_the_wide_cells() -> None:
    table = tables.table(RESOURCES["pods"], [running_pod()], NOW, resource_version="42")
    assert (
        table["kind"] == "Table"
        and table["apiVersion"] == "meta.k8s.io/v1"
        and table["metadata"] == {"resourceVersion": "42"}
    )
    assert [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
    assert table["rows"][0]["cells"] == [
        "web",
        "1/1",
        "Running",
        "0",
        "60s",
        "10.244.1.3",
        "node02",
        "<none>",
        "<none>",
    ]


def test_rows_carry_the_objects_metadata_for_show_labels() -> None:
    row = tables.table(RESOURCES["pods"], [running_pod()], NOW)["rows"][0]
    assert row["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": running_pod()["metadata"],
    }
    whole = tables.table(RESOURCES["pods"], [running_pod()], NOW, include_object="Object")["rows"][
        0
    ]["object"]
    assert whole["kind"] == "Pod" and whole["spec"]["nodeName"] == "node02"
    assert (
        "object"
        not in tables.table(RESOURCES["pods"], [running_pod()], NOW, include_object="None")["rows"][
            0
        ]
    )


def test_an_events_row_follows_print_event_for_both_event_styles() -> None:
    kubelet = {
        "metadata": {"name": "web.1"},
        "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{nginx}"},
        "reason": "Pulled",
        "message": " Successfully pulled ",
        "type": "Normal",
        "source": {"component": "kubelet", "host": "node01"},
        "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2026-01-01T00:00:30Z",
        "count": 2,
    }
    scheduler = {
        "metadata": {"name": "web.2"},
        "involvedObject": {"kind": "Pod", "name": "web"},
        "reason": "Scheduled",
        "message": "Successfully assigned default/web to node01",
        "type": "Normal",
        "source": {},
        "reportingComponent": "default-scheduler",
        "reportingInstance": "default-scheduler-host",
        "eventTime": "2026-01-01T00:00:10.123456Z",
        "firstTimestamp": None,
        "lastTimestamp": None,
    }
    table = tables.table(RESOURCES["events"], [kubelet, scheduler], NOW)
    assert [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0] == [
        "Last Seen",
        "Type",
        "Reason",
        "Object",
        "Message",
    ]
    assert table["rows"][0]["cells"] == [
        "30s",
        "Normal",
        "Pulled",
        "pod/web",
        "spec.containers{nginx}",
        "kubelet, node01",
        "Successfully pulled",
        "60s",
        2,
        "web.1",
    ]
    assert table["rows"][1]["cells"] == [
        "49s",
        "Normal",
        "Scheduled",
        "pod/web",
        "",
        "default-scheduler, default-scheduler-host",
        "Successfully assigned default/web to node01",
        "49s",
        1,
        "web.2",
    ]


def test_a_node_row_shows_status_roles_and_version() -> None:
    node = {
        "metadata": {
            "name": "node01",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"node-role.kubernetes.io/control-plane": ""},
        },
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "nodeInfo": {"kubeletVersion": "v1.32.0"},
        },
    }
    cells = tables.table(RESOURCES["nodes"], [node], NOW)["rows"][0]["cells"]
    assert cells[:5] == ["node01", "Ready,SchedulingDisabled", "control-plane", "60s", "v1.32.0"]


def test_a_resource_without_a_printer_gets_name_and_created_at() -> None:
    from listwatch.apiserver.resources import Resource

    odd = Resource("widgets", "Widget", "v1", True)
    table = tables.table(
        odd, [{"metadata": {"name": "w", "creationTimestamp": "2026-01-01T00:00:00Z"}}], NOW
    )
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Created At"]
    assert table["rows"][0]["cells"] == ["w", "2026-01-01T00:00:00Z"]


def test_a_watch_table_after_the_first_has_no_column_definitions() -> None:
    assert (
        tables.table(RESOURCES["pods"], [running_pod()], NOW, headers=False)["columnDefinitions"]
        is None
    )


def service(type_: str = "ClusterIP", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {
            "type": type_,
            "clusterIP": "10.96.0.10",
            "clusterIPs": ["10.96.0.10"],
            "selector": {"app": "web", "tier": "front"},
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
            **spec,
        },
        "status": {"loadBalancer": {}},
    }


def test_a_service_row_follows_print_service() -> None:
    table = tables.table(RESOURCES["services"], [service()], NOW)
    assert [(c["name"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", 0),
        ("Type", 0),
        ("Cluster-IP", 0),
        ("External-IP", 0),
        ("Port(s)", 0),
        ("Age", 0),
        ("Selector", 1),
    ]
    assert table["rows"][0]["cells"] == [
        "web",
        "ClusterIP",
        "10.96.0.10",
        "<none>",
        "80/TCP",
        "60s",
        "app=web,tier=front",
    ]


def test_a_services_external_ip_and_ports_follow_its_type() -> None:
    def cells(svc: dict[str, Any]) -> list[Any]:
        return list(tables.table(RESOURCES["services"], [svc], NOW)["rows"][0]["cells"])

    balancer = cells(
        service("LoadBalancer", ports=[{"port": 80, "nodePort": 30080, "protocol": "TCP"}])
    )
    assert balancer[3:5] == ["<pending>", "80:30080/TCP"]
    served = service("LoadBalancer", externalIPs=["1.2.3.4"])
    served["status"] = {
        "loadBalancer": {"ingress": [{"ip": "5.6.7.8"}, {"hostname": "lb.example"}]}
    }
    assert cells(served)[3] == "5.6.7.8,lb.example,1.2.3.4"
    assert cells(service("ExternalName", externalName="db.example", ports=[], clusterIPs=[]))[
        2:5
    ] == [
        "<none>",
        "db.example",
        "<none>",
    ]
    assert cells(service(selector=None))[6] == "<none>"


def test_column_descriptions_are_the_api_documentation_printers_go_takes_them_from() -> None:
    columns = {c["name"]: c for c in tables.column_definitions("services")}
    assert columns["Name"]["description"].startswith(
        "Name must be unique within a namespace. Is required when creating resources"
    )
    assert columns["Name"]["format"] == "name"
    assert columns["Age"]["description"].startswith(
        "CreationTimestamp is a timestamp representing the server time when this object was "
        "created."
    )
    assert columns["Cluster-IP"]["description"].startswith(
        "clusterIP is the IP address of the service"
    )
    pods = {c["name"]: c for c in tables.column_definitions("pods")}
    assert pods["Ready"]["description"] == (
        "The aggregate readiness state of this pod for accepting traffic."
    )
    for plural in ("pods", "nodes", "events", "namespaces", "replicationcontrollers", "services"):
        assert all(c["description"] for c in tables.column_definitions(plural)), plural


def test_a_replica_sets_selector_is_formatted_as_a_label_selector() -> None:
    rs = {
        "kind": "ReplicaSet",
        "metadata": {"name": "front", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {
            "replicas": 2,
            "selector": {
                "matchLabels": {"app": "front"},
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["web", "api"]},
                    {"key": "canary", "operator": "DoesNotExist"},
                ],
            },
            "template": {
                "spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}
            },
        },
        "status": {"replicas": 2, "readyReplicas": 1},
    }
    cells = tables.table(RESOURCES["replicasets"], [rs], NOW)["rows"][0]["cells"]
    assert cells == [
        "front",
        2,
        2,
        1,
        "60s",
        "a,b",
        "x,y",
        "app=front,!canary,tier in (api,web)",
    ]
