"""Steps inferred from a real cluster's watch: Pods and Events, without STEP records."""

from __future__ import annotations

import copy

import pytest

from listwatch.engine import Engine
from listwatch.render import inference, tracefile

from .conftest import REAL_WORLD
from .pod_records import RUNNING, changed, pod, watch


def test_a_created_bound_and_started_pod_shows_lw02_lw10_and_lw12(engine: Engine) -> None:
    created = pod()
    bound = changed(created, spec__nodeName="node01", status__conditions=[{"type": "PodScheduled", "status": "True"}])
    running = changed(bound, status__containerStatuses=RUNNING, status__phase="Running")
    assert inference.infer(engine.spec, watch(created, bound, running)) == ["LW-02", "LW-10", "LW-12"]


def test_a_pod_that_names_its_node_shows_nn01_and_no_binding(engine: Engine) -> None:
    created = changed(pod(), spec__nodeName="node01")
    running = changed(created, status__containerStatuses=RUNNING, status__phase="Running")
    assert inference.infer(engine.spec, watch(created, running)) == ["LW-02", "NN-01", "LW-12"]


def test_a_pod_owned_by_a_controller_enters_at_lw07_and_its_event_shows_lw06(engine: Engine) -> None:
    owned = pod()
    owned["metadata"]["ownerReferences"] = [{"kind": "ReplicationController", "name": "rc", "controller": True}]
    rc = {"kind": "ReplicationController", "metadata": {"name": "rc", "namespace": "default", "uid": "rc"}}
    event = {"kind": "Event", "metadata": {"name": "e", "namespace": "default", "uid": "e"}, "reason": "SuccessfulCreate"}
    assert inference.infer(engine.spec, watch(rc, event, owned)) == ["LW-02", "LW-06", "LW-07"]


def test_no_node_fitting_shows_us01_once_and_a_rejected_pod_nn03(engine: Engine) -> None:
    waiting = changed(pod(), status__conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}])
    again = changed(waiting, status__message="still nothing")
    assert inference.infer(engine.spec, watch(pod(), waiting, again)) == ["LW-02", "US-01"]
    named = changed(pod("b"), spec__nodeName="node01")
    rejected = changed(named, status__phase="Failed", status__reason="NodeAffinity")
    assert inference.infer(engine.spec, watch(named, rejected)) == ["LW-02", "NN-01", "NN-03"]


def test_an_image_upgrade_shows_up01_then_up02_then_the_new_start(engine: Engine) -> None:
    running = changed(changed(pod(), spec__nodeName="node01"), status__containerStatuses=RUNNING, status__phase="Running")
    upgraded = copy.deepcopy(running)
    upgraded["spec"]["containers"][0]["image"] = "nginx:1.16"
    restarted = copy.deepcopy(upgraded)
    restarted["status"]["containerStatuses"] = [{**RUNNING[0], "image": "docker.io/library/nginx:1.16", "restartCount": 1}]
    shown = inference.infer(engine.spec, watch(running, upgraded, restarted))
    assert shown == ["LW-02", "NN-01", "LW-12", "UP-01", "UP-02", "LW-12"]


def test_a_trace_that_starts_mid_way_counts_no_creation(engine: Engine) -> None:
    records = [{"type": "MODIFIED", "object": changed(pod(), spec__nodeName="node01")}]
    assert inference.infer(engine.spec, records) == []


def test_the_signs_are_found_in_the_spec_by_what_it_says_a_client_sees(engine: Engine) -> None:
    signs = inference.signs(engine.spec)
    assert signs["created"] == "LW-02" and signs["created_by_controller"] == "LW-07"
    assert signs["bound"] == "LW-10" and signs["named_node"] == "NN-01" and signs["unschedulable"] == "US-01"
    assert signs["started"] == "LW-12" and signs["rejected"] == "NN-03"
    assert signs["image_changed"] == "UP-01" and signs["restarted"] == "UP-02"
    assert signs["event:SuccessfulCreate"] == "LW-06" and signs["event:SuccessfulDelete"] == "RC-01"


REAL = {
    "21_watch_pod_create_success.json": ["LW-02", "LW-10", "LW-12"],
    "22_watch_pod_errimagepull_imagepullbackoff.json": ["LW-02", "LW-10"],
    "24_watch_pod_unschedulable_insufficient_memory.json": ["LW-02", "US-01"],
    "27_watch_pod_completed_restart_never_succeeded.json": ["LW-02", "LW-10", "LW-12"],
    "29_watch_raw_pod_create_to_running_2017.jsonl": ["LW-02", "LW-10", "LW-12"],
    "31_watch_raw_pod_create_to_running_2016_v1.2era.jsonl": ["LW-02", "LW-10", "LW-12"],
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_recordings_from_real_clusters_show_the_steps_they_went_through(engine: Engine, name: str) -> None:
    path = REAL_WORLD / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    assert inference.infer(engine.spec, tracefile.read(path)) == REAL[name]
