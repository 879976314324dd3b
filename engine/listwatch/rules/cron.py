"""Cron schedules as a v1.32 CronJob reads them (robfig/cron's standard parser): five fields
(minute, hour, day of month, month, day of week) or a descriptor (@yearly, @annually, @monthly,
@weekly, @daily, @midnight, @hourly), each field `*`, `?`, a value, a range `a-b`, a step `*/n`,
`a-b/n` or `a/n`, or a comma-separated list of those; months and days of the week by name too
(JAN, SUN). When both the day of month and the day of week are restricted, a day matching either
one matches. Errors carry robfig/cron's words, as kube-apiserver quotes them.

    >>> from datetime import UTC
    >>> Schedule.parse("*/15 9-17 * * MON-FRI").next_after(datetime(2026, 1, 2, 17, 50, tzinfo=UTC))
    datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["CronError", "Schedule"]

_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}
_DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
#: (minimum, maximum, names) of each field.
_BOUNDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, _MONTHS),
    (0, 6, _DAYS),
)


class CronError(ValueError):
    """A schedule that does not parse; its text is robfig/cron's."""


@dataclass(frozen=True)
class Schedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    #: Whether the day of month / day of week was `*` or `?` (then the other alone decides).
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Schedule:
        spec = text.strip()
        if spec.startswith("@"):
            if spec not in _DESCRIPTORS:
                raise CronError(f"unrecognized descriptor: {spec}")
            spec = _DESCRIPTORS[spec]
        fields = spec.split()
        if len(fields) != 5:
            shown = " ".join(fields)
            raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{shown}]")
        sets = [
            frozenset(_field(f, lo, hi, names))
            for f, (lo, hi, names) in zip(fields, _BOUNDS, strict=True)
        ]
        return cls(
            minutes=sets[0],
            hours=sets[1],
            days=sets[2],
            months=sets[3],
            weekdays=sets[4],
            any_day=fields[2] in ("*", "?"),
            any_weekday=fields[4] in ("*", "?"),
        )

    def _day_matches(self, moment: datetime) -> bool:
        dom = moment.day in self.days
        dow = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return dom and dow
        return dom or dow

    def next_after(self, moment: datetime) -> datetime:
        """The first scheduled minute strictly after `moment` (within five years; robfig/cron
        gives up there too)."""
        t = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = t + timedelta(days=366 * 5)
        while t < limit:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            elif not self._day_matches(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
            elif t.minute not in self.minutes:
                t += timedelta(minutes=1)
            else:
                return t
        raise CronError("no time matches the schedule within five years")

    def last_between(self, start: datetime, end: datetime) -> tuple[datetime | None, int]:
        """The latest scheduled time in (start, end], and how many there are (counted up to
        101: the controller only needs to know there were more than 100)."""
        found: datetime | None = None
        count = 0
        t = self.next_after(start)
        while t <= end and count <= 100:
            found, count = t, count + 1
            t = self.next_after(t)
        if t <= end:  # more than counted: the latest is found by walking from near the end
            found = t
            while (nxt := self.next_after(found)) <= end:
                found = nxt
        return found, count


def _field(text: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        values |= _range(part, low, high, names)
    return values


def _number(text: str, names: dict[str, int]) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise CronError(
            f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax'
        )
    return int(text)


def _range(expr: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    range_and_step = expr.split("/")
    if len(range_and_step) > 2:
        raise CronError(f"too many slashes: {expr}")
    bounds = range_and_step[0].split("-")
    if len(bounds) > 2:
        raise CronError(f"too many hyphens: {expr}")
    if bounds[0] in ("*", "?"):
        start, end = low, high
    else:
        start = _number(bounds[0], names)
        end = _number(bounds[1], names) if len(bounds) == 2 else start
    step = 1
    if len(range_and_step) == 2:
        step = _number(range_and_step[1], {})
        if len(bounds) == 1 and bounds[0] not in ("*", "?"):
            end = high  # `a/n` is `a-max/n`
        if step <= 0:
            raise CronError(f"step of range should be a positive number: {expr}")
    if start < low:
        raise CronError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise CronError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    return set(range(start, end + 1, step))
