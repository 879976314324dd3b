"""The API server: Kubernetes API semantics over the MVCC store.

Reads (get, list, watch) see committed state; every write runs the spec's `request` machine:
admit (mutate, default), validate, persist under preconditions. Guarantees:
- every committed write gets the next store revision as its resourceVersion;
- an update carrying a resourceVersion that is no longer current is a Conflict (optimistic
  concurrency); a create of an existing name is AlreadyExists; an invalid object is Invalid (422);
- `bind` is one write that sets `spec.nodeName` and `PodScheduled=True`, refused with a Conflict
  when the pod is already bound or is being deleted;
- a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from listwatch import errors
from listwatch.actions import Action, ActionSink, ObjectRef
from listwatch.apiserver import (
    admission,
    apitypes,
    componentstatuses,
    crds,
    deletion,
    listoptions,
    managedfields,
    objects,
    pagination,
    shapes,
)
from listwatch.apiserver import apply as server_side_apply
from listwatch.apiserver.aggregator import Aggregator
from listwatch.apiserver.apiextensions import CRDControllers
from listwatch.apiserver.deletion import DeleteOptions
from listwatch.apiserver.kinds import namespaces as namespace_kind
from listwatch.apiserver.kinds import priorityclasses
from listwatch.apiserver.listoptions import ListOptions, too_large
from listwatch.apiserver.objects import Identity, Obj
from listwatch.apiserver.registry import Registry
from listwatch.apiserver.resources import RESOURCES, Resource
from listwatch.apiserver.selectors import parse_field_selector, parse_label_selector
from listwatch.apiserver.watchcache import ClientWatch, Handler, WatchCache, selection
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard
from listwatch.store.mvcc import KeyValue, MVCCStore
from listwatch.store.watch import WatchableStore


@dataclass(frozen=True, slots=True)
class ObjectList:
    """A list's items and its ListMeta: the revision read at and, for a page, what follows."""

    items: list[Obj]
    resource_version: str
    #: The token for the next page ("" on the last page).
    continue_token: str = ""
    #: How many objects follow the page, for a paged list with no selector.
    remaining_item_count: int | None = None

    @property
    def metadata(self) -> dict[str, Any]:
        """The list's metadata as kube-apiserver writes it (ListMeta's order, empty fields
        left out)."""
        meta: dict[str, Any] = (
            {"resourceVersion": self.resource_version} if self.resource_version else {}
        )
        if self.continue_token:
            meta["continue"] = self.continue_token
        if self.remaining_item_count is not None:
            meta["remainingItemCount"] = self.remaining_item_count
        return meta


class Request:
    """One write request as it passes through the `request` machine."""

    __slots__ = (
        "actor",
        "applied",
        "attrs",
        "body",
        "dry_run",
        "error",
        "grace",
        "manager",
        "name",
        "namespace",
        "new",
        "old",
        "options",
        "patched",
        "plan",
        "request",
        "resource",
        "subresource",
        "target",
        "verb",
    )

    def __init__(
        self,
        verb: str,
        resource: Resource,
        *,
        namespace: str,
        name: str,
        body: Obj | None,
        actor: str,
        subresource: str = "",
        attrs: Mapping[str, Any] | None = None,
    ) -> None:
        self.verb = verb
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.body = body
        self.old: Obj | None = None
        self.new: Obj | None = None
        self.actor = actor
        self.subresource = subresource
        self.error: errors.APIError | None = None
        self.request = ""  # the state in the spec's `request` machine
        self.patched = False
        self.attrs = dict(attrs or {})
        self.grace: int | None = None
        self.target = ""
        self.dry_run = False
        self.options = DeleteOptions()
        #: What a delete does to the stored object (`deletion.plan`), decided when admitted.
        self.plan: deletion.Plan | None = None
        #: The field manager the write is recorded under ("": named after the actor).
        self.manager = ""
        #: An apply's managedFields entries, decided before the request ran (`APIServer.apply`).
        self.applied: list[managedfields.Entry] | None = None

    @property
    def key(self) -> str:
        return self.resource.key(self.namespace, self.name)

    @property
    def what(self) -> str:
        """How Kubernetes names the object in messages: `pods "web"`, `pods/binding "web"`,
        `replicasets.apps "web"`."""
        plural = self.resource.qualified + (
            f"/{self.subresource}" if self.subresource == "binding" else ""
        )
        return f'{plural} "{self.name}"'


