from chispa import assert_df_equality

from tests.transforms.nycflights13 import raw_rows
from transforms.nycflights13.dataset import DATASET
from transforms.nycflights13.dim_carrier import build_dim_carrier
from transforms.schemas import spark_schema


def test_airlines_become_carriers_by_code(spark):
    airlines = raw_rows(spark, "airlines", "9E,Endeavor Air Inc.", "UA,United Air Lines Inc.")

    expected = spark.createDataFrame(
        [("9E", "Endeavor Air Inc."), ("UA", "United Air Lines Inc.")],
        spark_schema(DATASET.curated("dim_carrier").columns),
    )
    assert_df_equality(
        build_dim_carrier(airlines), expected, ignore_row_order=True, ignore_nullable=True
    )
