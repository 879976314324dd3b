"""A seeded fuzzer of the served API's write endpoints, and the judge of what it sends.

`Fuzzer(seed)` makes `Case`s: a valid body for one write endpoint (create, update, every patch
format, status, binding, scale, delete options; of pods, nodes, services, replication
controllers, replica sets, deployments, jobs, cronjobs, config maps, secrets, priority classes,
disruption budgets, role bindings, events, namespaces, APIServices and a CRD's custom resource),
mutated in its tree (a field replaced by a
value of another type, a boundary number, a bad name, an unknown or missing field) and then as
text (NaN, a lone surrogate, a repeated key, deep nesting, invalid UTF-8, a cut-off body).

`run_case` answers a case on the cluster's loop thread, with the store's revision read before
and after in the same turn, so that no component writes in between: an error answer must leave
the revision where it was. `Tally` counts the answers and keeps every violation: a 5xx, an
error answer that changed the store, an answer that is not a Status or not JSON.

The test (`test_fuzz.py`) and the longer run (`benchmarks/fuzz_api.py`) share all of this.
"""

from __future__ import annotations

import collections
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.server import Server, messages

NS = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"
BATCH = "/apis/batch/v1/namespaces/default"
#: The custom resource the fuzzer aims at, served from CRD (created by `setup`).
CUSTOM = "crontabs.stable.example.com"
CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": CUSTOM},
    "spec": {
        "group": "stable.example.com",
        "scope": "Namespaced",
        "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {
                    "status": {},
                    "scale": {
                        "specReplicasPath": ".spec.replicas",
                        "statusReplicasPath": ".status.replicas",
                    },
                },
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "cronSpec": {"type": "string", "pattern": "^[-*/ 0-9]+$"},
                                    "image": {"type": "string", "default": "busybox"},
                                    "replicas": {"type": "integer", "minimum": 0},
                                },
                            },
                            "status": {
                                "type": "object",
                                "properties": {"replicas": {"type": "integer"}},
                            },
                        },
                    }
                },
            }
        ],
    },
}
#: Fixtures every case may aim at (created by `setup`); created objects take names from a pool.
FIXTURES = {
    "pods": ["fz-pod-0", "fz-pod-1", "fz-pod-2"],
    "nodes": ["node01", "node02", "fz-node"],
    "services": ["fz-svc"],
    "replicationcontrollers": ["fz-rc"],
    "replicasets": ["fz-rs"],
    "deployments": ["fz-deploy"],
    "jobs": ["fz-job"],
    "cronjobs": ["fz-cj"],
    "configmaps": ["fz-cm"],
    "secrets": ["fz-secret"],
    "priorityclasses": ["fz-pc"],
    "poddisruptionbudgets": ["fz-pdb"],
    "rolebindings": ["fz-rb"],
    "apiservices": ["v1.fz.example.com"],
    "events": ["fz-ev"],
    "namespaces": ["fz-ns"],
    CUSTOM: ["fz-ct"],
}
COLLECTIONS = {
    "pods": f"{NS}/pods",
    "nodes": "/api/v1/nodes",
    "services": f"{NS}/services",
    "replicationcontrollers": f"{NS}/replicationcontrollers",
    "replicasets": f"{APPS}/replicasets",
    "deployments": f"{APPS}/deployments",
    "jobs": f"{BATCH}/jobs",
    "cronjobs": f"{BATCH}/cronjobs",
    "configmaps": f"{NS}/configmaps",
    "secrets": f"{NS}/secrets",
    "priorityclasses": "/apis/scheduling.k8s.io/v1/priorityclasses",
    "poddisruptionbudgets": "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
    "rolebindings": "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
    "apiservices": "/apis/apiregistration.k8s.io/v1/apiservices",
    "events": f"{NS}/events",
    "namespaces": "/api/v1/namespaces",
    CUSTOM: "/apis/stable.example.com/v1/namespaces/default/crontabs",
}
#: The resources not in a namespace.
CLUSTER_SCOPED = ("nodes", "namespaces", "priorityclasses", "apiservices")
WITH_STATUS = (
    "pods",
    "nodes",
    "services",
    "replicationcontrollers",
    "replicasets",
    "deployments",
    "jobs",
    "cronjobs",
    "poddisruptionbudgets",
    "apiservices",
    "namespaces",
    CUSTOM,
)
WITH_SCALE = ("replicationcontrollers", "replicasets", "deployments", CUSTOM)
PATCH_TYPES = {
    "merge": messages.MERGE_PATCH,
    "strategic": messages.STRATEGIC_PATCH,
    "json": messages.JSON_PATCH,
}


