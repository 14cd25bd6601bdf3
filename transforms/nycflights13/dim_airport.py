"""dim_airport: the FAA's airports, by FAA code; origins and destinations both point here."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def build_dim_airport(airports: DataFrame) -> DataFrame:
    return airports.select(
        F.col("faa").alias("airport_code"),
        F.col("name").alias("name"),
        F.col("lat").alias("latitude"),
        F.col("lon").alias("longitude"),
        F.col("alt").alias("altitude_feet"),
        F.col("tz").alias("utc_offset_hours"),
        F.col("dst").alias("dst_rule"),
        F.col("tzone").alias("time_zone"),
    )
