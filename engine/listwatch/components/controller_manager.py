"""kube-controller-manager: one component owning its controllers, each a separate object.

- `replication` (`listwatch.components.replication`): the replication manager and the replicaset
  controller; it runs the spec's `replication` machine.
- `node_lifecycle` (`listwatch.components.nodelifecycle`): the node lifecycle controller, with the
  taint eviction controller's part; it runs the spec's `node-lifecycle` machine.
- `disruption` (`listwatch.components.disruption`): the disruption controller, which keeps each
  PodDisruptionBudget's status; it runs the spec's `disruption` machine.
- `garbage_collector` (`listwatch.components.garbagecollector`): deletes dependents whose owners
  are gone, orphans or deletes in the foreground; it runs the spec's `garbage-collection` machine.
- `namespaces` (`listwatch.components.namespaces`): empties and finalizes a namespace being
  deleted; it runs the spec's `namespace-deletion` machine.
- `service_accounts` (`listwatch.components.serviceaccounts`): the `default` ServiceAccount of
  every namespace; it runs the spec's `service-accounts` machine.
- `deployments` (`listwatch.components.deployment`, its rules in `revisions`): the deployment
  controller, which rolls each Deployment out through its ReplicaSets; it runs the spec's
  `deployment` machine.
- `jobs` (`listwatch.components.job`): the job controller, which runs each Job's pods to
  completion; it runs the spec's `job` machine.
- `cronjobs` (`listwatch.components.cronjob`): the cronjob controller, which starts each
  CronJob's Jobs on its schedule; it runs the spec's `cronjob` machine.
- `daemonsets` (`listwatch.components.daemonset`, its rules in `rules.daemonsets`): the daemonset
  controller, which runs a pod of each DaemonSet on every node that fits it; it runs the spec's
  `daemonset` machine.
- `statefulsets` (`listwatch.components.statefulset`, its rules in `statefulpods`): the
  statefulset controller, which runs each StatefulSet's pods in order; it runs the spec's
  `statefulset` machine.

The controller manager opens the spec's watches and hands each event to the controller it
concerns; the controllers share no state, only the API and the pod watch's cache (read through
`pods_on`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.components.base import Component
from listwatch.components.cronjob import CronJobController
from listwatch.components.daemonset import DaemonSetController
from listwatch.components.deployment import DeploymentController
from listwatch.components.disruption import Disruption
from listwatch.components.events import EventRecorder
from listwatch.components.garbagecollector import GarbageCollector
from listwatch.components.job import JobController
from listwatch.components.namespaces import NamespaceController
from listwatch.components.nodelifecycle import NodeLifecycle
from listwatch.components.replication import Replication
from listwatch.components.serviceaccounts import ServiceAccounts
from listwatch.components.statefulset import StatefulSetController
from listwatch.machines.callbacks import action


class ControllerManager(Component):
    """kube-controller-manager: the replication manager, the replicaset controller, the node
    lifecycle controller, the disruption controller, the garbage collector, the namespace and
    serviceaccount controllers, the deployment, job, cronjob, daemonset and statefulset
    controllers."""

    name = "controller-manager"

    def __init__(self, *, disabled: Iterable[str] = (), **kwargs: Any) -> None:
        """`disabled` names controllers (the spec's `controllers`) left out: another program
        does their work."""
        super().__init__(**kwargs)
        controllers: Mapping[str, Mapping[str, Any]] = self.settings["controllers"]
        unknown = sorted(set(disabled) - set(controllers))
        if unknown:
            raise ValueError(
                f"no controller {', '.join(unknown)} in the controller manager "
                f"(its controllers: {', '.join(controllers)})"
            )
        self.enabled = frozenset(controllers) - set(disabled)
        recorders = {
            kind: EventRecorder(
                self.api, component=source, actor=self.actor, templates=self.definition.events
            )
            for kind, source in self.settings["sources"].items()
        }
        self.replication = Replication(
            api=self.api,
            loop=self.loop,
            actor=self.actor,
            act=self.act,
            machine=self.machines["replication"],
            recorders=recorders,
            burst=int(self.settings["burstReplicas"]),
            kinds=frozenset(
                str(c["kind"])
                for name, c in controllers.items()
                if "kind" in c and name in self.enabled
            ),
            failures=self.failures,
        )
        self.node_lifecycle = NodeLifecycle(
            api=self.api,
            loop=self.loop,
            actor=self.actor,
            settings=self.settings,
            machine=self.machines["node-lifecycle"],
            recorders=recorders,
            pods_on=self._pods_on,
            set_pod_condition=self.set_pod_condition,
        )
        if self._on("node-lifecycle-controller"):
            self.node_lifecycle.start()
        self.disruption = Disruption(
            api=self.api,
            loop=self.loop,
            actor=self.actor,
            settings=self.settings,
            machine=self.machines["disruption"],
            recorders=recorders,
            pods=self._pods,
        )
        self.garbage_collector = GarbageCollector(
            api=self.api,
            loop=self.loop,
            machine=self.machines["garbage-collection"],
            failures=self.failures,
        )
        self.namespaces = NamespaceController(
            api=self.api,
            loop=self.loop,
            machine=self.machines["namespace-deletion"],
            settings=self.settings["namespaceDeletion"],
        )
        self.service_accounts = ServiceAccounts(
            api=self.api,
            loop=self.loop,
            machine=self.machines["service-accounts"],
            settings=self.settings["serviceAccounts"],
        )
        self.jobs = JobController(
            api=self.api,
            loop=self.loop,
            actor=self.actor,
            act=self.act,
            machine=self.machines["job"],
            recorder=recorders["Job"],
            settings=self.settings["jobs"],
            burst=int(self.settings["burstReplicas"]),
            failures=self.failures,
        )
        self.cronjobs = CronJobController(
            api=self.api,
            loop=self.loop,
            actor=self.actor,
            machine=self.machines["cronjob"],
            recorder=recorders["CronJob"],
            failures=self.failures,
        )

        self.deployments = DeploymentController(
            api=self.api,
            loop=self.loop,
            actor=self.actor,
            act=self.act,
            machine=self.machines["deployment"],
            recorder=recorders["Deployment"],
            pods=self._pods,
            failures=self.failures,
        )
        self.daemonsets = DaemonSetController(
            api=self.api,
            loop=self.loop,
            actor=self.actor,
            act=self.act,
            machine=self.machines["daemonset"],
            recorder=recorders["DaemonSet"],
            settings=self.settings["daemonSets"],
            nodes=self._nodes,
            burst=int(self.settings["burstReplicas"]),
            failures=self.failures,
        )
        self.statefulsets = StatefulSetController(
            api=self.api,
            loop=self.loop,
            actor=self.actor,
            act=self.act,
            machine=self.machines["statefulset"],
            recorder=recorders["StatefulSet"],
            failures=self.failures,
        )

    def _on(self, controller: str) -> bool:
        return controller in self.enabled

    def _pod_seen(self, event: InformerEvent) -> None:
        if self._on("daemonset-controller"):
            self.daemonsets.pod_changed(event)
        if self._on("job-controller"):
            self.jobs.pod_changed(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.observed(event)
        if self._on("disruption-controller"):
            self.disruption.pod_changed(event)
        if self._on("statefulset-controller"):
            self.statefulsets.pod_changed(event)

    def _pods(self) -> list[Obj]:
        informer = self.informers.get("pods")
        return list(informer.cache.values()) if informer is not None else []

    def _nodes(self) -> list[Obj]:
        informer = self.informers.get("nodes")
        return list(informer.cache.values()) if informer is not None else []

    def _pods_on(self, node: str) -> list[Obj]:
        informer = self.informers.get("pods")
        pods = informer.cache.values() if informer is not None else ()
        return [p for p in pods if (p.get("spec") or {}).get("nodeName") == node]

    # -- watch handlers: each event to its controller ----------------------------------------------

    @action
    def controller_changed(self, event: InformerEvent) -> None:
        self.replication.controller_changed(event)
        if self._on("deployment-controller") and event.object.get("kind") == "ReplicaSet":
            self.deployments.replica_set_changed(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.observed(event)

    @action
    def controller_deleted(self, event: InformerEvent) -> None:
        self.replication.controller_deleted(event)
        if self._on("deployment-controller") and event.object.get("kind") == "ReplicaSet":
            self.deployments.replica_set_deleted(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.forgotten(event)

    @action
    def pod_added(self, event: InformerEvent) -> None:
        self.replication.pod_added(event)
        self._pod_seen(event)

    @action
    def pod_updated(self, event: InformerEvent) -> None:
        self.replication.pod_updated(event)
        self._pod_seen(event)

    @action
    def pod_deleted(self, event: InformerEvent) -> None:
        self.replication.pod_deleted(event)
        if self._on("deployment-controller"):
            self.deployments.pod_deleted(event)
        if self._on("job-controller"):
            self.jobs.pod_deleted(event)
        if self._on("daemonset-controller"):
            self.daemonsets.pod_deleted(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.forgotten(event)
        if self._on("disruption-controller"):
            self.disruption.pod_changed(event)
        if self._on("statefulset-controller"):
            self.statefulsets.pod_deleted(event)

    @action
    def deployment_changed(self, event: InformerEvent) -> None:
        if self._on("deployment-controller"):
            self.deployments.deployment_changed(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.observed(event)

    @action
    def deployment_deleted(self, event: InformerEvent) -> None:
        if self._on("deployment-controller"):
            self.deployments.deployment_deleted(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.forgotten(event)

    @action
    def namespace_changed(self, event: InformerEvent) -> None:
        if self._on("namespace-controller"):
            self.namespaces.namespace_changed(event)
        if self._on("serviceaccount-controller"):
            self.service_accounts.namespace_changed(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.observed(event)

    @action
    def namespace_deleted(self, event: InformerEvent) -> None:
        if self._on("namespace-controller"):
            self.namespaces.namespace_deleted(event)
        if self._on("serviceaccount-controller"):
            self.service_accounts.namespace_deleted(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.forgotten(event)

    @action
    def account_changed(self, event: InformerEvent) -> None:
        if self._on("garbage-collector-controller"):
            self.garbage_collector.observed(event)

    @action
    def account_deleted(self, event: InformerEvent) -> None:
        if self._on("serviceaccount-controller"):
            self.service_accounts.account_deleted(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.forgotten(event)

    @action
    def budget_changed(self, event: InformerEvent) -> None:
        if self._on("disruption-controller"):
            self.disruption.budget_changed(event)

    @action
    def budget_deleted(self, event: InformerEvent) -> None:
        if self._on("disruption-controller"):
            self.disruption.budget_deleted(event)

    @action
    def node_observed(self, event: InformerEvent) -> None:
        if self._on("node-lifecycle-controller"):
            self.node_lifecycle.node_observed(event)
        if self._on("daemonset-controller"):
            self.daemonsets.node_changed(event)

    @action
    def node_forgotten(self, event: InformerEvent) -> None:
        if self._on("node-lifecycle-controller"):
            self.node_lifecycle.node_forgotten(event)
        if self._on("daemonset-controller"):
            self.daemonsets.node_changed(event)

    @action
    def job_changed(self, event: InformerEvent) -> None:
        if self._on("job-controller"):
            self.jobs.job_changed(event)
        if self._on("cronjob-controller"):
            self.cronjobs.job_changed(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.observed(event)

    @action
    def job_deleted(self, event: InformerEvent) -> None:
        if self._on("job-controller"):
            self.jobs.job_deleted(event)
        if self._on("cronjob-controller"):
            self.cronjobs.job_deleted(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.forgotten(event)

    @action
    def cronjob_changed(self, event: InformerEvent) -> None:
        if self._on("cronjob-controller"):
            self.cronjobs.cronjob_changed(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.observed(event)

    @action
    def cronjob_deleted(self, event: InformerEvent) -> None:
        if self._on("cronjob-controller"):
            self.cronjobs.cronjob_deleted(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.forgotten(event)

    @action
    def daemonset_changed(self, event: InformerEvent) -> None:
        if self._on("daemonset-controller"):
            self.daemonsets.daemonset_changed(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.observed(event)

    @action
    def statefulset_changed(self, event: InformerEvent) -> None:
        if self._on("statefulset-controller"):
            self.statefulsets.statefulset_changed(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.observed(event)

    @action
    def daemonset_deleted(self, event: InformerEvent) -> None:
        if self._on("daemonset-controller"):
            self.daemonsets.daemonset_deleted(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.forgotten(event)

    @action
    def statefulset_deleted(self, event: InformerEvent) -> None:
        if self._on("statefulset-controller"):
            self.statefulsets.statefulset_deleted(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.forgotten(event)

    @action
    def revision_changed(self, event: InformerEvent) -> None:
        if self._on("daemonset-controller"):
            self.daemonsets.revision_changed(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.observed(event)

    @action
    def revision_deleted(self, event: InformerEvent) -> None:
        if self._on("daemonset-controller"):
            self.daemonsets.revision_deleted(event)
        if self._on("garbage-collector-controller"):
            self.garbage_collector.forgotten(event)
