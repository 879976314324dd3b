"""The questions the troubleshooting tree asks: named checks over what a client can read of a pod.

Each is a predicate over `Facts`; the tree in spec/troubleshooting.yaml names them in `check:`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from listwatch.apiserver import objects
from listwatch.rules import affinity, selectors
from listwatch.troubleshoot.facts import Facts

Check = Callable[[Facts], bool]
CHECKS: dict[str, Check] = {}


def check(fn: Check) -> Check:
    CHECKS[fn.__name__] = fn
    return fn


@check
def pod_exists(facts: Facts) -> bool:
    return facts.pod is not None


@check
def node_unreachable(facts: Facts) -> bool:
    if facts.phase == "Unknown":
        return True
    node = facts.node(str(facts.spec.get("nodeName", "")))
    return node is not None and (objects.condition(node, "Ready") or {}).get("status") == "Unknown"


@check
def phase_pending(facts: Facts) -> bool:
    return facts.phase == "Pending"


@check
def phase_failed(facts: Facts) -> bool:
    return facts.phase == "Failed"


@check
def phase_succeeded(facts: Facts) -> bool:
    return facts.phase == "Succeeded"


@check
def bound(facts: Facts) -> bool:
    return bool(facts.spec.get("nodeName"))


@check
def scheduling_failed(facts: Facts) -> bool:
    return (objects.condition(facts.pod or {}, "PodScheduled") or {}).get("status") == "False"


@check
def a_node_matches_selector(facts: Facts) -> bool:
    return any(affinity.fits_node(facts.pod or {}, node) for node in facts.nodes)


@check
def node_exists(facts: Facts) -> bool:
    return facts.node(str(facts.spec.get("nodeName", ""))) is not None


@check
def images_pullable(facts: Facts) -> bool:
    if any(reason in facts.pull_failures for reason in facts.waiting_reasons().values()):
        return False
    return not (
        facts.phase == "Failed"
        and any(e.get("message") == "Error: ErrImagePull" for e in facts.events_with("Failed"))
    )


@check
def rejected_by_kubelet(facts: Facts) -> bool:
    """Failed at admission: a reason on the pod, and no container ever created."""
    return (
        bool(facts.status.get("reason"))
        and not facts.container_statuses()
        and facts.phase == "Failed"
    )


@check
def crash_looping(facts: Facts) -> bool:
    return "CrashLoopBackOff" in facts.waiting_reasons().values()


@check
def ready(facts: Facts) -> bool:
    return (objects.condition(facts.pod or {}, "Ready") or {}).get("status") == "True"


def declared_ports(facts: Facts) -> list[tuple[str, int]]:
    return [
        (c["name"], int(p["containerPort"]))
        for c in facts.spec.get("containers") or ()
        for p in c.get("ports") or ()
        if "containerPort" in p
    ]


@check
def answers_from_node(facts: Facts) -> bool:
    """Each declared containerPort answers, tried from the pod's node (the tutorial's "on the node,
    try its internal address"; through an API, the pods proxy). A port that cannot be tried counts
    as answering: nothing is known against it."""
    return all(facts.answers(port) is not False for _, port in declared_ports(facts))


def selecting_services(facts: Facts) -> list[Mapping[str, Any]]:
    labels = objects.labels_of(facts.pod or {})
    return [
        s
        for s in facts.services
        if (sel := (s.get("spec") or {}).get("selector"))
        and selectors.from_map(sel).matches(labels)
    ]


def target_port(facts: Facts, target: Any) -> int | None:
    """A Service's targetPort as a number: a named one is looked up in the pod's containers."""
    if isinstance(target, int):
        return target
    for c in facts.spec.get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("name") == target:
                return int(p["containerPort"])
    return None


def service_targets(facts: Facts) -> list[int | None]:
    """The targetPort of every port of every Service in front of the pod (None: a name the pod
    lacks)."""
    return [
        target_port(facts, port.get("targetPort", port.get("port")))
        for service in selecting_services(facts)
        for port in (service.get("spec") or {}).get("ports") or ()
    ]


@check
def service_ports_map(facts: Facts) -> bool:
    """Every port of every Service in front of the pod leads to a port the pod answers on."""
    return all(
        target is not None and facts.answers(target) is not False
        for target in service_targets(facts)
    )


def probe_ports(facts: Facts) -> list[int]:
    """The numeric ports of the containers' probes (httpGet, tcpSocket)."""
    found = []
    for c in facts.spec.get("containers") or ():
        for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
            for action in ("httpGet", "tcpSocket"):
                port = ((c.get(kind) or {}).get(action) or {}).get("port")
                if isinstance(port, int):
                    found.append(port)
    return found


def tried_ports(facts: Facts) -> list[int]:
    """The ports tried from the node to find where the pod answers: those its manifest and its
    Services name, and the spec's triedPorts."""
    named = [port for _, port in declared_ports(facts)] + probe_ports(facts)
    for service in selecting_services(facts):
        for port in (service.get("spec") or {}).get("ports") or ():
            named.append(port.get("port"))
    named += [t for t in service_targets(facts) if t is not None]
    return sorted({p for p in [*named, *facts.tried_ports] if isinstance(p, int)})


def answering(facts: Facts) -> frozenset[int] | None:
    """The tried ports the pod answers on; None when none could be tried."""
    answers = {port: facts.answers(port) for port in tried_ports(facts)}
    if all(a is None for a in answers.values()):
        return None
    return frozenset(port for port, a in answers.items() if a)


def listening(facts: Facts, container: str) -> frozenset[int] | None:
    """Where a container listens: seen inside it where the source can look, else where the pod
    answers, tried from its node (the pod's containers share its network); None if neither works."""
    seen = facts.source.listening(facts.pod or {}, container)
    return seen if seen is not None else answering(facts)


def all_listening(facts: Facts) -> frozenset[int] | None:
    """Where any of the pod's containers listens (see `listening`)."""
    found: set[int] = set()
    for c in facts.spec.get("containers") or ():
        ports = listening(facts, c["name"])
        if ports is None:
            return None
        found |= ports
    return frozenset(found)
