"""The scheme defaults of a pod spec, as kube-apiserver v1.32 applies them to every Pod and pod
template it decodes (pkg/apis/core/v1/defaults.go and the generated defaulters over it).

Applied on every write (create, update, patch), so they hold whatever a client sends:
- the spec: dnsPolicy ClusterFirst, restartPolicy Always, securityContext {},
  terminationGracePeriodSeconds 30, schedulerName default-scheduler (SetDefaults_PodSpec);
- every container, init container and ephemeral container: imagePullPolicy (Always for
  `latest`, else IfNotPresent), terminationMessagePath and -Policy, resources {}, each port's
  protocol TCP,
  probes' timeouts and thresholds, httpGet's path `/` and scheme HTTP (probes and lifecycle
  hooks), grpc's service "", env fieldRefs' apiVersion v1;
- volumes: none given is an emptyDir; secret, configMap, downwardAPI and projected get
  defaultMode 420 (0644), a projected service account token expirationSeconds 3600, hostPath
  type "", and their fieldRefs apiVersion v1.

A Pod (not a template: SetDefaults_Pod) also gets requests from its limits for what it does not
request, per container and init container (so that its qosClass is computed from them),
enableServiceLinks true, and with hostNetwork each port's hostPort from its containerPort.
Nothing is changed in place: the result is a new dict wherever something was added.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from listwatch.apiserver.objects import Obj
from listwatch.rules import images

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
#: What an unset (or zero) probe field becomes: v1 SetDefaults_Probe.
PROBE_DEFAULTS = {
    "timeoutSeconds": 1,
    "periodSeconds": 10,
    "successThreshold": 1,
    "failureThreshold": 3,
}
#: The defaultMode of secret, configMap, downwardAPI and projected volumes (0644).
VOLUME_DEFAULT_MODE = 420
#: A projected service account token's default lifetime (SetDefaults_ServiceAccountTokenProjection).
TOKEN_EXPIRATION_SECONDS = 3600
CONTAINER_GROUPS = ("containers", "initContainers", "ephemeralContainers")
#: The sources a volume may have; one with none of them is an emptyDir (SetDefaults_Volume).
_NOT_SOURCES = frozenset({"name"})
_SPEC_DEFAULTS: Mapping[str, Any] = {
    "dnsPolicy": "ClusterFirst",
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
    "schedulerName": "default-scheduler",
}


def default_pull_policy(image: str) -> str:
    """Always when the tag is `latest`, named or implied (no tag and no digest), IfNotPresent
    otherwise: v1 SetDefaults_Container. An invalid reference has no tag there, so IfNotPresent."""
    try:
        tag = images.parse(image).tag
    except ValueError:
        tag = ""
    return "Always" if tag == "latest" else "IfNotPresent"


def default_pod_spec(spec: Mapping[str, Any], *, pod: bool) -> Obj:
    """`spec` with its scheme defaults; with `pod`, a Pod's too (SetDefaults_Pod)."""
    out = dict(spec)
    for key, value in _SPEC_DEFAULTS.items():
        given = out.get(key)  # "" is unset for a word; 0 is a grace period of its own
        if given is None or given == "":
            out[key] = value
    if out.get("securityContext") is None:
        out["securityContext"] = {}
    host_network = pod and out.get("hostNetwork") is True
    for group in CONTAINER_GROUPS:
        containers = out.get(group)
        if isinstance(containers, list):
            own = group != "ephemeralContainers"  # SetDefaults_Pod's part skips ephemeral ones
            out[group] = [
                _container(c, requests_from_limits=pod and own, host_network=host_network and own)
                if isinstance(c, dict)
                else c
                for c in containers
            ]
    volumes = out.get("volumes")
    if isinstance(volumes, list):
        out["volumes"] = [_volume(v) if isinstance(v, dict) else v for v in volumes]
    if pod and out.get("enableServiceLinks") is None:
        out["enableServiceLinks"] = True
    return out


