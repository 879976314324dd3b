"""A pod's effective requests and whether a node has room for it (NodeResourcesFit)."""

from __future__ import annotations

from typing import Any

from listwatch.rules import resources


def container(name: str, *, requests: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"name": name, "image": "busybox", **extra}
    if requests is not None:
        found["resources"] = {"requests": requests}
    return found


def test_app_containers_are_summed() -> None:
    # Managing Resources for Containers: a Pod's request is the sum of its containers' requests.
    pod = {
        "spec": {
            "containers": [
                container("app", requests={"cpu": "250m", "memory": "64Mi"}),
                container("log-aggregator", requests={"cpu": "250m", "memory": "64Mi"}),
            ]
        }
    }
    assert resources.pod_requests(pod) == {"cpu": 500, "memory": 128 * 2**20}


def test_the_largest_init_container_counts_when_it_exceeds_the_app_containers() -> None:
    # Init Containers, "Resource sharing within containers": the higher of the sum of app
    # containers and the highest init container request.
    pod = {
        "spec": {
            "initContainers": [
                container("init-a", requests={"memory": "200Mi"}),
                container("init-b", requests={"memory": "150Mi", "cpu": "1"}),
            ],
            "containers": [
                container("app-1", requests={"memory": "120Mi", "cpu": "100m"}),
                container("app-2", requests={"memory": "140Mi", "cpu": "100m"}),
            ],
        }
    }
    assert resources.pod_requests(pod) == {"memory": 260 * 2**20, "cpu": 1000}


def test_sidecars_add_to_the_app_containers_and_to_later_init_containers() -> None:
    # Sidecar Containers, "Resource sharing within containers": sidecars run beside what follows.
    pod = {
        "spec": {
            "initContainers": [
                container("sidecar", requests={"cpu": "100m"}, restartPolicy="Always"),
                container("migrate", requests={"cpu": "500m"}),
            ],
            "containers": [container("app", requests={"cpu": "200m"})],
        }
    }
    assert resources.pod_requests(pod) == {"cpu": 600}  # max(200m + 100m, 500m + 100m)


def test_pod_overhead_is_added_to_the_requests() -> None:
    # Pod Overhead: the scheduler sums the overhead with the container requests.
    pod = {
        "spec": {
            "overhead": {"cpu": "250m", "memory": "120Mi"},
            "containers": [container("app", requests={"cpu": "500m", "memory": "100Mi"})],
        }
    }
    assert resources.pod_requests(pod) == {"cpu": 750, "memory": 220 * 2**20}


def test_a_limit_without_a_request_requests_the_limit() -> None:
    # Managing Resources for Containers: "If you specify a limit for a resource, but do not specify
    # any request, ... Kubernetes copies the limit you specified and uses it as the requested
    # value".
    limited = container("app", requests={"memory": "64Mi"})
    limited["resources"]["limits"] = {"cpu": "1", "memory": "128Mi"}
    assert resources.pod_requests({"spec": {"containers": [limited]}}) == {
        "cpu": 1000,
        "memory": 64 * 2**20,
    }


def test_missing_requests_count_the_given_defaults_for_scoring() -> None:
    pod = {"spec": {"containers": [container("a"), container("b", requests={"cpu": "0"})]}}
    found = resources.pod_requests(pod, missing={"cpu": 100, "memory": 200})
    assert found == {"cpu": 100, "memory": 400}  # an explicit 0 is not missing


NODE = {"status": {"allocatable": {"cpu": "2", "memory": "1Gi", "pods": "3"}}}


def test_a_pod_fits_when_each_request_is_within_what_is_left() -> None:
    allocatable = resources.allocatable(NODE)
    assert allocatable == {"cpu": 2000, "memory": 2**30, "pods": 3}
    assert resources.fit({"cpu": 1000}, allocatable, {"cpu": 1000, "pods": 2}) == []


def test_each_short_resource_is_named_as_the_scheduler_and_kubelet_name_it() -> None:
    # Managing Resources for Containers, "My Pods are pending with event message FailedScheduling":
    # "Insufficient cpu"; the kubelet's admission says OutOfcpu.
    lacking = resources.fit(
        {"memory": 2**30, "cpu": 1500},
        resources.allocatable(NODE),
        {"cpu": 1000, "memory": 1, "pods": 3},
    )
    assert [i.reason for i in lacking] == [
        "Too many pods",
        "Insufficient cpu",
        "Insufficient memory",
    ]
    assert lacking[1].kubelet_reason == "OutOfcpu"
    assert (lacking[1].requested, lacking[1].used, lacking[1].capacity) == (1500, 1000, 2000)


def test_an_extended_resource_the_node_does_not_offer_is_insufficient() -> None:
    # Managing Resources for Containers, "Extended resources": a pod requesting one is scheduled
    # only on nodes that advertise enough of it.
    lacking = resources.fit({"example.com/foo": 1}, resources.allocatable(NODE), {})
    assert [i.reason for i in lacking] == ["Insufficient example.com/foo"]


def test_a_pod_requesting_nothing_still_needs_a_pod_slot() -> None:
    assert resources.fit({}, {"pods": 1}, {"pods": 1})[0].resource == "pods"
    assert resources.fit({}, {"pods": 1}, {}) == []
