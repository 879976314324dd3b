"""Kubernetes API requests, answered: from (method, path, query, headers, body) to a response.

This module knows HTTP only as data (`Request`, `Response`), so every rule here is testable
without a socket. It maps each verb to the `APIServer` (always through `LiveCluster.call`, on
the loop thread) and gives the answers kube-apiserver gives:
- objects as stored (defaults filled in by the API server), lists as `<Kind>List` whose items
  carry no kind or apiVersion, a Table or PartialObjectMetadata when the Accept header asks;
- 201 for a create and a binding, 200 for the rest, `Status` objects for every error (400 for a
  malformed body or selector, 404 for an unknown resource or object, 405, 409, 410 on a watch,
  413 for a body over 3 MiB, 415 for a patch format it does not read, 422 for an invalid object);
- merge (RFC 7386), strategic merge and JSON (RFC 6902, with the `jsonpatch` package) patches;
- lists at the resourceVersion they ask for (`listoptions`: Exact from the store's history, 410
  once compacted; a version not reached yet waited for 3 s, then 504);
- pods/binding and the bindings collection; pods/log with the options of PodLogOptions
  (`logoptions`: container, tailLines, limitBytes, previous, timestamps, sinceSeconds, sinceTime,
  follow); watches as streams (`watchstream`); pods/exec over a WebSocket (`execstream`);
  pods/proxy through the kubelet's runtime (`podproxy`); the scale of a controller (`scale`).
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import IO, Any

from listwatch import errors
from listwatch.apiserver import deletion, eviction, listoptions, objects, schemas
from listwatch.apiserver.api import (
    invalid,
    invalid_delete_options,
    patch_transform,
    pins_resource_version,
)
from listwatch.apiserver.kinds.pods import validate_binding
from listwatch.apiserver.resources import Resource
from listwatch.apiserver.watchcache import BOOKMARK, ERROR, WatchEvent
from listwatch.server import (
    control,
    conversion,
    discovery,
    execstream,
    logoptions,
    messages,
    podproxy,
    protobuf,
    routes,
    scale,
    tables,
)
from listwatch.server.live import LiveCluster
from listwatch.server.messages import JSON
from listwatch.server.watchstream import DEFAULT_TIMEOUT_SECONDS, WatchStream

#: How often a followed log is read again.
LOG_FOLLOW_POLL_SECONDS = 0.5


class Handlers:
    """Answers requests against one live cluster."""

    def __init__(
        self,
        live: LiveCluster,
        *,
        server_address: str,
        err: IO[str] | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        self.live = live
        self.server_address = server_address
        self.err = err
        self.stopping = stopping or threading.Event()  # set when the server stops: long streams end
        self._documents: dict[tuple[int, str], bytes] = {}
        self.control = control.ControlAPI(
            live
        )  # /listwatch/v1: out-of-band control for test harnesses

    def handle(self, request: messages.Request) -> messages.Response:
        """The response to `request`; an error of any kind becomes a Status, never an exception."""
        try:
            response = self._dispatch(request)
        except errors.APIError as exc:
            response = messages.status_response(exc)
        except Exception:
            if self.err is not None:
                self.err.write(
                    f"listwatch: internal error on {request.method} "
                    f"{request.path}:\n{traceback.format_exc()}"
                )
            cause = "an unexpected error in listwatch (see the server's log)"
            response = messages.status_response(  # as NewInternalError words and details it
                errors.APIError(
                    f"Internal error occurred: {cause}", details={"causes": [{"message": cause}]}
                )
            )
        if not control.owns(request.path):
            response = _negotiated(request, response)
        if request.warnings:
            response.headers = {**response.headers, "Warning": messages.warning_header(request)}
        return response

    def _dispatch(self, request: messages.Request) -> messages.Response:
        path = request.path
        if path in ("/healthz", "/livez", "/readyz"):
            return messages.Response(200, b"ok", "text/plain; charset=utf-8")
        if control.owns(path):
            return self.control.handle(request)
        if request.method in ("GET", "HEAD"):
            document = self._document(path)
            if document is not None:
                return messages.Response(200, document)
        route = routes.parse(path, self.live.api.registry)
        verb = route.verb(request.method, request.query)
        if route.resource.deprecation:
            request.warnings.append(route.resource.deprecation)
        if verb not in (
            "log",
            "exec",
            "proxy",
        ):  # logs are text whatever the client accepts (kube-apiserver ignores Accept there)
            messages.check_acceptable(request.header("accept"), JSON, protobuf.MEDIA_TYPE)
        dry_run = request.query.get("dryRun", "")
        dry_verbs = ("create", "evict", "apply")
        if dry_run and (dry_run != "All" or messages.write_kind(request, verb) not in dry_verbs):
            raise errors.BadRequest(
                f"dryRun={dry_run} is not supported by listwatch for {verb}; it supports "
                "dryRun=All on create, on server-side apply and on pods/eviction"
            )
        method = getattr(self, f"_{verb}")
        response: messages.Response = method(route, request)
        return response

    def _document(self, path: str) -> bytes | None:
        registry = self.live.api.registry
        key = (registry.generation, path)
        cached = self._documents.get(key)
        if cached is None:
            found = discovery.document(path, server_address=self.server_address, registry=registry)
            if found is None:
                return None
            if len(self._documents) > 1000:  # made again after the CRDs changed
                self._documents.clear()
            cached = self._documents[key] = messages.encode(found)
        return cached

    # -- reads -------------------------------------------------------------------------------------

    def _get(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        res = route.resource
        obj = self.live.call(self.live.api.get, res.ref, route.name, namespace=route.namespace)
        accept = request.header("accept")
        if tables.wants(accept, "Table"):
            table = tables.table(
                res,
                [obj],
                self.live.clock.wall(),
                resource_version=objects.rv_of(obj),
                include_object=messages.include_object(request),
            )
            return messages.Response(200, messages.encode(table))
        if tables.wants(accept, "PartialObjectMetadata"):
            return messages.Response(200, messages.encode(tables.partial_metadata(obj)))
        return messages.Response(200, messages.encode(conversion.served(res, obj)))

    def _list(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        res = route.resource
        q = request.query
        options = messages.list_options(request)
        try:
            minimum = options.minimum() if options.valid else 0
        except errors.APIError:
            minimum = 0  # the API server refuses the version, after the selectors' errors
        if minimum:
            self._wait_for_revision(minimum)
        found = self.live.call(
            self.live.api.list,
            res.ref,
            namespace=route.namespace,
            label_selector=q.get("labelSelector", ""),
            field_selector=conversion.field_selector(res, q.get("fieldSelector", "")),
            options=options,
        )
        accept = request.header("accept")
        if tables.wants(accept, "Table"):
            table = tables.table(
                res,
                found.items,
                self.live.clock.wall(),
                resource_version=found.resource_version,
                include_object=messages.include_object(request),
            )
            table["metadata"] = found.metadata
            return messages.Response(200, messages.encode(table))
        if tables.wants(accept, "PartialObjectMetadataList"):
            items = [tables.partial_metadata(obj) for obj in found.items]
            return messages.Response(
                200,
                messages.encode(
                    {
                        "kind": "PartialObjectMetadataList",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": found.metadata,
                        "items": items,
                    }
                ),
            )
        # As kube-apiserver encodes a typed list, the items carry no kind or apiVersion.
        items = [
            {
                k: v
                for k, v in conversion.served(res, obj).items()
                if k not in ("kind", "apiVersion")
            }
            for obj in found.items
        ]
        body = {
            "kind": f"{res.kind}List",
            "apiVersion": res.api_version,
            "metadata": found.metadata,
            "items": items,
        }
        return messages.Response(200, messages.encode(body))

    def _wait_for_revision(self, revision: int) -> None:
        """Wait until the store has reached `revision`, at most the spec's watchCacheBlockSeconds,
        as the watch cache waits before it answers a list from a resourceVersion it has not seen
        yet (the list then answers, or is the 504 for a version still too large)."""
        reached = threading.Event()
        api = self.live.api
        store = api.store
        seconds = float(api.settings.get("watchCacheBlockSeconds", listoptions.BLOCK_SECONDS))

        def check(_: object = None) -> None:
            if store.revision >= revision:
                reached.set()

        def subscribe() -> Callable[[], None]:
            check()
            return store.subscribe(check)

        unsubscribe = self.live.call(subscribe)
        try:
            reached.wait(seconds)
        finally:
            self.live.call(unsubscribe)

    def _watch(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        res = route.resource
        q = request.query
        messages.list_options(request).validate_watch()
        field_selector = conversion.field_selector(res, q.get("fieldSelector", ""))
        if route.name:  # GET .../pods/web?watch=true watches one object
            pinned = f"metadata.name={route.name}"
            field_selector = f"{field_selector},{pinned}" if field_selector else pinned
        stream = WatchStream(
            self.live,
            res.ref,
            namespace=route.namespace,
            resource_version=q.get("resourceVersion", ""),
            label_selector=q.get("labelSelector", ""),
            field_selector=field_selector,
            allow_bookmarks=routes.truthy(q.get("allowWatchBookmarks")),
            send_initial_events=routes.truthy(q.get("sendInitialEvents")),
            actor=messages.actor(request),
        )
        timeout = (
            messages.non_negative(q.get("timeoutSeconds"), "timeoutSeconds")
            or DEFAULT_TIMEOUT_SECONDS
        )
        encode, media = self._watch_encoder(res, request), JSON
        if messages.prefers_protobuf(request.header("accept")) and messages.protobuf_kind(res):
            encode, media = _as_protobuf(res), protobuf.WATCH_MEDIA_TYPE
        stream.open()
        return messages.Response(
            200,
            content_type=media,
            stream=messages.Streamed(watch=stream, encode=encode, timeout_seconds=timeout),
        )

    def _watch_encoder(
        self, res: Resource, request: messages.Request
    ) -> Callable[[WatchEvent], bytes]:
        accept = request.header("accept")
        if not tables.wants(accept, "Table"):
            return _as_json if res.conversion is None else _converting(res)
        include = messages.include_object(request)
        first = [True]

        def as_table(event: WatchEvent) -> bytes:
            if event.type in (ERROR, BOOKMARK):
                return _as_json(event)
            table = tables.table(
                res,
                [event.object],
                self.live.clock.wall(),
                resource_version=objects.rv_of(event.object),
                include_object=include,
                headers=first[0],
            )
            first[0] = False
            return messages.encode({"type": event.type, "object": table})

        return as_table

    # -- writes ------------------------------------------------------------------------------------

    def _create(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        res = route.resource
        obj = conversion.checked_create(
            res, messages.object_body(request, res), namespace=route.namespace
        )
        created = self.live.call(
            self.live.api.create,
            res.ref,
            obj,
            namespace=route.namespace,
            actor=messages.actor(request),
            dry_run=request.query.get("dryRun") == "All",
            manager=messages.field_manager(request),
        )
        return messages.Response(201, messages.encode(conversion.served(res, created)))

    def _update(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        res = route.resource
        obj = messages.object_body(request, res)
        name = objects.name_of(obj)
        if name and name != route.name:
            raise errors.BadRequest(
                f"the name of the object ({name}) does not match the name on the URL ({route.name})"
            )
        obj = conversion.stored(res, objects.replace(obj, "metadata.name", route.name))
        manager = messages.field_manager(request)
        updated = self.live.call(
            self._update_on_loop,
            res,
            obj,
            route.namespace,
            route.subresource,
            messages.actor(request),
            manager,
        )
        return messages.Response(200, messages.encode(conversion.served(res, updated)))

    def _update_on_loop(
        self,
        res: Resource,
        obj: dict[str, Any],
        namespace: str | None,
        subresource: str,
        actor: str,
        manager: str = "",
    ) -> Any:
        api = self.live.api
        old = api.get(
            res.ref, objects.name_of(obj), namespace=namespace
        )  # a PUT to a missing object is a 404
        obj = conversion.checked_update(res, obj, old)
        return api.update(
            res.ref,
            obj,
            namespace=namespace,
            subresource=subresource,
            actor=actor,
            manager=manager,
        )

    def _patch(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        res = route.resource
        patch_format, body = messages.patch_body(request)
        if patch_format == "apply":
            return self._apply(route, request, body)
        api = self.live.api
        common: dict[str, Any] = {
            "namespace": route.namespace,
            "subresource": route.subresource,
            "actor": messages.actor(request),
            "manager": messages.field_manager(request),
        }
        if patch_format == "json":
            transform, pinned = messages.json_patcher(body), True
        else:
            transform = patch_transform(body, patch_format)
            pinned = pins_resource_version(body)
        if res.custom is not None:
            checked = conversion.through(res, messages.custom_patch(request, res, transform))
        else:
            checked = conversion.through(
                res, messages.conformed_patch(request, schemas.model_name(res), transform)
            )
        patched = self.live.call(
            lambda: api.patch_with(
                res.ref, route.name, checked, keep_resource_version=pinned, **common
            )
        )
        return messages.Response(200, messages.encode(conversion.served(res, patched)))

    def _apply(
        self, route: routes.ResourceRoute, request: messages.Request, config: dict[str, Any]
    ) -> messages.Response:
        """A server-side apply (`application/apply-patch+yaml`): 201 when it created the object,
        200 otherwise (`APIServer.apply`)."""
        res = route.resource
        manager, force = messages.apply_options(request)
        config = messages.checked_apply(request, res, route.name, route.namespace, config)
        stored = conversion.stored(res, config) if res.conversion is not None else config
        api = self.live.api

        def apply() -> tuple[bool, Any]:
            try:
                api.get(res.ref, route.name, namespace=route.namespace)
                existed = True
            except errors.NotFound:
                existed = False
            applied = api.apply(
                res.ref,
                route.name,
                stored,
                manager=manager,
                namespace=route.namespace,
                subresource=route.subresource,
                force=force,
                actor=messages.actor(request),
                dry_run=request.query.get("dryRun") == "All",
            )
            return not existed, applied

        created, applied = self.live.call(apply)
        status = 201 if created else 200
        return messages.Response(status, messages.encode(conversion.served(res, applied)))

    def _scale(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        """The scale subresource of a ReplicationController or ReplicaSet (`scale`)."""
        return scale.answer(self.live, route, request)

    def _delete(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        res = route.resource
        options = messages.delete_options(request)
        api = self.live.api
        answer = self.live.call(  # one turn of the loop: the answer says what this delete did
            lambda: api.delete_answer(
                res.ref,
                api.delete(
                    res.ref,
                    route.name,
                    namespace=route.namespace,
                    actor=messages.actor(request),
                    grace_period_seconds=options.grace_period_seconds,
                    uid=options.uid,
                    propagation_policy=options.propagation_policy,
                    orphan_dependents=options.orphan_dependents,
                ),
            )
        )
        if answer.get("kind") == "Status":
            return messages.Response(200, messages.encode(answer))
        return messages.Response(200, messages.encode(conversion.served(res, answer)))

    def _deletecollection(
        self, route: routes.ResourceRoute, request: messages.Request
    ) -> messages.Response:
        res = route.resource
        if res.plural == "namespaces":
            raise routes.not_allowed()  # namespaces have no collection DELETE route
        options = messages.delete_options(request)
        problems = deletion.options_problems(options)
        if problems:  # refused before anything is listed
            raise invalid_delete_options(problems)
        q = request.query
        actor = messages.actor(request)

        def delete_all() -> list[Any]:
            api = self.live.api
            found = api.list(
                res.ref,
                namespace=route.namespace,
                label_selector=q.get("labelSelector", ""),
                field_selector=conversion.field_selector(res, q.get("fieldSelector", "")),
            )
            deleted = []
            for obj in found.items:
                try:
                    deleted.append(
                        api.delete(
                            res.ref,
                            objects.name_of(obj),
                            namespace=objects.namespace_of(obj) or None,
                            actor=actor,
                            grace_period_seconds=options.grace_period_seconds,
                            propagation_policy=options.propagation_policy,
                            orphan_dependents=options.orphan_dependents,
                        )
                    )
                except errors.NotFound:
                    continue
            return deleted

        deleted = self.live.call(delete_all)
        items = [
            {
                k: v
                for k, v in conversion.served(res, obj).items()
                if k not in ("kind", "apiVersion")
            }
            for obj in deleted
        ]
        return messages.Response(
            200,
            messages.encode(
                {
                    "kind": f"{res.kind}List",
                    "apiVersion": res.api_version,
                    "metadata": {},
                    "items": items,
                }
            ),
        )

    def _bind(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        """pods/NAME/binding and the bindings collection, checked in v1.32's order: the namespace
        (the create handler), the name against the URL's, the target (ValidatePodBinding), then the
        pod's own state. v1.32 lets ValidatePodBinding's errors reach its responder as a plain
        error, a 500; listwatch answers no bad input with a 500 and refuses them as the 422
        Invalid they are."""
        body = messages.json_body(request, kind="Binding")
        body = messages.conformed(request, "V1Binding", body, kind="Binding", version="v1")
        meta = body.get("metadata") or {}
        namespace = route.namespace or "default"
        if meta.get("namespace") and meta["namespace"] != namespace:
            raise errors.BadRequest(
                "the namespace of the provided object does not match the namespace sent on the "
                "request"
            )
        name = meta.get("name") or ""
        if route.name and name != route.name:
            raise errors.BadRequest("name in URL does not match name in Binding object")
        problems = validate_binding(body)
        if problems:
            raise invalid("Binding", name, problems)
        if not name:
            raise errors.BadRequest("Name parameter required.")
        target = body["target"]["name"]
        annotations = meta.get("annotations") or None
        self.live.call(
            lambda: self.live.api.bind(
                namespace, name, target, actor=messages.actor(request), annotations=annotations
            )
        )
        return messages.Response(201, messages.encode(messages.success(201)))

    def _evict(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        """POST pods/{name}/eviction with a policy/v1 (or v1beta1) Eviction (`eviction`)."""
        body = messages.json_body(request, kind="Eviction")
        if body.get("apiVersion") not in (None, "", "policy/v1", "policy/v1beta1"):
            raise errors.BadRequest(
                f"the API version in the data ({body.get('apiVersion')}) does not match the "
                "expected API version (policy/v1)"
            )
        body = messages.conformed(request, "V1Eviction", body, kind="Eviction", version="v1")
        if (body.get("metadata") or {}).get("name") != route.name:
            raise errors.BadRequest("name in URL does not match name in Eviction object")
        if request.query.get("dryRun") == "All":
            options = dict(body.get("deleteOptions") or {})
            options["dryRun"] = ["All"]
            body = {**body, "deleteOptions": options}
        namespace, actor = route.namespace or "default", messages.actor(request)
        try:
            self.live.call(
                lambda: eviction.evict(self.live.api, namespace, route.name, body, actor=actor)
            )
        except errors.TooManyRequests as refused:
            response = messages.status_response(refused)
            retry = refused.details.get("retryAfterSeconds")
            if retry:
                response.headers = {**response.headers, "Retry-After": str(retry)}
            return response
        return messages.Response(201, messages.encode(messages.success(201)))

    # -- logs --------------------------------------------------------------------------------------

    def _log(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        namespace = route.namespace or "default"
        opts = logoptions.pod_log_options(request, route.name)
        cluster = self.live.cluster
        since = opts.since(self.live.clock.wall())  # the kubelet's now
        text = self.live.call(
            lambda: cluster.logs(
                route.name,
                namespace=namespace,
                container=opts.container,
                tail=opts.tail_lines,
                previous=opts.previous,
                since=since,
                timestamps=opts.timestamps,
            )
        )
        if not opts.follow or opts.previous:
            data = text.encode()
            limit = opts.limit_bytes
            return messages.Response(200, data[:limit] if limit is not None else data, "text/plain")
        return messages.Response(
            200,
            content_type="text/plain",
            stream=messages.Streamed(
                chunks=self._follow(
                    route.name,
                    namespace,
                    text,
                    container=opts.container,
                    since=since,
                    timestamps=opts.timestamps,
                )
            ),
        )

    # -- exec ------------------------------------------------------------------------------------

    def _exec(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        """Check what kube-apiserver checks, then hand the connection to the exec (`execstream`)."""
        opts = execstream.options(request)
        namespace = route.namespace or "default"
        target = self.live.call(
            execstream.locate, self.live.cluster, route.name, namespace, opts.container
        )
        session = execstream.Exec(
            opts,
            target,
            self.live.cluster.runtime,
            subprotocol=execstream.negotiate(request),
            stopping=self.stopping,
        )
        return messages.Response(101, upgrade=session)

    # -- proxy -----------------------------------------------------------------------------------

    def _proxy(self, route: routes.ResourceRoute, request: messages.Request) -> messages.Response:
        """A request to the pod's port, answered through its runtime (`podproxy`)."""
        return podproxy.answer(self.live, route, request)

    def _follow(
        self,
        pod: str,
        namespace: str,
        first: str,
        *,
        container: str | None,
        since: datetime | None,
        timestamps: bool,
    ) -> Iterator[bytes]:
        """The log as it grows: what was there, then each new part, until the container stops
        (or, through the writer, until the client goes away). Every read is from the same `since`
        and with the same `timestamps`, so each read extends the one before."""
        cluster = self.live.cluster

        def read() -> str:
            return cluster.logs(
                pod, namespace=namespace, container=container, since=since, timestamps=timestamps
            )

        full = self.live.call(read)
        sent = len(full)
        if first:
            yield first.encode()
        while True:
            time.sleep(LOG_FOLLOW_POLL_SECONDS)
            try:
                full, running = self.live.call(
                    lambda: (read(), _running(cluster.pod(pod, namespace)))
                )
            except errors.APIError:
                return
            # An empty chunk when nothing is new: it is not written, but hands control back to
            # the writer, which stops when the client has gone.
            yield full[sent:].encode()
            sent = len(full)
            if not running:
                return


