"""Load the spec and build its machines against the engine: the one place names are resolved.

`load` reads and validates the YAML (`spec.loading`), then resolves every name the spec uses
against the engine: guards and actions of each machine, each watch's handlers, each condition
rule's guard, each scheduler plugin and kubelet admission check, and each flow step's `match`
(its kind of act and the attributes it tests, against what the emitters declare in
`actions.EMITTED`). A name the engine lacks is a `SpecError` naming the file, YAML path and line,
raised before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from listwatch import actions, paths
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.watchcache import WatchCache
from listwatch.client.informer import Informer
from listwatch.components.controller_manager import ControllerManager
from listwatch.components.cronjob import CronJobController
from listwatch.components.daemonset import DaemonSetController
from listwatch.components.deployment import DeploymentController
from listwatch.components.disruption import Disruption
from listwatch.components.garbagecollector import GarbageCollector
from listwatch.components.job import JobController
from listwatch.components.kubelet import Kubelet
from listwatch.components.kubelet.admission import CHECKS as KUBELET_CHECKS
from listwatch.components.kubelet.containers import Containers
from listwatch.components.kubelet.status import Status
from listwatch.components.namespaces import NamespaceController
from listwatch.components.nodelifecycle import NodeLifecycle
from listwatch.components.replication import Replication
from listwatch.components.scheduler import FILTERS, SCORES, Scheduler
from listwatch.components.serviceaccounts import ServiceAccounts
from listwatch.components.statefulset import StatefulSetController
from listwatch.errors import SpecError
from listwatch.machines import building
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import ACTION, CONDITIONS, GUARD, WATCHES, Parts, Registry
from listwatch.spec import loading
from listwatch.spec.model import Origin, Spec, TreeNode
from listwatch.store.watch import WatchableStore
from listwatch.troubleshoot import diagnose as troubleshooting

#: Who implements the callbacks each `owner` in the spec names: per machine, for a component built
#: from parts (each machine's callbacks live on the part that runs it), else one class.
OWNERS: Mapping[str, Parts | type] = {
    "etcd": WatchableStore,
    "apiserver": APIServer,
    "watch-cache": WatchCache,
    "reflector": Informer,
    "controller-manager": Parts(
        default=ControllerManager,
        machines={
            "replication": Replication,
            "node-lifecycle": NodeLifecycle,
            "disruption": Disruption,
            "garbage-collection": GarbageCollector,
            "namespace-deletion": NamespaceController,
            "service-accounts": ServiceAccounts,
            "deployment": DeploymentController,
            "job": JobController,
            "cronjob": CronJobController,
            "daemonset": DaemonSetController,
            "statefulset": StatefulSetController,
        },
    ),
    "scheduler": Scheduler,
    "kubelet": Parts(
        default=Kubelet,
        machines={"container": Containers, "pod-phase": Status},
        conditions=Status,
    ),
}
KUBELET_ADMISSION_CHECKS = frozenset(KUBELET_CHECKS)


@dataclass(frozen=True)
class Engine:
    """A loaded spec with its machines built: everything a cluster needs to run it."""

    spec: Spec
    machines: Mapping[str, Machine]


def load(spec_dir: str | Path | None = None) -> Engine:
    spec = loading.load(spec_dir or paths.spec_dir())
    registry = Registry(OWNERS)
    machines = building.build(spec, registry)
    check_names(spec, registry)
    return Engine(spec, machines)


def check_names(spec: Spec, registry: Registry) -> None:
    """Resolve the names outside machines: watch handlers, condition guards, plugins, checks,
    and the kinds and attributes the flow's steps match."""
    check_matches(spec, actions.EMITTED)
    for component in spec.components.values():
        for watch in component.watches:
            for kind, name in watch.handlers.items():
                registry.resolve(
                    component.name, WATCHES, name, ACTION, watch.origin, f"handlers.{kind}"
                )
    for obj in spec.objects.values():
        for condition in obj.conditions:
            for i, rule in enumerate(condition.rules):
                if rule.when:
                    registry.resolve(
                        condition.owner,
                        CONDITIONS,
                        rule.when,
                        GUARD,
                        condition.origin,
                        f"rules[{i}].when",
                    )
    if "scheduler" in spec.components:
        scheduler = spec.components["scheduler"]
        for key, known in (("filters", FILTERS), ("scores", SCORES)):
            for i, entry in enumerate(scheduler.settings.get(key, ())):
                if entry.get("plugin") not in known:
                    _unknown(
                        scheduler.origin,
                        f"settings.{key}[{i}].plugin",
                        f"a {key[:-1]} plugin ({', '.join(sorted(known))}), found "
                        f"{entry.get('plugin')!r}",
                    )
    if spec.troubleshooting is not None:
        troubleshooting.check_names(spec.troubleshooting, _tree_error)
    if "kubelet" in spec.components:
        kubelet = spec.components["kubelet"]
        for i, entry in enumerate(kubelet.settings.get("admission", ())):
            if entry.get("check") not in KUBELET_ADMISSION_CHECKS:
                _unknown(
                    kubelet.origin,
                    f"settings.admission[{i}].check",
                    f"an admission check ({', '.join(sorted(KUBELET_ADMISSION_CHECKS))}), found "
                    f"{entry.get('check')!r}",
                )


def check_matches(spec: Spec, kinds: Mapping[str, actions.Kind]) -> None:
    """Every step's `match` names a kind of act the engine emits, and only attributes that kind
    carries: a misspelt key would otherwise match nothing, and the step would silently never
    show."""
    known = ", ".join(sorted(kinds))
    for step in spec.flow.steps:
        name = step.match.get("action")
        kind = kinds.get(name) if isinstance(name, str) else None
        if kind is None:
            _unknown(step.origin, "match.action", f"a kind of act ({known}), found {name!r}")
        for key in step.match:
            if key not in kind.keys:
                _unknown(
                    step.origin,
                    f"match.{key}",
                    f"an attribute that acts of kind {name!r} carry "
                    f"({', '.join(sorted(kind.keys))}), found {key!r}",
                )


def _tree_error(node: TreeNode, path: str, expected: str) -> SpecError:
    if node.origin is None:
        return SpecError("spec", path, f"expected {expected}")
    full, line = node.origin.locate(path)
    return SpecError(node.origin.file, full, f"unknown name: expected {expected}", line=line)


def _unknown(origin: Origin | None, path: str, expected: str) -> NoReturn:
    if origin is None:
        raise SpecError("spec", path, f"expected {expected}")
    full, line = origin.locate(path)
    raise SpecError(origin.file, full, f"expected {expected}", line=line)
