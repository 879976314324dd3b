"""The resources one API server serves: the built-in table, and those its CRDs add.

The built-in resources are the same for every server (`resources.SERVED`); custom resources come
and go with CustomResourceDefinitions, so each API server keeps its own registry. Routing,
discovery, OpenAPI and tables read this registry; `generation` counts its changes, so that what
is made from it (discovery documents) can be made again when it changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from listwatch.apiserver import crds, objects
from listwatch.apiserver.fields import FieldErrors, validate_meta
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.resources import GROUP_VERSIONS, RESOURCES, SERVED, Resource, resource_for
from listwatch.apiserver.strategies import Conversion

_BY_NAME: dict[str, Resource] = {
    **RESOURCES,
    **{r.kind: r for r in RESOURCES.values()},
    **{r.qualified: r for r in RESOURCES.values()},
}
_BY_PATH: dict[tuple[str, str, str], Resource] = {(r.group, r.version, r.plural): r for r in SERVED}


class Registry:
    """The built-in resources and the custom resources of the established CRDs."""

    def __init__(self) -> None:
        #: The resources of each CRD by the CRD's name; the storage version's first.
        self._crds: dict[str, tuple[Resource, ...]] = {}
        self.generation = 0

    def lookup(self, name: str) -> Resource | None:
        """A stored resource by plural, kind or short name (built-in), or by `plural.group`."""
        found = _BY_NAME.get(name) or resource_for(name)
        if found is not None:
            return found
        for served in self._crds.values():
            if served and served[0].ref == name:
                return served[0]
        return None

    def by_path(self, group: str, version: str, plural: str) -> Resource | None:
        found = _BY_PATH.get((group, version, plural))
        if found is not None:
            return found
        for served in self._crds.values():
            for r in served:
                if (r.group, r.version, r.plural) == (group, version, plural):
                    return r
        return None

    def served(self) -> tuple[Resource, ...]:
        """Every served resource: the built-in ones, then each custom version."""
        return (*SERVED, *(r for served in self._crds.values() for r in served))

    def stored(self) -> tuple[Resource, ...]:
        """One resource per storage: the built-in stored ones, then each CRD's storage version."""
        return (*RESOURCES.values(), *(served[0] for served in self._crds.values() if served))

    def group_versions(self) -> list[tuple[str, str]]:
        """The group versions served: the built-in ones in kube-apiserver's order, then the
        custom ones (CRDs' groups come last, by name, as the aggregator orders them)."""
        custom = sorted({(r.group, r.version) for s in self._crds.values() for r in s})
        return [*GROUP_VERSIONS, *(gv for gv in custom if gv not in GROUP_VERSIONS)]

    def establish(self, crd: Mapping[str, Any]) -> tuple[Resource, ...]:
        """Serve the CRD's versions (again, if it changed); return their resources."""
        resources = tuple(custom_resources(crd))
        name = objects.name_of(crd)
        if [_shape(r) for r in self._crds.get(name, ())] != [_shape(r) for r in resources]:
            # replaced, not changed in place: the served API's threads read it meanwhile
            self._crds = {**self._crds, name: resources}
            self.generation += 1
        return resources

    def forget(self, name: str) -> None:
        if name in self._crds:
            self._crds = {k: v for k, v in self._crds.items() if k != name}
            self.generation += 1

    def established(self, name: str) -> tuple[Resource, ...]:
        return self._crds.get(name, ())

    def crd_names(self) -> Iterable[str]:
        return tuple(self._crds)


def _shape(resource: Resource) -> tuple[Any, ...]:
    """What tells two servings of a CRD apart (their hooks are new functions each time)."""
    return (
        resource.api_version,
        resource.plural,
        resource.kind,
        resource.namespaced,
        resource.short_names,
        resource.categories,
        resource.subresources,
        resource.custom,
    )


def custom_resources(crd: Mapping[str, Any]) -> list[Resource]:
    """The resources of a CRD's served versions, the storage version's first; the others read
    and write its storage with their own apiVersion (conversion strategy None)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    namespaced = spec.get("scope") == "Namespaced"
    out = []
    for served in crds.served_versions(crd):
        api_version = f"{served.group}/{served.version}"
        conversion = None
        if served.version != served.storage_version:
            conversion = _relabel(api_version, f"{served.group}/{served.storage_version}")
        out.append(
            Resource(
                names["plural"],
                names["kind"],
                api_version,
                namespaced,
                short_names=tuple(names.get("shortNames") or ()),
                singular=names.get("singular") or names["kind"].lower(),
                fields=frozenset(
                    {"metadata.name", "metadata.namespace"} if namespaced else {"metadata.name"}
                ),
                subresources=frozenset(
                    ({"status"} if served.status else set())
                    | ({"scale"} if served.scale else set())
                ),
                categories=served.categories,
                defaults=_generation,
                validate=_validator(served, namespaced),
                on_write=_defaulter(served),
                conversion=conversion,
                custom=served,
            )
        )
    return out


def _relabel(served: str, stored: str) -> Conversion:
    def from_storage(obj: Obj) -> Obj:
        return {**obj, "apiVersion": served}

    def to_storage(obj: Obj) -> Obj:
        return {**obj, "apiVersion": stored}

    return Conversion(from_storage, to_storage, {"metadata.name": "metadata.name"})


def _generation(obj: Obj, ctx: Any) -> Obj:
    """A custom object starts at generation 1, as every object of a CRD does."""
    return {**obj, "metadata": {**obj["metadata"], "generation": 1}}


def _validator(served: crds.Served, namespaced: bool) -> Any:
    def validate(obj: Obj) -> FieldErrors:
        return [
            *validate_meta(obj, namespaced=namespaced),
            *crds.schema_problems(served.schema, obj),
        ]

    return validate


def _defaulter(served: crds.Served) -> Any:
    def on_write(obj: Obj) -> Obj:
        defaulted: Obj = crds.with_defaults(served.schema, obj)
        return defaulted

    return on_write
