import csv
import gzip
from pathlib import Path

import pytest

from orchestration.core.errors import UserError
from orchestration.core.lake import Lake
from transforms.nycflights13.seed import seed

JANUARY = "ingest_date=2013-01-01"
JANUARY_FILES = [
    f"airlines/{JANUARY}/airlines.csv",
    f"airports/{JANUARY}/airports.csv",
    f"flights/{JANUARY}/flights.csv.gz",
    f"planes/{JANUARY}/planes.csv",
    f"weather/{JANUARY}/weather.csv",
]


def _landed(root: Path) -> list[str]:
    raw = root / "raw" / "nycflights13"
    return sorted(str(p.relative_to(raw)) for p in raw.rglob("*") if p.is_file())


def _csv_rows(path: Path) -> list[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_one_month_lands_its_flights_and_weather_with_full_reference_snapshots(tmp_path):
    root = tmp_path / "lake"

    result = seed(Lake(str(root)), months=1)

    assert _landed(root) == JANUARY_FILES
    assert result.rows == {
        "flights": 27004,
        "weather": 2226,
        "airlines": 16,
        "airports": 1458,
        "planes": 3322,
    }
    assert sorted(result.written) == [str(root / "raw" / "nycflights13" / f) for f in JANUARY_FILES]
    flights = _csv_rows(root / "raw" / "nycflights13" / "flights" / JANUARY / "flights.csv.gz")
    assert flights[0][:3] == ["year", "month", "day"]
    assert len(flights) == 1 + 27004
    assert {row[1] for row in flights[1:]} == {"1"}
    weather = _csv_rows(root / "raw" / "nycflights13" / "weather" / JANUARY / "weather.csv")
    assert weather[0][0] == "origin"
    assert {row[2] for row in weather[1:]} == {"1"}


def test_seeding_twice_writes_nothing(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    seed(lake, months=1)

    again = seed(lake, months=1)

    assert again.written == []
    assert len(again.unchanged) == 5


def test_later_months_land_under_their_own_ingest_date(tmp_path):
    root = tmp_path / "lake"

    result = seed(Lake(str(root)), months=2, first_month=11)

    assert [f for f in _landed(root) if f.startswith("weather/")] == [
        "weather/ingest_date=2013-11-01/weather.csv",
        "weather/ingest_date=2013-12-01/weather.csv",
    ]
    # Reference snapshots land with each month; 2,141 + 2,144 readings, 27,268 + 28,135 flights.
    assert result.rows == {
        "flights": 55403,
        "weather": 4285,
        "airlines": 32,
        "airports": 2916,
        "planes": 6644,
    }


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"months": 13}, "--months"),
        ({"months": 0}, "--months"),
        ({"months": 3, "first_month": 11}, "--months"),
        ({"first_month": 13}, "--first-month"),
    ],
)
def test_months_outside_2013_are_refused_naming_the_option(tmp_path, options, option):
    with pytest.raises(UserError, match=option):
        seed(Lake(str(tmp_path / "lake")), **options)
    assert not (tmp_path / "lake").exists()