class APIServer:
    """Create, read, update, patch, delete, watch and bind, as kube-apiserver does (owner
    `apiserver`)."""

    def __init__(
        self,
        store: MVCCStore,
        etcd: WatchableStore,
        loop: Loop,
        *,
        machines: Mapping[str, Machine],
        identity: Identity | None = None,
        sink: ActionSink | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.store = store
        self.etcd = etcd
        self.loop = loop
        self.clock = loop.clock
        self.identity = identity or Identity()
        self.sink = sink
        self.settings = dict(settings or {})
        self._request = machines["request"]
        self._machines = machines
        self.registry = Registry()
        self.caches = {
            plural: WatchCache(resource, etcd, loop, machines=machines, sink=sink)
            for plural, resource in RESOURCES.items()
        }
        #: The control plane's parts that run beside this server and answer its health probes
        #: (their ComponentStatuses); the cluster that runs them names them.
        self.components: set[str] = set()
        self.crd_controllers = CRDControllers(self)
        self.aggregator = Aggregator(self)
        self._compaction_mark = 0
        for ns in self.settings.get("namespaces", ["default"]):
            self.create(
                "namespaces",
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                actor="apiserver",
            )
        for known in priorityclasses.SYSTEM_CLASSES:  # as kube-apiserver's post-start hook does
            self.create("priorityclasses", priorityclasses.system_class(**known), actor="apiserver")
        interval = float(self.settings.get("compactionIntervalSeconds", 300))
        if interval > 0:
            loop.call_later(interval, self._compact, interval, daemon=True)
        bookmarks = float(self.settings.get("bookmarkIntervalSeconds", 60))
        if bookmarks > 0:
            loop.call_later(bookmarks, self._bookmark, bookmarks, daemon=True)

    # -- resources ---------------------------------------------------------------------------------

    def resource(self, name: str) -> Resource:
        """A stored resource by plural, kind, short name or (a custom one) `plural.group`."""
        found = self.registry.lookup(name)
        if found is None:
            raise errors.NotFound(
                f'the server could not find the requested resource (resource "{name}")'
            )
        return found

    def serve(self, crd: Obj) -> None:
        """Serve a CRD's versions (the apiextensions controllers call this once its names are
        accepted, and again when it changes)."""
        storage = self.registry.establish(crd)[0]
        if storage.ref not in self.caches:
            self.caches[storage.ref] = WatchCache(
                storage, self.etcd, self.loop, machines=self._machines, sink=self.sink
            )

    def stop_serving(self, crd_name: str) -> None:
        """Stop serving a CRD's versions; their watches end."""
        for storage in self.registry.established(crd_name)[:1]:
            cache = self.caches.pop(storage.ref, None)
            if cache is not None:
                cache.close()
        self.registry.forget(crd_name)

    def _namespace(
        self, resource: Resource, namespace: str | None, obj: Mapping[str, Any] | None = None
    ) -> str:
        if not resource.namespaced:
            return ""
        return namespace or (objects.namespace_of(obj) if obj else "") or "default"

    # -- reads -------------------------------------------------------------------------------------

    def get(self, resource: str, name: str, *, namespace: str | None = None) -> Obj:
        res = self.resource(resource)
        if res.computed:
            for obj in self._computed(res):
                if objects.name_of(obj) == name:
                    return obj
            raise errors.NotFound(  # NewNotFound(api.Resource("componentstatus"), name)
                f'{res.singular} "{name}" not found',
                details={"name": name, "kind": res.singular},
            )
        kv = self.store.get(res.key(self._namespace(res, namespace), name))
        if kv is None:
            raise errors.NotFound(f'{res.qualified} "{name}" not found', details=res.details(name))
        return kv.value  # type: ignore[no-any-return]

    def list(
        self,
        resource: str,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        options: ListOptions | None = None,
    ) -> ObjectList:
        """Objects matching the selectors, sorted by namespace and name, and the revision read
        at: the current state, or with `options` the state their resourceVersion asks for
        (`listoptions`), one page of it with a limit or a continue (`pagination`). This answers
        at once: a caller that may wait for a revision the store has not reached (as the watch
        cache waits) waits before it asks."""
        res = self.resource(resource)
        opts = options or ListOptions()
        opts.validate()
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, res.fields, resource=res.plural)
        ns = namespace if res.namespaced else None
        store = self.store
        prefix = res.prefix(ns)
        matches = selection(labels, fields)
        if res.computed:  # no storage: no resourceVersion, no pages
            return ObjectList([o for o in self._computed(res) if matches(o)], "")
        name = fields.exact("metadata.name")
        single = name is not None and (ns or not res.namespaced)
        if opts.continue_ and not single:  # a single key's list never reads its continue
            start = pagination.decode(opts.continue_, prefix)
            if opts.resource_version not in ("", "0"):
                raise errors.BadRequest(pagination.RESOURCE_VERSION_WITH_CONTINUE)
            revision = start.revision if start.revision > 0 else store.revision
            try:
                kvs = self._range_at(prefix, revision)
            except errors.Gone:
                token = pagination.encode(start.key, prefix, -1)
                raise pagination.ExpiredContinue(token) from None
            kvs = [kv for kv in kvs if kv.key >= start.key]
            token_prefix = prefix
        else:
            exact = opts.exact()  # the version is read by the storage, after the request's checks
            minimum = opts.minimum()
            if minimum > store.revision:
                raise too_large(minimum, store.revision)
            if exact:
                kvs, revision = self._range_at(prefix, exact), exact
            elif single:
                kv = store.get(res.key(ns or "", name or ""))  # one key, not a range
                kvs, revision = ([kv] if kv is not None else []), store.revision
            else:
                kvs, revision = store.range(prefix)
            # The watch cache writes a first page's token relative to its key without the slash.
            token_prefix = prefix if opts.from_storage else prefix.rstrip("/")
        page = pagination.cut(
            kvs,
            matches,
            opts.page_limit,
            prefix=token_prefix,
            revision=revision,
            counted=not labels.requirements and fields.empty,
        )
        return ObjectList(
            [kv.value for kv in page.items], str(revision), page.continue_token, page.remaining
        )

    def _computed(self, res: Resource) -> Sequence[Obj]:
        """The objects of a resource that is not stored, as they are now."""
        assert res.plural == "componentstatuses", res.plural
        return componentstatuses.statuses(self.components)

    def _range_at(self, prefix: str, revision: int) -> Sequence[KeyValue]:
        """The keys under `prefix` at `revision`, with etcd's errors as kube-apiserver passes
        them on: 410 for a compacted revision, a 500 for one not reached yet."""
        if revision > self.store.revision:
            raise errors.Unknown("etcdserver: mvcc: required revision is a future revision")
        try:
            return self.store.range_at(prefix, revision)
        except errors.CompactedError:
            raise errors.Gone("The resourceVersion for the provided list is too old.") from None

    def watch(
        self,
        resource: str,
        handler: Handler,
        *,
        namespace: str | None = None,
        resource_version: str = "",
        label_selector: str = "",
        field_selector: str = "",
        actor: str = "client",
        allow_bookmarks: bool = False,
        traced: bool = True,
    ) -> ClientWatch:
        """Watch changes after `resource_version` ("" or "0": first ADDED for what exists).
        `traced=False`: the API server's own watch (its apiextensions controllers'), which the
        trace does not show as a component's List-Watch."""
        res = self.resource(resource)
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, res.fields, resource=res.plural)
        resource_version = str(resource_version)
        problem = listoptions.parse_problem(resource_version) if resource_version else None
        if problem is not None:  # the watch cache's versioner refuses it; no Status of its own
            raise errors.Unknown(problem)
        ns = namespace if res.namespaced else None
        watch = self.caches[res.ref].watch(
            handler,
            namespace=ns,
            labels=labels,
            fields=fields,
            resource_version=str(resource_version),
            actor=actor,
            bookmarks=allow_bookmarks,
        )
        if self.sink is not None and traced:
            self.sink(
                Action(
                    "watch",
                    actor,
                    "apiserver",
                    resource=res.plural,
                    time=self.clock.now(),
                    detail=_describe_watch(
                        res.plural, resource_version, label_selector, field_selector
                    ),
                )
            )
        return watch

    # -- writes ------------------------------------------------------------------------------------

    def create(
        self,
        resource: str,
        obj: Obj,
        *,
        namespace: str | None = None,
        actor: str = "client",
        attrs: Mapping[str, Any] | None = None,
        dry_run: bool = False,
        manager: str = "",
    ) -> Obj:
        """Create an object. With `dry_run` it is admitted and validated, and nothing is stored.
        `manager` is the field manager it is recorded under (default: named after `actor`)."""
        res = self.resource(resource)
        if not isinstance(obj, dict):
            raise errors.BadRequest(f"the body of a {res.kind} must be a JSON object")
        ns = self._namespace(res, namespace, obj)
        if namespace and objects.namespace_of(obj) and objects.namespace_of(obj) != namespace:
            raise errors.BadRequest(
                "the namespace of the provided object does not match the namespace sent on the "
                "request"
            )
        name = objects.name_of(obj)
        request = Request(
            "create", res, namespace=ns, name=name, body=obj, actor=actor, attrs=attrs
        )
        request.dry_run = dry_run
        request.manager = manager
        return self._run(request)

    def update(
        self,
        resource: str,
        obj: Obj,
        *,
        namespace: str | None = None,
        subresource: str = "",
        actor: str = "client",
        attrs: Mapping[str, Any] | None = None,
        manager: str = "",
    ) -> Obj:
        """Replace an object (PUT). A resourceVersion in it must be current, or this is a
        Conflict."""
        res = self.resource(resource)
        ns = self._namespace(res, namespace, obj)
        verb = "status" if subresource == "status" else "update"
        request = Request(
            verb,
            res,
            namespace=ns,
            name=objects.name_of(obj),
            body=obj,
            actor=actor,
            subresource=subresource,
            attrs=attrs,
        )
        request.manager = manager
        return self._run(request)

    def update_status(
        self, resource: str, obj: Obj, *, actor: str, attrs: Mapping[str, Any] | None = None
    ) -> Obj:
        return self.update(resource, obj, subresource="status", actor=actor, attrs=attrs)

    def patch(
        self,
        resource: str,
        name: str,
        patch: Mapping[str, Any],
        *,
        namespace: str | None = None,
        patch_type: str = "merge",
        subresource: str = "",
        actor: str = "client",
        attrs: Mapping[str, Any] | None = None,
    ) -> Obj:
        """Apply a JSON merge patch (`merge`) or a strategic merge patch (`strategic`) to an object.

        A resourceVersion in the patch is a precondition (a Conflict when it is not current);
        without one the patch applies to whatever is current, as in Kubernetes.
        """
        return self.patch_with(
            resource,
            name,
            patch_transform(patch, patch_type),
            namespace=namespace,
            subresource=subresource,
            actor=actor,
            attrs=attrs,
            keep_resource_version=pins_resource_version(patch),
        )

    def patch_with(
        self,
        resource: str,
        name: str,
        transform: Callable[[Obj], Any],
        *,
        namespace: str | None = None,
        subresource: str = "",
        actor: str = "client",
        attrs: Mapping[str, Any] | None = None,
        keep_resource_version: bool = True,
        manager: str = "",
    ) -> Obj:
        """Patch an object with `transform(current) -> new body`, read and written in one step.

        This is the seam for patch formats the API server does not parse itself (the served API
        applies RFC 6902 JSON patches with it). With `keep_resource_version` the body's
        resourceVersion is a precondition; otherwise it is dropped and the patch applies to the
        current object. A transform that does not give a JSON object is a 422, as in Kubernetes.
        """
        res = self.resource(resource)
        ns = self._namespace(res, namespace)
        current = self.get(res.ref, name, namespace=ns)
        body = transform(current)
        if not isinstance(body, dict):
            raise errors.Invalid(
                f'{res.kind} "{name}" is invalid: the patched object must be a JSON object'
            )
        if not keep_resource_version:
            body = objects.replace(body, "metadata.resourceVersion", None)
        verb = "status" if subresource == "status" else "update"
        request = Request(
            verb,
            res,
            namespace=ns,
            name=name,
            body=body,
            actor=actor,
            subresource=subresource,
            attrs=attrs,
        )
        request.patched = True
        request.manager = manager
        return self._run(request)

    def apply(
        self,
        resource: str,
        name: str,
        config: Obj,
        *,
        manager: str,
        namespace: str | None = None,
        subresource: str = "",
        force: bool = False,
        actor: str = "client",
        dry_run: bool = False,
    ) -> Obj:
        """Server-side apply of `config` by `manager` (`apiserver.apply`): the object is
        created when there is none (not through a subresource: 404), and otherwise patched with
        the merge; a conflict with another manager's fields is a 409 unless `force`. The result
        is defaulted, validated and stored as any create or update (with `dry_run`, only
        answered); a refusal changes nothing."""
        res = self.resource(resource)
        ns = self._namespace(res, namespace, config)
        kv = self.store.get(res.key(ns, name))
        live = kv.value if kv is not None else None
        if live is None and subresource:
            raise errors.NotFound(f'{res.qualified} "{name}" not found', details=res.details(name))
        write = self._field_write(res, manager, subresource, live or config)
        applied = server_side_apply.apply(
            write, live, config, managedfields.entries(live), force=force
        )
        body = applied.obj
        if not pins_resource_version(config):
            body = objects.replace(body, "metadata.resourceVersion", None)
        if live is None:
            body = objects.replace(body, "metadata.name", name)
            request = Request("create", res, namespace=ns, name=name, body=body, actor=actor)
        else:
            verb = "status" if subresource == "status" else "update"
            request = Request(
                verb, res, namespace=ns, name=name, body=body, actor=actor, subresource=subresource
            )
            request.patched = True
        request.applied = applied.entries
        request.dry_run = dry_run
        return self._run(request)

    def _field_write(
        self, res: Resource, manager: str, subresource: str, obj: Mapping[str, Any]
    ) -> managedfields.Write:
        """What `managedfields` needs of a write of `res` by `manager`."""
        if res.custom is not None:
            shape = shapes.custom(res.custom.schema)
        else:
            version, kind = obj.get("apiVersion"), obj.get("kind")
            if not isinstance(version, str) or not isinstance(kind, str) or kind != res.kind:
                version, kind = res.api_version, res.kind
            shape = shapes.builtin(version, kind)
        return managedfields.Write(
            shape,
            manager,
            res.api_version,
            self.loop.stamps.now(),
            subresource=subresource,
            has_status=res.has_status,
            kind=res.kind,
        )

    def _track_fields(self, request: Request) -> None:
        """The written object's `metadata.managedFields`: an apply's entries, or the writer's
        Update entry as `managedfields.updated` keeps it."""
        new = request.new
        if new is None or request.error is not None:
            return
        found = request.applied
        if found is None:
            manager = request.manager or managedfields.manager_of(request.actor)
            write = self._field_write(request.resource, manager, request.subresource, new)
            base = managedfields.base_entries(
                request.old, request.body or {}, subresource=request.subresource
            )
            created_from = request.body if request.verb == "create" else None
            found = managedfields.updated(write, request.old, new, base, created_from=created_from)
        meta = {k: v for k, v in (new.get("metadata") or {}).items() if k != "managedFields"}
        encoded = managedfields.encoded(found)
        if encoded:
            meta["managedFields"] = encoded
        request.new = {**new, "metadata": meta}

    def delete(
        self,
        resource: str,
        name: str,
        *,
        namespace: str | None = None,
        actor: str = "client",
        grace_period_seconds: int | None = None,
        uid: str = "",
        propagation_policy: str | None = None,
        orphan_dependents: bool | None = None,
    ) -> Obj:
        """Delete an object, as `deletion` decides: a pod bound to a node is marked with a
        deletionTimestamp and its kubelet removes it once its containers have stopped; an object
        with finalizers is marked and goes when the last is removed; a namespace goes
        Terminating until the namespace controller has emptied and finalized it.

        `propagation_policy` (Orphan, Background, Foreground) puts the garbage collector's
        finalizer on the object; bad options are a 422 before anything is looked up."""
        options = DeleteOptions(
            grace_period_seconds=grace_period_seconds,
            uid=uid,
            propagation_policy=propagation_policy,
            orphan_dependents=orphan_dependents,
        )
        problems = deletion.options_problems(options)
        if problems:
            raise invalid_delete_options(problems)
        res = self.resource(resource)
        ns = self._namespace(res, namespace)
        request = Request("delete", res, namespace=ns, name=name, body=None, actor=actor)
        request.options = options
        request.grace = grace_period_seconds
        request.target = uid
        return self._run(request)

    def delete_answer(self, resource: str, deleted: Obj) -> Obj:
        """What a DELETE answers (the registry's finalizeDelete): the object while it is still
        stored (being deleted) or when its kind returns deleted objects (the spec's
        `deletion.returnsObject`); otherwise a Success Status naming what was deleted."""
        res = self.resource(resource)
        rules = self.settings.get("deletion") or {}
        name = objects.name_of(deleted)
        current = self.store.get(res.key(objects.namespace_of(deleted), name))
        if res.plural in rules.get("returnsObject", ()) or (
            current is not None and objects.uid_of(current.value) == objects.uid_of(deleted)
        ):
            return deleted
        details: dict[str, Any] = {"name": name}
        if res.group:
            details["group"] = res.group
        details.update(kind=res.plural, uid=objects.uid_of(deleted))
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": details,
        }

    def finalize(self, name: str, finalizers: Iterable[str], *, actor: str = "client") -> Obj:
        """PUT namespaces/{name}/finalize: replace the namespace's spec.finalizers (the namespace
        controller removes `kubernetes` with it). A namespace being deleted whose finalizers
        are then all gone is removed."""
        current = self.get("namespaces", name)
        kept = [str(f) for f in finalizers]
        body = {**current, "spec": {**(current.get("spec") or {}), "finalizers": kept}}
        if not kept:
            body["spec"].pop("finalizers")
        request = Request(
            "update",
            RESOURCES["namespaces"],
            namespace="",
            name=name,
            body=body,
            actor=actor,
            subresource="finalize",
        )
        return self._run(request)

    def bind(
        self,
        namespace: str,
        name: str,
        node: str,
        *,
        actor: str = "default-scheduler",
        annotations: Mapping[str, str] | None = None,
    ) -> Obj:
        """POST pods/{name}/binding: one write setting spec.nodeName and PodScheduled=True."""
        res = RESOURCES["pods"]
        body: Obj = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": name, "namespace": namespace},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node},
        }
        if annotations:
            body["metadata"]["annotations"] = dict(annotations)
        request = Request(
            "bind",
            res,
            namespace=namespace,
            name=name,
            body=body,
            actor=actor,
            subresource="binding",
        )
        request.target = node
        return self._run(request)

    def _run(self, request: Request) -> Obj:
        machine = self._request
        machine.start(request)
        machine.fire(self, request, "admit")
        if self.sink is not None and not request.dry_run:
            self.sink(self._action("request", request, request.new or request.body))
        machine.fire(self, request, "validate")
        if request.request != "Rejected":
            machine.fire(self, request, "persist")
        if request.error is not None:
            raise request.error
        assert request.new is not None
        return request.new

    def _action(
        self, kind: str, request: Request, obj: Mapping[str, Any] | None, revision: int = 0
    ) -> Action:
        actor, target = (request.actor, "apiserver") if kind == "request" else ("apiserver", "etcd")
        ref = (
            ObjectRef.of(obj)
            if obj
            else ObjectRef(request.resource.kind, request.namespace, request.name, "")
        )
        if not ref.kind:
            ref = ObjectRef(
                request.resource.kind,
                ref.namespace or request.namespace,
                ref.name or request.name,
                ref.uid,
            )
        return Action(
            kind,
            actor,
            target,
            verb=request.verb,
            resource=request.resource.plural,
            obj=ref,
            revision=revision,
            time=self.clock.now(),
            detail=_describe_request(kind, request, revision),
            attrs=request.attrs,
        )

    # -- the request machine's callbacks -----------------------------------------------------------

    @action
    def mutate(self, request: Request) -> None:
        kv = self.store.get(request.key) if request.verb != "create" or request.name else None
        request.old = kv.value if kv is not None else None
        body = request.body
        verb = request.verb
        if body is not None and verb in ("create", "update"):
            try:
                body = admission.admit(
                    verb, request.resource.plural, body, request.old, self._priority_classes
                )
            except errors.APIError as refused:
                request.error = refused
                return
        if verb == "create":
            assert body is not None
            request.new = self._prepare_create(request, body)
            request.name = objects.name_of(request.new)
            request.error = self._namespace_lifecycle(request)
        elif verb in ("update", "status") and request.old is not None:
            assert body is not None
            request.new = self._prepare_update(request, request.old, body)
        if verb in ("create", "update", "status"):
            self._track_fields(request)
        elif verb == "bind" and request.old is not None:
            request.new = self._prepare_bind(request, request.old)
        elif verb == "delete" and request.old is not None:
            request.new = self._prepare_delete(request, request.old)

    def _prepare_create(self, request: Request, body: Obj) -> Obj:
        res = request.resource
        meta = dict(body.get("metadata") or {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = f"{meta['generateName']}{self.identity.suffix()}"
        if res.namespaced:
            meta["namespace"] = request.namespace
        else:
            meta.pop("namespace", None)
        meta["uid"] = self.identity.uid()
        meta["creationTimestamp"] = self.loop.stamps.now()
        for field in (
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ):
            meta.pop(field, None)
        obj = {
            "kind": res.kind,
            "apiVersion": res.api_version,
            **{k: v for k, v in body.items() if k not in ("kind", "apiVersion")},
        }
        obj["metadata"] = meta
        if res.on_write is not None:
            obj = res.on_write(obj)
        if res.defaults is not None and meta.get("name"):
            obj = res.defaults(obj, self)
        return obj

    def _prepare_update(self, request: Request, old: Obj, body: Obj) -> Obj:
        res = request.resource
        meta = dict(body.get("metadata") or {})
        old_meta = old["metadata"]
        for field in (
            "uid",
            "creationTimestamp",
            "namespace",
            "name",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generateName",
        ):
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        if "generation" in old_meta:
            meta["generation"] = old_meta["generation"]
        new = {**body, "kind": res.kind, "apiVersion": res.api_version, "metadata": meta}
        if res.plural == "namespaces" and request.subresource != "finalize":
            new = namespace_kind.keep_spec_finalizers(old, new)
        if request.verb == "status":
            new = {**old, "status": body.get("status", old.get("status"))}
            new["metadata"] = {**old_meta}
            if meta.get("resourceVersion"):
                new["metadata"]["resourceVersion"] = meta["resourceVersion"]
        else:
            if res.on_write is not None:
                new = res.on_write(new)
            if res.has_status:
                new["status"] = old.get("status", {})
                if "generation" in old_meta and new.get("spec") != old.get("spec"):
                    generation = old_meta["generation"] + 1  # on_write may have made new metadata
                    new["metadata"] = {**new["metadata"], "generation": generation}
        if res.prepare_update is not None:  # the kind's own PrepareForUpdate
            new = res.prepare_update(old, new, body, status=request.verb == "status")
        if res.plural == "pods" and request.verb == "update":
            old_images = [c.get("image") for c in (old.get("spec") or {}).get("containers", [])]
            new_images = [c.get("image") for c in (new.get("spec") or {}).get("containers", [])]
            request.attrs["image_changed"] = old_images != new_images
        return new

    def _prepare_bind(self, request: Request, old: Obj) -> Obj:
        now = self.loop.stamps.now()
        status = dict(old.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": now,
            }
        )
        status["conditions"] = conditions
        new = objects.replace(old, "spec.nodeName", request.target)
        new["status"] = status
        annotations = ((request.body or {}).get("metadata") or {}).get("annotations")
        if annotations:
            new = objects.replace(
                new,
                "metadata.annotations",
                {**(objects.meta(old).get("annotations") or {}), **annotations},
            )
        return new

    def _namespace_lifecycle(self, request: Request) -> errors.APIError | None:
        """The NamespaceLifecycle admission plugin on a create: nothing new in a namespace that
        is being terminated (403, with the NamespaceTerminating cause)."""
        res = request.resource
        if not res.namespaced:
            return None
        kv = self.store.get(RESOURCES["namespaces"].key("", request.namespace))
        if kv is None or (kv.value.get("status") or {}).get("phase") != "Terminating":
            return None
        return namespace_kind.terminating(res.plural, request.name, request.namespace)

    def _prepare_delete(self, request: Request, old: Obj) -> Obj:
        res = request.resource
        options = request.options
        if options.uid and objects.uid_of(old) != options.uid:
            request.error = (
                namespace_kind.uid_conflict(request.name, options.uid, objects.uid_of(old))
                if res.plural == "namespaces"
                else deletion.uid_conflict(res.kind, request.name, options.uid, objects.uid_of(old))
            )
            return old
        now = self.clock.wall(self.clock.now())
        if res.plural == "namespaces":
            if request.name in self.settings.get("immortalNamespaces", ()):
                request.error = namespace_kind.immortal(request.name)
                return old
            plan = namespace_kind.delete_plan(old, options, now=now)
        else:
            if res.plural == "customresourcedefinitions":
                old = crds.marked_for_cleanup(old, self.loop.stamps.now())
            plan = deletion.plan(
                old,
                options,
                self._deletion_rules(res),
                now=now,
                default_grace=int(self.settings.get("defaultGracePeriodSeconds", 30)),
            )
        request.plan = plan
        # A mark that leaves the object in place is a graceful deletion to the trace.
        request.grace = 0 if plan.remove else 1
        return plan.obj

    def _deletion_rules(self, res: Resource) -> deletion.KindRules:
        """How the spec says this kind is deleted (the apiserver's `deletion` settings)."""
        rules = self.settings.get("deletion") or {}
        return deletion.KindRules(
            graceful=res.plural in rules.get("graceful", ()),
            orphan_by_default=res.plural in rules.get("orphanByDefault", ()),
            without_garbage_collection=res.plural in rules.get("withoutGarbageCollection", ()),
        )

    def _priority_classes(self) -> Iterable[Obj]:
        return [
            kv.value for kv in self.store.iter_prefix(RESOURCES["priorityclasses"].prefix(None))
        ]

    @guard
    def admission_allows(self, request: Request) -> bool:
        """The admission plugins (`admission`) let the request through: the mutating ones when
        the request was admitted, the validating ones now."""
        if request.error is not None:
            return False
        obj = request.old if request.verb == "delete" else request.new
        if obj is not None and request.verb in ("create", "update", "delete"):
            try:
                admission.validate(
                    request.verb, request.resource.plural, obj, self._priority_classes
                )
            except errors.APIError as refused:
                request.error = refused
                return False
        return True

    @guard
    def object_valid(self, request: Request) -> bool:
        if request.error is not None:  # refused on admission
            return False
        if request.verb in ("delete", "bind") or request.new is None:
            return True
        res = request.resource
        if request.verb == "status":
            return True
        if request.verb == "update" and request.old is not None and res.validate_update:
            problems = res.validate_update(request.old, request.new)
        else:
            problems = res.validate(request.new) if res.validate else []
        problems = [*problems, *deletion.finalizer_problems(request.new)]
        if request.old is not None:
            problems.extend(deletion.new_finalizer_problems(request.old, request.new))
        if problems:
            name = objects.name_of(request.new) or objects.meta(request.new).get("generateName", "")
            request.error = invalid(res.kind, str(name), problems, group=res.group)
            return False
        return True

    @guard
    def preconditions_hold(self, request: Request) -> bool:
        request.error = self._precondition_error(request)
        return request.error is None

    def _precondition_error(self, request: Request) -> errors.APIError | None:
        res = request.resource
        verb = request.verb
        if verb == "create":
            if (
                res.namespaced
                and self.store.get(RESOURCES["namespaces"].key("", request.namespace)) is None
            ):
                return errors.NotFound(
                    f'namespaces "{request.namespace}" not found',
                    details={"name": request.namespace, "kind": "namespaces"},
                )
            if self.store.get(request.key) is not None:
                return errors.AlreadyExists(
                    f"{request.what} already exists",
                    details=res.details(request.name),
                )
            return None
        old = request.old
        if old is None:  # a binding of a pod that is not there is `pods "web" not found` too
            return errors.NotFound(
                f'{res.qualified} "{request.name}" not found', details=res.details(request.name)
            )
        if verb == "bind":
            node = (old.get("spec") or {}).get("nodeName")
            if objects.meta(old).get("deletionTimestamp"):
                reason = f"pod {request.name} is being deleted, cannot be assigned to a host"
            elif node:
                reason = f'pod {request.name} is already assigned to node "{node}"'
            else:
                return None
            return errors.Conflict(
                f"Operation cannot be fulfilled on {request.what}: {reason}",
                details={"name": request.name, "kind": "pods/binding"},
            )
        if verb == "delete":
            return None
        assert request.new is not None
        wanted = objects.rv_of(request.new)
        if wanted and wanted != objects.rv_of(old):
            return errors.Conflict(
                f"Operation cannot be fulfilled on {request.what}: the object has been modified; "
                "please apply your changes to the latest version and try again",
                details=res.details(request.name),
            )
        return None

    @action
    def reject(self, request: Request) -> None:
        if request.error is None:
            request.error = errors.NotFound(
                f'{request.resource.qualified} "{request.name}" not found',
                details=request.resource.details(request.name),
            )

    @action
    def write_to_etcd(self, request: Request) -> None:
        store = self.store
        old = request.old
        revision = store.next_revision()
        if request.dry_run:
            return
        if request.verb == "delete":
            self._write_delete(request)
            return
        new = request.new
        assert new is not None
        if old is not None and _same_except_rv(old, new):
            request.new = old  # a no-op write does not touch etcd, as in Kubernetes
            return
        new = objects.replace(new, "metadata.resourceVersion", str(revision))
        if old is not None and self._removed_by_update(request.resource, old, new):
            # The last finalizer of an object being deleted is gone: it is removed instead.
            store.delete(request.key)
            request.new = new
            request.verb, request.grace = "delete", 0
            if self.sink is not None:
                self.sink(self._action("write", request, request.new, revision))
            return
        if old is None:
            store.create(request.key, new)
        else:
            store.update(request.key, new)
        request.new = new
        if self.sink is not None:
            self.sink(self._action("write", request, request.new, revision))

    def _write_delete(self, request: Request) -> None:
        """A delete's one or two writes: the mark (deletionTimestamp, finalizers), then the
        removal, each at its own revision (the watch shows MODIFIED, then DELETED)."""
        store, old, plan = self.store, request.old, request.plan
        assert old is not None and plan is not None
        current = old
        if plan.write and not _same_except_rv(old, plan.obj):
            revision = store.next_revision()
            current = objects.replace(plan.obj, "metadata.resourceVersion", str(revision))
            store.update(request.key, current)
            if self.sink is not None:
                marked = request.grace
                request.grace = 1
                self.sink(self._action("write", request, current, revision))
                request.grace = marked
        if plan.remove:
            revision = store.next_revision()
            store.delete(request.key)
            current = objects.replace(current, "metadata.resourceVersion", str(revision))
            if self.sink is not None:
                self.sink(self._action("write", request, current, revision))
        request.new = current

    def _removed_by_update(self, res: Resource, old: Obj, new: Obj) -> bool:
        """ShouldDeleteDuringUpdate (and, for a namespace, no spec.finalizers left either)."""
        if res.plural == "namespaces" and (new.get("spec") or {}).get("finalizers"):
            return False
        return deletion.removed_by_update(old, new)

    # -- housekeeping ------------------------------------------------------------------------------

    def _compact(self, interval: float) -> None:
        """Compact to the revision seen one interval ago, as kube-apiserver's compactor does."""
        mark, self._compaction_mark = self._compaction_mark, self.store.revision
        if mark > self.store.compacted:
            self.store.compact(mark)
        self.loop.call_later(interval, self._compact, interval, daemon=True)

    def compact(self) -> int:
        """Compact the store to its current revision now; return that revision."""
        revision = self.store.revision
        self.store.compact(revision)
        return revision

    def _bookmark(self, interval: float) -> None:
        for cache in self.caches.values():
            cache.bookmark()
        self.loop.call_later(interval, self._bookmark, interval, daemon=True)


def invalid_delete_options(problems: list[str]) -> errors.Invalid:
    """The 422 for DeleteOptions that do not validate (`DeleteOptions.meta.k8s.io "" is
    invalid: ...`)."""
    text = problems[0] if len(problems) == 1 else f"[{', '.join(problems)}]"
    return errors.Invalid(
        f'DeleteOptions.meta.k8s.io "" is invalid: {text}',
        details={
            "group": "meta.k8s.io",
            "kind": "DeleteOptions",
            "causes": [field_cause(p) for p in problems],
        },
    )


def patch_transform(patch: Mapping[str, Any], patch_type: str) -> Callable[[Obj], Any]:
    """The change a JSON merge patch (`merge`) or a strategic merge patch (`strategic`) makes."""
    if patch_type == "merge":
        return lambda current: objects.merge_patch(current, patch)
    if patch_type == "strategic":
        return lambda current: strategic_merge(current, patch)
    raise errors.BadRequest(f"unsupported patch type {patch_type!r}; expected merge or strategic")


def pins_resource_version(patch: Any) -> bool:
    """Whether a merge patch carries a resourceVersion, a precondition on the object it patches."""
    meta = patch.get("metadata") if isinstance(patch, Mapping) else None
    return isinstance(meta, Mapping) and "resourceVersion" in meta


def invalid(kind: str, name: str, problems: list[str], *, group: str = "") -> errors.Invalid:
    """The 422 kube-apiserver answers for field errors (`Pod "x" is invalid: spec...: Required
    value`, `ReplicaSet.apps "x" is invalid: ...` in a group), one StatusCause per problem."""
    text = problems[0] if len(problems) == 1 else f"[{', '.join(problems)}]"
    qualified = f"{kind}.{group}" if group else kind
    return errors.Invalid(
        f'{qualified} "{name}" is invalid: {text}',
        details={
            "name": name,
            "group": group,
            "kind": kind,
            "causes": [field_cause(p) for p in problems],
        },
    )


def _same_except_rv(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    if old.keys() != new.keys():
        return False
    for key, value in new.items():
        if key == "metadata":
            a = {k: v for k, v in old["metadata"].items() if k != "resourceVersion"}
            b = {k: v for k, v in value.items() if k != "resourceVersion"}
            if a != b:
                return False
        elif old[key] != value:
            return False
    return True


_CAUSE_REASONS = {
    "Required value": "FieldValueRequired",
    "Invalid value": "FieldValueInvalid",
    "Unsupported value": "FieldValueNotSupported",
    "Duplicate value": "FieldValueDuplicate",
    "Forbidden": "FieldValueForbidden",
}


def field_cause(problem: str) -> dict[str, str]:
    """A StatusCause from a field error `path: Kind of problem: detail`, as kube-apiserver reports
    it (`field`, `reason`, and the message without the path), so that kubectl prints
    `The Pod "x" is invalid: spec.containers[0].image: Required value`."""
    path, sep, message = problem.partition(": ")
    if not sep or " " in path:
        return {"message": problem}
    kind = message.partition(":")[0]
    cause = (
        {"reason": _CAUSE_REASONS[kind], "message": message, "field": path}
        if kind in _CAUSE_REASONS
        else {"message": message, "field": path}
    )
    return cause


def strategic_merge(target: Any, patch: Any) -> Any:
    """A strategic merge patch, as kubectl sends them for the built-in types.

    Maps merge key by key (null deletes). A list whose patch strategy is `merge` (the v1.32 Go
    tags, from `apitypes`: containers by name, conditions by type, ...) merges item by item, and
    a `{"$patch": "delete", <key>: ...}` item removes one; one of scalars (`finalizers`) merges as
    a set. `$patch: replace` replaces a map or list whole; `$deleteFromPrimitiveList/<field>`
    removes values from a list of scalars. Other lists are replaced, and the ordering directives
    (`$setElementOrder/...`, `$retainKeys`) are accepted and ignored. The type is the target's
    (its apiVersion and kind); a type without facts merges its maps and replaces its lists.
    """
    type_name = None
    if isinstance(target, Mapping):
        version, kind = target.get("apiVersion"), target.get("kind")
        if isinstance(version, str) and isinstance(kind, str):
            type_name = apitypes.type_name(version, kind)
    return _merge(target, patch, type_name)


def _merge(target: Any, patch: Any, type_name: str | None, values: str | None = None) -> Any:
    """`patch` merged into `target` of type `type_name` (or, for a map, whose values are of type
    `values`)."""
    if not isinstance(patch, Mapping) or not isinstance(target, Mapping):
        return _strip_directives(patch)
    if patch.get("$patch") == "replace":
        return _strip_directives({k: v for k, v in patch.items() if k != "$patch"})
    if patch.get("$patch") == "delete":
        return {}
    result = dict(target)
    for key, value in patch.items():
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.partition("/")[2]
            if isinstance(result.get(name), list) and isinstance(value, list):
                result[name] = [v for v in result[name] if v not in value]
            continue
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
            continue
        if values is not None:
            result[key] = _merge(result.get(key), value, values)
            continue
        found = apitypes.field_of(type_name, key) if type_name else None
        merging = found is not None and "merge" in found.patch_strategy.split(",")
        if isinstance(value, list) and merging and isinstance(result.get(key), list):
            assert found is not None
            if found.patch_merge_key:
                result[key] = _merge_list(result[key], value, found.patch_merge_key, found.type)
            else:
                result[key] = [*result[key], *(v for v in value if v not in result[key])]
        elif found is not None and found.label == "map":
            result[key] = _merge(result.get(key), value, None, found.type)
        else:
            child = found.type if found is not None and found.label == "opt" else None
            result[key] = _merge(result.get(key), value, child)
    return result


def _strip_directives(value: Any) -> Any:
    """A patch value as plain JSON: `$patch` and the other directives removed at every level."""
    if isinstance(value, Mapping):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [
            _strip_directives(v)
            for v in value
            if not (isinstance(v, Mapping) and v.get("$patch") == "delete")
        ]
    return value


def _merge_list(current: list[Any], patch: Iterable[Any], key: str, item_type: str) -> list[Any]:
    patch = list(patch)
    if any(isinstance(item, Mapping) and item.get("$patch") == "replace" for item in patch):
        return [
            _strip_directives(item)
            for item in patch
            if not (isinstance(item, Mapping) and item.get("$patch") == "replace")
        ]
    merged = list(current)
    for item in patch:
        if not isinstance(item, Mapping) or key not in item:
            merged.append(_strip_directives(item))
            continue
        if item.get("$patch") == "delete":
            merged = [m for m in merged if not (isinstance(m, Mapping) and m.get(key) == item[key])]
            continue
        for i, existing in enumerate(merged):
            if isinstance(existing, Mapping) and existing.get(key) == item[key]:
                merged[i] = _merge(existing, item, item_type)
                break
        else:
            merged.append(_strip_directives(item))
    return merged


def _describe_request(kind: str, request: Request, revision: int) -> str:
    res = request.resource.plural
    what = f"{res}/{request.name}" if request.name else res
    if kind == "request":
        method = {
            "create": "POST",
            "update": "PUT",
            "status": "PUT",
            "delete": "DELETE",
            "bind": "POST",
        }[request.verb]
        if request.patched:
            method = "PATCH"
        sub = {"status": "/status", "bind": "/binding"}.get(request.verb, "")
        return f"{method} {what}{sub}"
    verb = {
        "create": "create",
        "update": "update",
        "status": "update status of",
        "delete": "delete",
        "bind": "bind",
    }[request.verb]
    if request.verb == "delete" and request.grace:
        verb = "mark for graceful deletion"
    suffix = f" to {request.target}" if request.verb == "bind" else ""
    return f"{verb} {what}{suffix} at revision {revision}"


def _describe_watch(resource: str, rv: str, labels: str, fields: str) -> str:
    parts = [f"LIST+WATCH {resource}"]
    if fields:
        parts.append(f"fieldSelector={fields}")
    if labels:
        parts.append(f"labelSelector={labels}")
    if rv:
        parts.append(f"from resourceVersion {rv}")
    return " ".join(parts)


def owner_classes() -> dict[str, Callable[..., Any] | type]:
    return {"apiserver": APIServer}
