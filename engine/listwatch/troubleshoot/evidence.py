"""What a finding shows as evidence: named readers of conditions, events, labels, states and logs.

Each returns lines of text a user can check against `kubectl describe`, `kubectl get` or `kubectl
logs`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from listwatch.apiserver import objects
from listwatch.printers import format_labels
from listwatch.troubleshoot import checks, images
from listwatch.troubleshoot.facts import Facts

Evidence = Callable[[Facts], list[str]]
EVIDENCE: dict[str, Evidence] = {}
LOG_LINES = 5


def evidence(fn: Evidence) -> Evidence:
    EVIDENCE[fn.__name__] = fn
    return fn


def _condition(obj: Mapping[str, Any], type_: str, owner: str = "condition") -> list[str]:
    c = objects.condition(obj, type_)
    if c is None:
        return [f"{owner} {type_}: not reported"]
    reason = f" ({c['reason']})" if c.get("reason") else ""
    message = f": {c['message']}" if c.get("message") else ""
    return [f"{owner} {type_}={c.get('status')}{reason}{message}"]


def _events(facts: Facts, *reasons: str) -> list[str]:
    found = facts.events_with(*reasons)
    return [f"event {e.get('type')} {e.get('reason')}: {e.get('message')}" for e in found] or [
        f"no {'/'.join(reasons)} event"
    ]


@evidence
def pod_scheduled_condition(facts: Facts) -> list[str]:
    return _condition(facts.pod or {}, "PodScheduled")


@evidence
def ready_condition(facts: Facts) -> list[str]:
    return _condition(facts.pod or {}, "Ready")


@evidence
def failed_scheduling_event(facts: Facts) -> list[str]:
    return _events(facts, "FailedScheduling")


@evidence
def wanted_labels(facts: Facts) -> list[str]:
    return [f"the pod's nodeSelector wants: {format_labels(facts.spec.get('nodeSelector'))}"]


@evidence
def node_labels(facts: Facts) -> list[str]:
    return [
        f"node {objects.name_of(n)} has: {format_labels(objects.labels_of(n))}"
        for n in sorted(facts.nodes, key=objects.name_of)
    ]


@evidence
def named_node(facts: Facts) -> list[str]:
    return [f"the pod names the node {facts.spec.get('nodeName')!r} (spec.nodeName)"]


@evidence
def node_names(facts: Facts) -> list[str]:
    return [
        f"the nodes are: {', '.join(sorted(objects.name_of(n) for n in facts.nodes)) or 'none'}"
    ]


@evidence
def named_node_labels(facts: Facts) -> list[str]:
    node = facts.node(str(facts.spec.get("nodeName", "")))
    return [
        f"node {facts.spec.get('nodeName')} has: "
        f"{format_labels(objects.labels_of(node)) if node else '(no such node)'}"
    ]


@evidence
def waiting_reasons(facts: Facts) -> list[str]:
    lines = []
    for status in facts.container_statuses():
        waiting = (status.get("state") or {}).get("waiting")
        if waiting:
            message = f": {waiting['message']}" if waiting.get("message") else ""
            lines.append(
                f"container {status['name']} ({status.get('image')}) waiting: "
                f"{waiting.get('reason')}{message}"
            )
    return lines or ["no container is waiting"]


@evidence
def failed_pull_events(facts: Facts) -> list[str]:
    return [
        line
        for line in _events(facts, "Failed", "BackOff")
        if "image" in line.lower() or "Err" in line
    ]


@evidence
def node_images(facts: Facts) -> list[str]:
    lines = []
    for c in facts.spec.get("containers") or ():
        found = images.same_repository(facts.nodes, c.get("image", ""))
        lines.append(
            f"images of {c.get('image')}'s repository the nodes have (status.images): "
            f"{', '.join(found) if found else 'none'}"
        )
    return lines


@evidence
def pod_status_reason(facts: Facts) -> list[str]:
    return [
        f"status: phase {facts.phase}, reason {facts.status.get('reason')}: "
        f"{facts.status.get('message')}"
    ]


@evidence
def rejection_event(facts: Facts) -> list[str]:
    reason = str(facts.status.get("reason", ""))
    return _events(facts, reason) if reason else ["no rejection event"]


def _terminated(status: Mapping[str, Any]) -> Mapping[str, Any]:
    state = status.get("state") or {}
    return state.get("terminated") or (status.get("lastState") or {}).get("terminated") or {}


@evidence
def terminated_states(facts: Facts) -> list[str]:
    lines = []
    for status in facts.container_statuses():
        ended = _terminated(status)
        if ended:
            lines.append(
                f"container {status['name']} terminated: exit code {ended.get('exitCode')}, "
                f"reason {ended.get('reason')}"
            )
    return lines or ["no container has terminated"]


@evidence
def crash_states(facts: Facts) -> list[str]:
    lines = []
    for status in facts.container_statuses():
        waiting = (status.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") == "CrashLoopBackOff":
            ended = _terminated(status)
            lines.append(
                f"container {status['name']}: CrashLoopBackOff ({waiting.get('message', '')}); "
                f"{status.get('restartCount', 0)} restarts; last exit code "
                f"{ended.get('exitCode')} ({ended.get('reason')})"
            )
    return lines


@evidence
def back_off_events(facts: Facts) -> list[str]:
    return _events(facts, "BackOff")


@evidence
def last_log_lines(facts: Facts) -> list[str]:
    lines = []
    statuses = {s["name"]: s for s in facts.container_statuses()}
    for c in facts.spec.get("containers") or ():
        # What the last instance that ended wrote: once restarted and running again, that is the
        # previous one.
        status = statuses.get(c["name"]) or {}
        previous = "running" in (status.get("state") or {}) and bool(
            (status.get("lastState") or {}).get("terminated")
        )
        text = facts.source.logs(facts.pod or {}, c["name"], tail=LOG_LINES, previous=previous)
        if text is None:
            lines.append(f"logs of {c['name']}: not available from this source")
            continue
        shown = text.rstrip("\n").splitlines()
        command = f"kubectl logs {facts.name} -c {c['name']}" + (" --previous" if previous else "")
        lines.append(f"last {len(shown)} log lines of {c['name']} ({command}):")
        lines.extend(f"  | {line}" for line in shown)
    return lines


@evidence
def readiness_probe_events(facts: Facts) -> list[str]:
    probes = [
        f"container {c['name']} readinessProbe: {dict(c['readinessProbe'])}"
        for c in facts.spec.get("containers") or ()
        if c.get("readinessProbe")
    ]
    return probes + _events(facts, "Unhealthy")


@evidence
def declared_ports(facts: Facts) -> list[str]:
    return [
        f"container {name} declares containerPort {port}"
        for name, port in checks.declared_ports(facts)
    ] or ["no containerPort declared"]


@evidence
def listening_ports(facts: Facts) -> list[str]:
    """Where the containers listen: seen inside each where the source can look, else where the pod
    answers, tried from its node through the API server's pods proxy."""
    lines = []
    for c in facts.spec.get("containers") or ():
        ports = facts.source.listening(facts.pod or {}, c["name"])
        if ports is not None:
            lines.append(
                f"inside container {c['name']} (kubectl exec -it {facts.name} -c {c['name']} -- "
                f"netstat -ltn), listening: {_ports(ports)}"
            )
    if lines or not facts.spec.get("containers"):
        return lines
    found = checks.answering(facts)
    tried = ", ".join(map(str, checks.tried_ports(facts)))
    where = f"kubectl get --raw /api/v1/namespaces/{facts.namespace}/pods/{facts.name}:PORT/proxy/"
    shown = (
        "cannot be told from this source (the pod cannot be tried)"
        if found is None
        else _ports(found)
    )
    return [f"pod {facts.name} tried from its node ({where}) on ports {tried}, listening: {shown}"]


