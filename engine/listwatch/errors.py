"""Every exception listwatch raises, in one tree.

ListwatchError
├── SpecError             the spec (YAML or schema) is wrong: file, YAML path, what was expected
├── ManifestError         a user's manifest is wrong: file, path in it, what was expected
├── StoreError            raised by the MVCC store (the etcd layer)
│   ├── CompactedError    a watch or read asked for a revision older than the compaction point
│   └── FutureRevisionError  a read asked for a revision the store has not reached
├── APIError              an API call failed; carries the HTTP code and Kubernetes reason
│   ├── BadRequest        400 BadRequest
│   ├── Unauthorized      401 Unauthorized: no bearer token, or the wrong one (the served API)
│   ├── Forbidden         403 Forbidden: refused by admission (Priority, a terminating namespace)
│   ├── NotFound          404 NotFound
│   ├── MethodNotAllowed  405 MethodNotAllowed: the resource does not support that verb
│   ├── NotAcceptable     406 NotAcceptable: no media type the client accepts can be served
│   ├── AlreadyExists     409 AlreadyExists
│   ├── Conflict          409 Conflict (a stale resourceVersion, or binding a bound pod)
│   ├── Gone              410 Expired: the requested resourceVersion is too old; re-list
│   ├── RequestEntityTooLarge  413: a request body over the API server's 3 MiB limit
│   ├── UnsupportedMediaType   415: a body (or patch) in a format the server does not read
│   ├── Invalid           422 Invalid (field errors)
│   ├── Unknown           500 with no reason: an error kube-apiserver passes on without a Status
│   │                     of its own (a resourceVersion that is not a number, a binding's field
│   │                     errors)
│   ├── TooManyRequests   429: an eviction a disruption budget does not allow (retry later)
│   ├── ServiceUnavailable     503: the served cluster is stopping or its loop has stopped
│   └── Timeout           504 Timeout: the served cluster did not answer in time
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
        super().__init__(
            f"required revision {requested} has been compacted (compacted up to {compacted})"
        )


class FutureRevisionError(StoreError):
    """The revision asked for is newer than the store's current revision (etcd's ErrFutureRev)."""


class APIError(ListwatchError):
    """An API request failed the way a Kubernetes API server fails it."""

    code = 500
    reason = "InternalError"

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        self.message = message
        self.details = details or {}
        #: Whether the Status carries `details` even when they are empty (`"details":{}`), as a
        #: Status whose StatusDetails pointer is set but holds nothing does.
        self.empty_details = details is not None and not details
        super().__init__(message)

    def status(self) -> dict[str, object]:
        """The `Status` object a Kubernetes API server would return for this error, its fields in
        metav1.Status's order and empty ones left out, as Go's encoder writes them (`omitempty`):
        kind, apiVersion, metadata, status, message, reason, details, code."""
        body: dict[str, object] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
        }
        if self.message:
            body["message"] = self.message
        if self.reason:
            body["reason"] = self.reason
        if self.details or self.empty_details:
            body["details"] = status_details(self.details)
        body["code"] = self.code
        return body


#: The fields of metav1.StatusDetails and of metav1.StatusCause, in their Go order.
_DETAILS_ORDER = ("name", "group", "kind", "uid", "causes", "retryAfterSeconds")
_CAUSE_ORDER = ("reason", "message", "field")


def status_details(details: dict[str, object]) -> dict[str, object]:
    """StatusDetails as Go encodes them: name, group, kind, uid, causes, retryAfterSeconds, each
    cause as reason, message, field; empty values left out (all are `omitempty`)."""
    ordered: dict[str, object] = {}
    for key in _DETAILS_ORDER:
        value = details.get(key)
        if not value:
            continue
        if key == "causes" and isinstance(value, list):
            value = [
                {k: c[k] for k in _CAUSE_ORDER if c.get(k)} if isinstance(c, dict) else c
                for c in value
            ]
        ordered[key] = value
    return ordered


class BadRequest(APIError):
    code = 400
    reason = "BadRequest"


class Unauthorized(APIError):
    code = 401
    reason = "Unauthorized"


class Forbidden(APIError):
    code = 403
    reason = "Forbidden"


class NotFound(APIError):
    code = 404
    reason = "NotFound"


class MethodNotAllowed(APIError):
    code = 405
    reason = "MethodNotAllowed"


class NotAcceptable(APIError):
    code = 406
    reason = "NotAcceptable"


class AlreadyExists(APIError):
    code = 409
    reason = "AlreadyExists"


class Conflict(APIError):
    code = 409
    reason = "Conflict"


class Gone(APIError):
    code = 410
    reason = "Expired"


class RequestEntityTooLarge(APIError):
    code = 413
    reason = "RequestEntityTooLarge"


class UnsupportedMediaType(APIError):
    code = 415
    reason = "UnsupportedMediaType"


class Invalid(APIError):
    code = 422
    reason = "Invalid"


class Unknown(APIError):
    """An error kube-apiserver did not turn into a Status of its own: it answers 500 with the
    error's text and an empty reason (StatusReasonUnknown, left out of the JSON)."""

    code = 500
    reason = ""


class TooManyRequests(APIError):
    code = 429
    reason = "TooManyRequests"


class ServiceUnavailable(APIError):
    code = 503
    reason = "ServiceUnavailable"


class Timeout(APIError):
    code = 504
    reason = "Timeout"


class BackendUnavailable(ListwatchError):
    """A backend was asked for but cannot run on this machine; the message says how to get it."""
