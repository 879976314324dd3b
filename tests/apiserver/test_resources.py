"""The resource table (spec/api/resources.yaml): what it serves, and a broken table refused with
the file, line and path."""

from __future__ import annotations

import shutil
from pathlib import Path

import kubernetes.client
import pytest

from listwatch import paths
from listwatch.apiserver import resources, schemas
from listwatch.apiserver.resources import RESOURCES, SERVED, load_table, resource_for
from listwatch.errors import SpecError


def test_every_served_kind_has_a_model_in_the_official_client() -> None:
    for resource in SERVED:
        assert hasattr(kubernetes.client, schemas.model_name(resource)), resource.kind


def test_kinds_are_found_by_plural_singular_short_name_or_kind() -> None:
    assert resource_for("cm") is RESOURCES["configmaps"]
    assert resource_for("StorageClass") is RESOURCES["storageclasses"]
    assert resource_for("clusterrolebinding") is RESOURCES["clusterrolebindings"]


def test_the_table_declares_scope_subresources_verbs_and_fields() -> None:
    assert not RESOURCES["persistentvolumes"].namespaced
    assert RESOURCES["statefulsets"].subresources == {"status", "scale"}
    assert "deletecollection" not in RESOURCES["namespaces"].verbs
    assert RESOURCES["secrets"].fields == {"metadata.name", "metadata.namespace", "type"}
    assert RESOURCES["nodes"].fields == {"metadata.name", "spec.unschedulable"}
    assert RESOURCES["leases"].fields == {"metadata.name", "metadata.namespace"}


def test_group_versions_are_in_kube_apiservers_order() -> None:
    assert resources.GROUP_VERSIONS[:3] == (
        ("", "v1"),
        ("apiregistration.k8s.io", "v1"),
        ("apps", "v1"),
    )


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    root = tmp_path / "spec"
    shutil.copytree(paths.spec_dir(), root)
    return root


def test_a_broken_table_is_refused_naming_the_file_line_and_path(spec_copy: Path) -> None:
    table = spec_copy / resources.TABLE
    table.write_text(table.read_text().replace("kind: ConfigMap", "kind: config-map"))
    with pytest.raises(SpecError) as refused:
        load_table(spec_copy)
    message = str(refused.value)
    assert "spec/api/resources.yaml" in message and "groups[0].resources" in message
    assert "config-map" in message


def test_an_unknown_strategy_is_refused(spec_copy: Path) -> None:
    table = spec_copy / resources.TABLE
    table.write_text(table.read_text().replace("strategy: configmaps", "strategy: nosuch"))
    with pytest.raises(SpecError, match="nosuch"):
        load_table(spec_copy)
