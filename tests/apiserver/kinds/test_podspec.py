"""The scheme defaults of a pod spec (v1.32's pkg/apis/core/v1/defaults.go), for a Pod and for a
pod template; and a Service's."""

from __future__ import annotations

from typing import Any

from listwatch.apiserver.kinds import services
from listwatch.apiserver.kinds.podspec import default_pod_spec


def spec(**fields: Any) -> dict[str, Any]:
    return {"containers": [{"name": "c", "image": "busybox:1.36", **fields}]}


def test_ports_get_tcp_and_with_host_network_their_host_port() -> None:
    ports = [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP", "hostPort": 5353}]
    pod = default_pod_spec({**spec(ports=ports), "hostNetwork": True}, pod=True)
    assert pod["containers"][0]["ports"] == [
        {"containerPort": 80, "protocol": "TCP", "hostPort": 80},
        {"containerPort": 53, "protocol": "UDP", "hostPort": 5353},
    ]
    template = default_pod_spec({**spec(ports=ports), "hostNetwork": True}, pod=False)
    assert template["containers"][0]["ports"][0] == {"containerPort": 80, "protocol": "TCP"}


def test_a_pod_requests_what_it_limits_unless_it_asks_otherwise_and_a_template_does_not() -> None:
    resources = {"limits": {"cpu": "500m", "memory": "64Mi"}, "requests": {"cpu": "100m"}}
    pod = default_pod_spec(
        {
            **spec(resources=resources),
            "initContainers": [{"name": "i", "image": "x", "resources": {"limits": {"cpu": "1"}}}],
        },
        pod=True,
    )
    assert pod["containers"][0]["resources"]["requests"] == {"cpu": "100m", "memory": "64Mi"}
    assert pod["initContainers"][0]["resources"]["requests"] == {"cpu": "1"}
    template = default_pod_spec(spec(resources=resources), pod=False)
    assert template["containers"][0]["resources"]["requests"] == {"cpu": "100m"}
    assert resources["requests"] == {"cpu": "100m"}  # nothing changed in place


def test_every_kind_of_container_gets_the_container_defaults() -> None:
    pod = default_pod_spec(
        {
            "containers": [{"name": "c", "image": "busybox"}],
            "initContainers": [{"name": "i", "image": "busybox:1.36"}],
            "ephemeralContainers": [{"name": "e", "image": "busybox:latest"}],
        },
        pod=True,
    )
    pulls = [
        pod[group][0]["imagePullPolicy"]
        for group in ("containers", "initContainers", "ephemeralContainers")
    ]
    assert pulls == ["Always", "IfNotPresent", "Always"]
    for group in ("containers", "initContainers", "ephemeralContainers"):
        assert pod[group][0]["terminationMessagePath"] == "/dev/termination-log"
        assert pod[group][0]["terminationMessagePolicy"] == "File"
        assert pod[group][0]["resources"] == {}


def test_the_spec_defaults_and_a_pods_service_links() -> None:
    pod = default_pod_spec(spec(), pod=True)
    assert (
        pod["dnsPolicy"],
        pod["restartPolicy"],
        pod["terminationGracePeriodSeconds"],
        pod["schedulerName"],
        pod["securityContext"],
        pod["enableServiceLinks"],
    ) == ("ClusterFirst", "Always", 30, "default-scheduler", {}, True)
    assert (
        default_pod_spec({**spec(), "terminationGracePeriodSeconds": 0}, pod=True)[
            "terminationGracePeriodSeconds"
        ]
        == 0
    )
    assert "enableServiceLinks" not in default_pod_spec(spec(), pod=False)


def test_volumes_get_their_sources_defaults() -> None:
    pod = default_pod_spec(
        {
            **spec(),
            "volumes": [
                {"name": "scratch"},
                {"name": "s", "secret": {"secretName": "x"}},
                {"name": "cm", "configMap": {"name": "x", "defaultMode": 256}},
                {
                    "name": "d",
                    "downwardAPI": {
                        "items": [{"path": "n", "fieldRef": {"fieldPath": "metadata.name"}}]
                    },
                },
                {"name": "p", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
                {"name": "h", "hostPath": {"path": "/tmp"}},
            ],
        },
        pod=True,
    )
    assert pod["volumes"] == [
        {"name": "scratch", "emptyDir": {}},
        {"name": "s", "secret": {"secretName": "x", "defaultMode": 420}},
        {"name": "cm", "configMap": {"name": "x", "defaultMode": 256}},
        {
            "name": "d",
            "downwardAPI": {
                "items": [
                    {"path": "n", "fieldRef": {"fieldPath": "metadata.name", "apiVersion": "v1"}}
                ],
                "defaultMode": 420,
            },
        },
        {
            "name": "p",
            "projected": {
                "sources": [{"serviceAccountToken": {"path": "t", "expirationSeconds": 3600}}],
                "defaultMode": 420,
            },
        },
        {"name": "h", "hostPath": {"path": "/tmp", "type": ""}},
    ]


def test_probes_and_hooks_get_http_path_and_scheme_and_env_field_refs_their_version() -> None:
    pod = default_pod_spec(
        spec(
            livenessProbe={"httpGet": {"port": 80}},
            readinessProbe={"grpc": {"port": 9000}},
            lifecycle={"preStop": {"httpGet": {"port": 80, "path": "/stop"}}},
            env=[{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        ),
        pod=True,
    )
    c = pod["containers"][0]
    assert c["livenessProbe"]["httpGet"] == {"port": 80, "path": "/", "scheme": "HTTP"}
    assert c["livenessProbe"]["periodSeconds"] == 10
    assert c["readinessProbe"]["grpc"] == {"port": 9000, "service": ""}
    assert c["lifecycle"]["preStop"]["httpGet"] == {"port": 80, "path": "/stop", "scheme": "HTTP"}
    assert c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"


def test_a_services_ports_affinity_and_traffic_policies() -> None:
    svc = services.on_write(
        {
            "spec": {
                "sessionAffinity": "ClientIP",
                "ports": [{"port": 80}, {"port": 53, "targetPort": 5353, "protocol": "UDP"}],
            }
        }
    )["spec"]
    assert svc["type"] == "ClusterIP"
    assert svc["ports"] == [
        {"port": 80, "protocol": "TCP", "targetPort": 80},
        {"port": 53, "targetPort": 5353, "protocol": "UDP"},
    ]
    assert svc["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    assert svc["internalTrafficPolicy"] == "Cluster" and "externalTrafficPolicy" not in svc
    lb = services.on_write({"spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}})["spec"]
    assert (
        lb["sessionAffinity"],
        lb["externalTrafficPolicy"],
        lb["allocateLoadBalancerNodePorts"],
    ) == ("None", "Cluster", True)
    external = services.on_write({"spec": {"type": "ExternalName", "externalName": "x.example"}})
    assert "internalTrafficPolicy" not in external["spec"]
