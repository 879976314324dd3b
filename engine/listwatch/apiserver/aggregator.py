"""The APIServices kube-aggregator keeps: one per group version the server serves.

kube-aggregator, in front of kube-apiserver, registers each built-in group version as a local
APIService when it starts (autoregister, label `automanaged: onstart`), one for each version a
CustomResourceDefinition serves while any CRD serves it (crdregistration, `automanaged: "true"`,
priority 1000/100), and its availability controller writes each one's Available condition: a
local one is always available; one backed by a Service is not until the Service answers, which
here it never does (listwatch does not proxy to aggregated API servers).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from listwatch import errors
from listwatch.apiserver import crds, objects
from listwatch.apiserver.kinds.apiservices import MAX_GROUP_PRIORITY
from listwatch.apiserver.resources import PRIORITIES, Priority
from listwatch.apiserver.watchcache import WatchEvent

if TYPE_CHECKING:
    from listwatch.apiserver.api import APIServer

RESOURCE = "apiservices"
ACTOR = "kube-aggregator"
MANAGED = "kube-aggregator.kubernetes.io/automanaged"
#: What crdregistration gives every CRD's group version: below every built-in group.
CRD_PRIORITY = Priority(group=1000, version=100)


def api_service(group: str, version: str, priority: Priority, managed: str) -> dict[str, Any]:
    """An APIService as the aggregator's registration controllers create it."""
    spec: dict[str, Any] = {"group": group} if group else {}  # omitempty
    spec |= {
        "version": version,
        "groupPriorityMinimum": priority.group,
        "versionPriority": priority.version,
    }
    return {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": f"{version}.{group}", "labels": {MANAGED: managed}},
        "spec": spec,
    }


def available(api_service: dict[str, Any], services: Any) -> tuple[str, str, str]:
    """The Available condition's status, reason and message for an APIService; `services`
    finds a Service by (namespace, name), or None."""
    service = (api_service.get("spec") or {}).get("service")
    if not service:
        return "True", "Local", "Local APIServices are always available"
    namespace, name = service.get("namespace", ""), service.get("name", "")
    if services(namespace, name) is None:
        return "False", "ServiceNotFound", f'service/{name} in "{namespace}" is not present'
    spec = api_service["spec"]
    url = f"https://{name}.{namespace}.svc:{service.get('port', 443)}"
    return (
        "False",
        "FailedDiscoveryCheck",
        f"failing or missing response from {url}/apis/{spec.get('group', '')}/"
        f"{spec.get('version', '')}: listwatch does not proxy to aggregated API servers",
    )


class Aggregator:
    """Registration and availability of APIServices, for one API server."""

    def __init__(self, api: APIServer) -> None:
        self.api = api
        for (group, version), priority in PRIORITIES.items():
            if priority.group <= MAX_GROUP_PRIORITY:  # apiregistration itself has none
                self._register(api_service(group, version, priority, "onstart"))
        api.watch(RESOURCE, self._api_service_changed, actor=ACTOR, traced=False)
        api.watch(crds.RESOURCE, self._crd_changed, actor=ACTOR, traced=False)

    def _register(self, obj: dict[str, Any]) -> None:
        try:
            self.api.create(RESOURCE, obj, actor=ACTOR)
        except errors.AlreadyExists:
            return
        self._check(objects.name_of(obj))

    def _api_service_changed(self, event: WatchEvent) -> None:
        if event.type != "DELETED" and _shown(available_condition(event.object)) != available(
            event.object, self._service
        ):
            self.api.loop.call_soon(self._check, objects.name_of(event.object))

    def _check(self, name: str) -> None:
        """Write the Available condition the APIService `name` should have, if it differs."""
        try:
            current = self.api.get(RESOURCE, name)
        except errors.NotFound:
            return
        status, reason, message = available(current, self._service)
        kept = available_condition(current)
        if _shown(kept) == (status, reason, message):
            return
        since = kept.get("lastTransitionTime") if kept.get("status") == status else None
        condition = {
            "type": "Available",
            "status": status,
            "lastTransitionTime": since or self.api.loop.stamps.now(),
            "reason": reason,
            "message": message,
        }
        self.api.update_status(
            RESOURCE, {**current, "status": {"conditions": [condition]}}, actor=ACTOR
        )

    def _service(self, namespace: str, name: str) -> Any:
        try:
            return self.api.get("services", name, namespace=namespace)
        except errors.NotFound:
            return None

    def _crd_changed(self, event: WatchEvent) -> None:
        self.api.loop.call_soon(self._sync_crd_versions)

    def _sync_crd_versions(self) -> None:
        """An APIService for each group version some CRD serves, none for one no CRD serves."""
        wanted = {
            (crd["spec"]["group"], version["name"])
            for crd in self.api.list(crds.RESOURCE).items
            for version in crd["spec"].get("versions") or ()
            if version.get("served")
        }
        for group, version in sorted(wanted - set(PRIORITIES)):
            self._register(api_service(group, version, CRD_PRIORITY, "true"))
        for obj in self.api.list(RESOURCE, label_selector=f"{MANAGED}=true").items:
            spec = obj.get("spec") or {}
            if (spec.get("group", ""), spec.get("version", "")) not in wanted:
                with contextlib.suppress(errors.NotFound):  # deleted meanwhile
                    self.api.delete(RESOURCE, objects.name_of(obj), actor=ACTOR)


def available_condition(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An APIService's Available condition, or {} while it has none."""
    for condition in (obj.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Available":
            return dict(condition)
    return {}


def _shown(condition: Mapping[str, Any]) -> tuple[Any, Any, Any] | None:
    """What a condition says (status, reason, message), None for no condition."""
    if not condition:
        return None
    return condition.get("status"), condition.get("reason"), condition.get("message")
