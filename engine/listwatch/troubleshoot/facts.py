"""What a diagnosis reads about a pod, from any source: an in-process cluster or a Kubernetes API.

`Source` is the seam: the pod, its events, the nodes (with the images each reports in
status.images), the services, a container's logs, what a container listens on (seen inside it),
and whether the pod answers on a port (tried from its node). A source that cannot tell (through an
API, what a container listens on cannot be seen) answers None, and the checks that need it say so
in the evidence, or find out another way, rather than guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj


class Source(Protocol):
    def pod(self, name: str, namespace: str) -> Obj | None: ...

    def events_for(self, pod: Obj) -> list[Obj]: ...

    def nodes(self) -> list[Obj]: ...

    def services(self, namespace: str) -> list[Obj]: ...

    def logs(self, pod: Obj, container: str, *, tail: int, previous: bool = False) -> str | None:
        """The container's last `tail` log lines (with `previous`, its instance before the last
        restart's), as `kubectl logs` reads them; None when this source cannot read them."""
        ...

    def listening(self, pod: Obj, container: str) -> frozenset[int] | None:
        """The ports the container listens on, seen inside it (`netstat -ltn`); None when this
        source cannot look inside."""
        ...

    def answers(self, pod: Obj, port: int) -> bool | None:
        """Whether the pod answers on `port`, tried from its node (as the API server's pods proxy
        reaches it); None when it cannot be tried (no pod IP yet)."""
        ...


@dataclass
class Facts:
    """Everything one diagnosis looks at, read once."""

    name: str
    namespace: str
    source: Source
    pod: Obj | None
    events: list[Obj] = field(default_factory=list)
    nodes: list[Obj] = field(default_factory=list)
    services: list[Obj] = field(default_factory=list)
    tried_ports: tuple[int, ...] = ()
    #: The waiting reasons that say the image cannot be had (the spec's, through the tree).
    pull_failures: frozenset[str] = frozenset()
    _answers: dict[int, bool | None] = field(default_factory=dict, repr=False)

    @classmethod
    def read(
        cls,
        source: Source,
        name: str,
        namespace: str,
        tried_ports: tuple[int, ...] = (),
        pull_failures: frozenset[str] = frozenset(),
    ) -> Facts:
        """`tried_ports`: the ports, besides those the pod's manifest and Services name, on which to
        try whether it answers (the spec's triedPorts); `pull_failures`: the waiting reasons that
        say the image cannot be had (the spec's)."""
        pod = source.pod(name, namespace)
        if pod is None:
            return cls(name, namespace, source, None, pull_failures=pull_failures)
        return cls(
            name,
            namespace,
            source,
            pod,
            source.events_for(pod),
            source.nodes(),
            source.services(namespace),
            tried_ports,
            pull_failures,
        )

    # -- conveniences the checks, evidence and fixes share -----------------------------------------

    @property
    def spec(self) -> Mapping[str, Any]:
        return (self.pod or {}).get("spec") or {}

    @property
    def status(self) -> Mapping[str, Any]:
        return (self.pod or {}).get("status") or {}

    @property
    def phase(self) -> str:
        return str(self.status.get("phase", ""))

    def container_statuses(self) -> Sequence[Mapping[str, Any]]:
        return self.status.get("containerStatuses") or ()

    def node(self, name: str) -> Obj | None:
        return next((n for n in self.nodes if objects.name_of(n) == name), None)

    def events_with(self, *reasons: str) -> list[Obj]:
        return [e for e in self.events if e.get("reason") in reasons]

    def answers(self, port: int) -> bool | None:
        """Whether the pod answers on `port` (the source is asked once per port and diagnosis)."""
        if port not in self._answers:
            self._answers[port] = self.source.answers(self.pod or {}, port)
        return self._answers[port]

    def waiting_reasons(self) -> dict[str, str]:
        return {
            s["name"]: (s.get("state") or {}).get("waiting", {}).get("reason", "")
            for s in self.container_statuses()
        }
