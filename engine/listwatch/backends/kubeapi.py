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

_BY_CODE: dict[int, type[errors.APIError]] = {
    400: errors.BadRequest,
    404: errors.NotFound,
    409: errors.Conflict,
    410: errors.Gone,
    422: errors.Invalid,
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
            raise errors.BackendUnavailable(f"cannot use the kubeconfig {kubeconfig or '~/.kube/config'}: {exc}") from exc
        self.client = kubernetes.client.ApiClient(configuration)
        self.host = configuration.host

    @staticmethod
    def path(resource: Resource, *, namespace: str | None = None, name: str = "", subresource: str = "") -> str:
        base = f"/api/{resource.version}" if not resource.group else f"/apis/{resource.api_version}"
        if resource.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{resource.plural}"
        if name:
            base += f"/{name}"
        if subresource:
            base += f"/{subresource}"
        return base

    def _call(self, method: str, path: str, query: Mapping[str, Any] | None, body: Any, content_type: str, timeout: float | None) -> Any:
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        try:
            method_, url, headers_, body_, _ = self.client.param_serialize(
                method, path, query_params=params, header_params=headers, body=body, auth_settings=["BearerToken"]
            )
            response = self.client.call_api(method_, url, header_params=headers_, body=body_, _request_timeout=timeout)
        except Exception as exc:  # urllib3 and the client's own errors: the API cannot be reached
            raise errors.BackendUnavailable(f"the Kubernetes API at {self.host} cannot be reached: {exc}") from exc
        if response.status >= 400:
            raise _api_error(response.status, response.reason or "", response.read())  # type: ignore[no-untyped-call]
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
        text = self._call(method, path, query, body, content_type, 60).read().decode("utf-8")
        try:
            return json.loads(text) if text else None
        except ValueError:
            return text

    # -- conveniences ---------------------------------------------------------------------------------

    def get(self, plural: str, name: str, *, namespace: str | None = None) -> Obj:
        result: Obj = self.request("GET", self.path(RESOURCES[plural], namespace=namespace, name=name))
        return result

    def list(self, plural: str, *, namespace: str | None = None, label_selector: str = "", field_selector: str = "") -> list[Obj]:
        query = {"labelSelector": label_selector or None, "fieldSelector": field_selector or None}
        result = self.request("GET", self.path(RESOURCES[plural], namespace=namespace), query=query)
        return list(result.get("items") or [])

    def logs(self, pod: str, *, namespace: str, container: str | None = None, tail: int | None = None, previous: bool = False) -> str:
        query = {"container": container, "tailLines": tail, "previous": "true" if previous else None}
        path = self.path(RESOURCES["pods"], namespace=namespace, name=pod, subresource="log")
        return str(self._call("GET", path, query, None, "application/json", 60).read().decode("utf-8"))

    def watch(
        self, plural: str, *, namespace: str | None = None, resource_version: str = "", field_selector: str = "", timeout: int = 300
    ) -> Iterator[Obj]:
        """The events of a watch, as the API sends them ({"type", "object"}), until it ends."""
        query = {
            "watch": "true",
            "resourceVersion": resource_version or None,
            "fieldSelector": field_selector or None,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": timeout,
        }
        response = self._call("GET", self.path(RESOURCES[plural], namespace=namespace), query, None, "application/json", timeout + 10)
        buffer = b""
        for chunk in response.response.stream(4096):
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.strip():
                    yield json.loads(line)

    def close(self) -> None:
        self.client.close()  # type: ignore[no-untyped-call]


def _api_error(code: int, reason: str, body: bytes) -> errors.APIError:
    """The listwatch error for a failed request, from the Status the server sent."""
    try:
        status = json.loads(body or b"{}")
    except ValueError:
        status = {}
    message = status.get("message") or reason or f"HTTP {code}"
    kind = _BY_CODE.get(code, errors.APIError)
    error = kind(message, details=status.get("details"))
    if kind is errors.APIError:
        error.code = code
    return error
