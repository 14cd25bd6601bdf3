from datetime import date

from chispa import assert_df_equality

from tests.transforms.nycflights13 import raw_rows, source_file
from transforms.nycflights13.dataset import DATASET
from transforms.nycflights13.fact_weather import build_fact_weather
from transforms.schemas import QUARANTINE_SCHEMA, spark_schema

FACT_WEATHER = spark_schema(DATASET.curated("fact_weather").columns)
AIRPORTS = (
    "EWR,Newark Liberty Intl,40.6925,-74.168667,18,-5,A,America/New_York",
    "LGA,La Guardia,40.777245,-73.872608,22,-5,A,America/New_York",
)
LGA_FIRST_HOUR = (
    "LGA,2013,1,1,1,39.92,26.06,57.33,260,13.809359999999998,23.0156,0,1011.9,10,"
    "2013-01-01T06:00:00Z"
)
EWR_SENSORS_DOWN = (
    "EWR,2013,8,22,9,NA,NA,NA,320,12.658579999999999,NA,0.13,NA,7,2013-08-22T13:00:00Z"
)


def _build(spark, *readings, airports=AIRPORTS):
    return build_fact_weather(
        raw_rows(spark, "weather", *readings), raw_rows(spark, "airports", *airports)
    )


def test_a_reading_is_keyed_by_origin_date_and_local_hour_with_its_measures_as_doubles(spark):
    result = _build(spark, LGA_FIRST_HOUR)

    expected = spark.createDataFrame(
        [
            # fmt: off
            (
                "LGA",
                date(2013, 1, 1),
                1,
                20130101,
                39.92,
                26.06,
                57.33,
                260.0,
                13.809359999999998,
                23.0156,
                0.0,
                1011.9,
                10.0,
            ),
            # fmt: on
        ],
        FACT_WEATHER,
    )
    assert_df_equality(result.good, expected, ignore_nullable=True)
    assert result.rejected.count() == 0


def test_measures_missing_from_a_reading_stay_null(spark):
    result = _build(spark, EWR_SENSORS_DOWN)

    expected = spark.createDataFrame(
        [
            # fmt: off
            (
                "EWR",
                date(2013, 8, 22),
                9,
                20130822,
                None,
                None,
                None,
                320.0,
                12.658579999999999,
                None,
                0.13,
                None,
                7.0,
            ),
            # fmt: on
        ],
        FACT_WEATHER,
    )
    assert_df_equality(result.good, expected, ignore_nullable=True)


def test_a_reading_at_an_airport_missing_from_the_batch_is_quarantined_with_reason(spark):
    result = _build(spark, LGA_FIRST_HOUR, EWR_SENSORS_DOWN, airports=AIRPORTS[:1])

    expected = spark.createDataFrame(
        [
            (
                source_file("weather"),
                LGA_FIRST_HOUR,
                "origin airport LGA is not in the batch's airports",
            )
        ],
        QUARANTINE_SCHEMA,
    )
    assert_df_equality(result.rejected, expected, ignore_nullable=True)
    assert [r.origin for r in result.good.collect()] == ["EWR"]
