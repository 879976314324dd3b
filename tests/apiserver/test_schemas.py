"""The served OpenAPI v3 schemas (`schemas`): the patch and list extensions client-side apply
reads, from the fact table of the v1.32 types."""

from __future__ import annotations

from listwatch.apiserver import schemas
from listwatch.apiserver.resources import RESOURCES


def test_a_pods_lists_carry_their_patch_strategy_merge_key_and_list_type() -> None:
    served = schemas.kind_schemas(RESOURCES["pods"])
    containers = served["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-list-type"] == "map"
    assert containers["x-kubernetes-list-map-keys"] == ["name"]
    ports = served["io.k8s.api.core.v1.Container"]["properties"]["ports"]
    assert ports["x-kubernetes-list-map-keys"] == ["containerPort", "protocol"]
    volumes = served["io.k8s.api.core.v1.PodSpec"]["properties"]["volumes"]
    assert volumes["x-kubernetes-patch-strategy"] == "merge,retainKeys"
    finalizers = served["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"][
        "finalizers"
    ]
    assert (finalizers["x-kubernetes-patch-strategy"], finalizers["x-kubernetes-list-type"]) == (
        "merge",
        "set",
    )


def test_a_field_without_tags_has_no_extensions() -> None:
    served = schemas.kind_schemas(RESOURCES["pods"])
    image = served["io.k8s.api.core.v1.Container"]["properties"]["image"]
    assert not [key for key in image if key.startswith("x-kubernetes")]
    selector = served["io.k8s.api.core.v1.PodSpec"]["properties"]["nodeSelector"]
    assert selector["x-kubernetes-map-type"] == "atomic"
