"""The resource types the API server serves: names, keys, selectable fields, subresources, and
the defaults and validation each kind gets on a write.

The table is data, `spec/api/resources.yaml` (an `APIResources` document of the spec, checked
against its schema like the others); `listwatch.apiserver.strategies` turns each entry's
declarations and named strategy into the hooks the API server calls.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from listwatch import paths
from listwatch.apiserver import strategies
from listwatch.apiserver.crds import Served
from listwatch.apiserver.fields import FieldErrors
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.strategies import Conversion, Default, Immutable
from listwatch.spec.loading import SCHEMA_FILE, SchemaValidator
from listwatch.spec.yamlread import parse_yaml, read_file

#: The verbs of a resource that declares none.
ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
#: The table, under the spec directory.
TABLE = "api/resources.yaml"
#: The fields a field selector may name on a kind that declares none
#: (DefaultMetaV1FieldSelectorConversion).
_FIELDS = ("metadata.name", "metadata.namespace")


@dataclass(frozen=True)
class Resource:
    """How the API server treats one resource type."""

    plural: str
    kind: str
    api_version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    singular: str = ""
    fields: frozenset[str] = frozenset({"metadata.name", "metadata.namespace"})
    #: The subresources served under an object's path (status, scale, binding, ...).
    subresources: frozenset[str] = frozenset()
    #: The categories `kubectl get CATEGORY` lists it under (`all`).
    categories: tuple[str, ...] = ()
    #: Defaults applied on a create (what the kind's PrepareForCreate sets).
    defaults: Callable[[Obj, Any], Obj] | None = None
    validate: Callable[[Obj], FieldErrors] | None = None
    #: Validation of an update (old, new), where the kind has rules of its own for one (fields
    #: that are immutable); `validate` otherwise.
    validate_update: Callable[[Obj, Obj], FieldErrors] | None = None
    #: Defaults applied on every write of the object (create, update, patch), as kube-apiserver
    #: defaults every object it decodes; `defaults` runs on create only.
    on_write: Callable[[Obj], Obj] | None = None
    verbs: tuple[str, ...] = ALL_VERBS
    #: The official client's model of the kind when its name is not `V1<Kind>`/`CoreV1<Kind>`.
    model: str = ""
    #: Set when this is another version of a stored resource of the same plural (see Conversion).
    conversion: Conversion | None = None
    #: The kind's own say over an update (strategies.Strategy.prepare_update).
    prepare_update: Callable[..., Obj] | None = None
    #: What a CustomResourceDefinition declares of a custom resource (None: a built-in kind).
    custom: Served | None = None
    #: Not stored: each read asks the API server for the objects (componentstatuses).
    computed: bool = False
    #: The minor release that deprecated the kind ("1.19"): every request gets a Warning.
    deprecated: str = ""

    @property
    def deprecation(self) -> str:
        """The Warning kube-apiserver adds to every request of a deprecated kind, or ""."""
        if not self.deprecated:
            return ""
        return f"{self.api_version} {self.kind} is deprecated in v{self.deprecated}+"

    @property
    def ref(self) -> str:
        """The name the API server finds the resource by: its plural, or for a custom resource
        `plural.group` (a CRD may reuse a built-in plural in its own group)."""
        return self.qualified if self.custom is not None else self.plural

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def qualified(self) -> str:
        """The resource as kube-apiserver names it in messages (GroupResource.String()):
        `pods`, `replicasets.apps`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def details(self, name: str) -> dict[str, object]:
        """The StatusDetails of an error about the object `name` (NewNotFound, NewConflict...)."""
        return {"name": name, "group": self.group, "kind": self.plural}

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def _root(self) -> str:
        """Where its objects are kept: `/registry/pods`, or for a custom resource
        `/registry/example.com/widgets` (as kube-apiserver keeps them in etcd)."""
        if self.custom is not None:
            return f"/registry/{self.group}/{self.plural}"
        return f"/registry/{self.plural}"

    def key(self, namespace: str, name: str) -> str:
        if self.namespaced:
            return f"{self._root}/{namespace}/{name}"
        return f"{self._root}/{name}"

    def prefix(self, namespace: str | None) -> str:
        if self.namespaced and namespace:
            return f"{self._root}/{namespace}/"
        return f"{self._root}/"


