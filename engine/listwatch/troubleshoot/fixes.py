"""What a finding proposes: the commands a user would type, and the same change as steps a backend
applies.

A fix that changes something a pod cannot change in place (its node, command, ports, probes) is
the corrected manifest line, then delete and create again, as a user would do it.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.rules import affinity
from listwatch.troubleshoot import checks, images
from listwatch.troubleshoot.facts import Facts

TOKEN_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass(frozen=True)
class Step:
    """One change, for a backend to carry out: label, set-image, recreate, patch or
    restart-kubelet."""

    kind: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Fix:
    """The change that makes the pod healthy: as commands to type, and as steps."""

    commands: tuple[str, ...]
    steps: tuple[Step, ...]


FixMaker = Callable[[Facts], Fix | None]
FIXES: dict[str, FixMaker] = {}


def fix(fn: FixMaker) -> FixMaker:
    FIXES[fn.__name__] = fn
    return fn


def manifest(pod: Mapping[str, Any]) -> Obj:
    """The pod as a manifest a user would create again: no status, no server-set metadata, no token
    volume."""
    meta = objects.meta(pod)
    spec = objects.deep_copy(pod.get("spec") or {})
    token = {
        v["name"]
        for v in spec.get("volumes") or ()
        if str(v.get("name", "")).startswith("kube-api-access-")
    }
    spec["volumes"] = [v for v in spec.get("volumes") or () if v.get("name") not in token]
    if not spec["volumes"]:
        del spec["volumes"]
    for container in spec.get("containers") or ():
        mounts = [
            m for m in container.get("volumeMounts") or () if m.get("mountPath") != TOKEN_MOUNT
        ]
        container["volumeMounts"] = mounts
        if not mounts:
            del container["volumeMounts"]
    kept = {k: meta[k] for k in ("name", "namespace", "labels", "annotations") if meta.get(k)}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": kept, "spec": spec}


def _recreate(facts: Facts, corrected: Obj, change: str) -> Fix:
    return Fix(
        (
            f"# in the pod's manifest: {change}",
            f"kubectl delete pod {facts.name}",
            f"kubectl create -f {facts.name}.yaml",
        ),
        (
            Step(
                "recreate",
                {"name": facts.name, "namespace": facts.namespace, "manifest": corrected},
            ),
        ),
    )


@fix
def label_a_node(facts: Facts) -> Fix | None:
    wanted = dict(facts.spec.get("nodeSelector") or {})
    if not wanted or not facts.nodes:
        return None
    node = sorted(facts.nodes, key=objects.name_of)[0]
    name = objects.name_of(node)
    labels = objects.labels_of(node)
    overwrite = (
        " --overwrite" if any(k in labels and labels[k] != v for k, v in wanted.items()) else ""
    )
    pairs = " ".join(f"{k}={v}" for k, v in wanted.items())
    return Fix(
        (f"kubectl label nodes {name} {pairs}{overwrite}",),
        tuple(Step("label", {"node": name, "key": k, "value": v}) for k, v in wanted.items()),
    )


@fix
def label_the_named_node(facts: Facts) -> Fix | None:
    node = str(facts.spec.get("nodeName", ""))
    wanted = dict(facts.spec.get("nodeSelector") or {})
    if not node or not wanted:
        return None
    pairs = " ".join(f"{k}={v}" for k, v in wanted.items())
    recreate = _recreate(
        facts, manifest(facts.pod or {}), "unchanged; a rejected pod does not come back by itself"
    )
    return Fix(
        (f"kubectl label nodes {node} {pairs} --overwrite", *recreate.commands[1:]),
        (
            *(Step("label", {"node": node, "key": k, "value": v}) for k, v in wanted.items()),
            *recreate.steps,
        ),
    )


@fix
def name_an_existing_node(facts: Facts) -> Fix | None:
    ready = [
        n
        for n in facts.nodes
        if (objects.condition(n, "Ready") or {}).get("status") == "True"
        and affinity.fits_node(facts.pod or {}, n)
    ]
    if not ready:
        return None
    node = objects.name_of(sorted(ready, key=objects.name_of)[0])
    corrected = manifest(facts.pod or {})
    corrected["spec"]["nodeName"] = node
    return _recreate(facts, corrected, f"spec.nodeName: {facts.spec.get('nodeName')} -> {node}")


@fix
def use_a_pullable_image(facts: Facts) -> Fix | None:
    for status in facts.container_statuses():
        waiting = (status.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") not in facts.pull_failures:
            continue
        container = status["name"]
        image = next(
            c["image"] for c in facts.spec.get("containers") or () if c["name"] == container
        )
        choices = images.same_repository(facts.nodes, image)
        if not choices:
            return None
        return Fix(
            (f"kubectl set image pod/{facts.name} {container}={choices[0]}",),
            (
                Step(
                    "set-image",
                    {
                        "pod": facts.name,
                        "namespace": facts.namespace,
                        "container": container,
                        "image": choices[0],
                    },
                ),
            ),
        )
    return None


@fix
def lower_requests(facts: Facts) -> Fix | None:
    corrected = manifest(facts.pod or {})
    for container in corrected["spec"].get("containers") or ():
        container.pop("resources", None)
    return _recreate(
        facts,
        corrected,
        "remove (or lower) the containers' resources.requests that no node can give",
    )


def corrected_command(command: list[str]) -> list[str] | None:
    """The command without what makes it fail: `exit N` (N > 0) and `false` statements of a
    script."""
    if len(command) >= 3 and command[0] in ("sh", "/bin/sh") and command[1] == "-c":
        kept = [
            s.strip()
            for s in re.split(r";|&&|\n", command[2])
            if s.strip() and not _fails(s.strip())
        ]
        script = "; ".join(kept) or "true"
        return None if script == command[2] else [command[0], "-c", script, *command[3:]]
    if command and _fails(" ".join(command)):
        return ["true"]
    return None


def _fails(statement: str) -> bool:
    words = shlex.split(statement) if statement else []
    return bool(words) and (
        words[0] == "false" or (words[0] == "exit" and len(words) > 1 and words[1] not in ("0",))
    )


@fix
def correct_the_command(facts: Facts) -> Fix | None:
    corrected = manifest(facts.pod or {})
    for container in corrected["spec"].get("containers") or ():
        new = corrected_command(list(container.get("command") or []))
        if new is not None:
            container["command"] = new
            return _recreate(
                facts, corrected, f"containers[{container['name']}].command: {json.dumps(new)}"
            )
    return None


@fix
def correct_the_readiness_probe(facts: Facts) -> Fix | None:
    corrected = manifest(facts.pod or {})
    for container in corrected["spec"].get("containers") or ():
        if not container.get("readinessProbe"):
            continue
        listening = checks.listening(facts, container["name"])
        if listening:
            container["readinessProbe"] = {
                "tcpSocket": {"port": min(listening)},
                "periodSeconds": 10,
            }
            change = (
                f"containers[{container['name']}].readinessProbe: tcpSocket on port "
                f"{min(listening)}, where it listens"
            )
        else:
            del container["readinessProbe"]
            change = (
                f"containers[{container['name']}].readinessProbe: remove the probe that "
                "never succeeds"
            )
        return _recreate(facts, corrected, change)
    return None


@fix
def declare_the_listening_port(facts: Facts) -> Fix | None:
    corrected = manifest(facts.pod or {})
    for container in corrected["spec"].get("containers") or ():
        listening = checks.listening(facts, container["name"])
        if not listening:
            continue
        for port in container.get("ports") or ():
            if port.get("containerPort") not in listening:
                old, port["containerPort"] = port["containerPort"], min(listening)
                return _recreate(
                    facts,
                    corrected,
                    f"containers[{container['name']}].ports: containerPort {old} -> "
                    f"{port['containerPort']}",
                )
    return None


@fix
def map_the_service_port(facts: Facts) -> Fix | None:
    listening = checks.all_listening(facts)
    if not listening:
        return None
    for service in checks.selecting_services(facts):
        ports = [dict(p) for p in (service.get("spec") or {}).get("ports") or ()]
        changed = False
        for port in ports:
            if checks.target_port(facts, port.get("targetPort", port.get("port"))) not in listening:
                port["targetPort"] = min(listening)
                changed = True
        if changed:
            name = objects.name_of(service)
            patch = {
                "spec": {
                    "ports": [
                        {k: p[k] for k in ("port", "targetPort", "protocol") if k in p}
                        for p in ports
                    ]
                }
            }
            return Fix(
                (f"kubectl patch service {name} -p '{json.dumps(patch, separators=(',', ':'))}'",),
                (
                    Step(
                        "patch",
                        {
                            "resource": "services",
                            "name": name,
                            "namespace": facts.namespace,
                            "patch": patch,
                        },
                    ),
                ),
            )
    return None


@fix
def restart_the_kubelet(facts: Facts) -> Fix | None:
    node = str(facts.spec.get("nodeName", ""))
    return Fix(
        (f"systemctl restart kubelet   # on {node}; then: kubectl get node {node}",),
        (Step("restart-kubelet", {"node": node}),),
    )