def _ports(ports: frozenset[int]) -> str:
    return ", ".join(map(str, sorted(ports))) or "nothing"


@evidence
def service_ports(facts: Facts) -> list[str]:
    lines = []
    for service in checks.selecting_services(facts):
        for port in (service.get("spec") or {}).get("ports") or ():
            lines.append(
                f"service {objects.name_of(service)} maps port {port.get('port')} to targetPort "
                f"{port.get('targetPort')}"
            )
    return lines or ["no Service selects the pod"]


@evidence
def node_ready_condition(facts: Facts) -> list[str]:
    node = facts.node(str(facts.spec.get("nodeName", "")))
    lines = _condition(node or {}, "Ready", owner=f"node {facts.spec.get('nodeName')} condition")
    if node is not None:
        ready = objects.condition(node, "Ready") or {}
        lines.append(
            f"node {objects.name_of(node)} last heartbeat: {ready.get('lastHeartbeatTime')}"
        )
        taints = [
            f"{t.get('key')}:{t.get('effect')}"
            for t in (node.get("spec") or {}).get("taints") or ()
        ]
        if taints:
            lines.append(f"node {objects.name_of(node)} taints: {', '.join(taints)}")
    return lines + _condition(facts.pod or {}, "Ready", owner="pod condition")


@evidence
def node_not_ready_events(facts: Facts) -> list[str]:
    return _events(facts, "NodeNotReady")
