"""The controller manager's serviceaccount controller: every active namespace has its `default`
ServiceAccount.

It owns the spec's `service-accounts` machine: each namespace it watches runs it. As
kube-controller-manager's serviceaccount controller does in v1.32, it looks at a namespace when
the namespace is added or changes and when one of its ServiceAccounts is deleted, and creates
each account the spec names (`default`) that is missing, while the namespace is Active; a create
refused because the namespace is being terminated, or because the account exists, is not an
error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard

ACTOR = "serviceaccount-controller"


class AccountedNamespace:
    """A namespace whose accounts are ensured; `service_accounts` is its machine state."""

    __slots__ = ("dirty", "name", "obj", "service_accounts")

    def __init__(self, obj: Obj) -> None:
        self.obj = obj
        self.name = objects.name_of(obj)
        self.service_accounts = ""
        self.dirty = False


class ServiceAccounts:
    """Creates the `default` ServiceAccount of every namespace, and again when it is deleted."""

    def __init__(
        self, *, api: APIServer, loop: Loop, machine: Machine, settings: Mapping[str, Any]
    ) -> None:
        self.api = api
        self.loop = loop
        self.machine = machine
        #: The names of the accounts every namespace gets (`serviceAccounts` in the spec).
        self.names: tuple[str, ...] = tuple(settings["names"])
        self.namespaces: dict[str, AccountedNamespace] = {}

    # -- events from the controller manager's watches ----------------------------------------------

    def namespace_changed(self, event: InformerEvent) -> None:
        name = objects.name_of(event.object)
        accounted = self.namespaces.get(name)
        if accounted is None:
            accounted = AccountedNamespace(event.object)
            self.machine.start(accounted)
            self.namespaces[name] = accounted
        accounted.obj = event.object
        self._enqueue(accounted)

    def namespace_deleted(self, event: InformerEvent) -> None:
        accounted = self.namespaces.pop(objects.name_of(event.object), None)
        if accounted is not None:
            self.machine.fire(self, accounted, "forget")

    def account_deleted(self, event: InformerEvent) -> None:
        accounted = self.namespaces.get(objects.namespace_of(event.object))
        if accounted is not None and objects.name_of(event.object) in self.names:
            self._enqueue(accounted)

    def _enqueue(self, accounted: AccountedNamespace) -> None:
        if not accounted.dirty:
            accounted.dirty = True
            self.loop.call_soon(self._sync, accounted)

    def _sync(self, accounted: AccountedNamespace) -> None:
        accounted.dirty = False
        if self.namespaces.get(accounted.name) is accounted:
            self.machine.fire(self, accounted, "sync")

    def _missing(self, accounted: AccountedNamespace) -> list[str]:
        missing = []
        for name in self.names:
            try:
                self.api.get("serviceaccounts", name, namespace=accounted.name)
            except errors.NotFound:
                missing.append(name)
        return missing

    # -- the service-accounts machine's callbacks --------------------------------------------------

    @guard
    def namespace_active(self, accounted: AccountedNamespace) -> bool:
        return bool((accounted.obj.get("status") or {}).get("phase", "Active") == "Active")

    @guard
    def accounts_missing(self, accounted: AccountedNamespace) -> bool:
        return bool(self._missing(accounted))

    @action
    def create_accounts(self, accounted: AccountedNamespace) -> None:
        for name in self._missing(accounted):
            with contextlib.suppress(errors.AlreadyExists, errors.Forbidden, errors.NotFound):
                self.api.create(
                    "serviceaccounts",
                    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}},
                    namespace=accounted.name,
                    actor=ACTOR,
                )
