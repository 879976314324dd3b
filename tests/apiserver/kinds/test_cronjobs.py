"""CronJobs on a write: v1.32's defaults and validation."""

from __future__ import annotations

from typing import Any

from listwatch.apiserver.kinds import cronjobs


def cronjob(name: str = "tick", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "schedule": "*/5 * * * *",
            **spec,
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": spec.pop("restartPolicy", "OnFailure"),
                            "containers": [{"name": "c", "image": "busybox:1.36"}],
                        }
                    }
                }
            },
        },
    }


def test_a_cronjob_gets_set_defaults_cronjob_and_no_job_defaults() -> None:
    spec = cronjobs.on_write(cronjob())["spec"]
    assert {k: v for k, v in spec.items() if k != "jobTemplate"} == {
        "schedule": "*/5 * * * *",
        "concurrencyPolicy": "Allow",
        "suspend": False,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1,
    }
    job_spec = spec["jobTemplate"]["spec"]
    assert "backoffLimit" not in job_spec and "completions" not in job_spec
    assert job_spec["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
    assert cronjobs.validate_cronjob(cronjobs.on_write(cronjob())) == []


def test_a_schedule_that_does_not_parse_is_refused_with_robfig_crons_words() -> None:
    assert cronjobs.validate_cronjob(cronjob(schedule="every minute")) == [
        'spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: '
        "[every minute]"
    ]


def test_tz_in_the_schedule_is_refused_for_the_time_zone_field() -> None:
    errs = cronjobs.validate_cronjob(cronjob(schedule="CRON_TZ=UTC 0 * * * *"))
    assert errs[-1] == (
        'spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in '
        "schedule, use timeZone field instead"
    )


def test_an_unknown_time_zone_and_a_long_name_are_refused() -> None:
    assert cronjobs.validate_cronjob(cronjob(timeZone="Mars/Olympus")) == [
        'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'
    ]
    assert cronjobs.validate_cronjob(cronjob(timeZone="Europe/Paris")) == []
    long = "a" * 53
    assert cronjobs.validate_cronjob(cronjob(long)) == [
        f'metadata.name: Invalid value: "{long}": must be no more than 52 characters'
    ]


def test_the_job_templates_restart_policy_is_a_jobs() -> None:
    assert cronjobs.validate_cronjob(cronjobs.on_write(cronjob(restartPolicy="Always"))) == [
        'spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": '
        'supported values: "OnFailure", "Never"'
    ]
