"""An etcd-like multi-version key-value store: one global revision, history, compaction.

Every successful write (create, update, delete) increments the store's single revision by one and
appends one `Event` to the history. Reads see the current state. The history since the compaction
point can be replayed, which is what watches from an old revision need; asking for a compacted
revision is `CompactedError`, which the API server turns into 410 Gone.

Worked example (keys a and b):

    rev 1  put a=1       history: [1 PUT a]
    rev 2  put b=1       history: [1 PUT a, 2 PUT b]
    rev 3  put a=2       history: [1 PUT a, 2 PUT b, 3 PUT a]
    rev 4  delete b      history: [..., 4 DELETE b]          current: {a: 2 (mod 3)}
    compact(2)           history: [3 PUT a, 4 DELETE b]      events_since(2) -> [3, 4]
                                                             events_since(1) -> CompactedError
    compact(4)           history: []                         events_since(4) -> []

`range_at(prefix, r)` is the state at revision r, rewound from the current state through the
history (in the example after compact(2): range_at("", 2) -> {a: 1, b: 1}, from event 3's and
event 4's previous values; range_at("", 1) -> CompactedError).
`events_since(r)` returns the events with revision > r, the way a Kubernetes watch "from
resourceVersion r" needs them (etcd's own watch start revision is inclusive: r + 1).
Keys are paths (`/registry/pods/default/web`). The store keeps them in buckets by their first two
segments (`/registry/pods/`), so a range over one resource does not scan the others.
The store is single-writer; the API server serialises writes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from listwatch import errors

PUT = "PUT"
DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class KeyValue:
    """A key's value at one revision. `version` counts writes since the key was (re)created."""

    key: str
    value: Any
    create_revision: int
    mod_revision: int
    version: int


@dataclass(frozen=True, slots=True)
class Event:
    """One committed write. `prev` is the key's value before it (None on create)."""

    type: str
    kv: KeyValue
    prev: KeyValue | None

    @property
    def revision(self) -> int:
        return self.kv.mod_revision


