"""How a list reads its resourceVersion and pages, as kube-apiserver v1.32 does.

A list's `resourceVersion`, `resourceVersionMatch`, `limit` and `continue` say which state it
wants; kube-apiserver answers some from its watch cache and hands the rest to etcd (the cacher's
shouldDelegateList), and the two answer a bad or unavailable version differently:

| resourceVersion, match               | served by   | answer                                    |
|---------------------------------------|-------------|-------------------------------------------|
| "" (any match but Exact)              | watch cache | the current state (a consistent read:     |
|                                       |             | the cache catches up with etcd first)     |
| "0"                                   | watch cache | the current state, however stale; any     |
|                                       |             | limit ignored (one page, no continue)     |
| N, "" or NotOlderThan                 | watch cache | the current state once the cache reached  |
|                                       |             | N; after 3 s still short of it, 504       |
|                                       |             | `Too large resource version`              |
| N, Exact (or "" with a limit: legacy) | etcd        | the state at revision N; 410 once N is    |
|                                       |             | compacted, 500 for a revision etcd has    |
|                                       |             | not reached                               |
| any continue ("" or "0", no match)    | etcd        | the next page at the token's revision     |
|                                       |             | (`pagination`)                            |

Both cut a page of `limit` objects the same way (`pagination.cut`). A resourceVersion that is not
an unsigned integer is a 500 with no reason from the watch cache (its versioner's InvalidError is
no Status) and a 400 `invalid resource version: ...` from etcd. Options that contradict each other
(a match without a version or with a continue, Exact at "0", a match kube-apiserver does not know)
are refused first, with the 422 of ValidateListOptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from listwatch import errors
from listwatch.apiserver.fields import go_quote

EXACT = "Exact"
NOT_OLDER_THAN = "NotOlderThan"
#: How long the watch cache waits for a resourceVersion it has not reached (its blockTimeout),
#: unless the spec's apiserver settings say otherwise (`watchCacheBlockSeconds`).
BLOCK_SECONDS = 3.0
#: The retryAfterSeconds of the 504 for a resourceVersion the cache did not reach in time.
TOO_LARGE_RETRY_SECONDS = 1
_UINT64_MAX = 2**64 - 1
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class ListOptions:
    """A list request's resourceVersion, resourceVersionMatch, limit and continue."""

    resource_version: str = ""
    match: str = ""
    limit: int = 0
    #: The continue token of the page before (`pagination`).
    continue_: str = ""
    #: Whether the request set sendInitialEvents (forbidden on a list).
    send_initial_events: bool = False

    def validate(self) -> None:
        """The 422 of ValidateListOptions (`ListOptions.meta.k8s.io "" is invalid: ...`) for
        options that contradict each other; nothing otherwise."""
        problems: list[tuple[str, str, str]] = []  # (field, reason, message)
        path = "resourceVersionMatch"
        if self.match:
            if not self.resource_version:
                problems.append(
                    (
                        path,
                        "FieldValueForbidden",
                        "Forbidden: resourceVersionMatch is forbidden "
                        "unless resourceVersion is provided",
                    )
                )
            if self.continue_:
                problems.append(
                    (
                        path,
                        "FieldValueForbidden",
                        "Forbidden: resourceVersionMatch is forbidden when continue is provided",
                    )
                )
            if self.match not in (EXACT, NOT_OLDER_THAN):
                supported = ", ".join(go_quote(v) for v in (EXACT, NOT_OLDER_THAN, ""))
                problems.append(
                    (
                        path,
                        "FieldValueNotSupported",
                        f"Unsupported value: {go_quote(self.match)}: supported values: {supported}",
                    )
                )
            if self.match == EXACT and self.resource_version == "0":
                problems.append(
                    (
                        path,
                        "FieldValueForbidden",
                        'Forbidden: resourceVersionMatch "exact" is '
                        'forbidden for resourceVersion "0"',
                    )
                )
        if self.send_initial_events:
            problems.append(
                (
                    "sendInitialEvents",
                    "FieldValueForbidden",
                    "Forbidden: sendInitialEvents is forbidden for list",
                )
            )
        _refuse(problems)

    def validate_watch(self) -> None:
        """The 422 of ValidateListOptions for a watch (its validateWatchOptions): a match only
        with sendInitialEvents, and then only NotOlderThan (with the WatchList feature on, as
        listwatch serves the initial events a watch asks for)."""
        problems: list[tuple[str, str, str]] = []
        path = "resourceVersionMatch"
        if self.send_initial_events and self.match != NOT_OLDER_THAN:
            problems.append(
                (
                    path,
                    "FieldValueForbidden",
                    "Forbidden: sendInitialEvents requires setting resourceVersionMatch to "
                    "NotOlderThan",
                )
            )
        if self.match:
            if not self.send_initial_events:
                problems.append(
                    (
                        path,
                        "FieldValueForbidden",
                        "Forbidden: resourceVersionMatch is forbidden for watch unless "
                        "sendInitialEvents is provided",
                    )
                )
            if self.match != NOT_OLDER_THAN:
                problems.append(
                    (
                        path,
                        "FieldValueNotSupported",
                        f"Unsupported value: {go_quote(self.match)}: supported values: "
                        f"{go_quote(NOT_OLDER_THAN)}",
                    )
                )
            if self.continue_:
                problems.append(
                    (
                        path,
                        "FieldValueForbidden",
                        "Forbidden: resourceVersionMatch is forbidden when continue is provided",
                    )
                )
        _refuse(problems)

    @property
    def valid(self) -> bool:
        """Whether `validate` accepts the options."""
        try:
            self.validate()
        except errors.Invalid:
            return False
        return True

    @property
    def from_storage(self) -> bool:
        """Whether kube-apiserver hands this list to etcd rather than its watch cache: a continue,
        an Exact match, or the legacy exact read (a limit with a resourceVersion past "0" and no
        match). A consistent read (no resourceVersion) is the cache's once it caught up with
        etcd (ConsistentListFromCache, on in v1.32)."""
        rv = self.resource_version
        legacy_exact = self.limit > 0 and not self.match and rv not in ("", "0")
        return bool(self.continue_) or self.match == EXACT or legacy_exact

    @property
    def page_limit(self) -> int:
        """How many objects a page holds (0: all): the limit, but none from the watch cache at
        resourceVersion "0" (its computeListLimit)."""
        if self.limit <= 0 or (self.resource_version == "0" and not self.from_storage):
            return 0
        return self.limit

    def revision(self) -> int:
        """The resourceVersion as a revision (0 for "" and "0"); a version that is not an
        unsigned integer is refused as whichever of etcd and the watch cache serves the list
        refuses it."""
        rv = self.resource_version
        if rv in ("", "0"):
            return 0
        problem = parse_problem(rv)
        if problem is None:
            return int(rv)
        if self.from_storage:
            raise errors.BadRequest(f"invalid resource version: {problem}")
        raise errors.Unknown(problem)

    def exact(self) -> int:
        """The revision to read at (0: the current state)."""
        return self.revision() if self.from_storage else 0

    def minimum(self) -> int:
        """The revision the watch cache must have reached before it answers (0: none)."""
        return 0 if self.from_storage else self.revision()


