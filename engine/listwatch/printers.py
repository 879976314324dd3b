"""kubectl's output, from API objects: `get pods [-o wide]`, `get nodes [--show-labels]`,
`get events`, and `describe pod`, laid out as kubectl v1.32 lays them out (its server-side
printers for the columns, Go's tabwriter for the alignment, HumanDuration for ages).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.kinds import events as event_kinds
from listwatch.clock import parse_rfc3339

Obj = Mapping[str, Any]


# -- layout ----------------------------------------------------------------------------------------


def tabwrite(lines: Sequence[str], *, minwidth: int = 0, padding: int = 2) -> str:
    """Go's text/tabwriter: cells end at a tab; each column of a block of lines is aligned.

    A column block is a run of consecutive lines that all have a cell in that column; the text after
    a line's last tab is not a cell and is never padded.
    """
    rows = [line.split("\t") for line in lines]
    widths: list[list[int]] = [[0] * (len(r) - 1) for r in rows]

    def format_column(start: int, end: int, column: int) -> None:
        line = start
        while line < end:
            if len(rows[line]) - 1 <= column:
                line += 1
                continue
            block_end = line
            while block_end < end and len(rows[block_end]) - 1 > column:
                block_end += 1
            width = max(
                max(len(rows[i][column]) for i in range(line, block_end)) + padding, minwidth
            )
            for i in range(line, block_end):
                widths[i][column] = width
            format_column(line, block_end, column + 1)
            line = block_end

    format_column(0, len(rows), 0)
    out = []
    for row, w in zip(rows, widths, strict=True):
        out.append("".join(cell.ljust(w[i]) for i, cell in enumerate(row[:-1])) + row[-1])
    return "\n".join(out) + ("\n" if out else "")


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """kubectl's table printer: upper-case headers, columns padded by 3, at least 6 wide."""
    lines = ["\t".join(headers)] + ["\t".join(r) for r in rows]
    return tabwrite(lines, minwidth=6, padding=3)


def parse_time(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    return parse_rfc3339(stamp)


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration, as kubectl prints ages."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    s = int(seconds)
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if days < 730:
        return f"{days}d"
    years = days // 365
    if years < 8:
        rest = days % 365
        return f"{years}y{rest}d" if rest else f"{years}y"
    return f"{years}y"


def age(stamp: str | None, now: datetime) -> str:
    when = parse_time(stamp)
    return "<unknown>" if when is None else human_duration((now - when).total_seconds())


# -- pods ------------------------------------------------------------------------------------------


def pod_status(pod: Obj) -> str:
    """The STATUS column of `kubectl get pods` (printPod)."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase", "")
    has_running = False
    for c in reversed(status.get("containerStatuses") or []):
        state = c.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            term = state["terminated"]
            reason = term.get("reason") or (
                f"Signal:{term['signal']}"
                if term.get("signal")
                else f"ExitCode:{term.get('exitCode')}"
            )
        elif c.get("ready") and "running" in state:
            has_running = True
    if reason == "Completed" and has_running:
        ready = (objects.condition(pod, "Ready") or {}).get("status") == "True"
        reason = "Running" if ready else "NotReady"
    if objects.meta(pod).get("deletionTimestamp"):
        # Since v1.31 (kubernetes#122038) a pod being deleted that has reached a terminal phase
        # shows that phase's status (Completed, Error), not Terminating.
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif status.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"
    return str(reason)


def pod_restarts(pod: Obj, now: datetime) -> str:
    restarts = 0
    last: datetime | None = None
    for c in (pod.get("status") or {}).get("containerStatuses") or []:
        restarts += c.get("restartCount", 0)
        finished = parse_time(
            ((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        )
        if finished is not None and (last is None or finished > last):
            last = finished
    if restarts and last is not None:
        return f"{restarts} ({human_duration((now - last).total_seconds())} ago)"
    return str(restarts)


POD_COLUMNS = ("NAME", "READY", "STATUS", "RESTARTS", "AGE")
POD_WIDE_COLUMNS = ("IP", "NODE", "NOMINATED NODE", "READINESS GATES")


def pod_row(pod: Obj, now: datetime) -> list[str]:
    """One pod's cells as the server-side printer (printPod) makes them: the default columns,
    then the `-o wide` ones (IP, NODE, NOMINATED NODE, READINESS GATES)."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    total = len(spec.get("containers") or [])
    ready = sum(1 for c in statuses if c.get("ready") and "running" in (c.get("state") or {}))
    ips = status.get("podIPs") or []
    return [
        objects.name_of(pod),
        f"{ready}/{total}",
        pod_status(pod),
        pod_restarts(pod, now),
        age(objects.meta(pod).get("creationTimestamp"), now),
        ips[0]["ip"] if ips else status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        _readiness_gates(pod),
    ]


def _readiness_gates(pod: Obj) -> str:
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    if not gates:
        return "<none>"
    ready = sum(
        1
        for g in gates
        if (objects.condition(pod, g.get("conditionType", "")) or {}).get("status") == "True"
    )
    return f"{ready}/{len(gates)}"


def get_pods(pods: Iterable[Obj], now: datetime, *, wide: bool = False) -> str:
    headers = [*POD_COLUMNS, *(POD_WIDE_COLUMNS if wide else ())]
    return table(headers, (pod_row(pod, now)[: len(headers)] for pod in pods))


# -- nodes -----------------------------------------------------------------------------------------


def format_labels(labels: Mapping[str, str] | None) -> str:
    if not labels:
        return "<none>"
    return ",".join(sorted(f"{k}={v}" for k, v in labels.items()))


def node_status(node: Obj) -> str:
    ready = objects.condition(node, "Ready")
    text = (
        "Unknown" if ready is None else ("Ready" if ready.get("status") == "True" else "NotReady")
    )
    if (node.get("spec") or {}).get("unschedulable"):
        text += ",SchedulingDisabled"
    return text


def node_roles(node: Obj) -> str:
    roles = set()
    for key, value in objects.labels_of(node).items():
        if key.startswith("node-role.kubernetes.io/"):
            roles.add(key.partition("/")[2])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) or "<none>"


