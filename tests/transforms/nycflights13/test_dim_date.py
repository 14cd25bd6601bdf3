from datetime import date

from chispa import assert_df_equality

from transforms.nycflights13.dataset import DATASET
from transforms.nycflights13.dim_date import build_dim_date
from transforms.schemas import spark_schema


def _flight_dates(spark, *days):
    return spark.createDataFrame([(d,) for d in days], "flight_date date")


def test_days_run_from_the_first_to_the_last_flight_of_the_batch(spark):
    # Daylight saving time ends on Sunday 2013-11-03: a day like any other in the calendar.
    flights = _flight_dates(spark, date(2013, 11, 4), date(2013, 11, 2), date(2013, 11, 4))

    expected = spark.createDataFrame(
        [
            (20131102, date(2013, 11, 2), 2013, 4, 11, "November", 2, 6, "Saturday", 44, True),
            (20131103, date(2013, 11, 3), 2013, 4, 11, "November", 3, 7, "Sunday", 44, True),
            (20131104, date(2013, 11, 4), 2013, 4, 11, "November", 4, 1, "Monday", 45, False),
        ],
        spark_schema(DATASET.curated("dim_date").columns),
    )
    assert_df_equality(
        build_dim_date(flights), expected, ignore_row_order=True, ignore_nullable=True
    )


def test_a_batch_without_flights_has_no_days(spark):
    assert build_dim_date(_flight_dates(spark)).count() == 0
