import json
from pathlib import Path

import pytest
from chispa import assert_df_equality
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from pyspark.sql.types import StructType

from jobs.validation.checks import keys_exist
from jobs.validation.suites import load_suite
from tests.transforms.nycflights13 import raw_rows, source_file
from transforms import registry
from transforms.dedupe import keep_latest
from transforms.nycflights13.dataset import DATASET
from transforms.rules import apply_rules
from transforms.schemas import QUARANTINE_SCHEMA, spark_schema

WEATHER = DATASET.raw("weather")
EWR_GALE = "EWR,2013,2,12,3,39.02,26.96,61.63,260,1048.36058,NA,0,1008.3,10,2013-02-12T08:00:00Z"
JFK_SAME_HOUR = (
    "JFK,2013,2,12,3,41,26.06,54.97,290,16.11092,26.46794,0,1008.5,10,2013-02-12T08:00:00Z"
)
EWR_NO_WIND_DIRECTION = (
    "EWR,2013,1,3,11,30.92,14,49.01,NA,4.60312,NA,0,1021,10,2013-01-03T16:00:00Z"
)


def test_the_registry_loads_and_checks_the_declaration_and_its_suites():
    dataset = registry.datasets()["nycflights13"]

    registry.check_code(dataset)
    assert dataset.package == "transforms.nycflights13"
    assert dataset.load_order() == (
        "dim_airport",
        "dim_carrier",
        "dim_date",
        "dim_plane",
        "fact_flights",
        "fact_weather",
    )


def test_every_suite_builds_in_great_expectations_and_names_only_declared_columns():
    dataset = registry.datasets()["nycflights13"]
    for table in dataset.curated_tables:
        suite = json.loads((Path(dataset.suites) / f"{table.name}.json").read_text())
        columns = set(table.column_names)
        assert suite["name"] == table.name
        for entry in suite["expectations"]:
            ExpectationConfiguration(type=entry["type"], kwargs=entry["kwargs"]).to_domain_obj()
            kwargs = entry["kwargs"]
            named = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
            assert set(named + kwargs.get("column_list", [])) <= columns, entry
        for reference in suite["meta"].get("references", []):
            assert reference["column"] in columns
            assert reference["key"] in dataset.curated(reference["table"]).business_keys


KNOWN_KEYS = {
    "dim_carrier": ("carrier_code", "UA"),
    "dim_airport": ("airport_code", "EWR"),
    "dim_plane": ("tail_number", "N14228"),
    "dim_date": ("date_key", 20130101),
}
"""Each dimension with one key, the one a flight of UA's N14228 from EWR to EWR on 2013-01-01
refers to."""
FLIGHT = {"carrier_code": "UA", "origin": "EWR", "dest": "EWR", "tail_number": "N14228",
          "date_key": 20130101}  # fmt: skip


def _reference_failures(spark, fact: str, **orphans) -> list[tuple]:
    """(column, orphan keys) of each reference of `fact`'s suite that a fact row of FLIGHT's
    keys, changed by `orphans`, fails, checked as the validate job checks them."""
    suite = load_suite(registry.datasets()["nycflights13"], fact)
    schema = spark_schema(DATASET.curated(fact).columns)
    columns = [ref.column for ref in suite.references]
    row = {**FLIGHT, **orphans}
    facts = spark.createDataFrame(
        [tuple(row[c] for c in columns)], StructType([schema[c] for c in columns])
    )
    dimensions = {
        table: spark.createDataFrame([(value,)], [key])
        for table, (key, value) in KNOWN_KEYS.items()
    }
    checks = [
        keys_exist(facts, ref.column, dimensions[ref.table].select(ref.key))
        for ref in suite.references
    ]
    return [(c.column, c.sample) for c in checks if not c.success]


def test_facts_whose_keys_are_all_in_their_dimensions_pass_every_reference(spark):
    assert _reference_failures(spark, "fact_flights") == []
    assert _reference_failures(spark, "fact_weather") == []


@pytest.mark.parametrize(
    ("fact", "column", "orphan"),
    [
        ("fact_flights", "carrier_code", "ZZ"),
        ("fact_flights", "origin", "XXX"),
        ("fact_flights", "dest", "XXX"),
        ("fact_flights", "tail_number", "N00000"),
        ("fact_flights", "date_key", 20140101),
        ("fact_weather", "origin", "XXX"),
        ("fact_weather", "date_key", 20140101),
    ],
)
def test_a_fact_key_in_no_dimension_fails_exactly_its_reference(spark, fact, column, orphan):
    assert _reference_failures(spark, fact, **{column: orphan}) == [(column, [orphan])]


def test_the_1048_mph_wind_at_newark_is_quarantined_and_a_normal_reading_passes(spark):
    rows = raw_rows(spark, "weather", EWR_GALE, JFK_SAME_HOUR)

    result = apply_rules(rows, WEATHER.rules)

    expected = spark.createDataFrame(
        [
            (
                source_file("weather"),
                EWR_GALE,
                "rule wind_speed_possible: wind speed outside 0-253 mph "
                "(253 mph is the highest surface wind ever measured)",
            )
        ],
        QUARANTINE_SCHEMA,
    )
    assert_df_equality(result.rejected, expected, ignore_nullable=True)
    assert [r.raw_line for r in result.good.collect()] == [JFK_SAME_HOUR]


def test_a_missing_measure_passes_the_weather_rules(spark):
    rows = raw_rows(spark, "weather", EWR_NO_WIND_DIRECTION)

    result = apply_rules(rows, WEATHER.rules)

    assert result.rejected.count() == 0
    assert [r.raw_line for r in result.good.collect()] == [EWR_NO_WIND_DIRECTION]


def test_a_day_that_does_not_exist_is_quarantined(spark):
    february_30 = EWR_NO_WIND_DIRECTION.replace("2013,1,3,", "2013,2,30,")
    rows = raw_rows(spark, "weather", february_30)

    result = apply_rules(rows, WEATHER.rules)

    assert [r.reason for r in result.rejected.collect()] == [
        "rule calendar_date: year, month and day are not a calendar date"
    ]


def test_only_airports_and_planes_have_an_unknown_member_whose_key_no_real_code_can_take():
    members = {
        t.name: t.unknown_member for t in DATASET.curated_tables if t.unknown_member is not None
    }

    # An unknown carrier is quarantined, so dim_carrier needs no unknown member.
    assert sorted(members) == ["dim_airport", "dim_plane"]
    for name, member in members.items():
        (key,) = DATASET.curated(name).business_keys
        column = next(c for c in DATASET.curated(name).columns if c.name == key)
        assert member[key] == "?"
        assert len(member[key].encode()) <= column.column_type.length
        assert not member[key].isalnum()


def test_the_hour_repeated_when_daylight_saving_time_ends_is_a_duplicate_reading(spark):
    # 2013-11-03: 01:00 EDT (05:00 UTC) and 01:00 EST (06:00 UTC) are the same local hour.
    daylight = "JFK,2013,11,3,1,53.96,37.94,54.51,320,9.20624,NA,0,1009.8,10,2013-11-03T05:00:00Z"
    standard = (
        "JFK,2013,11,3,1,51.98,37.94,58.62,310,6.904679999999999,NA,0,1010.5,10,"
        "2013-11-03T06:00:00Z"
    )
    rows = raw_rows(spark, "weather", daylight, standard)

    kept = keep_latest(rows, WEATHER.business_keys)

    # Within one extract the de-duplication keeps the greater line.
    assert [r.raw_line for r in kept.collect()] == [daylight]