def base_body(resource: str, name: str) -> dict[str, Any]:
    """A valid body of a new object of `resource` named `name`."""
    labels = {"app": "fz"}
    container = {
        "name": "c",
        "image": "nginx:1.15",
        "ports": [{"containerPort": 80, "protocol": "TCP"}],
        "readinessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 5},
        "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
        "env": [{"name": "A", "value": "1"}],
    }
    template = {"metadata": {"labels": labels}, "spec": {"containers": [container]}}
    job_template = {
        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36"}]}
    }
    bodies: dict[str, dict[str, Any]] = {
        "pods": {"spec": {"containers": [container], "nodeSelector": {"disk": "ssd"}}},
        "nodes": {
            "spec": {"taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]},
            "status": {"capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"}},
        },
        "services": {"spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 80}]}},
        "replicationcontrollers": {
            "spec": {"replicas": 1, "selector": labels, "template": template}
        },
        "replicasets": {
            "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": template}
        },
        "events": {
            "involvedObject": {"kind": "Pod", "name": "fz-pod-0", "namespace": "default"},
            "reason": "Fuzzed",
            "message": "a fuzzed event",
            "type": "Normal",
            "count": 1,
            "firstTimestamp": "2024-01-01T00:00:00Z",
        },
        "namespaces": {},
        "deployments": {
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": template,
                "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
            }
        },
        "jobs": {"spec": {"backoffLimit": 1, "template": job_template}},
        "cronjobs": {
            "spec": {
                "schedule": "*/5 * * * *",
                "concurrencyPolicy": "Forbid",
                "jobTemplate": {"spec": {"template": job_template}},
            }
        },
        "configmaps": {"data": {"a": "1", "b.txt": "two"}},
        "secrets": {"type": "Opaque", "stringData": {"user": "admin"}, "data": {"k": "dmFsdWU="}},
        "priorityclasses": {"value": 1000, "description": "fuzzed"},
        "poddisruptionbudgets": {"spec": {"minAvailable": 1, "selector": {"matchLabels": labels}}},
        "rolebindings": {
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "alice"}],
        },
        "apiservices": {
            "spec": {
                "group": name.partition(".")[2] or f"{name}.example.com",
                "version": "v1",
                "groupPriorityMinimum": 100,
                "versionPriority": 10,
                "service": {"namespace": "default", "name": "fz-svc", "port": 443},
            }
        },
        CUSTOM: {"spec": {"cronSpec": "*/5 * * * *", "replicas": 1}},
    }
    kinds = {
        "pods": ("v1", "Pod"),
        "nodes": ("v1", "Node"),
        "services": ("v1", "Service"),
        "replicationcontrollers": ("v1", "ReplicationController"),
        "replicasets": ("apps/v1", "ReplicaSet"),
        "deployments": ("apps/v1", "Deployment"),
        "jobs": ("batch/v1", "Job"),
        "cronjobs": ("batch/v1", "CronJob"),
        "configmaps": ("v1", "ConfigMap"),
        "secrets": ("v1", "Secret"),
        "priorityclasses": ("scheduling.k8s.io/v1", "PriorityClass"),
        "poddisruptionbudgets": ("policy/v1", "PodDisruptionBudget"),
        "rolebindings": ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        "apiservices": ("apiregistration.k8s.io/v1", "APIService"),
        "events": ("v1", "Event"),
        "namespaces": ("v1", "Namespace"),
        CUSTOM: ("stable.example.com/v1", "CronTab"),
    }
    version, kind = kinds[resource]
    meta: dict[str, Any] = {"name": name, "labels": dict(labels)}
    return {"apiVersion": version, "kind": kind, "metadata": meta, **bodies[resource]}


