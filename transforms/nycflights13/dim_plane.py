"""dim_plane: the FAA aircraft registry's planes, by tail number."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def build_dim_plane(planes: DataFrame) -> DataFrame:
    return planes.select(
        F.col("tailnum").alias("tail_number"),
        F.col("year").alias("year_built"),
        F.col("type").alias("aircraft_type"),
        F.col("manufacturer").alias("manufacturer"),
        F.col("model").alias("model"),
        F.col("engines").alias("engine_count"),
        F.col("seats").alias("seat_count"),
        F.col("speed").alias("cruise_speed_mph"),
        F.col("engine").alias("engine_type"),
    )
