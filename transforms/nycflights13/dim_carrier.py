"""dim_carrier: the airlines, by carrier code."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def build_dim_carrier(airlines: DataFrame) -> DataFrame:
    return airlines.select(
        F.col("carrier").alias("carrier_code"),
        F.col("name").alias("name"),
    )