NODE_COLUMNS = ("NAME", "STATUS", "ROLES", "AGE", "VERSION")
NODE_WIDE_COLUMNS = (
    "INTERNAL-IP",
    "EXTERNAL-IP",
    "OS-IMAGE",
    "KERNEL-VERSION",
    "CONTAINER-RUNTIME",
)


def node_row(node: Obj, now: datetime) -> list[str]:
    """One node's cells as printNode makes them: the default columns, then the `-o wide` ones."""
    info = (node.get("status") or {}).get("nodeInfo") or {}
    addresses = {
        a.get("type"): a.get("address") for a in (node.get("status") or {}).get("addresses") or []
    }
    return [
        objects.name_of(node),
        node_status(node),
        node_roles(node),
        age(objects.meta(node).get("creationTimestamp"), now),
        info.get("kubeletVersion", ""),
        addresses.get("InternalIP") or "<none>",
        addresses.get("ExternalIP") or "<none>",
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def get_nodes(
    nodes: Iterable[Obj], now: datetime, *, show_labels: bool = False, wide: bool = False
) -> str:
    headers = [*NODE_COLUMNS, *(NODE_WIDE_COLUMNS if wide else ())]
    rows = []
    for node in nodes:
        row = node_row(node, now)[: len(headers)]
        if show_labels:
            row.append(format_labels(objects.labels_of(node)))
        rows.append(row)
    return table([*headers, *(["LABELS"] if show_labels else [])], rows)


def label_selector(selector: Mapping[str, Any]) -> str:
    """metav1.FormatLabelSelector: the requirements sorted by key (`k=v`, `k in (a,b)`,
    `k notin (a)`, `k`, `!k`), or `<none>`."""
    found: list[tuple[str, str]] = [
        (k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()
    ]
    for e in selector.get("matchExpressions") or []:
        key, op, values = e.get("key", ""), e.get("operator", ""), sorted(e.get("values") or [])
        text = {
            "In": f"{key} in ({','.join(values)})",
            "NotIn": f"{key} notin ({','.join(values)})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(op, "<error>")
        found.append((key, text))
    return ",".join(text for _, text in sorted(found, key=lambda f: f[0])) or "<none>"


# -- services --------------------------------------------------------------------------------------


def _service_external_ip(service: Obj) -> str:
    """getServiceExternalIP, wide (the server prints wide: no truncated load-balancer list)."""
    spec = service.get("spec") or {}
    external = [str(ip) for ip in spec.get("externalIPs") or []]
    kind = spec.get("type", "")
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if kind == "LoadBalancer":
        ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        balancers = [str(i.get("ip") or i.get("hostname") or "") for i in ingress]
        balancers = [b for b in balancers if b]
        return ",".join([*balancers, *external]) or "<pending>"
    if kind == "ExternalName":
        return str(spec.get("externalName", ""))
    return "<unknown>"


def _service_ports(ports: Iterable[Mapping[str, Any]]) -> str:
    """makePortString: `port/protocol`, or `port:nodePort/protocol`."""
    pieces = []
    for p in ports:
        node_port = p.get("nodePort") or 0
        middle = f":{node_port}" if node_port > 0 else ""
        pieces.append(f"{p.get('port')}{middle}/{p.get('protocol', '')}")
    return ",".join(pieces) or "<none>"


def service_row(service: Obj, now: datetime) -> list[str | int]:
    """One service's cells as printService makes them: NAME, TYPE, CLUSTER-IP, EXTERNAL-IP,
    PORT(S), AGE, then the wide SELECTOR."""
    spec = service.get("spec") or {}
    cluster_ips = spec.get("clusterIPs") or []
    return [
        objects.name_of(service),
        str(spec.get("type", "")),
        str(cluster_ips[0]) if cluster_ips else "<none>",
        _service_external_ip(service),
        _service_ports(spec.get("ports") or []),
        age(objects.meta(service).get("creationTimestamp"), now),
        format_labels(spec.get("selector")),
    ]


# -- events ----------------------------------------------------------------------------------------


def event_source(event: Obj) -> str:
    return (event.get("source") or {}).get("component") or event.get("reportingComponent") or ""


def _event_first(event: Obj) -> str | None:
    return event.get("eventTime") or event.get("firstTimestamp")


def sort_events(events: Iterable[Obj]) -> list[Obj]:
    """kubectl sorts by lastTimestamp; events written through events/v1 (the scheduler's) have
    none, so they sort first, as `kubectl describe` shows them. Events read through
    events.k8s.io/v1 come back in their core/v1 form."""
    never = datetime.min.replace(tzinfo=UTC)
    core = [event_kinds.as_core(e) for e in events]
    return sorted(core, key=lambda e: parse_time(e.get("lastTimestamp")) or never)


def event_age(event: Obj, now: datetime) -> str:
    first = age(_event_first(event), now)
    series = event.get("series")
    if series:
        return f"{age(series.get('lastObservedTime'), now)} (x{series.get('count')} over {first})"
    if (event.get("count") or 1) > 1:
        return f"{age(event.get('lastTimestamp'), now)} (x{event['count']} over {first})"
    return first


EVENT_COLUMNS = ("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE")
EVENT_WIDE_COLUMNS = ("SUBOBJECT", "SOURCE", "FIRST SEEN", "COUNT", "NAME")


def event_row(event: Obj, now: datetime) -> list[str | int]:
    """One event's cells as printEvent makes them for the wide table, in its column order:
    LAST SEEN, TYPE, REASON, OBJECT, SUBOBJECT, SOURCE, MESSAGE, FIRST SEEN, COUNT, NAME."""
    event = event_kinds.as_core(event)
    first = (
        age(event.get("firstTimestamp"), now)
        if event.get("firstTimestamp")
        else age(event.get("eventTime"), now)
    )
    last = age(event.get("lastTimestamp"), now) if event.get("lastTimestamp") else first
    count = event.get("count") or 0
    series = event.get("series")
    if series:
        last = age(series.get("lastObservedTime"), now)
        count = series.get("count") or 0
    elif count == 0:
        count = 1  # singleton events written through events/v1 have no count
    involved = event.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    return [
        last,
        event.get("type", ""),
        event.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        event_source_detail(event),
        str(event.get("message", "")).strip(),
        first,
        int(count),
        objects.name_of(event),
    ]


def event_source_detail(event: Obj) -> str:
    """formatEventSource: `component, host` (or the reporting controller and instance)."""
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""
    host = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {host}" if host else str(component)


def get_events(events: Iterable[Obj], now: datetime) -> str:
    rows = []
    for e in sort_events(events):
        cells = event_row(e, now)
        rows.append([str(cells[0]), str(cells[1]), str(cells[2]), str(cells[3]), str(cells[6])])
    return table(list(EVENT_COLUMNS), rows)


def events_section(events: Sequence[Obj], now: datetime) -> list[str]:
    if not events:
        return ["Events:\t<none>"]
    lines = ["Events:", "  Type\tReason\tAge\tFrom\tMessage", "  ----\t------\t----\t----\t-------"]
    for e in sort_events(events):
        message = str(e.get("message", "")).strip()
        lines.append(
            f"  {e.get('type', '')}\t{e.get('reason', '')}\t{event_age(e, now)}\t"
            f"{event_source(e)}\t{message}"
        )
    return lines


# -- describe pod ----------------------------------------------------------------------------------


def _rfc1123z(stamp: str | None) -> str:
    when = parse_time(stamp)
    return when.strftime("%a, %d %b %Y %H:%M:%S +0000") if when else ""


def _container_state(prefix: str, state: Mapping[str, Any]) -> list[str]:
    lines = []
    if "running" in state:
        lines.append(f"    {prefix}:\tRunning")
        lines.append(f"      Started:\t{_rfc1123z(state['running'].get('startedAt'))}")
    elif "waiting" in state:
        lines.append(f"    {prefix}:\tWaiting")
        lines.append(f"      Reason:\t{state['waiting'].get('reason', '')}")
        if state["waiting"].get("message"):
            lines.append(f"      Message:\t{state['waiting']['message']}")
    elif "terminated" in state:
        t = state["terminated"]
        lines.append(f"    {prefix}:\tTerminated")
        lines.append(f"      Reason:\t{t.get('reason', '')}")
        if t.get("message"):
            lines.append(f"      Message:\t{t['message']}")
        lines.append(f"      Exit Code:\t{t.get('exitCode')}")
        lines.append(f"      Started:\t{_rfc1123z(t.get('startedAt'))}")
        lines.append(f"      Finished:\t{_rfc1123z(t.get('finishedAt'))}")
    return lines


def _toleration(t: Mapping[str, Any]) -> str:
    text = t.get("key", "")
    if t.get("value"):
        text += f"={t['value']}"
    if t.get("effect"):
        text += f":{t['effect']}"
    if t.get("operator") == "Exists" and not t.get("value"):
        text += " op=Exists"
    if t.get("tolerationSeconds") is not None:
        text += f" for {t['tolerationSeconds']}s"
    return str(text)


def describe_pod(pod: Obj, events: Sequence[Obj], now: datetime) -> str:
    meta = objects.meta(pod)
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    lines = [f"Name:\t{meta.get('name', '')}", f"Namespace:\t{meta.get('namespace', '')}"]
    if spec.get("priority") is not None:
        lines.append(f"Priority:\t{spec['priority']}")
    if spec.get("priorityClassName"):
        lines.append(f"Priority Class Name:\t{spec['priorityClassName']}")
    if spec.get("serviceAccountName"):
        lines.append(f"Service Account:\t{spec['serviceAccountName']}")
    node = spec.get("nodeName")
    shown = f"{node}/{status['hostIP']}" if node and status.get("hostIP") else node or "<none>"
    lines.append(f"Node:\t{shown}")
    if status.get("startTime"):
        lines.append(f"Start Time:\t{_rfc1123z(status['startTime'])}")
    labels = sorted(f"{k}={v}" for k, v in (meta.get("labels") or {}).items())
    lines.append(f"Labels:\t{labels[0] if labels else '<none>'}")
    lines.extend(f"\t{label}" for label in labels[1:])
    annotations = sorted(
        f"{k}: {v}"
        for k, v in (meta.get("annotations") or {}).items()
        if k != "kubectl.kubernetes.io/last-applied-configuration"
    )
    lines.append(f"Annotations:\t{annotations[0] if annotations else '<none>'}")
    lines.extend(f"\t{a}" for a in annotations[1:])
    if meta.get("deletionTimestamp"):
        lines.append(f"Status:\tTerminating (lasts {age(meta['deletionTimestamp'], now)})")
        lines.append(f"Termination Grace Period:\t{meta.get('deletionGracePeriodSeconds', 0)}s")
    else:
        lines.append(f"Status:\t{status.get('phase', '')}")
    if status.get("reason"):
        lines.append(f"Reason:\t{status['reason']}")
    if status.get("message"):
        lines.append(f"Message:\t{status['message']}")
    lines.append(f"IP:\t{status.get('podIP', '')}")
    ips = status.get("podIPs") or []
    if ips:
        lines.append("IPs:")
        lines.extend(f"  IP:\t{ip['ip']}" for ip in ips)
    else:
        lines.append("IPs:\t<none>")
    controller = objects.controller_of(pod)
    if controller is not None:
        lines.append(f"Controlled By:\t{controller.get('kind')}/{controller.get('name')}")
    if status.get("nominatedNodeName"):
        lines.append(f"NominatedNodeName:\t{status['nominatedNodeName']}")
    lines.append("Containers:")
    statuses = {c.get("name"): c for c in status.get("containerStatuses") or []}
    for c in spec.get("containers") or []:
        cs = statuses.get(c.get("name"))
        lines.append(f"  {c.get('name')}:")
        if cs and cs.get("containerID"):
            lines.append(f"    Container ID:\t{cs['containerID']}")
        lines.append(f"    Image:\t{c.get('image', '')}")
        if cs is not None:
            lines.append(f"    Image ID:\t{cs.get('imageID', '')}")
        ports = c.get("ports") or []
        if ports:
            lines.append(
                f"    Port:\t{ports[0].get('containerPort')}/{ports[0].get('protocol', 'TCP')}"
            )
            lines.append(
                f"    Host Port:\t{ports[0].get('hostPort', 0)}/{ports[0].get('protocol', 'TCP')}"
            )
        else:
            lines.append("    Port:\t<none>")
            lines.append("    Host Port:\t<none>")
        if c.get("command"):
            lines.append("    Command:")
            lines.extend(f"      {part}" for part in c["command"])
        if c.get("args"):
            lines.append("    Args:")
            lines.extend(f"      {part}" for part in c["args"])
        if cs is not None:
            lines.extend(_container_state("State", cs.get("state") or {}))
            if (cs.get("lastState") or {}).get("terminated"):
                lines.extend(_container_state("Last State", cs["lastState"]))
            lines.append(f"    Ready:\t{'True' if cs.get('ready') else 'False'}")
            lines.append(f"    Restart Count:\t{cs.get('restartCount', 0)}")
        env = c.get("env") or []
        if env:
            lines.append("    Environment:")
            lines.extend(f"      {e.get('name')}:\t{e.get('value', '')}" for e in env)
        else:
            lines.append("    Environment:\t<none>")
        mounts = c.get("volumeMounts") or []
        if mounts:
            lines.append("    Mounts:")
            lines.extend(
                f"      {m.get('mountPath')} from {m.get('name')} "
                f"({'ro' if m.get('readOnly') else 'rw'})"
                for m in mounts
            )
        else:
            lines.append("    Mounts:\t<none>")
    conditions = status.get("conditions") or []
    if conditions:
        lines.append("Conditions:")
        lines.append("  Type\tStatus")
        lines.extend(f"  {c.get('type')} \t{c.get('status')} " for c in conditions)
    volumes = spec.get("volumes") or []
    if volumes:
        lines.append("Volumes:")
        for v in volumes:
            lines.append(f"  {v.get('name')}:")
            projected = v.get("projected")
            if projected is not None:
                sources = projected.get("sources") or []
                token: Mapping[str, Any] = next(
                    (s["serviceAccountToken"] for s in sources if "serviceAccountToken" in s), {}
                )
                config: Mapping[str, Any] = next(
                    (s["configMap"] for s in sources if "configMap" in s), {}
                )
                lines.append(
                    "    Type:\tProjected (a volume that contains injected data from multiple "
                    "sources)"
                )
                lines.append(f"    TokenExpirationSeconds:\t{token.get('expirationSeconds', '')}")
                lines.append(f"    ConfigMapName:\t{config.get('name', '')}")
                lines.append("    ConfigMapOptional:\t<nil>")
                downward = any("downwardAPI" in s for s in sources)
                lines.append(f"    DownwardAPI:\t{'true' if downward else 'false'}")
            elif "emptyDir" in v:
                lines.append(
                    "    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)"
                )
    else:
        lines.append("Volumes:\t<none>")
    lines.append(f"QoS Class:\t{status.get('qosClass', 'BestEffort')}")
    selector = sorted(f"{k}={v}" for k, v in (spec.get("nodeSelector") or {}).items())
    lines.append(f"Node-Selectors:\t{','.join(selector) if selector else '<none>'}")
    tolerations = sorted((spec.get("tolerations") or []), key=lambda t: t.get("key", ""))
    lines.append(f"Tolerations:\t{_toleration(tolerations[0]) if tolerations else '<none>'}")
    lines.extend(f"\t{_toleration(t)}" for t in tolerations[1:])
    lines.extend(events_section(events, now))
    return tabwrite(lines)
