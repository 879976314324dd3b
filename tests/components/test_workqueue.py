"""The controllers' work queue: each object once in the queue, the newer version kept, a later
sync replacing the one asked for before, nothing synced once its object is deleted."""

from __future__ import annotations

from listwatch.clock import ManualClock
from listwatch.components.failures import Failures
from listwatch.components.workqueue import Tracked, WorkQueue
from listwatch.loop import Loop


def obj(uid: str = "u1", rv: str = "1") -> dict:
    return {"metadata": {"uid": uid, "name": uid, "resourceVersion": rv}}


def queue(synced: list[tuple[str, str]], failures: Failures | None = None) -> WorkQueue[Tracked]:
    def sync(item: Tracked) -> None:
        synced.append((item.uid, item.obj["metadata"]["resourceVersion"]))

    return WorkQueue(Loop(ManualClock()), sync, failures)


def test_changes_while_queued_fold_into_one_sync_of_the_newest_version() -> None:
    synced: list[tuple[str, str]] = []
    q = queue(synced)
    made: list[str] = []
    first = q.changed(obj(rv="1"), lambda o: made.append("made") or Tracked(o))
    again = q.changed(obj(rv="3"), Tracked)
    q.changed(obj(rv="2"), Tracked)  # an older version does not replace the newer
    assert first is again and made == ["made"] and q.get("u1") is first
    q.loop.run()
    assert synced == [("u1", "3")]


def test_a_deleted_object_is_not_synced_and_its_later_sync_is_cancelled() -> None:
    synced: list[tuple[str, str]] = []
    q = queue(synced)
    item = q.changed(obj(), Tracked)
    q.later(item, 5.0)
    assert q.deleted(obj()) is item and q.get("u1") is None and item.timer is None
    q.loop.run()
    assert synced == [] and q.deleted(obj()) is None


def test_a_later_sync_replaces_the_one_asked_for_before() -> None:
    synced: list[tuple[str, str]] = []
    q = queue(synced)
    item = q.changed(obj(), Tracked)
    q.loop.run()
    q.later(item, 5.0)
    q.later(item, 10.0)
    q.loop.run()
    assert synced == [("u1", "1"), ("u1", "1")] and q.loop.clock.now() == 10.0


def test_a_sync_that_raises_is_recorded_and_retried() -> None:
    attempts: list[str] = []
    loop = Loop(ManualClock())
    errors: list = []

    def sync(item: Tracked) -> None:
        attempts.append(item.uid)
        if len(attempts) == 1:
            raise RuntimeError("boom")

    q: WorkQueue[Tracked] = WorkQueue(
        loop, sync, Failures(actor="test-controller", loop=loop, errors=errors)
    )
    q.changed(obj(), Tracked)
    loop.run()
    assert attempts == ["u1", "u1"] and len(errors) == 1 and "boom" in str(errors[0])
