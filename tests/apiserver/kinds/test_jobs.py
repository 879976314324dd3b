"""Jobs on a write: v1.32's defaults, the generated selector and template labels, validation."""

from __future__ import annotations

from typing import Any

from listwatch.apiserver.kinds import jobs

UID = "0b5a1c1e-7f0e-4c55-9d43-2a1f6c7d8e9f"


def job(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "pi", "namespace": "default", "uid": UID},
        "spec": {
            **spec,
            "template": {
                "spec": {
                    "restartPolicy": spec.pop("restartPolicy", "Never"),
                    "containers": [{"name": "pi", "image": "busybox:1.36"}],
                }
            },
        },
    }


def created(obj: dict[str, Any]) -> dict[str, Any]:
    return jobs.job_defaults(jobs.on_write(obj), None)


def test_a_job_without_completions_or_parallelism_gets_one_of_each_and_v1_32s_defaults() -> None:
    spec = created(job())["spec"]
    assert {k: v for k, v in spec.items() if k not in ("template", "selector")} == {
        "completions": 1,
        "parallelism": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
        "manualSelector": False,
        "podReplacementPolicy": "TerminatingOrFailed",
    }


def test_parallelism_alone_leaves_completions_unset() -> None:
    spec = created(job(parallelism=3))["spec"]
    assert spec["parallelism"] == 3 and "completions" not in spec


def test_a_pod_failure_policy_makes_pods_replaced_only_once_failed_and_conditions_true() -> None:
    policy = {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}
    spec = created(job(podFailurePolicy=policy))["spec"]
    assert spec["podReplacementPolicy"] == "Failed"
    assert spec["podFailurePolicy"]["rules"][0]["onPodConditions"] == [
        {"status": "True", "type": "DisruptionTarget"}
    ]


def test_backoff_limit_per_index_makes_the_backoff_limit_the_largest_int32() -> None:
    assert created(job(backoffLimitPerIndex=1))["spec"]["backoffLimit"] == 2147483647


def test_the_strategy_selects_the_pods_by_the_jobs_uid_and_labels_the_template() -> None:
    made = created(job())
    assert made["spec"]["selector"] == {"matchLabels": {jobs.CONTROLLER_UID: UID}}
    assert made["spec"]["template"]["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": UID,
        "batch.kubernetes.io/job-name": "pi",
        "controller-uid": UID,
        "job-name": "pi",
    }
    assert made["metadata"]["labels"] == made["spec"]["template"]["metadata"]["labels"]
    assert made["status"] == {} and made["metadata"]["generation"] == 1
    assert jobs.validate_job(made) == []


def test_the_job_takes_its_templates_labels_when_it_has_none() -> None:
    obj = job()
    obj["spec"]["template"]["metadata"] = {"labels": {"app": "pi"}}
    assert created(obj)["metadata"]["labels"] == {"app": "pi"}
    obj["metadata"]["labels"] = {"team": "a"}
    assert created(obj)["metadata"]["labels"] == {"team": "a"}


def test_restart_policy_always_is_refused_as_kube_apiserver_refuses_it() -> None:
    assert jobs.validate_job(created(job(restartPolicy="Always"))) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: '
        '"OnFailure", "Never"'
    ]


def test_negative_counts_are_refused() -> None:
    errs = jobs.validate_job(created(job(parallelism=-1, completions=-2, backoffLimit=-3)))
    assert errs == [
        "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
        "spec.completions: Invalid value: -2: must be greater than or equal to 0",
        "spec.backoffLimit: Invalid value: -3: must be greater than or equal to 0",
    ]


def test_a_selector_that_is_not_the_generated_one_is_refused() -> None:
    obj = job(selector={"matchLabels": {"app": "other"}})
    errs = jobs.validate_job(created(obj))
    assert any(e.endswith("`selector` not auto-generated") for e in errs), errs


def test_the_selector_completions_and_template_are_immutable() -> None:
    old = created(job(completions=2))
    new = jobs.on_write({**old, "spec": {**old["spec"], "completions": 3, "parallelism": 2}})
    assert jobs.validate_job_update(old, new) == [
        "spec.completions: Invalid value: 3: field is immutable"
    ]
    changed = dict(old["spec"]["template"]["spec"], activeDeadlineSeconds=5)
    new = {**old, "spec": {**old["spec"], "template": {**old["spec"]["template"], "spec": changed}}}
    errs = jobs.validate_job_update(old, new)
    assert len(errs) == 1 and errs[0].startswith("spec.template: Invalid value: ")
    assert errs[0].endswith(": field is immutable")


def test_a_suspended_job_that_never_started_may_change_its_node_selector() -> None:
    old = created(job(suspend=True))
    changed = dict(old["spec"]["template"]["spec"], nodeSelector={"disk": "ssd"})
    new = {**old, "spec": {**old["spec"], "template": {**old["spec"]["template"], "spec": changed}}}
    assert jobs.validate_job_update(old, new) == []
    started = {**old, "status": {"startTime": "2026-01-01T00:00:00Z"}}
    assert jobs.validate_job_update(started, new) != []