STATUS_BODIES: dict[str, dict[str, Any]] = {
    "pods": {
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "podIP": "10.244.0.9",
        }
    },
    "nodes": {
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "lastHeartbeatTime": "2024-01-01T00:00:00Z",
                    "reason": "KubeletReady",
                }
            ],
            "capacity": {"cpu": "4"},
        }
    },
    "services": {"status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}},
    "replicationcontrollers": {"status": {"replicas": 1, "readyReplicas": 1}},
    "replicasets": {"status": {"replicas": 1, "readyReplicas": 1}},
    "namespaces": {"status": {"phase": "Active"}},
    "deployments": {"status": {"replicas": 1, "readyReplicas": 1, "observedGeneration": 1}},
    "jobs": {"status": {"active": 1, "startTime": "2024-01-01T00:00:00Z"}},
    "cronjobs": {"status": {"lastScheduleTime": "2024-01-01T00:00:00Z"}},
    "poddisruptionbudgets": {"status": {"currentHealthy": 1, "desiredHealthy": 1}},
    "apiservices": {"status": {"conditions": [{"type": "Available", "status": "True"}]}},
    CUSTOM: {"status": {"replicas": 1}},
}


@dataclass(frozen=True)
class Case:
    """One request to send: what it aims at (`endpoint`, for the counts) and its parts."""

    endpoint: str
    method: str
    path: str
    body: bytes
    content_type: str = "application/json"
    query: tuple[tuple[str, str], ...] = ()

    def request(self) -> messages.Request:
        return messages.Request(
            self.method,
            self.path,
            dict(self.query),
            {"content-type": self.content_type, "user-agent": "apifuzz/1"},
            self.body,
            self.query,
        )

    def __str__(self) -> str:
        return f"{self.method} {self.path}?{self.query} [{self.content_type}] {self.body[:600]!r}"


_STRINGS = [
    "",
    "x",
    "UPPER",
    "a.",
    "-a",
    "a b",
    "\ud800",
    "\udfff\ud800",
    "é",
    "a" * 300,
    "1.5",
    "NaN",
    "Always",
    "node01",
    "10.0.0.1",
    "2024-13-45T99:99:99Z",
    "2024-01-01T00:00:00Z",
    "100m",
    "1e999",
    "-1",
    "/",
]
_NUMBERS: list[Any] = [0, -1, 1, 2, 65535, 65536, 2**31 - 1, 2**31, 2**63, -(2**63) - 1, 1.5, -0.0]
_RAW_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "9223372036854775808", "1" * 5000]