class MVCCStore:
    """Keys ordered by name, one global revision, and a compactable history of events.

    Listeners registered with `subscribe` are called synchronously with each committed event;
    watchers built on top decide how and when to deliver it.
    """

    def __init__(self) -> None:
        self._buckets: dict[str, dict[str, KeyValue]] = {}
        self._history: deque[Event] = deque()
        self._revision = 0
        self._compacted = 0
        self._listeners: list[Callable[[Event], None]] = []

    @property
    def revision(self) -> int:
        """The revision of the last committed write (0 for an empty store)."""
        return self._revision

    @property
    def compacted(self) -> int:
        """Every revision up to and including this one has been compacted away."""
        return self._compacted

    def _bucket(self, key: str) -> dict[str, KeyValue]:
        name = _bucket_name(key)
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._buckets[name] = {}
        return bucket

    def get(self, key: str) -> KeyValue | None:
        return self._bucket(key).get(key)

    def range(self, prefix: str) -> tuple[list[KeyValue], int]:
        """All current keys under `prefix`, sorted by key, with the revision they were read at."""
        items = list(self.iter_prefix(prefix))
        items.sort(key=lambda kv: kv.key)
        return items, self._revision

    def range_at(self, prefix: str, revision: int) -> list[KeyValue]:
        """The keys under `prefix` as they were at `revision`, sorted by key (etcd's Range with a
        revision): the current keys, each one written since taken back to its value before the
        first write after `revision` (absent if that write created it).

        Raises `CompactedError` for a revision before the compaction point, and
        `FutureRevisionError` for one the store has not reached.
        """
        state = {kv.key: kv for kv in self.iter_prefix(prefix)}
        rewound: set[str] = set()
        for event in self.events_since(revision, prefix):
            key = event.kv.key
            if key in rewound:
                continue
            rewound.add(key)
            if event.prev is None:
                state.pop(key, None)
            else:
                state[key] = event.prev
        return [state[key] for key in sorted(state)]

    def iter_prefix(self, prefix: str) -> Iterator[KeyValue]:
        """Current keys under `prefix` in no particular order (cheaper than `range`)."""
        found: list[KeyValue] = []
        for name, bucket in self._buckets.items():
            if name.startswith(prefix):
                found.extend(bucket.values())
            elif prefix.startswith(name):
                found.extend(kv for key, kv in bucket.items() if key.startswith(prefix))
        return iter(found)

    def count(self, prefix: str = "") -> int:
        """How many keys exist under `prefix`."""
        if not prefix:
            return sum(len(b) for b in self._buckets.values())
        return sum(1 for _ in self.iter_prefix(prefix))

    def create(self, key: str, value: Any) -> KeyValue:
        """Write a new key; a key that exists is `KeyExistsError`."""
        if key in self._bucket(key):
            raise KeyExistsError(key)
        return self._commit(PUT, key, value, None)

    def update(self, key: str, value: Any, *, expect_mod_revision: int | None = None) -> KeyValue:
        """Overwrite a key, only if it still has `expect_mod_revision` when one is given (a
        compare-and-swap)."""
        prev = self._bucket(key).get(key)
        if prev is None:
            raise KeyMissingError(key)
        if expect_mod_revision is not None and prev.mod_revision != expect_mod_revision:
            raise RevisionMismatchError(key, expected=expect_mod_revision, actual=prev.mod_revision)
        return self._commit(PUT, key, value, prev)

    def delete(self, key: str, *, expect_mod_revision: int | None = None) -> KeyValue:
        """Remove a key (a tombstone at a new revision); returns the value it had."""
        prev = self._bucket(key).get(key)
        if prev is None:
            raise KeyMissingError(key)
        if expect_mod_revision is not None and prev.mod_revision != expect_mod_revision:
            raise RevisionMismatchError(key, expected=expect_mod_revision, actual=prev.mod_revision)
        self._commit(DELETE, key, prev.value, prev)
        return prev

    def next_revision(self) -> int:
        """The revision the next write will get (the API server stamps it into the object)."""
        return self._revision + 1

    def _commit(self, kind: str, key: str, value: Any, prev: KeyValue | None) -> KeyValue:
        self._revision = revision = self._revision + 1
        bucket = self._bucket(key)
        if kind == PUT:
            if prev is None:
                kv = KeyValue(key, value, revision, revision, 1)
            else:
                kv = KeyValue(key, value, prev.create_revision, revision, prev.version + 1)
            bucket[key] = kv
        else:
            kv = KeyValue(key, value, prev.create_revision if prev else revision, revision, 0)
            del bucket[key]
        event = Event(kind, kv, prev)
        self._history.append(event)
        for listener in self._listeners:
            listener(event)
        return kv

    def events_since(self, revision: int, prefix: str = "") -> list[Event]:
        """The committed events with a revision greater than `revision`, under `prefix`.

        Raises `CompactedError` when events the caller needs were compacted away, and
        `FutureRevisionError` for a revision the store has not reached.
        """
        if revision > self._revision:
            raise errors.FutureRevisionError(
                f"revision {revision} is newer than the store's {self._revision}"
            )
        if revision < self._compacted:
            raise errors.CompactedError(revision, self._compacted)
        history = self._history
        if not history or history[-1].revision <= revision:
            return []
        # History revisions are consecutive from compacted+1, so the start index is arithmetic.
        start = max(0, revision - history[0].revision + 1)
        return [e for e in islice(history, start, None) if e.kv.key.startswith(prefix)]

    def compact(self, revision: int) -> None:
        """Forget the history up to and including `revision` (etcd's Compact)."""
        if revision > self._revision:
            raise errors.FutureRevisionError(
                f"cannot compact to {revision}: the store is at {self._revision}"
            )
        if revision <= self._compacted:
            return
        history = self._history
        while history and history[0].revision <= revision:
            history.popleft()
        self._compacted = revision

    def history_size(self) -> int:
        return len(self._history)

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call `listener` with every event committed from now on; returns an unsubscribe
        function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)


class KeyExistsError(errors.StoreError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"key {key!r} already exists")


class KeyMissingError(errors.StoreError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"key {key!r} not found")


class RevisionMismatchError(errors.StoreError):
    def __init__(self, key: str, *, expected: int, actual: int) -> None:
        self.key = key
        self.expected = expected
        self.actual = actual
        super().__init__(f"key {key!r} is at revision {actual}, not {expected}")


def _bucket_name(key: str) -> str:
    """The first two segments of a key path: `/registry/pods/default/web` -> `/registry/pods/`."""
    cut = key.find("/", 10) if key.startswith("/registry/") else key.find("/", key.find("/", 1) + 1)
    return key if cut < 0 else key[: cut + 1]
