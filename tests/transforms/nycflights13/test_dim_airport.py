from chispa import assert_df_equality

from tests.transforms.nycflights13 import raw_rows
from transforms.nycflights13.dataset import DATASET
from transforms.nycflights13.dim_airport import build_dim_airport
from transforms.schemas import spark_schema

DIM_AIRPORT = DATASET.curated("dim_airport")


def test_airports_keep_their_location_and_time_zone_and_a_missing_zone_stays_null(spark):
    airports = raw_rows(
        spark,
        "airports",
        "HNL,Honolulu Intl,21.318681,-157.922428,13,-10,N,Pacific/Honolulu",
        "EEN,Dillant Hopkins Airport,72.270833,42.898333,149,-5,A,NA",
    )

    expected = spark.createDataFrame(
        [
            ("HNL", "Honolulu Intl", 21.318681, -157.922428, 13, -10, "N", "Pacific/Honolulu"),
            ("EEN", "Dillant Hopkins Airport", 72.270833, 42.898333, 149, -5, "A", None),
        ],
        spark_schema(DIM_AIRPORT.columns),
    )
    assert_df_equality(
        build_dim_airport(airports), expected, ignore_row_order=True, ignore_nullable=True
    )
