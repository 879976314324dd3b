"""Manifests: parsed with their lines; a bad one is refused with file, path and line, and nothing is
applied."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from listwatch import manifests
from listwatch.cluster import Cluster
from listwatch.errors import ManifestError

GOOD = """\
apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  containers:
  - name: nginx
    image: nginx:1.15
"""

BAD = {
    "yaml": ("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n", "", 4, "not valid YAML"),
    "containers": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers: []\n",
        "spec.containers",
        6,
        "Required value",
    ),
    "kind": (
        "apiVersion: v1\nkind: Pood\nmetadata:\n  name: bad\n",
        "kind",
        2,
        'no matches for kind "Pood" in version "v1"',
    ),
    "label": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\n  labels:\n    app: not "
        "valid!\nspec:\n  containers:\n  - name: c\n    image: nginx:1.15\n",
        "metadata.labels",
        6,
        'Invalid value: "not valid!"',
    ),
    "image": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n  - name: c\n",
        "spec.containers[0].image",
        7,
        "Required value",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_manifest_is_refused_with_file_path_and_line_and_nothing_is_created(
    case: str, tmp_path: Path, make_cluster: Callable[..., Cluster]
) -> None:
    text, path, line, problem = BAD[case]
    good = tmp_path / "a-good.yaml"
    good.write_text(GOOD)
    bad = tmp_path / "b-bad.yaml"
    bad.write_text(text)
    cluster = make_cluster(without=("scheduler", "kubelet", "controller-manager"))
    revision = cluster.store.revision
    with pytest.raises(ManifestError) as caught:
        manifests.apply_all(cluster.api, manifests.read([good, bad]))
    error = caught.value
    assert error.file == str(bad)
    assert error.path == path
    assert error.line == line
    assert problem in error.problem
    assert cluster.store.revision == revision
    assert cluster.pods() == []


def test_multi_document_files_and_lists_are_read_in_order(tmp_path: Path) -> None:
    path = tmp_path / "all.yaml"
    path.write_text(GOOD + "---\n" + GOOD.replace("good", "second") + "---\n")
    found = manifests.read([path])
    assert [m.obj["metadata"]["name"] for m in found] == ["good", "second"]


def test_the_tutorial_examples_are_valid(make_cluster: Callable[..., Cluster]) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    cluster = make_cluster(without=("scheduler", "kubelet", "controller-manager"))
    created = manifests.apply_all(cluster.api, manifests.read([examples]))
    assert sorted(o["metadata"]["name"] for o in created) == ["pod-example", "pod-example-selector"]


#: Manifests kube-apiserver would not decode (the first five crashed the loaders once):
#: (text, path, line, problem).
TYPED = {
    "null image": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "  - name: c\n    image:\n",
        "spec.containers[0].image",
        8,
        "Required value",
    ),
    "spec an int": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec: 0x1F\n",
        "spec",
        5,
        'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go '
        "struct field Pod.spec of type v1.PodSpec",
    ),
    "port a string list": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "  - name: c\n    image: nginx\n    ports:\n    - containerPort: [80]\n",
        "spec.containers[0].ports[0].containerPort",
        10,
        "cannot unmarshal array into Go struct field "
        "ContainerPort.spec.containers.ports.containerPort of type int32",
    ),
    "labels a list": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: [a]\n",
        "metadata.labels",
        5,
        "cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type "
        "map[string]string",
    ),
    "a List item with a bad field": (
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n"
        "    name: 5\n",
        "items[0].metadata.name",
        7,
        "cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string",
    ),
    "a label value a number": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app.kubernetes.io/x: 5\n",
        "metadata.labels.app.kubernetes.io/x",
        6,
        "cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
    ),
    "a quantity that does not parse": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "  - name: c\n    image: nginx\n    resources:\n      limits: {cpu: 1x}\n",
        "spec.containers[0].resources.limits.cpu",
        10,
        "quantities must match the regular expression",
    ),
    "a replica count a string": (
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: r\nspec:\n  replicas: '3'\n",
        "spec.replicas",
        6,
        'ReplicaSet in version "v1" cannot be handled as a ReplicaSet: json: cannot unmarshal '
        "string into Go struct field ReplicaSetSpec.spec.replicas of type int32",
    ),
    "an unknown field": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "  - name: c\n    image: nginx\n  nodeSelecter: {disk: ssd}\n",
        "spec.nodeSelecter",
        9,
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: '
        'unknown field "spec.nodeSelecter"',
    ),
}


@pytest.mark.parametrize("case", sorted(TYPED))
def test_a_field_kubernetes_cannot_decode_is_refused_with_its_path_and_line(
    case: str, tmp_path: Path, make_cluster: Callable[..., Cluster]
) -> None:
    text, path, line, problem = TYPED[case]
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    cluster = make_cluster(without=("scheduler", "kubelet", "controller-manager"))
    with pytest.raises(ManifestError) as caught:
        manifests.apply_all(cluster.api, manifests.read([bad]))
    assert (caught.value.path, caught.value.line) == (path, line)
    assert problem in caught.value.problem
    assert cluster.pods() == []


def test_a_manifest_is_held_as_kube_apiserver_decodes_it() -> None:
    (found,) = manifests.parse(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\nspec:\n  containers:\n"
        "  - name: c\n    image: nginx\n    resources: {requests: {cpu: 0.5, memory: 64}}\n"
    )
    assert "labels" not in found.obj["metadata"]  # null: the zero value, absent
    assert found.obj["spec"]["containers"][0]["resources"]["requests"] == {
        "cpu": "0.5",
        "memory": "64",
    }


def test_a_list_item_is_checked_like_a_document(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pood\n")
    with pytest.raises(ManifestError) as caught:
        manifests.read([path])
    assert (caught.value.path, caught.value.line) == ("items[0].kind", 5)


def test_an_empty_list_has_no_objects() -> None:
    assert manifests.parse("apiVersion: v1\nkind: List\nitems:\n") == []
