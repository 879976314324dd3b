"""One contract for every backend the features run on: memory, docker and cluster
(`listwatch.backends`).

Each test body runs against every registered backend: memory and docker as they are made for the
features, the cluster backend against a served cluster in this process (`listwatch serve`). A
backend that cannot run here is skipped with its reason (failed where its `required_by` variable
is set). Where backends legitimately differ, the body asks the backend's declared capabilities,
never its name: a facet method it lacks the capability for raises `BackendUnavailable`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.backend import Backend, Capability
from listwatch.backends import BACKENDS, Options, make
from listwatch.engine import Engine
from listwatch.server import Server

NODES = ("node01", "node02")
#: How long a body waits for the cluster to get somewhere, in seconds of the backend's clock.
PATIENCE = 60.0
SLEEPER: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "containers": [
            {
                "name": "app",
                "image": "busybox:1.36",
                "command": ["sh", "-c", "echo hello; sleep 3600"],
            }
        ]
    },
}


def pod(name: str) -> dict[str, Any]:
    return {**SLEEPER, "metadata": {"name": name, "labels": {"app": name}}}


def _nowhere(request: pytest.FixtureRequest) -> Options:
    return Options()


def _served(request: pytest.FixtureRequest) -> Options:
    server: Server = request.getfixturevalue("server")
    return Options(kubeconfig=str(server.kubeconfig))


#: Where each registered backend runs in these tests: what it is made with.
PLACES: dict[str, Callable[[pytest.FixtureRequest], Options]] = {
    "memory": _nowhere,
    "docker": _nowhere,
    "cluster": _served,
}


@pytest.fixture(params=list(BACKENDS))
def subject(request: pytest.FixtureRequest, engine: Engine) -> Iterator[Backend]:
    """A started backend on the nodes node01 and node02 (closed after the test)."""
    registered = BACKENDS[request.param]
    try:
        made = registered.make(engine, PLACES[registered.name](request))
    except errors.BackendUnavailable as exc:
        if registered.required_by and os.environ.get(registered.required_by):
            pytest.fail(f"{exc} ({registered.required_by} is set: this run must have it)")
        pytest.skip(str(exc))
    with contextlib.closing(made):
        made.start(NODES)
        yield made


def running(backend: Backend, name: str) -> Callable[[], bool]:
    return lambda: backend.pod(name)["status"].get("phase") == "Running"


def test_every_registered_backend_has_a_place_to_run_here() -> None:
    assert set(PLACES) == set(BACKENDS)


def test_an_unknown_backend_is_refused_naming_the_backends_there_are(engine: Engine) -> None:
    with pytest.raises(KeyError, match="expected one of memory, docker, cluster"):
        make("kind", engine)


def test_a_started_backend_is_a_backend_with_at_most_its_registered_capabilities(
    subject: Backend, request: pytest.FixtureRequest
) -> None:
    assert isinstance(subject, Backend)
    assert subject.capabilities <= BACKENDS[request.node.callspec.params["subject"]].capabilities


def test_a_created_pod_is_got_listed_runs_and_shows_its_events_and_logs(subject: Backend) -> None:
    created = subject.apply(pod("web"))
    assert (objects.name_of(created), objects.namespace_of(created)) == ("web", "default")
    assert subject.settle(until=running(subject, "web"), horizon=PATIENCE)
    assert subject.get("pods", "web")["spec"]["nodeName"] in NODES
    assert [objects.name_of(p) for p in subject.list("pods")] == ["web"]
    assert [objects.name_of(p) for p in subject.pods()] == ["web"]
    items, rv = subject.list_at("pods")
    assert [objects.name_of(p) for p in items] == ["web"] and rv.isdigit()
    reasons = {e["reason"] for e in subject.events_for(subject.pod("web"))}
    assert {"Scheduled", "Started"} <= reasons, reasons
    assert subject.settle(until=lambda: subject.logs("web") == "hello\n", horizon=PATIENCE)


def test_getting_an_object_that_is_not_there_is_not_found(subject: Backend) -> None:
    with pytest.raises(errors.NotFound):
        subject.get("pods", "ghost")


def test_a_watch_from_a_lists_resource_version_sees_what_was_created_after_it(
    subject: Backend,
) -> None:
    subject.apply(pod("before"))
    _, rv = subject.list_at("pods")
    seen: list[str] = []
    with subject.watching("pods", resource_version=rv, seconds=10) as events:
        subject.apply(pod("after"))
        for event in events:
            seen.append(f"{event['type']} {objects.name_of(event['object'])}")
            if "ADDED after" in seen:
                break
    assert "ADDED after" in seen and "ADDED before" not in seen, seen


def test_labelling_a_node_refuses_to_change_a_value_without_overwrite(subject: Backend) -> None:
    subject.label_node("node01", "contract", "one")
    with pytest.raises(errors.Conflict):
        subject.label_node("node01", "contract", "two")
    labelled = subject.label_node("node01", "contract", "two", overwrite=True)
    assert objects.labels_of(labelled)["contract"] == "two"
    assert objects.name_of(labelled) == "node01"
    subject.label_node("node01", "contract", None)


def test_a_create_and_a_scale_are_remembered_as_the_objects_last_change(subject: Backend) -> None:
    controller = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "rc"},
        "spec": {
            "replicas": 1,
            "selector": {"app": "rc"},
            "template": {"metadata": {"labels": {"app": "rc"}}, "spec": SLEEPER["spec"]},
        },
    }
    created = subject.apply(controller)
    assert subject.changed_at("replicationcontrollers", "rc") == objects.rv_of(created)
    scaled = subject.scale("replicationcontrollers", "rc", 2)
    assert subject.changed_at("ReplicationController", "rc") == objects.rv_of(scaled)
    assert subject.changed_at("pods", "rc") == ""


def test_a_held_watch_of_a_kubelet_is_reconnected_and_it_relists(subject: Backend) -> None:
    if Capability.COMPONENT_WATCHES not in subject.capabilities:
        with pytest.raises(errors.BackendUnavailable):
            subject.watches()
        return
    actor = "kubelet/node01"
    assert {(w["resource"], w["fieldSelector"]) for w in subject.watches(actor=actor)} >= {
        ("pods", "spec.nodeName=node01")
    }
    cut = subject.cut(actor, resource="pods", reconnect=False)
    assert [(w["actor"], w["resource"]) for w in cut] == [(actor, "pods")]
    (held,) = [i for i in subject.informers(actor=actor) if i["watch"] == "pods"]
    assert held["held"] and not held["connected"]
    back = subject.reconnect(actor, resource="pods")
    assert not any(i["held"] for i in back)

    def watching() -> bool:
        return any(i["watch"] == "pods" and i["connected"] for i in subject.informers(actor=actor))

    assert subject.settle(until=watching, horizon=PATIENCE)


def test_a_watch_from_before_a_compaction_gets_410_gone(subject: Backend) -> None:
    if Capability.COMPACTION not in subject.capabilities:
        with pytest.raises(errors.BackendUnavailable):
            subject.compact()
        return
    _, rv = subject.list_at("pods")
    subject.apply(pod("later"))
    compaction = subject.compact()
    assert compaction["revision"] > int(rv)
    with subject.watching("pods", resource_version=rv, seconds=5) as events:
        first = next(iter(events))
    assert first["type"] == "ERROR"
    assert (first["object"]["code"], first["object"]["reason"]) == (410, "Expired")


def test_the_internal_steps_are_shown_only_by_a_backend_that_declares_them(
    subject: Backend,
) -> None:
    subject.apply(pod("web"))
    assert subject.settle(until=running(subject, "web"), horizon=PATIENCE)
    if Capability.INTERNAL_STEPS in subject.capabilities:
        steps = subject.steps_of("web")
        assert steps[:1] == ("LW-02",) and "LW-13" in steps, steps  # created by a client, ran
        assert {"scheduler", "kubelet/node01"} <= subject.watchers()
        assert subject.report() is None
        return
    with pytest.raises(errors.BackendUnavailable):
        subject.steps_of("web")
    report = subject.report()
    assert report is not None and not report.violations, report


def test_the_troubleshooting_facts_are_read_in_the_features_names(subject: Backend) -> None:
    subject.apply(pod("web"))
    assert subject.settle(until=running(subject, "web"), horizon=PATIENCE)
    facts = subject.facts()
    found = facts.pod("web", "default")
    assert found is not None and objects.namespace_of(found) == "default"
    assert facts.pod("ghost", "default") is None
    assert {objects.name_of(n) for n in facts.nodes()} >= set(NODES)
