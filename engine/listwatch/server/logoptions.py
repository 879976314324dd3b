"""The options of `pods/{name}/log` (v1 PodLogOptions), read from the query as kube-apiserver
v1.32 reads them.

Two steps, with two kinds of error, as in kube-apiserver:
1. the parameter codec turns the query into PodLogOptions: a number that is not one, or a
   sinceTime that is not RFC 3339, is a 400 with Go's parse error (`strconv.ParseInt: parsing
   "x": invalid syntax`, `parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as
   "2006"`);
2. ValidatePodLogOptions refuses what contradicts itself, a 422 `PodLogOptions "web" is invalid:
   ...`: a negative tailLines, a limitBytes or sinceSeconds under 1, both sinceSeconds and
   sinceTime.

The kubelet then reads the log from `since` (NewLogOptions: now minus sinceSeconds, or sinceTime).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from listwatch import errors
from listwatch.apiserver.fields import go_quote
from listwatch.server import routes
from listwatch.server.messages import Request

RFC3339 = "2006-01-02T15:04:05Z07:00"
_INT64 = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True, slots=True)
class PodLogOptions:
    container: str | None = None
    follow: bool = False
    previous: bool = False
    timestamps: bool = False
    tail_lines: int | None = None
    limit_bytes: int | None = None
    since_seconds: int | None = None
    since_time: datetime | None = None

    def since(self, now: datetime) -> datetime | None:
        """The instant the kubelet reads the log from (None: from its start)."""
        if self.since_seconds is not None:
            return now - timedelta(seconds=self.since_seconds)
        return self.since_time


def pod_log_options(request: Request, pod: str) -> PodLogOptions:
    """The request's PodLogOptions, decoded and validated (400 or 422 as kube-apiserver)."""
    q = request.query
    options = PodLogOptions(
        container=q.get("container") or None,
        follow=routes.truthy(q.get("follow")),
        previous=routes.truthy(q.get("previous")),
        timestamps=routes.truthy(q.get("timestamps")),
        tail_lines=_int64(q.get("tailLines")),
        limit_bytes=_int64(q.get("limitBytes")),
        since_seconds=_int64(q.get("sinceSeconds")),
        since_time=_time(q.get("sinceTime")),
    )
    _validate(options, pod)
    return options


def _validate(options: PodLogOptions, pod: str) -> None:
    """ValidatePodLogOptions: each problem a field error, together one 422."""
    problems: list[tuple[str, str, str]] = []  # (field, reason, message)
    if options.tail_lines is not None and options.tail_lines < 0:
        problems.append(
            (
                "tailLines",
                "FieldValueInvalid",
                f"Invalid value: {options.tail_lines}: must be greater than or equal to 0",
            )
        )
    if options.limit_bytes is not None and options.limit_bytes < 1:
        problems.append(
            (
                "limitBytes",
                "FieldValueInvalid",
                f"Invalid value: {options.limit_bytes}: must be greater than 0",
            )
        )
    if options.since_seconds is not None and options.since_time is not None:
        problems.append(
            (
                "",
                "FieldValueForbidden",
                "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
            )
        )
    elif options.since_seconds is not None and options.since_seconds < 1:
        problems.append(
            (
                "sinceSeconds",
                "FieldValueInvalid",
                f"Invalid value: {options.since_seconds}: must be greater than 0",
            )
        )
    if not problems:
        return
    texts = [f"{field}: {message}" for field, _, message in problems]
    text = texts[0] if len(texts) == 1 else f"[{', '.join(texts)}]"
    raise errors.Invalid(
        f'PodLogOptions "{pod}" is invalid: {text}',
        details={
            "name": pod,
            "kind": "PodLogOptions",
            "causes": [
                {"reason": reason, "message": message, "field": field}
                for field, reason, message in problems
            ],
        },
    )


def _int64(value: str | None) -> int | None:
    """An int64 query parameter as the parameter codec reads it (strconv.ParseInt)."""
    if value is None:
        return None
    if _INT64.fullmatch(value):
        number = int(value)
        if -(2**63) <= number < 2**63:
            return number
        why = "value out of range"
    else:
        why = "invalid syntax"
    raise errors.BadRequest(f"strconv.ParseInt: parsing {go_quote(value)}: {why}")


