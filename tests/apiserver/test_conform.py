"""A body held against its kind's schema: Go's words for what is wrong, and where."""

from __future__ import annotations

from typing import Any

import pytest

from listwatch.apiserver import conform

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "labels": None},
    "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]},
}


def with_spec(**fields: Any) -> dict[str, Any]:
    return {**POD, "spec": {**POD["spec"], **fields}}


def test_a_conforming_body_keeps_its_fields_and_loses_its_nulls() -> None:
    result = conform.conform_model("V1Pod", POD)
    assert result.value["metadata"] == {"name": "p"}
    assert result.value["spec"] == POD["spec"]
    assert result.unknown == []


def test_unknown_fields_are_dropped_and_listed_with_their_indices() -> None:
    body = with_spec(containers=[{"name": "c", "image": "nginx", "imagePolicy": "Always"}])
    result = conform.conform_model("V1Pod", body)
    assert "imagePolicy" not in result.value["spec"]["containers"][0]
    assert result.unknown == ["spec.containers[0].imagePolicy"]


@pytest.mark.parametrize(
    ("body", "path", "text"),
    [
        (
            with_spec(containers=[{"name": "c", "ports": [{"containerPort": "80"}]}]),
            "spec.containers[0].ports[0].containerPort",
            "json: cannot unmarshal string into Go struct field "
            "ContainerPort.spec.containers.ports.containerPort of type int32",
        ),
        (
            with_spec(containers=[{"name": "c", "resources": {"limits": {"cpu": "1x"}}}]),
            "spec.containers[0].resources.limits[cpu]",
            "quantities must match the regular expression",
        ),
        (
            {**POD, "metadata": {"name": "p", "creationTimestamp": "yesterday"}},
            "metadata.creationTimestamp",
            'parsing time "yesterday"',
        ),
        (5, "", "json: cannot unmarshal number into Go value of type v1.Pod"),
    ],
)
def test_a_value_go_cannot_decode_is_refused_with_its_path(body: Any, path: str, text: str) -> None:
    with pytest.raises(conform.DecodeError) as caught:
        conform.conform_model("V1Pod", body)
    assert caught.value.path == path
    assert str(caught.value).startswith(text)


def test_a_timestamp_in_any_offset_comes_back_in_utc_to_the_second_or_microsecond() -> None:
    """metav1.Time decodes any RFC 3339 offset and encodes UTC to the second (what the official
    client sends, `+00:00`, reads back as kubectl and the tables expect); MicroTime keeps six
    digits."""
    pod = {**POD, "status": {"startTime": "2026-12-03T18:00:01.987654+01:00"}}
    assert conform.conform_model("V1Pod", pod).value["status"]["startTime"] == (
        "2026-12-03T17:00:01Z"
    )
    event = {
        "metadata": {"name": "e"},
        "involvedObject": {"kind": "Pod", "name": "p"},
        "eventTime": "2026-12-03T17:00:01.5+00:00",
        "firstTimestamp": "2026-12-03T17:00:01+00:00",
    }
    value = conform.conform_model("CoreV1Event", event).value
    assert value["eventTime"] == "2026-12-03T17:00:01.500000Z"
    assert value["firstTimestamp"] == "2026-12-03T17:00:01Z"
