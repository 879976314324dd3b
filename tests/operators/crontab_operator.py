"""A small kopf operator, as people write them for real clusters: it reconciles CronTabs
(stable.example.com/v1) by writing a ConfigMap per CronTab, owned by it, and reporting in the
CronTab's status. `tests/server/test_kopf.py` runs it against `listwatch serve`."""

from __future__ import annotations

from typing import Any

import kopf
import kubernetes


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.finalizer = "stable.example.com/crontab-operator"
    settings.watching.server_timeout = 30
    kubernetes.config.load_kube_config()


@kopf.on.create("stable.example.com", "v1", "crontabs")
@kopf.on.update("stable.example.com", "v1", "crontabs")
def reconcile(spec: Any, name: str, namespace: str, body: Any, **_: Any) -> dict[str, Any]:
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{name}-schedule"},
        "data": {"cronSpec": spec["cronSpec"], "replicas": str(spec.get("replicas", 1))},
    }
    kopf.adopt(config, owner=body)
    core = kubernetes.client.CoreV1Api()
    try:
        core.replace_namespaced_config_map(config["metadata"]["name"], namespace, config)
    except kubernetes.client.ApiException as missing:
        if missing.status != 404:
            raise
        core.create_namespaced_config_map(namespace, config)
    kopf.info(body, reason="Reconciled", message=f"schedule {spec['cronSpec']} written")
    return {"schedule": config["metadata"]["name"]}


@kopf.on.delete("stable.example.com", "v1", "crontabs")
def forget(name: str, logger: Any, **_: Any) -> None:
    logger.info(f"crontab {name} deleted")