def _refuse(problems: list[tuple[str, str, str]]) -> None:
    """The Invalid Status of NewInvalid(ListOptions.meta.k8s.io) for (field, reason, message)
    problems, if there are any."""
    if not problems:
        return
    texts = [f"{field}: {message}" for field, _, message in problems]
    text = texts[0] if len(texts) == 1 else f"[{', '.join(texts)}]"
    raise errors.Invalid(
        f'ListOptions.meta.k8s.io "" is invalid: {text}',
        details={
            "group": "meta.k8s.io",
            "kind": "ListOptions",
            "causes": [
                {"reason": reason, "message": message, "field": field}
                for field, reason, message in problems
            ],
        },
    )


def parse_problem(rv: str) -> str | None:
    """Why `rv` is not a resourceVersion, as kube-apiserver's versioner says it (a field error on
    `resourceVersion` carrying strconv.ParseUint's error), or None."""
    if _DIGITS.fullmatch(rv):
        if int(rv) <= _UINT64_MAX:
            return None
        why = "value out of range"
    else:
        why = "invalid syntax"
    quoted = go_quote(rv)
    return f"resourceVersion: Invalid value: {quoted}: strconv.ParseUint: parsing {quoted}: {why}"


def too_large(wanted: int, current: int) -> errors.Timeout:
    """The watch cache's 504 for a resourceVersion it did not reach within BLOCK_SECONDS."""
    return errors.Timeout(
        f"Timeout: Too large resource version: {wanted}, current: {current}",
        details={
            "causes": [
                {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
            ],
            "retryAfterSeconds": TOO_LARGE_RETRY_SECONDS,
        },
    )