class Fuzzer:
    """Cases from a seed; the same seed and the same cluster state give the same cases."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    # -- values ---------------------------------------------------------------------------------

    def value(self, depth: int = 0) -> Any:
        r = self.random
        pick = r.random()
        if pick < 0.3:
            return r.choice(_STRINGS)
        if pick < 0.55:
            return r.choice(_NUMBERS)
        if pick < 0.62:
            return r.choice([True, False, None])
        if pick < 0.8 or depth > 2:
            return r.choice([[], {}, [{}], [None], ["x"], {"a": 1}, {"": ""}])
        if pick < 0.9:
            return [self.value(depth + 1) for _ in range(r.randint(1, 3))]
        return {r.choice([*_STRINGS, "name", "spec", "kind"]): self.value(depth + 1)}

    def mutate(self, body: Any, times: int) -> Any:
        """`body` with `times` changes at random places in its tree."""
        body = objects.deep_copy(body)
        for _ in range(times):
            places = list(_places(body, ()))
            if not places:
                return self.value()
            where = self.random.choice(places)
            body = self._change(body, where)
        return body

    def _change(self, body: Any, where: tuple[Any, ...]) -> Any:
        r = self.random
        if not where:
            return self.value() if r.random() < 0.5 else body
        parent = _at(body, where[:-1])
        key = where[-1]
        current = parent[key]
        choice = r.random()
        if choice < 0.15 and isinstance(parent, dict):
            del parent[key]
        elif choice < 0.25 and isinstance(parent, dict):
            parent[r.choice(["unknownField", "Name", "$patch", key + "x"])] = self.value()
        elif choice < 0.45 and isinstance(current, int) and not isinstance(current, bool):
            parent[key] = r.choice(_NUMBERS)
        elif choice < 0.6 and isinstance(current, str):
            parent[key] = r.choice(_STRINGS)
        elif choice < 0.7:
            parent[key] = [current]
        else:
            parent[key] = self.value()
        return body

    def text(self, body: Any) -> bytes:
        """`body` as JSON, sometimes damaged as text the way a JSON library would not write it."""
        r = self.random
        text = json.dumps(_tamed(body))
        pick = r.random()
        if pick < 0.72:
            return text.encode()
        if pick < 0.77:
            return _replace_number(text, r.choice(_RAW_NUMBERS), r).encode()
        if pick < 0.81:
            at = text.find('"', 1)
            return (text[:at] + '"\\ud800' + text[at + 1 :]).encode() if at > 0 else text.encode()
        if pick < 0.86 and text.startswith("{") and len(text) > 2:
            first = r.choice(["name", "metadata", "spec", "kind"])
            return ("{" + json.dumps(first) + ':"dup",' + text[1:]).encode()
        if pick < 0.89:
            depth = r.choice([100, 600, 20_000])
            return ("[" * depth + "]" * depth).encode()
        if pick < 0.92:
            data = bytearray(text.encode())
            data[r.randrange(len(data))] = r.choice([0xFF, 0xC3, 0x80, 0x00])
            return bytes(data)
        if pick < 0.96:
            return text[: r.randrange(len(text) + 1)].encode()
        return r.choice([b"", b"null", b"[]", b'"x"', b"1", b"\xef\xbb\xbf{}", b"{}"])

    # -- cases ----------------------------------------------------------------------------------

    def case(self, current: Callable[[str, str], dict[str, Any] | None]) -> Case:
        """A case; `current(resource, name)` gives an object as stored (for update bodies)."""
        r = self.random
        resource = r.choice(list(COLLECTIONS))
        fixture = r.choice(FIXTURES[resource])
        created = f"fz-{resource[:3]}-{r.randrange(12)}"
        collection = COLLECTIONS[resource]
        times = r.choice([0, 1, 1, 2, 3])
        query = (
            (("fieldValidation", r.choice(["Strict", "Ignore", "Warn", "x"])),)
            if r.random() < 0.1
            else ()
        )
        kind = r.random()
        if resource == "pods" and kind < 0.12:
            body = {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": fixture},
                "target": {"apiVersion": "v1", "kind": "Node", "name": r.choice(FIXTURES["nodes"])},
            }
            path = f"{collection}/{fixture}/binding"
            return Case("bind", "POST", path, self.text(self.mutate(body, times)), query=query)
        if resource in WITH_SCALE and kind < 0.25:
            path = f"{collection}/{fixture}/scale"
            body = {
                "kind": "Scale",
                "apiVersion": "autoscaling/v1",
                "metadata": {"name": fixture},
                "spec": {"replicas": r.randint(0, 3)},
            }
            if r.random() < 0.4:
                return Case(
                    "scale PUT", "PUT", path, self.text(self.mutate(body, times)), query=query
                )
            return self._patch("scale", path, {"spec": body["spec"]}, times, query)
        if kind < 0.35:
            body = base_body(resource, created)
            return Case(
                f"create {resource}",
                "POST",
                collection,
                self.text(self.mutate(body, times)),
                query=query,
            )
        if kind < 0.5:
            stored = current(resource, fixture) or base_body(resource, fixture)
            body = objects.replace(stored, "metadata.resourceVersion", None)
            path = f"{collection}/{fixture}"
            return Case(
                f"update {resource}", "PUT", path, self.text(self.mutate(body, times)), query=query
            )
        if kind < 0.6 and resource in WITH_STATUS:
            path = f"{collection}/{fixture}/status"
            if r.random() < 0.3:
                stored = current(resource, fixture) or base_body(resource, fixture)
                body = {**stored, **STATUS_BODIES[resource]}
                return Case(
                    f"status PUT {resource}",
                    "PUT",
                    path,
                    self.text(self.mutate(body, times)),
                    query=query,
                )
            return self._patch(f"status {resource}", path, STATUS_BODIES[resource], times, query)
        if kind < 0.93:
            path = f"{collection}/{fixture}"
            patch = {
                "metadata": {"labels": {"fz": "1"}},
                **{
                    k: v
                    for k, v in base_body(resource, fixture).items()
                    if k not in ("metadata", "kind", "apiVersion")
                },
            }
            return self._patch(resource, path, patch, times, query)
        options = {
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "gracePeriodSeconds": r.randint(0, 5),
        }
        return Case(
            f"delete {resource}",
            "DELETE",
            f"{collection}/{created}",
            self.text(self.mutate(options, times)),
        )

    def _patch(
        self,
        label: str,
        path: str,
        patch: dict[str, Any],
        times: int,
        query: tuple[tuple[str, str], ...],
    ) -> Case:
        r = self.random
        patch_type = r.choice(list(PATCH_TYPES))
        body: Any = self.mutate(patch, times)
        if patch_type == "json":
            ops = [
                {"op": "replace", "path": "/metadata/labels", "value": {"fz": "2"}},
                {"op": "add", "path": "/metadata/annotations", "value": {"a": "b"}},
                {"op": "test", "path": "/kind", "value": "Pod"},
                {"op": "remove", "path": "/metadata/labels/fz"},
                {"op": "move", "from": "/metadata/labels", "path": "/metadata/annotations"},
                {
                    "op": "replace",
                    "path": "/spec",
                    "value": body.get("spec") if isinstance(body, dict) else body,
                },
                {
                    "op": "add",
                    "path": "/status",
                    "value": (body.get("status") if isinstance(body, dict) else None) or "x",
                },
            ]
            body = self.mutate(r.sample(ops, r.randint(1, 3)), times)
        return Case(
            f"{patch_type} patch {label}",
            "PATCH",
            path,
            self.text(body),
            PATCH_TYPES[patch_type],
            query,
        )


#: The most replicas a body asks for. A valid larger count (kube-apiserver takes any int32) is
#: honoured 500 pods a sync (burstReplicas), as by kube-controller-manager, and fills the memory
#: of a cluster that has no quota: that is load, not what this fuzzes.
MAX_REPLICAS = 5


def _tamed(value: Any) -> Any:
    """`value` with every valid replica count above MAX_REPLICAS brought down to it."""
    if isinstance(value, dict):
        return {
            k: MAX_REPLICAS
            if k == "replicas"
            and isinstance(v, int)
            and not isinstance(v, bool)
            and MAX_REPLICAS < v < 2**31
            else _tamed(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_tamed(v) for v in value]
    return value


def _places(value: Any, where: tuple[Any, ...]) -> Any:
    yield where
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*where, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _places(item, (*where, i))


def _at(value: Any, where: tuple[Any, ...]) -> Any:
    for key in where:
        value = value[key]
    return value


def _replace_number(text: str, raw: str, r: random.Random) -> str:
    spots = [i for i, c in enumerate(text) if c.isdigit() and text[i - 1] in ": [,"]
    if not spots:
        return text[:-1] + f',"n":{raw}' + text[-1:] if text.endswith("}") else raw
    at = r.choice(spots)
    end = at
    while end < len(text) and (text[end].isdigit() or text[end] in ".eE+-"):
        end += 1
    return text[:at] + raw + text[end:]


@dataclass
class Outcome:
    """What one case got: the status code, and what went wrong with it (nothing when it is
    right)."""

    status: int
    problems: list[str] = field(default_factory=list)


def run_case(server: Server, case: Case) -> Outcome:
    """Answer `case` on the loop thread; the revision is read before and after in the same turn."""

    def on_loop() -> Outcome:
        store = server.live.api.store
        before = store.revision
        try:
            response = server.handlers.handle(case.request())
        except Exception as exc:  # the server would send no answer at all
            return Outcome(0, [f"no answer: {exc!r}"])
        after = store.revision
        outcome = Outcome(response.status)
        if response.status >= 500:
            outcome.problems.append(f"answered {response.status}: {response.body[:400]!r}")
        if response.status >= 400:
            if after != before:
                outcome.problems.append(f"an error answer changed the store ({before} -> {after})")
            try:
                status = json.loads(response.body)
            except ValueError:
                outcome.problems.append(f"the error answer is not JSON: {response.body[:200]!r}")
            else:
                if status.get("kind") != "Status" or status.get("code") != response.status:
                    outcome.problems.append(f"the error answer is not its Status: {status}")
        else:
            try:
                json.loads(response.body)
            except ValueError:
                outcome.problems.append(f"the answer is not JSON: {response.body[:200]!r}")
        return outcome

    try:
        return server.live.call(on_loop)
    except errors.Timeout as exc:
        return Outcome(0, [f"{STUCK}: {exc}"])


#: The problem of a case the cluster's loop did not take up in time (something holds it).
STUCK = "the loop is stuck"


def current_object(server: Server) -> Callable[[str, str], dict[str, Any] | None]:
    """Reads an object as stored (on the loop thread), None when it does not exist."""

    def read(resource: str, name: str) -> dict[str, Any] | None:
        namespace = None if resource in CLUSTER_SCOPED else "default"
        key = server.live.api.resource(resource).key(namespace or "", name)
        kv = server.live.call(lambda: server.live.api.store.get(key))
        return None if kv is None else objects.deep_copy(kv.value)

    return read


def setup(server: Server) -> None:
    """Create the fixtures the cases aim at."""
    api = server.live.api

    def create_crd() -> None:
        api.create("customresourcedefinitions", CRD, actor="fuzz")

    def served() -> bool:
        return api.registry.lookup(CUSTOM) is not None

    def create_all() -> None:
        for resource, names in FIXTURES.items():
            for name in names:
                if resource == "nodes" and name != "fz-node":
                    continue
                namespace = None if resource in CLUSTER_SCOPED else "default"
                api.create(resource, base_body(resource, name), namespace=namespace, actor="fuzz")

    server.live.call(create_crd)
    deadline = time.monotonic() + 10
    while not server.live.call(served):
        if time.monotonic() > deadline:
            raise AssertionError(f"the CRD {CUSTOM} was not served within 10 s")
        time.sleep(0.02)
    server.live.call(create_all)


@dataclass
class Tally:
    """Answers by status code and endpoint, and every violation with its case."""

    codes: collections.Counter[int] = field(default_factory=collections.Counter)
    endpoints: collections.Counter[str] = field(default_factory=collections.Counter)
    violations: list[str] = field(default_factory=list)

    def add(self, case: Case, outcome: Outcome) -> None:
        self.codes[outcome.status] += 1
        self.endpoints[case.endpoint] += 1
        self.violations.extend(f"{problem}\n  case: {case}" for problem in outcome.problems)

    def summary(self) -> str:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.codes.items()))
        return (
            f"{sum(self.codes.values())} cases; by code: {codes}; violations: "
            f"{len(self.violations)}"
        )
