"""ReplicationControllers and ReplicaSets on a write."""

from __future__ import annotations

from listwatch.apiserver.kinds import controllers


def test_a_replication_controllers_template_is_checked_as_a_pod_at_its_own_paths() -> None:
    rc = {
        "metadata": {"name": "rc"},
        "spec": {
            "replicas": 1,
            "selector": {"app": "a"},
            "template": {
                "metadata": {"labels": {"app": "a"}},
                "spec": {"containers": [{"name": "c", "image": "i", "imagePullPolicy": "Often"}]},
            },
        },
    }
    assert controllers.validate_controller(rc) == [
        'spec.template.spec.containers[0].imagePullPolicy: Unsupported value: "Often": supported '
        'values: "Always", "IfNotPresent", "Never"'
    ]
