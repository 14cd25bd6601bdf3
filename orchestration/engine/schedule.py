"""EventBridge Scheduler expressions: `rate(...)` and six-field `cron(...)`, evaluated in UTC.

The syntax is AWS's exactly: `rate(1 hour)` but `rate(2 hours)`; cron fields are minutes,
hours, day-of-month, month, day-of-week (1 = SUN) and year; one of day-of-month and
day-of-week must be `?`; `L`, `W` and `#` as AWS documents them. An invalid expression is
refused with the reason, so `sfn-etl schedule` and Terraform never disagree silently.
The parser is our own, not croniter: croniter has no rate(), reads a sixth field as seconds
rather than the year, counts weekdays from 0 = SUN, spells the last Friday `L5` instead of `6L`,
has no `LW`, and accepts expressions EventBridge refuses.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from orchestration.core.errors import UserError

DEFAULT_SCHEDULE = "rate(1 hour)"
"""Hourly; infra/variables.tf uses the same default (a test holds them equal)."""

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_SEARCH_YEARS = 8


class InvalidSchedule(UserError):
    pass


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, moment: datetime, started: datetime) -> datetime:
        """Rates tick from when the schedule started, every `seconds`."""
        elapsed = (moment - started).total_seconds()
        ticks = int(elapsed // self.seconds) + 1
        return started + timedelta(seconds=ticks * self.seconds)


@dataclass(frozen=True)
class _DayOfMonth:
    any: bool = False
    values: frozenset[int] = frozenset()
    last: bool = False
    nearest_weekday: int | None = None
    last_weekday: bool = False

    def matches(self, day: date) -> bool:
        last_day = calendar.monthrange(day.year, day.month)[1]
        if self.any:
            return True
        if self.last:
            return day.day == last_day
        if self.last_weekday:
            return day == _nearest_weekday(day.year, day.month, last_day)
        if self.nearest_weekday is not None:
            target = min(self.nearest_weekday, last_day)
            return day == _nearest_weekday(day.year, day.month, target)
        return day.day in self.values


@dataclass(frozen=True)
class _DayOfWeek:
    any: bool = False
    values: frozenset[int] = frozenset()
    last_of: int | None = None
    nth: tuple[int, int] | None = None

    def matches(self, day: date) -> bool:
        weekday = day.isoweekday() % 7 + 1  # AWS counts SUN = 1 ... SAT = 7
        if self.any:
            return True
        if self.last_of is not None:
            return weekday == self.last_of and day.month != (day + timedelta(days=7)).month
        if self.nth is not None:
            wanted, occurrence = self.nth
            return weekday == wanted and (day.day - 1) // 7 + 1 == occurrence
        return weekday in self.values


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: _DayOfMonth
    months: frozenset[int]
    day_of_week: _DayOfWeek
    years: frozenset[int]

    def next_after(self, moment: datetime, started: datetime | None = None) -> datetime:
        """The first firing strictly after `moment` (UTC, whole minutes)."""
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        horizon = date(min(start.year + _SEARCH_YEARS, 2199), 12, 31)
        while day <= horizon:
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        raise InvalidSchedule(f"the schedule never fires after {moment.isoformat()}")

    def _day_matches(self, day: date) -> bool:
        return (
            day.year in self.years
            and day.month in self.months
            and self.day_of_month.matches(day)
            and self.day_of_week.matches(day)
        )


Schedule = Rate | Cron


def parse_schedule(expression: str) -> Schedule:
    """A Rate or Cron from an EventBridge expression; InvalidSchedule says what is wrong."""
    text = expression.strip()
    if text.startswith("rate("):
        return _parse_rate(text)
    match = _CRON.match(text)
    if not match:
        raise InvalidSchedule(
            f"invalid schedule {expression!r}: expected rate(value unit) or cron(6 fields)"
        )
    return _parse_cron(expression, match.group(1).split())


def _parse_rate(text: str) -> Rate:
    match = _RATE.match(text)
    if not match:
        raise InvalidSchedule(
            f"invalid rate {text!r}: expected rate(<positive integer> minute(s)|hour(s)|day(s))"
        )
    value, unit = int(match.group(1)), match.group(2)
    if value < 1:
        raise InvalidSchedule(f"invalid rate {text!r}: the value must be positive")
    singular = unit.rstrip("s")
    if (value == 1) != (unit == singular):
        wanted = singular if value == 1 else f"{singular}s"
        raise InvalidSchedule(f"invalid rate {text!r}: with {value} the unit is '{wanted}'")
    return Rate(value * _UNIT_SECONDS[singular])


def _parse_cron(expression: str, fields: list[str]) -> Cron:
    def fail(reason: str) -> InvalidSchedule:
        return InvalidSchedule(f"invalid cron {expression!r}: {reason}")

    if len(fields) != 6:
        raise fail(
            "expected 6 fields (minutes hours day-of-month month day-of-week year), "
            f"found {len(fields)}"
        )
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise fail("exactly one of day-of-month and day-of-week must be '?'")
    try:
        return Cron(
            minutes=_values(minute, 0, 59, {}, "minutes"),
            hours=_values(hour, 0, 23, {}, "hours"),
            day_of_month=_parse_day_of_month(dom),
            months=_values(month, 1, 12, _MONTHS, "month"),
            day_of_week=_parse_day_of_week(dow),
            years=_values(year, 1970, 2199, {}, "year"),
        )
    except ValueError as exc:
        raise fail(str(exc)) from exc


def _number(token: str, names: dict[str, int], field: str) -> int:
    if token.upper() in names:
        return names[token.upper()]
    if not token.isdigit():
        raise ValueError(f"{field}: {token!r} is not a number")
    return int(token)


def _values(text: str, low: int, high: int, names: dict[str, int], field: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        stepped = "/" in part
        if stepped:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"{field}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if part == "*":
            first, last = low, high
        elif "-" in part:
            first_text, last_text = part.split("-", 1)
            first, last = _number(first_text, names, field), _number(last_text, names, field)
        else:
            first = _number(part, names, field)
            last = high if stepped else first
        if not (low <= first <= high and low <= last <= high):
            raise ValueError(f"{field}: {part!r} is outside {low}-{high}")
        if first > last:
            raise ValueError(f"{field}: range {part!r} runs backwards")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _parse_day_of_month(text: str) -> _DayOfMonth:
    if text in ("?", "*"):
        return _DayOfMonth(any=True)
    if text == "L":
        return _DayOfMonth(last=True)
    if text == "LW":
        return _DayOfMonth(last_weekday=True)
    if text.endswith("W"):
        day = _number(text[:-1], {}, "day-of-month")
        if not 1 <= day <= 31:
            raise ValueError(f"day-of-month: {text!r} is outside 1-31")
        return _DayOfMonth(nearest_weekday=day)
    return _DayOfMonth(values=_values(text, 1, 31, {}, "day-of-month"))


def _parse_day_of_week(text: str) -> _DayOfWeek:
    if text in ("?", "*"):
        return _DayOfWeek(any=True)
    if text == "L":
        return _DayOfWeek(values=frozenset({7}))
    if text.endswith("L"):
        return _DayOfWeek(last_of=_weekday(text[:-1]))
    if "#" in text:
        weekday_text, occurrence_text = text.split("#", 1)
        if occurrence_text not in {"1", "2", "3", "4", "5"}:
            raise ValueError(f"day-of-week: occurrence in {text!r} must be 1-5")
        return _DayOfWeek(nth=(_weekday(weekday_text), int(occurrence_text)))
    return _DayOfWeek(values=_values(text, 1, 7, _DAYS, "day-of-week"))


def _weekday(text: str) -> int:
    value = _number(text, _DAYS, "day-of-week")
    if not 1 <= value <= 7:
        raise ValueError(f"day-of-week: {text!r} is outside 1-7")
    return value


def _nearest_weekday(year: int, month: int, day: int) -> date:
    """Quartz's W: the weekday nearest the day, never leaving the month."""
    target = date(year, month, day)
    if target.weekday() == 5:  # Saturday -> Friday, or Monday when Friday is last month
        return target - timedelta(days=1) if day > 1 else target + timedelta(days=2)
    if target.weekday() == 6:  # Sunday -> Monday, or Friday when Monday is next month
        last_day = calendar.monthrange(year, month)[1]
        return target + timedelta(days=1) if day < last_day else target - timedelta(days=2)
    return target
