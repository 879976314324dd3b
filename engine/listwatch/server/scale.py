"""The scale subresource of ReplicationControllers, ReplicaSets, Deployments, StatefulSets and the
custom resources whose CRD declares one: `kubectl scale rc web --replicas=3`, `kubectl scale
deployment web --replicas=3`, `kubectl scale crontab nightly --replicas=2`.

`GET .../replicationcontrollers/web/scale` gives an autoscaling/v1 `Scale` (the controller's
name, namespace, uid, resourceVersion and creationTimestamp; spec.replicas; status.replicas and
the selector as text); PUT and PATCH (merge, strategic merge or JSON patch, applied to that Scale)
change the controller's spec.replicas and nothing else, in one read-and-write so that a stale
resourceVersion in a PUT is a 409. kubectl scale sends a merge patch `{"spec":{"replicas":N}}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from listwatch import errors, printers
from listwatch.apiserver import objects
from listwatch.apiserver.api import patch_transform
from listwatch.apiserver.kinds.controllers import controller_selector
from listwatch.apiserver.resources import Resource
from listwatch.apiserver.selectors import selector_from_map
from listwatch.server import messages, routes
from listwatch.server.live import LiveCluster

API_VERSION = "autoscaling/v1"
_KEPT_METADATA = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")


def scale_of(obj: Mapping[str, Any], resource: Resource | None = None) -> dict[str, Any]:
    """The controller's Scale, as kube-apiserver's scale REST storage builds it (a custom
    resource's from the paths its CRD names)."""
    meta = obj.get("metadata") or {}
    paths = _custom_paths(resource)
    if paths is not None:
        spec_path, status_path, selector_path = paths
        replicas = objects.get_path(obj, spec_path)
        status = {"replicas": objects.get_path(obj, status_path) or 0}
        selector = objects.get_path(obj, selector_path) if selector_path else None
        if isinstance(selector, str) and selector:
            status["selector"] = selector
    else:
        replicas = (obj.get("spec") or {}).get("replicas", 1)
        status = {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": _selector_text(obj),
        }
    return {
        "kind": "Scale",
        "apiVersion": API_VERSION,
        "metadata": {key: meta[key] for key in _KEPT_METADATA if key in meta},
        "spec": {"replicas": replicas if isinstance(replicas, int) else 0},
        "status": status,
    }


def _custom_paths(resource: Resource | None) -> tuple[str, str, str] | None:
    """The CRD's specReplicasPath, statusReplicasPath and labelSelectorPath, as dotted paths."""
    if resource is None or resource.custom is None or resource.custom.scale is None:
        return None
    scale = resource.custom.scale
    return (
        str(scale.get("specReplicasPath", ".spec.replicas")).lstrip("."),
        str(scale.get("statusReplicasPath", ".status.replicas")).lstrip("."),
        str(scale.get("labelSelectorPath", "")).lstrip("."),
    )


def _selector_text(obj: Mapping[str, Any]) -> str:
    """The selector as LabelSelectorAsSelector(...).String() gives it: an apps kind's
    LabelSelector (matchLabels and matchExpressions), an RC's label map."""
    selector = (obj.get("spec") or {}).get("selector") or {}
    if "matchLabels" in selector or "matchExpressions" in selector:
        text = printers.label_selector(selector)
        return "" if text == "<none>" else text
    return str(selector_from_map(controller_selector(obj)))


def answer(
    live: LiveCluster, route: routes.ResourceRoute, request: messages.Request
) -> messages.Response:
    """GET, PUT or PATCH of the scale subresource (the route's verb says which)."""
    res = route.resource
    if request.method == "GET":
        return messages.Response(
            200,
            messages.encode(
                scale_of(
                    live.call(live.api.get, res.ref, route.name, namespace=route.namespace), res
                )
            ),
        )
    change = _change(request, route.name)

    paths = _custom_paths(res)
    spec_path = paths[0] if paths is not None else "spec.replicas"

    def transform(current: Any) -> Any:
        wanted = change(scale_of(current, res))
        replicas = _replicas(wanted, route.name)
        body = objects.replace(objects.deep_copy(current), spec_path, replicas)
        given = (wanted.get("metadata") or {}).get("resourceVersion")
        if given:
            body["metadata"]["resourceVersion"] = given
        return body

    updated = live.call(
        lambda: live.api.patch_with(
            res.ref,
            route.name,
            transform,
            namespace=route.namespace,
            actor=messages.actor(request),
        )
    )
    return messages.Response(200, messages.encode(scale_of(updated, res)))


def _change(request: messages.Request, name: str) -> Callable[[dict[str, Any]], Any]:
    """How the request turns the current Scale into the wanted one: the body (PUT) or the patch."""
    if request.method == "PUT":
        body = messages.json_body(request, kind="Scale")
        if body.get("kind", "Scale") != "Scale":
            raise errors.BadRequest(f"{body['kind']} cannot be handled as a Scale")
        body = messages.conformed(request, "V1Scale", body, kind="Scale", version="v1")
        return lambda _current: body
    patch_format, patch = messages.patch_body(request)
    transform = (
        messages.json_patcher(patch)
        if patch_format == "json"
        else patch_transform(patch, patch_format)
    )
    return messages.conformed_patch(request, "V1Scale", transform)


def _replicas(scale: Any, name: str) -> int:
    """spec.replicas of the wanted Scale, validated as kube-apiserver validates it (422
    otherwise)."""
    replicas = (
        ((scale or {}).get("spec") or {}).get("replicas", 0) if isinstance(scale, dict) else None
    )  # absent is Go's zero value
    if isinstance(replicas, bool) or not isinstance(replicas, int):
        raise errors.Invalid(
            f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: {replicas!r}: '
            "must be an integer"
        )
    if replicas < 0:
        raise errors.Invalid(
            f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: {replicas}: '
            "must be greater than or equal to 0"
        )
    return replicas
