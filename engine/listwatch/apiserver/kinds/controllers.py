"""ReplicationControllers and ReplicaSets on a write: defaults (their pod template's too), the
selector they own pods by, and validation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.fields import FieldErrors, validate_meta
from listwatch.apiserver.kinds.pods import validate_pod_template
from listwatch.apiserver.kinds.podspec import default_pod_spec
from listwatch.apiserver.objects import Obj


def on_write(obj: Obj) -> Obj:
    """A controller whose pod template has the scheme defaults of a pod spec (`podspec`; not a
    Pod's own: a template's containers get no requests from their limits)."""
    spec = obj.get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        return obj
    return objects.replace(obj, "spec.template.spec", default_pod_spec(template["spec"], pod=False))


def controller_defaults(obj: Obj, ctx: Any) -> Obj:
    out = dict(obj)
    spec = dict(out.get("spec") or {})
    spec.setdefault("replicas", 1)
    template = spec.get("template") or {}
    if out.get("kind") == "ReplicationController" and not spec.get("selector"):
        spec["selector"] = dict(objects.labels_of(template))
    template = dict(template)
    template["spec"] = default_pod_spec(template.get("spec") or {}, pod=False)
    spec["template"] = template
    out["spec"] = spec
    meta = dict(out.get("metadata") or {})
    if out.get("kind") == "ReplicationController" and not meta.get("labels"):
        # v1 SetDefaults_ReplicationController; apps/v1 gives a ReplicaSet no labels of its own
        meta["labels"] = dict(objects.labels_of(template))
    meta["generation"] = 1
    out["metadata"] = meta
    out["status"] = {"replicas": 0}
    return out


def controller_selector(obj: Mapping[str, Any]) -> Mapping[str, str]:
    """The label map a ReplicationController or ReplicaSet selects its pods by."""
    selector = (obj.get("spec") or {}).get("selector") or {}
    if "matchLabels" in selector or "matchExpressions" in selector:
        return selector.get("matchLabels") or {}
    return selector


def validate_controller(obj: Obj) -> FieldErrors:
    errs = validate_meta(obj, namespaced=True)
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [*errs, "spec: Required value"]
    replicas = spec.get("replicas", 1)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        errs.append(
            f"spec.replicas: Invalid value: {replicas!r}: must be greater than or equal to 0"
        )
    template = spec.get("template")
    if not isinstance(template, dict):
        return [*errs, "spec.template: Required value"]
    selector = controller_selector(obj)
    labels = objects.labels_of(template)
    if not selector:
        errs.append("spec.selector: Required value")
    elif any(labels.get(k) != v for k, v in selector.items()):
        errs.append(
            f"spec.template.metadata.labels: Invalid value: {dict(labels)!r}: `selector` does not "
            "match template `labels`"
        )
    errs.extend(validate_pod_template(template))
    return errs
