"""The built-in kinds served from the resource table (spec/api/resources.yaml), with the real
kubectl and the official client against `listwatch serve`: discovery as `kubectl api-resources`
prints it, every kind written and read, the scheme defaults and validation of v1.32, and the
columns of v1.32's printers."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml
from kubernetes.dynamic import DynamicClient

from listwatch.apiserver.resources import SERVED
from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import serving
from tests.server.test_kubectl import KUBECTL, Kubectl, table

pytestmark = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")

#: One object of each kind the table serves beyond the tutorial's (those have tests of their own).
OBJECTS: dict[str, dict[str, Any]] = {
    "configmaps": {"data": {"game.mode": "easy"}, "binaryData": {"logo": "AAEC"}},
    "secrets": {"stringData": {"password": "s3cret"}},
    "endpoints": {
        "subsets": [
            {"addresses": [{"ip": "10.1.0.5"}, {"ip": "10.1.0.6"}], "ports": [{"port": 80}]}
        ]
    },
    "limitranges": {"spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}}]}},
    "resourcequotas": {"spec": {"hard": {"pods": "10"}}},
    "podtemplates": {
        "template": {
            "metadata": {"labels": {"app": "t"}},
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
        }
    },
    "persistentvolumeclaims": {
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    },
    "persistentvolumes": {
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "hostPath": {"path": "/tmp/pv"},
        }
    },
    "daemonsets": {
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "agent", "image": "busybox:1.36"}]},
            },
        }
    },
    "statefulsets": {
        "spec": {
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "db", "image": "busybox:1.36"}]},
            },
        }
    },
    "controllerrevisions": {"revision": 1, "data": {"spec": {}}},
    "leases": {"spec": {"holderIdentity": "node01", "leaseDurationSeconds": 40}},
    "roles": {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]},
    "clusterroles": {"rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}]},
    "rolebindings": {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "thing"},
        "subjects": [
            {"kind": "User", "name": "jane"},
            {"kind": "ServiceAccount", "name": "default", "namespace": "default"},
        ],
    },
    "clusterrolebindings": {
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "thing",
        },
        "subjects": [{"kind": "Group", "name": "ops"}],
    },
    "storageclasses": {"provisioner": "example.com/disk"},
    "csidrivers": {"spec": {}},
    "csinodes": {"spec": {"drivers": []}},
    "csistoragecapacities": {"storageClassName": "thing"},
    "volumeattachments": {
        "spec": {
            "attacher": "example.com/disk",
            "nodeName": "node01",
            "source": {"persistentVolumeName": "thing"},
        }
    },
    "apiservices": {
        "spec": {
            "group": "example.com",
            "version": "v1",
            "groupPriorityMinimum": 100,
            "versionPriority": 10,
            "service": {"namespace": "default", "name": "api"},
        }
    },
}
NAMED = {"secrets": "kubernetes.io/basic-auth"}


def manifest(plural: str, name: str = "thing") -> dict[str, Any]:
    """The object of kind `plural` called `name` (an APIService's name is its version and group:
    `v1.NAME.example.com`)."""
    (resource,) = [r for r in SERVED if r.plural == plural and r.conversion is None]
    fields = OBJECTS[plural]
    if plural == "apiservices":
        fields = {"spec": {**fields["spec"], "group": f"{name}.example.com"}}
        name = f"v1.{name}.example.com"
    return {
        "apiVersion": resource.api_version,
        "kind": resource.kind,
        "metadata": {"name": name},
        **fields,
    }


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[Server]:
    with serving(engine) as served:
        yield served


@pytest.fixture(scope="module")
def kubectl(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    workdir = tmp_path_factory.mktemp("kinds")
    docs = [yaml.safe_dump(manifest(plural)) for plural in OBJECTS]
    (workdir / "kinds.yaml").write_text("---\n".join(docs))
    run = Kubectl(server, workdir)
    run("create -f kinds.yaml")
    return run


@pytest.fixture(scope="module")
def dynamic(server: Server) -> DynamicClient:
    assert server.kubeconfig is not None
    return DynamicClient(kubernetes.config.new_client_from_config(str(server.kubeconfig)))


def get(kubectl: Kubectl, what: str) -> Any:
    return json.loads(kubectl(f"get {what} -o json"))


#: `kubectl api-resources` of a v1.32 cluster, the rows of the kinds listwatch serves: NAME
#: SHORTNAMES ("-": none) APIVERSION NAMESPACED KIND.
API_RESOURCES = """\
componentstatuses cs v1 false ComponentStatus
configmaps cm v1 true ConfigMap
endpoints ep v1 true Endpoints
events ev v1 true Event
limitranges limits v1 true LimitRange
namespaces ns v1 false Namespace
nodes no v1 false Node
persistentvolumeclaims pvc v1 true PersistentVolumeClaim
persistentvolumes pv v1 false PersistentVolume
pods po v1 true Pod
podtemplates - v1 true PodTemplate
replicationcontrollers rc v1 true ReplicationController
resourcequotas quota v1 true ResourceQuota
secrets - v1 true Secret
serviceaccounts sa v1 true ServiceAccount
services svc v1 true Service
apiservices - apiregistration.k8s.io/v1 false APIService
controllerrevisions - apps/v1 true ControllerRevision
daemonsets ds apps/v1 true DaemonSet
deployments deploy apps/v1 true Deployment
replicasets rs apps/v1 true ReplicaSet
statefulsets sts apps/v1 true StatefulSet
cronjobs cj batch/v1 true CronJob
jobs - batch/v1 true Job
customresourcedefinitions crd,crds apiextensions.k8s.io/v1 false CustomResourceDefinition
leases - coordination.k8s.io/v1 true Lease
events ev events.k8s.io/v1 true Event
poddisruptionbudgets pdb policy/v1 true PodDisruptionBudget
clusterrolebindings - rbac.authorization.k8s.io/v1 false ClusterRoleBinding
clusterroles - rbac.authorization.k8s.io/v1 false ClusterRole
rolebindings - rbac.authorization.k8s.io/v1 true RoleBinding
roles - rbac.authorization.k8s.io/v1 true Role
priorityclasses pc scheduling.k8s.io/v1 false PriorityClass
csidrivers - storage.k8s.io/v1 false CSIDriver
csinodes - storage.k8s.io/v1 false CSINode
csistoragecapacities - storage.k8s.io/v1 true CSIStorageCapacity
storageclasses sc storage.k8s.io/v1 false StorageClass
volumeattachments - storage.k8s.io/v1 false VolumeAttachment
"""


def test_kubectl_api_resources_lists_the_kinds_as_a_v1_32_cluster_does(kubectl: Kubectl) -> None:
    served = {(row["NAME"], row["APIVERSION"]): row for row in table(kubectl("api-resources"))}
    for line in API_RESOURCES.splitlines():
        name, short, version, namespaced, kind = line.split()
        row = served.get((name, version))
        assert row is not None, f"{name} ({version}) is not served"
        assert (row["SHORTNAMES"] or "-", row["NAMESPACED"], row["KIND"]) == (
            short,
            namespaced,
            kind,
        )


def test_every_kind_is_created_read_listed_patched_and_deleted_through_the_official_client(
    dynamic: DynamicClient, kubectl: Kubectl
) -> None:
    for plural in OBJECTS:
        body = manifest(plural, name="other")
        api = dynamic.resources.get(api_version=body["apiVersion"], kind=body["kind"])
        namespace = "default" if api.namespaced else None
        other, thing = body["metadata"]["name"], manifest(plural)["metadata"]["name"]
        created = api.create(body=body, namespace=namespace)
        assert created.metadata.name == other and created.metadata.uid, plural
        names = [o.metadata.name for o in api.get(namespace=namespace).items]
        assert {thing, other} <= set(names), plural
        patched = api.patch(
            name=other,
            namespace=namespace,
            body={"metadata": {"labels": {"patched": "yes"}}},
            content_type="application/merge-patch+json",
        )
        assert patched.metadata.labels["patched"] == "yes", plural
        api.delete(name=other, namespace=namespace)
        names = [o.metadata.name for o in api.get(namespace=namespace).items]
        assert other not in names, plural


def test_a_secret_stores_its_string_data_as_data_and_defaults_its_type(kubectl: Kubectl) -> None:
    secret = get(kubectl, "secret thing")
    assert secret["type"] == "Opaque"
    assert secret["data"] == {"password": "czNjcmV0"}
    assert "stringData" not in secret


def test_scheme_defaults_are_applied_as_v1_32_applies_them(kubectl: Kubectl) -> None:
    storage_class = get(kubectl, "storageclass thing")
    assert (storage_class["reclaimPolicy"], storage_class["volumeBindingMode"]) == (
        "Delete",
        "Immediate",
    )
    assert get(kubectl, "csidriver thing")["spec"] == {
        "attachRequired": True,
        "fsGroupPolicy": "ReadWriteOnceWithFSType",
        "podInfoOnMount": False,
        "requiresRepublish": False,
        "seLinuxMount": False,
        "storageCapacity": False,
        "volumeLifecycleModes": ["Persistent"],
    }
    claim = get(kubectl, "pvc thing")
    assert (claim["spec"]["volumeMode"], claim["status"]) == ("Filesystem", {"phase": "Pending"})
    volume = get(kubectl, "pv thing")
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert volume["status"] == {"phase": "Pending"}
    assert get(kubectl, "endpoints thing")["subsets"][0]["ports"] == [
        {"port": 80, "protocol": "TCP"}
    ]
    stateful = get(kubectl, "statefulset thing")
    assert stateful["metadata"]["generation"] == 1
    assert stateful["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"partition": 0},
    }
    assert stateful["spec"]["podManagementPolicy"] == "OrderedReady"
    assert stateful["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    daemon = get(kubectl, "daemonset thing")
    assert daemon["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    binding = get(kubectl, "rolebinding thing")
    assert [s.get("apiGroup") for s in binding["subjects"]] == ["rbac.authorization.k8s.io", None]


def test_kubectl_get_prints_the_columns_of_v1_32s_printers(kubectl: Kubectl) -> None:
    [config] = table(kubectl("get configmap thing"))
    assert (list(config), config["DATA"]) == (["NAME", "DATA", "AGE"], "2")
    [secret] = table(kubectl("get secret thing"))
    assert list(secret) == ["NAME", "TYPE", "DATA", "AGE"]
    assert (secret["TYPE"], secret["DATA"]) == ("Opaque", "1")
    [endpoints] = table(kubectl("get endpoints thing"))
    assert endpoints["ENDPOINTS"] == "10.1.0.5:80,10.1.0.6:80"
    [binding] = table(kubectl("get rolebinding thing -o wide"))
    assert list(binding) == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert (binding["ROLE"], binding["USERS"], binding["SERVICEACCOUNTS"]) == (
        "Role/thing",
        "jane",
        "default:default",
    )
    [storage] = table(kubectl("get sc thing"))
    assert list(storage) == [
        "NAME",
        "PROVISIONER",
        "RECLAIMPOLICY",
        "VOLUMEBINDINGMODE",
        "ALLOWVOLUMEEXPANSION",
        "AGE",
    ]
    [claim] = table(kubectl("get pvc thing"))
    assert (claim["STATUS"], claim["VOLUMEATTRIBUTESCLASS"]) == ("Pending", "<unset>")
    [stateful] = table(kubectl("get sts thing"))
    assert list(stateful) == ["NAME", "READY", "AGE"] and stateful["READY"] == "0/1"
    [lease] = table(kubectl("get lease thing"))
    assert lease["HOLDER"] == "node01"
    [role] = table(kubectl("get role thing"))
    assert list(role) == ["NAME", "CREATED AT"]


def refused(kubectl: Kubectl, command: str) -> str:
    """What kubectl prints of a request the server refuses (kubectl words a 422 as `The KIND
    "NAME" is invalid: ...`)."""
    return kubectl(command, check=False)


def patch(what: str, body: dict[str, Any], *flags: str) -> str:
    """The `kubectl patch` command line of a merge patch."""
    return " ".join(("patch", what, "--type=merge", *flags, "-p", shlex.quote(json.dumps(body))))


def create(kubectl: Kubectl, *objects: dict[str, Any], check: bool = True) -> str:
    """`kubectl create -f` of these objects (the typed `kubectl create KIND` commands send
    protobuf, which `test_protobuf` covers)."""
    path = kubectl.workdir / "objects.yaml"
    path.write_text("---\n".join(yaml.safe_dump(o) for o in objects))
    return kubectl(f"create -f {path.name}", check=check)


def config_map(name: str, data: dict[str, str], namespace: str = "default") -> dict[str, Any]:
    meta = {"name": name, "namespace": namespace}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def test_validation_refuses_with_kube_apiservers_messages(kubectl: Kubectl) -> None:
    out = create(kubectl, config_map("bad", {"a/b": "1"}), check=False)
    assert 'data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric' in out
    create(kubectl, config_map("frozen", {"a": "1"}))
    kubectl(patch("configmap frozen", {"immutable": True}))
    out = refused(kubectl, patch("configmap frozen", {"data": {"a": "2"}}))
    assert "data: Forbidden: field is immutable when `immutable` is set" in out
    out = refused(kubectl, patch("secret thing", {"type": "Other"}))
    assert 'type: Invalid value: "Other": field is immutable' in out
    out = refused(kubectl, patch("rolebinding thing", {"roleRef": {"name": "other"}}))
    assert "cannot change roleRef" in out
    out = refused(kubectl, patch("sc thing", {"provisioner": "other.com/disk"}))
    assert "provisioner: Forbidden: updates to provisioner are forbidden." in out
    bad_role = {**manifest("roles"), "metadata": {"name": "bad%name"}}
    assert "may not contain '%'" in create(kubectl, bad_role, check=False)
    assert get(kubectl, "configmap frozen")["data"] == {"a": "1"}
    assert "bad" not in kubectl("get configmaps -o name").split("/")


def test_a_role_name_may_hold_colons_as_rbac_names_do(kubectl: Kubectl) -> None:
    create(kubectl, {**manifest("clusterroles"), "metadata": {"name": "system:thing-reader"}})
    assert get(kubectl, "clusterrole system:thing-reader")["rules"][0]["verbs"] == ["get"]


def test_namespaced_kinds_go_with_their_namespace(kubectl: Kubectl) -> None:
    create(kubectl, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}})
    create(kubectl, config_map("inside", {"a": "1"}, namespace="doomed"))
    kubectl("delete namespace doomed --timeout=60s")
    assert "inside" not in kubectl("get configmaps -A -o name")