def _running(pod: Mapping[str, Any]) -> bool:
    return any(
        "running" in (c.get("state") or {})
        for c in (pod.get("status") or {}).get("containerStatuses") or []
    )


def _converting(res: Resource) -> Callable[[WatchEvent], bytes]:
    """Watch events of a resource served in another version than stored (events.k8s.io/v1),
    each converted and encoded once for all the watchers of that version."""
    key = f"{JSON};{res.api_version}"

    def encode(event: WatchEvent) -> bytes:
        if event.type == ERROR:
            return _as_json(event)
        if event.type == BOOKMARK:
            obj = {**event.object, "apiVersion": res.api_version}
            return messages.encode({"type": event.type, "object": obj}) + b"\n"
        line = event.encoded.get(key)
        if line is None:
            obj = conversion.served(res, event.object)
            line = event.encoded[key] = messages.encode({"type": event.type, "object": obj}) + b"\n"
        return line

    return encode


def _as_protobuf(res: Resource) -> Callable[[WatchEvent], bytes]:
    """Watch events as frames of a protobuf watch stream, each encoded once for all the watchers
    of its version (`protobuf.watch_frame`)."""
    key = f"{protobuf.MEDIA_TYPE};{res.api_version}"

    def encode(event: WatchEvent) -> bytes:
        frame = event.encoded.get(key)
        if frame is None:
            obj = event.object
            if res.conversion is not None and event.type == BOOKMARK:
                obj = {**obj, "apiVersion": res.api_version}
            elif res.conversion is not None and event.type != ERROR:
                obj = conversion.served(res, obj)
            frame = event.encoded[key] = protobuf.watch_frame(event.type, obj)
        return frame

    return encode


def _negotiated(request: messages.Request, response: messages.Response) -> messages.Response:
    """A whole JSON answer in protobuf when the request's Accept header prefers it and the
    answer's kind has a protobuf form, as kube-apiserver negotiates (kubectl's typed commands
    send `application/vnd.kubernetes.protobuf,application/json`); a Table, a document or a CRD's
    kind stays JSON."""
    if response.stream is not None or response.upgrade is not None or response.content_type != JSON:
        return response
    if not response.body or not messages.prefers_protobuf(request.header("accept")):
        return response
    try:
        value = json.loads(response.body)
        body = protobuf.encode(value) if isinstance(value, dict) else None
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        body = None  # no protobuf form (a Table, a CRD's kind): the JSON answer stands
    if body is None:
        return response
    return messages.Response(response.status, body, protobuf.MEDIA_TYPE, headers=response.headers)


def _as_json(event: WatchEvent) -> bytes:
    """A watch event as one line of JSON, encoded once for all the watchers that get it."""
    line = event.encoded.get(JSON)
    if line is None:
        line = event.encoded[JSON] = messages.encode({"type": event.type, "object": event.object})
    return line