def _time(value: str | None) -> datetime | None:
    """A metav1.Time query parameter (RFC 3339; "" and "null" are none), or the 400 of Go's
    time.Parse."""
    if not value or value == "null":
        return None
    try:
        return parse_rfc3339(value)
    except _ParseError as exc:
        raise errors.BadRequest(str(exc)) from None


class _ParseError(ValueError):
    """Go's time.ParseError, worded as its Error() words it."""

    def __init__(
        self, value: str, *, layout_elem: str = "", value_elem: str = "", message: str = ""
    ):
        if message:
            text = f"parsing time {go_quote(value)}{message}"
        else:
            text = (
                f"parsing time {go_quote(value)} as {go_quote(RFC3339)}: cannot parse "
                f"{go_quote(value_elem)} as {go_quote(layout_elem)}"
            )
        super().__init__(text)


#: The layout of RFC 3339 as Go's parser walks it: (literal before, element, digits, range).
_ELEMENTS = (
    ("", "2006", 4, None),
    ("-", "01", 2, "month"),
    ("-", "02", 2, None),
    ("T", "15", 0, "hour"),
    (":", "04", 2, "minute"),
    (":", "05", 2, "second"),
)
_LIMITS = {"month": (1, 12), "hour": (0, 23), "minute": (0, 59), "second": (0, 59)}


def parse_rfc3339(value: str) -> datetime:
    """`value` as Go's time.Parse(time.RFC3339, value) reads it (fractional seconds allowed),
    raising its errors: an element that does not parse, a value out of range, extra text."""
    rest = value
    numbers: list[int] = []
    for literal, elem, width, name in _ELEMENTS:
        if not rest.startswith(literal):
            raise _ParseError(value, layout_elem=literal, value_elem=rest)
        rest = rest[len(literal) :]
        hold = rest
        digits = _digits(rest, width)
        if digits is None:
            raise _ParseError(value, layout_elem=elem, value_elem=hold)
        number, rest = int(rest[:digits]), rest[digits:]
        if name is not None:
            low, high = _LIMITS[name]
            if not low <= number <= high:
                raise _ParseError(value, message=f": {name} out of range")
        numbers.append(number)
    nanos = 0
    if len(rest) >= 2 and rest[0] in ".," and rest[1].isdigit():
        n = 2
        while n < len(rest) and rest[n].isdigit():
            n += 1
        nanos = int(rest[1:n][:9].ljust(9, "0"))
        rest = rest[n:]
    zone, rest = _zone(value, rest)
    if rest:
        raise _ParseError(value, message=f": extra text: {go_quote(rest)}")
    year, month, day, hour, minute, second = numbers
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise _ParseError(value, message=": day out of range")
    local = datetime(year, month, day, hour, minute, second, nanos // 1000, tzinfo=zone)
    return local.astimezone(UTC)


def _digits(text: str, width: int) -> int | None:
    """How many digits the element takes: `width` exactly, or (0) one or two, as Go's getnum."""
    if width == 0:
        if not text[:1].isdigit():
            return None
        return 2 if text[1:2].isdigit() else 1
    if len(text) < width or not text[:width].isdigit():
        return None
    return width


def _zone(value: str, rest: str) -> tuple[timezone, str]:
    """The `Z07:00` element: `Z`, or a sign with hours and minutes."""
    if rest[:1] == "Z":
        return UTC, rest[1:]
    if (
        len(rest) < 6
        or rest[3] != ":"
        or rest[0] not in "+-"
        or not (rest[1:3].isdigit() and rest[4:6].isdigit())
    ):
        raise _ParseError(value, layout_elem="Z07:00", value_elem=rest)
    hours, minutes = int(rest[1:3]), int(rest[4:6])
    if hours > 24:
        raise _ParseError(value, message=": time zone offset hour out of range")
    if minutes > 60:
        raise _ParseError(value, message=": time zone offset minute out of range")
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if rest[0] == "-" else offset), rest[6:]
