"""Any Kubernetes API, through a kubeconfig and the official `kubernetes` Python client.

The client does what it does well (reading the kubeconfig, TLS, tokens, the HTTP connection);
objects travel as plain JSON dicts, the same shape the rest of listwatch works on. Errors come
back as listwatch's `APIError` subclasses, built from the server's Status.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import kubernetes.client
import kubernetes.config

from listwatch import errors
from listwatch.apiserver.resources import RESOURCES, Resource

Obj = dict[str, Any]
#: A list of objects (a name of its own: `list` is also a method of the class below).
Objs = list[Obj]

_BY_CODE: dict[int, type[errors.APIError]] = {
    400: errors.BadRequest,
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    409: errors.Conflict,
    410: errors.Gone,
    422: errors.Invalid,
    429: errors.TooManyRequests,
}
#: Errors that share a code with another, told apart by the Status's reason.
_BY_REASON: dict[str, type[errors.APIError]] = {"AlreadyExists": errors.AlreadyExists}
#: The content type of each patch kind kubectl sends.
PATCH_TYPES = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "json": "application/json-patch+json",
}


class KubeAPI:
    """Plain-JSON requests to the API a kubeconfig points at."""

    def __init__(self, kubeconfig: str | None = None, *, context: str | None = None) -> None:
        configuration = kubernetes.client.Configuration()
        try:
            kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig, context=context, client_configuration=configuration
            )
        except Exception as exc:  # the client raises ConfigException, OSError, or a YAML error
            raise errors.BackendUnavailable(
                f"cannot use the kubeconfig {kubeconfig or '~/.kube/config'}: {exc}"
            ) from exc
        self.client = kubernetes.client.ApiClient(configuration)
        self.host = configuration.host

    @staticmethod
    def path(
        resource: Resource, *, namespace: str | None = None, name: str = "", subresource: str = ""
    ) -> str:
        base = f"/api/{resource.version}" if not resource.group else f"/apis/{resource.api_version}"
        if resource.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{resource.plural}"
        if name:
            base += f"/{name}"
        if subresource:
            base += f"/{subresource}"
        return base

    def _call(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any] | None,
        body: Any,
        content_type: str,
        timeout: float | None,
    ) -> Any:
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        try:
            method_, url, headers_, body_, _ = self.client.param_serialize(
                method,
                path,
                query_params=params,
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            response = self.client.call_api(
                method_, url, header_params=headers_, body=body_, _request_timeout=timeout
            )
        except Exception as exc:  # urllib3 and the client's own errors: the API cannot be reached
            raise errors.BackendUnavailable(
                f"the Kubernetes API at {self.host} cannot be reached: {exc}"
            ) from exc
        if response.status >= 400:
            raise _api_error(response.status, response.reason or "", _read(response))
        return response

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        """One request; the parsed JSON answer (or the text, for logs)."""
        text = _read(self._call(method, path, query, body, content_type, 60)).decode("utf-8")
        try:
            return json.loads(text) if text else None
        except ValueError:
            return text

    # -- conveniences ------------------------------------------------------------------------------

    def get(self, plural: str, name: str, *, namespace: str | None = None) -> Obj:
        result: Obj = self.request(
            "GET", self.path(RESOURCES[plural], namespace=namespace, name=name)
        )
        return result

    def list(
        self,
        plural: str,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> Objs:
        query = {"labelSelector": label_selector or None, "fieldSelector": field_selector or None}
        result = self.request("GET", self.path(RESOURCES[plural], namespace=namespace), query=query)
        return list(result.get("items") or [])

    def logs(
        self,
        pod: str,
        *,
        namespace: str,
        container: str | None = None,
        tail: int | None = None,
        previous: bool = False,
    ) -> str:
        query = {
            "container": container,
            "tailLines": tail,
            "previous": "true" if previous else None,
        }
        path = self.path(RESOURCES["pods"], namespace=namespace, name=pod, subresource="log")
        return _read(self._call("GET", path, query, None, "application/json", 60)).decode("utf-8")

    def list_at(
        self, plural: str, *, namespace: str | None = None, field_selector: str = ""
    ) -> tuple[Objs, str]:
        """A list and the resourceVersion it was read at (where a watch of it starts)."""
        query = {"fieldSelector": field_selector or None}
        result = self.request("GET", self.path(RESOURCES[plural], namespace=namespace), query=query)
        return list(result.get("items") or []), str(
            (result.get("metadata") or {}).get("resourceVersion", "")
        )

    def create(self, plural: str, obj: Mapping[str, Any], *, namespace: str | None = None) -> Obj:
        result: Obj = self.request(
            "POST", self.path(RESOURCES[plural], namespace=namespace), body=dict(obj)
        )
        return result

    def patch(
        self,
        plural: str,
        name: str,
        patch: Any,
        *,
        namespace: str | None = None,
        patch_type: str = "merge",
        subresource: str = "",
    ) -> Obj:
        """A patch (`merge`, `strategic` or `json`, as kubectl sends them) of an object or its
        subresource."""
        path = self.path(RESOURCES[plural], namespace=namespace, name=name, subresource=subresource)
        result: Obj = self.request("PATCH", path, body=patch, content_type=PATCH_TYPES[patch_type])
        return result

    def delete(
        self,
        plural: str,
        name: str,
        *,
        namespace: str | None = None,
        grace_period_seconds: int | None = None,
        propagation: str | None = None,
    ) -> Obj:
        """DELETE with DeleteOptions (grace period, propagation policy: Background, Foreground,
        Orphan)."""
        options: Obj = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        if propagation is not None:
            options["propagationPolicy"] = propagation
        result: Obj = self.request(
            "DELETE", self.path(RESOURCES[plural], namespace=namespace, name=name), body=options
        )
        return result

    def watch(
        self,
        plural: str,
        *,
        namespace: str | None = None,
        resource_version: str = "",
        field_selector: str = "",
        timeout: int = 300,
    ) -> Watch:
        """The events of a watch, as the API sends them ({"type", "object"}), until it ends or is
        closed."""
        query = {
            "watch": "true",
            "resourceVersion": resource_version or None,
            "fieldSelector": field_selector or None,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": timeout,
        }
        response = self._call(
            "GET",
            self.path(RESOURCES[plural], namespace=namespace),
            query,
            None,
            "application/json",
            timeout + 10,
        )
        return Watch(response.response)

    def close(self) -> None:
        """Close the client and its pooled connections."""
        self.client.close()  # type: ignore[no-untyped-call]


class Watch:
    """One open watch: iterate for its events; `close` (from any thread) ends the iteration.

    Closing shuts the connection down under a blocked read (urllib3's `shutdown`), so a thread
    that waits for the next event wakes at once and the iteration stops without an error.
    """

    def __init__(self, response: Any) -> None:
        self._response = response
        self._closed = False

    def __iter__(self) -> Iterator[Obj]:
        buffer = b""
        try:
            for chunk in self._response.stream(4096):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        except (
            Exception
        ) as exc:  # urllib3's errors when the connection breaks (or is shut down by close)
            if not self._closed:
                raise errors.BackendUnavailable(f"the watch broke off: {exc}") from exc
        finally:
            if self._closed:  # shut down under the read: its socket is of no further use
                self._response.close()
            self._response.release_conn()

    def close(self) -> None:
        self._closed = True
        self._response.shutdown()


def _read(response: Any) -> bytes:
    """A whole answer's body, its connection then back in the pool (the client reads it with
    preload_content=False, which leaves the release to the reader)."""
    try:
        return bytes(response.read())
    finally:
        response.response.release_conn()


def _api_error(code: int, reason: str, body: bytes) -> errors.APIError:
    """The listwatch error for a failed request, from the Status the server sent."""
    try:
        status = json.loads(body or b"{}")
    except ValueError:
        status = {}
    message = status.get("message") or reason or f"HTTP {code}"
    kind = _BY_REASON.get(str(status.get("reason", ""))) or _BY_CODE.get(code, errors.APIError)
    error = kind(message, details=status.get("details"))
    if kind is errors.APIError:
        error.code = code
    return error
