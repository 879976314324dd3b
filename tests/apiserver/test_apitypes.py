"""The fact table of the API types (spec/api/types.json, extracted by .ci/api_facts.py) against the
official client's models, which are generated from the Kubernetes OpenAPI document: a bad
extraction (a wrong JSON name, a field of another type) shows here without the network."""

from __future__ import annotations

from typing import Any

import kubernetes.client
import pytest

from listwatch.apiserver import apitypes

#: Types whose JSON is not their message's fields (the codec handles them by name), and types the
#: client has no model of.
_SPECIAL = {"Time", "MicroTime", "Duration", "FieldsV1", "Quantity", "IntOrString", "Verbs"}


def _model(name: str) -> Any:
    """The client's model of a served type name (`io.k8s.api.core.v1.Pod` -> V1Pod, or
    CoreV1Event where several groups share the kind's name)."""
    package, _, kind = name.rpartition(".")
    version = package.rpartition(".")[2].capitalize()
    group = package.split(".")[-2].capitalize()
    for candidate in (f"{group}{version}{kind}", f"{version}{kind}"):
        model = getattr(kubernetes.client, candidate, None)
        if model is not None and hasattr(model, "model_fields"):
            return model
    return None


def _json_names(model: Any) -> set[str]:
    return {f.serialization_alias or key for key, f in model.model_fields.items()}


def test_every_field_the_table_names_is_a_field_of_the_clients_model_of_its_type() -> None:
    checked = 0
    wrong = []
    for name in apitypes.names():
        facts = apitypes.facts(name)
        assert facts is not None
        model = _model(name)
        if model is None or name.rpartition(".")[2] in _SPECIAL:
            continue
        known = _json_names(model)
        for field in facts.fields:
            if not field.inline and field.json not in known:
                wrong.append(f"{name}.{field.json}")
        checked += 1
    assert not wrong
    assert checked > 440  # all but the types OpenAPI does not serve (options, wrappers)


@pytest.mark.parametrize(
    "name",
    [
        "io.k8s.api.core.v1.Pod",
        "io.k8s.api.core.v1.Node",
        "io.k8s.api.core.v1.Namespace",
        "io.k8s.api.core.v1.Event",
        "io.k8s.api.apps.v1.Deployment",
        "io.k8s.api.batch.v1.Job",
        "io.k8s.api.policy.v1.PodDisruptionBudget",
        "io.k8s.api.scheduling.v1.PriorityClass",
        "io.k8s.api.coordination.v1.Lease",
        "io.k8s.api.rbac.v1.ClusterRole",
        "io.k8s.api.storage.v1.StorageClass",
        "io.k8s.api.autoscaling.v1.Scale",
        "io.k8s.api.events.v1.Event",
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
    ],
)
def test_the_served_kinds_have_facts_whose_fields_are_the_models(name: str) -> None:
    facts = apitypes.facts(name)
    model = _model(name)
    assert facts is not None and model is not None
    assert {f.json for f in facts.fields if not f.inline} <= _json_names(model)


def test_a_fields_number_type_and_patch_facts_are_those_of_the_v1_32_tags() -> None:
    containers = apitypes.field_of("io.k8s.api.core.v1.PodSpec", "containers")
    assert containers is not None
    assert (containers.number, containers.label, containers.type) == (
        2,
        "rep",
        "io.k8s.api.core.v1.Container",
    )
    assert (containers.patch_strategy, containers.patch_merge_key) == ("merge", "name")
    assert (containers.list_type, containers.list_map_keys) == ("map", ("name",))
    ports = apitypes.field_of("io.k8s.api.core.v1.Container", "ports")
    assert ports is not None and ports.list_map_keys == ("containerPort", "protocol")
    labels = apitypes.field_of("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "labels")
    assert labels is not None and (labels.number, labels.label, labels.type) == (
        11,
        "map",
        "string",
    )
    replicas = apitypes.field_of("io.k8s.api.apps.v1.DeploymentSpec", "replicas")
    assert replicas is not None and replicas.pointer


def test_an_embedded_structs_fields_are_found_through_it() -> None:
    name = apitypes.field_of("io.k8s.api.core.v1.ConfigMapEnvSource", "name")
    assert name is not None and name.type == "string"  # LocalObjectReference, inlined


def test_a_kind_is_found_by_its_api_version_and_the_meta_types_by_any() -> None:
    assert apitypes.type_name("apps/v1", "Deployment") == "io.k8s.api.apps.v1.Deployment"
    assert apitypes.type_name("rbac.authorization.k8s.io/v1", "Role") == "io.k8s.api.rbac.v1.Role"
    assert apitypes.type_name("v1", "Status") == "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
    assert apitypes.type_name("example.com/v1", "Widget") is None