def _resource(entry: Mapping[str, Any], api_version: str) -> Resource:
    namespaced = bool(entry.get("namespaced", True))
    strategy = strategies.NAMED[entry["strategy"]] if "strategy" in entry else strategies.Strategy()
    hooks = strategies.generic(
        namespaced=namespaced,
        strategy=strategy,
        defaults=[
            Default(d["path"], d["value"], d.get("when", {})) for d in entry.get("defaults", ())
        ],
        pod_template=entry.get("podTemplate", ""),
        generation=bool(entry.get("generation", False)),
        status=entry.get("status"),
        names=entry.get("names", "subdomain"),
        immutable=[
            Immutable(i) if isinstance(i, str) else Immutable(i["path"], i["forbidden"])
            for i in entry.get("immutable", ())
        ],
    )
    conversion = strategy.conversion
    fields = conversion.field_labels if conversion else entry.get("fields", _FIELDS)
    return Resource(
        entry["plural"],
        entry["kind"],
        api_version,
        namespaced,
        short_names=tuple(entry.get("shortNames", ())),
        singular=entry["kind"].lower(),
        fields=frozenset(fields),
        subresources=frozenset(entry.get("subresources", ())),
        categories=tuple(entry.get("categories", ())),
        defaults=hooks.defaults,
        validate=hooks.validate,
        validate_update=hooks.validate_update,
        on_write=hooks.on_write,
        verbs=tuple(entry.get("verbs", ALL_VERBS)),
        model=entry.get("model", ""),
        conversion=conversion,
        prepare_update=strategy.prepare_update,
        computed=bool(entry.get("computed", False)),
        deprecated=entry.get("deprecated", ""),
    )


@dataclass(frozen=True)
class Priority:
    """Where a group version stands among the others: its APIService's groupPriorityMinimum
    (the group's place under /apis) and versionPriority (the version's place in its group)."""

    group: int
    version: int


def load_table(root: Path) -> tuple[Resource, ...]:
    """Every resource of the table under the spec directory `root`, in its order; a table that
    breaks the spec's schema is a SpecError naming its file, line and path."""
    return _load(root)[0]


def _load(root: Path) -> tuple[tuple[Resource, ...], dict[tuple[str, str], Priority]]:
    display = f"{root.name}/{TABLE}"
    (doc,) = parse_yaml(display, read_file(root / TABLE, display=display))
    SchemaValidator.from_file(root / SCHEMA_FILE).validate(doc)
    table = []
    priorities = {}
    for i, group in enumerate(doc.data["groups"]):
        for j, entry in enumerate(group["resources"]):
            strategy = entry.get("strategy")
            if strategy is not None and strategy not in strategies.NAMED:
                named = ", ".join(strategies.NAMED)
                raise doc.error(
                    f"groups[{i}].resources[{j}].strategy",
                    f"expected one of the named strategies ({named}), found {strategy!r}",
                )
            table.append(_resource(entry, group["groupVersion"]))
        group_name, _, version = group["groupVersion"].rpartition("/")
        priorities[group_name, version] = Priority(**group["priority"])
    return tuple(table), priorities


@functools.cache
def _loaded() -> tuple[tuple[Resource, ...], dict[tuple[str, str], Priority]]:
    return _load(paths.spec_dir())


def _table() -> tuple[Resource, ...]:
    return _loaded()[0]


RESOURCES: dict[str, Resource] = {r.plural: r for r in _table() if r.conversion is None}

KINDS: dict[str, Resource] = {r.kind: r for r in RESOURCES.values()}

#: Resources served in another group version over the storage of one in RESOURCES (same plural).
ALTERNATES: tuple[Resource, ...] = tuple(r for r in _table() if r.conversion is not None)

#: The group versions served, in the table's order (the order of /apis).
GROUP_VERSIONS: tuple[tuple[str, str], ...] = tuple(
    dict.fromkeys((r.group, r.version) for r in _table())
)

#: Each built-in group version's priority (the aggregator's), in the table's order.
PRIORITIES: dict[tuple[str, str], Priority] = _loaded()[1]

#: Every served resource: the stored ones, then their other versions.
SERVED: tuple[Resource, ...] = (*RESOURCES.values(), *ALTERNATES)


def resource_for(name: str) -> Resource | None:
    """Find a resource by plural, singular, short name or kind (as kubectl accepts them)."""
    lowered = name.lower()
    for r in RESOURCES.values():
        if lowered in (r.plural, r.singular, r.kind.lower()) or lowered in r.short_names:
            return r
    return None
