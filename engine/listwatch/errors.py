"""Every exception listwatch raises, in one tree.

ListwatchError
├── SpecError             the spec (YAML or schema) is wrong: names the file, the YAML path, what was expected
├── ManifestError         a user's manifest is wrong: names the file, the path in it, what was expected
├── StoreError            raised by the MVCC store (the etcd layer)
│   ├── CompactedError    a watch or read asked for a revision older than the compaction point
│   └── FutureRevisionError  a read asked for a revision the store has not reached
├── APIError              an API call failed; carries the HTTP code and Kubernetes reason
│   ├── BadRequest        400 BadRequest
│   ├── NotFound          404 NotFound
│   ├── AlreadyExists     409 AlreadyExists
│   ├── Conflict          409 Conflict (a stale resourceVersion, or binding a bound pod)
│   ├── Gone              410 Expired: the requested resourceVersion is too old; re-list
│   └── Invalid           422 Invalid (field errors)
└── BackendUnavailable    a backend cannot run here (no Docker Engine, no kubeconfig ...)
"""

from __future__ import annotations


class ListwatchError(Exception):
    """The root of every error listwatch raises on purpose."""


class _LocatedError(ListwatchError):
    """An error in a file a user wrote: where it is and what was expected there."""

    def __init__(self, file: str, path: str, problem: str, *, line: int | None = None) -> None:
        self.file = file
        self.path = path
        self.problem = problem
        self.line = line
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: at {path or '(document)'}: {problem}")


class SpecError(_LocatedError):
    """The specification is malformed or inconsistent."""


class ManifestError(_LocatedError):
    """A Kubernetes manifest given by the user is malformed or invalid."""


class StoreError(ListwatchError):
    """A failure inside the MVCC store."""


class CompactedError(StoreError):
    """The revision asked for has been compacted away (etcd's ErrCompacted)."""

    def __init__(self, requested: int, compacted: int) -> None:
        self.requested = requested
        self.compacted = compacted
        super().__init__(f"required revision {requested} has been compacted (compacted up to {compacted})")


class FutureRevisionError(StoreError):
    """The revision asked for is newer than the store's current revision (etcd's ErrFutureRev)."""


class APIError(ListwatchError):
    """An API request failed the way a Kubernetes API server fails it."""

    code = 500
    reason = "InternalError"

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        self.message = message
        self.details = details or {}
        super().__init__(message)

    def status(self) -> dict[str, object]:
        """The `Status` object a Kubernetes API server would return for this error."""
        body: dict[str, object] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(APIError):
    code = 400
    reason = "BadRequest"


class NotFound(APIError):
    code = 404
    reason = "NotFound"


class AlreadyExists(APIError):
    code = 409
    reason = "AlreadyExists"


class Conflict(APIError):
    code = 409
    reason = "Conflict"


class Gone(APIError):
    code = 410
    reason = "Expired"


class Invalid(APIError):
    code = 422
    reason = "Invalid"


class BackendUnavailable(ListwatchError):
    """A backend was asked for but cannot run on this machine; the message says how to get it."""
