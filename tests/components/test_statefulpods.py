"""A StatefulSet's pods, claims and revisions as values: names, identity, storage, revisions,
health and the replica counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from listwatch.components import statefulpods as sp

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def sts(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "default", "uid": "u-1"},
        "spec": {
            "replicas": 2,
            "serviceName": "nginx",
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14"}]},
            },
            **spec,
        },
    }


def pod(name: str, phase: str = "Running", ready: bool = True, **meta: Any) -> dict[str, Any]:
    since = meta.pop("since", "2026-01-01T11:59:00Z")
    return {
        "metadata": {"name": name, **meta},
        "status": {
            "phase": phase,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": since,
                }
            ],
        },
    }


def test_a_name_gives_its_set_and_ordinal() -> None:
    assert sp.parent_and_ordinal({"metadata": {"name": "web-12"}}) == ("web", 12)
    assert sp.parent_and_ordinal({"metadata": {"name": "my-db-0"}}) == ("my-db", 0)
    assert sp.parent_and_ordinal({"metadata": {"name": "web"}}) == ("", -1)
    assert sp.parent_and_ordinal({"metadata": {"name": "web-x"}}) == ("", -1)


def test_a_new_pod_has_its_identity_labels_owner_and_revision() -> None:
    s = sts()
    made = sp.new_pod(s, s["spec"]["template"], 1, "web-abc")
    assert made["metadata"]["name"] == "web-1"
    assert made["metadata"]["generateName"] == "web-"
    assert made["metadata"]["labels"] == {
        "app": "nginx",
        sp.POD_NAME_LABEL: "web-1",
        sp.POD_INDEX_LABEL: "1",
        sp.REVISION_LABEL: "web-abc",
    }
    assert made["spec"]["hostname"] == "web-1" and made["spec"]["subdomain"] == "nginx"
    (ref,) = made["metadata"]["ownerReferences"]
    assert (ref["kind"], ref["uid"], ref["controller"], ref["blockOwnerDeletion"]) == (
        "StatefulSet",
        "u-1",
        True,
        True,
    )
    assert s["spec"]["template"]["metadata"]["labels"] == {"app": "nginx"}  # not changed


def test_a_set_without_a_service_name_gives_no_subdomain() -> None:
    s = sts()
    del s["spec"]["serviceName"]
    assert "subdomain" not in sp.new_pod(s, s["spec"]["template"], 0, "r")["spec"]


def test_each_claim_template_is_a_volume_and_a_claim_per_ordinal() -> None:
    s = sts(
        volumeClaimTemplates=[
            {"metadata": {"name": "www"}, "spec": {"accessModes": ["ReadWriteOnce"]}},
            {"metadata": {"name": "logs", "labels": {"tier": "x"}}, "spec": {}},
        ]
    )
    s["spec"]["template"]["spec"]["volumes"] = [
        {"name": "www", "emptyDir": {}},
        {"name": "config", "configMap": {"name": "c"}},
    ]
    made = sp.new_pod(s, s["spec"]["template"], 3, "r")
    assert made["spec"]["volumes"] == [
        {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-3"}},
        {"name": "logs", "persistentVolumeClaim": {"claimName": "logs-web-3"}},
        {"name": "config", "configMap": {"name": "c"}},
    ]
    claims = sp.new_claims(s, 3)
    assert [c["metadata"]["name"] for c in claims] == ["www-web-3", "logs-web-3"]
    assert claims[0]["metadata"]["labels"] == {"app": "nginx"}
    assert claims[1]["metadata"]["labels"] == {"tier": "x", "app": "nginx"}
    assert claims[0]["spec"] == {"accessModes": ["ReadWriteOnce"]}


def test_a_revision_restores_the_template_and_is_named_for_its_hash() -> None:
    s = sts()
    revision = sp.new_revision(s, 4, 0)
    digest = revision["metadata"]["labels"][sp.REVISION_LABEL]
    assert revision["metadata"]["name"] == f"web-{digest}"
    assert revision["revision"] == 4
    assert revision["data"]["spec"]["template"]["$patch"] == "replace"
    assert sp.template_of_revision(revision) == s["spec"]["template"]
    assert sp.new_revision(s, 9, 0)["metadata"]["name"] == revision["metadata"]["name"]
    assert sp.new_revision(s, 4, 1)["metadata"]["name"] != revision["metadata"]["name"]
    other = sts()
    other["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.15"
    assert sp.new_revision(other, 4, 0)["metadata"]["name"] != revision["metadata"]["name"]
    assert sp.equal_revisions(revision, sp.new_revision(s, 7, 0))
    assert not sp.equal_revisions(revision, sp.new_revision(other, 4, 0))


def test_a_long_set_name_is_cut_before_the_hash() -> None:
    s = sts()
    s["metadata"]["name"] = "a" * 250
    name = sp.new_revision(s, 1, 0)["metadata"]["name"]
    assert name.startswith("a" * sp.MAX_PREFIX + "-") and "a" * (sp.MAX_PREFIX + 1) not in name


def test_health_running_ready_and_available_after_min_ready_seconds() -> None:
    assert sp.running_and_ready(pod("web-0"))
    assert not sp.running_and_ready(pod("web-0", phase="Pending"))
    assert not sp.running_and_ready(pod("web-0", ready=False))
    fresh = pod("web-0", since=(NOW - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert sp.available(fresh, 0, NOW) and not sp.available(fresh, 10, NOW)
    assert sp.available(fresh, 5, NOW)
    assert sp.unavailable(None, 0, NOW)
    assert sp.unavailable(pod("web-0", deletionTimestamp="x"), 0, NOW)
    assert sp.finished(pod("web-0", phase="Failed")) and sp.finished(pod("x-0", phase="Succeeded"))
    assert not sp.created({"metadata": {"name": "web-0"}, "status": {}})


def test_replica_counts_by_revision_skip_terminating_pods() -> None:
    pods = [
        pod("web-0", labels={sp.REVISION_LABEL: "old"}),
        pod("web-1", ready=False, labels={sp.REVISION_LABEL: "new"}),
        pod("web-2", labels={sp.REVISION_LABEL: "new"}, deletionTimestamp="x"),
    ]
    assert sp.replica_counts(pods, 0, NOW, "old", "new") == {
        "replicas": 3,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "currentReplicas": 1,
        "updatedReplicas": 1,
    }


def test_policy_and_strategy_defaults() -> None:
    assert sp.monotonic(sts()) and not sp.monotonic(sts(podManagementPolicy="Parallel"))
    assert sp.strategy_of(sts()) == sp.ROLLING_UPDATE
    assert sp.partition_of(sts(updateStrategy={"rollingUpdate": {"partition": 2}})) == 2
    assert sp.start_ordinal(sts(ordinals={"start": 3})) == 3 and sp.start_ordinal(sts()) == 0
