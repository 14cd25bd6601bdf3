from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestration.engine.schedule import DEFAULT_SCHEDULE, InvalidSchedule, Rate, parse_schedule


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fires(expression: str, after: str, count: int = 3) -> list[str]:
    schedule = parse_schedule(expression)
    moment, out = at(after), []
    for _ in range(count):
        moment = schedule.next_after(moment, at(after))
        out.append(moment.strftime("%Y-%m-%d %H:%M %a"))
    return out


def test_rate_ticks_from_the_start():
    assert parse_schedule("rate(15 minutes)") == Rate(900)
    assert fires("rate(15 minutes)", "2026-01-01T00:07") == [
        "2026-01-01 00:22 Thu",
        "2026-01-01 00:37 Thu",
        "2026-01-01 00:52 Thu",
    ]
    assert parse_schedule("rate(1 day)") == Rate(86400)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("rate(1 minutes)", "with 1 the unit is 'minute'"),
        ("rate(5 hour)", "with 5 the unit is 'hours'"),
        ("rate(0 minutes)", "the value must be positive"),
        ("rate(5 weeks)", "expected rate(<positive integer>"),
        ("cron(0 2 * * *)", "expected 6 fields"),
        ("cron(0 2 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 2 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(60 2 * * ? *)", "minutes: '60' is outside 0-59"),
        ("cron(0 2 * 13 ? *)", "month: '13' is outside 1-12"),
        ("cron(0 2 ? * 2#6 *)", "occurrence in '2#6' must be 1-5"),
        ("cron(0 2 ? * FUN *)", "day-of-week: 'FUN' is not a number"),
        ("every day", "expected rate(value unit) or cron(6 fields)"),
    ],
)
def test_invalid_expressions_are_refused_with_the_reason(expression, reason):
    with pytest.raises(
        InvalidSchedule, match=f"{expression[:4]}.*{__import__('re').escape(reason)}"
    ):
        parse_schedule(expression)


def test_default_is_the_one_terraform_schedules():
    import hcl2

    variables = hcl2.loads((Path(__file__).parents[2] / "infra" / "variables.tf").read_text())
    # python-hcl2 keeps the quotes of labels and literals.
    defaults = {
        name.strip('"'): str(spec.get("default")).strip('"')
        for block in variables["variable"]
        for name, spec in block.items()
    }
    assert DEFAULT_SCHEDULE == defaults["schedule_expression"] == "rate(1 hour)"


def test_ranges_steps_and_names():
    assert fires("cron(0/30 9-10 ? * MON-FRI *)", "2026-11-27T10:15", 3) == [
        "2026-11-27 10:30 Fri",
        "2026-11-30 09:00 Mon",
        "2026-11-30 09:30 Mon",
    ]
    assert fires("cron(0 12 1 JAN,JUL ? 2027-2028)", "2026-11-25T00:00", 3) == [
        "2027-01-01 12:00 Fri",
        "2027-07-01 12:00 Thu",
        "2028-01-01 12:00 Sat",
    ]


def test_last_day_of_month_including_february_of_a_leap_year():
    assert fires("cron(0 0 L * ? *)", "2028-01-31T00:00", 2) == [
        "2028-02-29 00:00 Tue",
        "2028-03-31 00:00 Fri",
    ]


def test_nearest_weekday_stays_in_the_month():
    # 2026-08-01 is a Saturday: 1W moves forward to Monday the 3rd, not back into July.
    assert fires("cron(0 8 1W * ? *)", "2026-07-15T00:00", 1) == ["2026-08-03 08:00 Mon"]
    # 2026-05-15 is a Friday; 2026-11-15 is a Sunday -> Monday the 16th.
    assert fires("cron(0 8 15W * ? *)", "2026-11-01T00:00", 1) == ["2026-11-16 08:00 Mon"]
    # Last weekday: 2026-05-31 is a Sunday -> Friday the 29th.
    assert fires("cron(0 8 LW * ? *)", "2026-05-01T00:00", 1) == ["2026-05-29 08:00 Fri"]


def test_nth_and_last_weekday_of_month():
    assert fires("cron(0 9 ? * 3#2 *)", "2026-11-01T00:00", 2) == [
        "2026-11-10 09:00 Tue",
        "2026-12-08 09:00 Tue",
    ]
    assert fires("cron(0 9 ? * 6L *)", "2026-11-01T00:00", 2) == [
        "2026-11-27 09:00 Fri",
        "2026-12-25 09:00 Fri",
    ]


def test_a_schedule_past_its_last_year_never_fires():
    with pytest.raises(InvalidSchedule, match="never fires"):
        parse_schedule("cron(0 0 1 1 ? 1999)").next_after(at("2026-01-01T00:00"))
