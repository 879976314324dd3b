"""ComponentStatuses (v1, deprecated since 1.19): kube-apiserver's answer to "are the control
plane's parts healthy", made on each read by probing them and never stored.

kube-apiserver probes kube-scheduler and kube-controller-manager at their secure ports' /healthz
and its etcd servers through the storage backend; a part that answers is Healthy with the
answer as its message ("ok"), one that does not is Unhealthy with the probe's error. Here the
probe is whether the part runs in this cluster: one left out (a custom scheduler replacing the
default one) is refused as a port nobody listens on would be.
"""

from __future__ import annotations

from collections.abc import Collection

from listwatch.apiserver.objects import Obj

#: The parts kube-apiserver probes over HTTP, with the address it asks (their secure ports).
PROBED = {
    "scheduler": ("127.0.0.1", 10259),
    "controller-manager": ("127.0.0.1", 10257),
}
#: The storage backend's name for its first (here only) etcd server.
ETCD = "etcd-0"


def statuses(running: Collection[str]) -> list[Obj]:
    """The ComponentStatus of each part, given the names of those that run."""
    items = []
    for name, (host, port) in PROBED.items():
        if name in running:
            condition = _healthy()
        else:  # the prober's error, status Unknown (probe.Unknown): kubectl shows Unhealthy
            condition = {
                "type": "Healthy",
                "status": "Unknown",
                "error": f'Get "https://{host}:{port}/healthz": dial tcp {host}:{port}: '
                "connect: connection refused",
            }
        items.append(_status(name, condition))
    items.append(_status(ETCD, _healthy()))
    return items


def _healthy() -> dict[str, str]:
    return {"type": "Healthy", "status": "True", "message": "ok"}


def _status(name: str, condition: dict[str, str]) -> Obj:
    return {
        "kind": "ComponentStatus",
        "apiVersion": "v1",
        "metadata": {"name": name, "creationTimestamp": None},
        "conditions": [condition],
    }