def _container(c: Mapping[str, Any], *, requests_from_limits: bool, host_network: bool) -> Obj:
    out = dict(c)
    if not out.get("imagePullPolicy"):
        out["imagePullPolicy"] = default_pull_policy(str(out.get("image") or ""))
    if not out.get("terminationMessagePath"):
        out["terminationMessagePath"] = "/dev/termination-log"
    if not out.get("terminationMessagePolicy"):
        out["terminationMessagePolicy"] = "File"
    if not isinstance(out.get("resources"), dict):
        out["resources"] = {}  # a struct, written even when empty
    ports = out.get("ports")
    if isinstance(ports, list):
        out["ports"] = [
            _port(p, host_network=host_network) if isinstance(p, dict) else p for p in ports
        ]
    for kind in PROBES:
        probe = out.get(kind)
        if isinstance(probe, dict):
            out[kind] = _probe(probe)
    lifecycle = out.get("lifecycle")
    if isinstance(lifecycle, dict):
        out["lifecycle"] = {
            hook: _handler(handler) if isinstance(handler, dict) else handler
            for hook, handler in lifecycle.items()
        }
    env = out.get("env")
    if isinstance(env, list):
        out["env"] = [_env(e) if isinstance(e, dict) else e for e in env]
    resources = out.get("resources")
    if requests_from_limits and isinstance(resources, dict):
        limits = resources.get("limits")
        if isinstance(limits, dict) and limits:
            requests = resources.get("requests")
            requests = dict(requests) if isinstance(requests, dict) else {}
            for name, amount in limits.items():
                requests.setdefault(name, amount)
            out["resources"] = {**resources, "requests": requests}
    return out


def _port(port: Mapping[str, Any], *, host_network: bool) -> Obj:
    out = dict(port)
    if not out.get("protocol"):
        out["protocol"] = "TCP"
    if host_network and not out.get("hostPort") and out.get("containerPort") is not None:
        out["hostPort"] = out["containerPort"]
    return out


def _probe(probe: Mapping[str, Any]) -> Obj:
    out = _handler(probe)
    for key, value in PROBE_DEFAULTS.items():
        if not out.get(key):
            out[key] = value
    return out


def _handler(handler: Mapping[str, Any]) -> Obj:
    """A probe's or lifecycle hook's action: httpGet path and scheme, grpc service."""
    out = dict(handler)
    http = out.get("httpGet")
    if isinstance(http, dict):
        out["httpGet"] = {
            **http,
            "path": http.get("path") or "/",
            "scheme": http.get("scheme") or "HTTP",
        }
    grpc = out.get("grpc")
    if isinstance(grpc, dict) and grpc.get("service") is None:
        out["grpc"] = {**grpc, "service": ""}
    return out


def _env(var: Mapping[str, Any]) -> Obj:
    source = var.get("valueFrom")
    if isinstance(source, dict) and isinstance(source.get("fieldRef"), dict):
        return {**var, "valueFrom": {**source, "fieldRef": _field_ref(source["fieldRef"])}}
    return dict(var)


def _field_ref(ref: Mapping[str, Any]) -> Obj:
    return {**ref, "apiVersion": ref.get("apiVersion") or "v1"}


def _items(source: Mapping[str, Any]) -> Obj:
    """A downwardAPI source whose items' fieldRefs have their apiVersion."""
    items = source.get("items")
    if not isinstance(items, list):
        return dict(source)
    return {
        **source,
        "items": [
            {**i, "fieldRef": _field_ref(i["fieldRef"])}
            if isinstance(i, dict) and isinstance(i.get("fieldRef"), dict)
            else i
            for i in items
        ],
    }


def _with_mode(source: Mapping[str, Any]) -> Obj:
    out = dict(source)
    if out.get("defaultMode") is None:
        out["defaultMode"] = VOLUME_DEFAULT_MODE
    return out


def _projection(source: Mapping[str, Any]) -> Obj:
    out = dict(source)
    token = out.get("serviceAccountToken")
    if isinstance(token, dict) and token.get("expirationSeconds") is None:
        out["serviceAccountToken"] = {**token, "expirationSeconds": TOKEN_EXPIRATION_SECONDS}
    downward = out.get("downwardAPI")
    if isinstance(downward, dict):
        out["downwardAPI"] = _items(downward)
    return out


def _projected(source: Mapping[str, Any]) -> Obj:
    out = _with_mode(source)
    sources = out.get("sources")
    if isinstance(sources, list):
        out["sources"] = [_projection(s) if isinstance(s, dict) else s for s in sources]
    return out


#: What each volume source gets (its SetDefaults_<Source>).
_SOURCES: Mapping[str, Callable[[Mapping[str, Any]], Obj]] = {
    "secret": _with_mode,
    "configMap": _with_mode,
    "downwardAPI": lambda source: _with_mode(_items(source)),
    "projected": _projected,
    "hostPath": lambda source: {**source, "type": source.get("type") or ""},
}


def _volume(volume: Mapping[str, Any]) -> Obj:
    out = dict(volume)
    if not any(out.get(key) is not None for key in out if key not in _NOT_SOURCES):
        out["emptyDir"] = {}
        return out
    for key, default in _SOURCES.items():
        source = out.get(key)
        if isinstance(source, dict):
            out[key] = default(source)
    return out
