"""fact_weather: one reading per origin airport and local hour, the measures as doubles."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.calendar import date_key
from transforms.split import Split


def build_fact_weather(weather: DataFrame, airports: DataFrame) -> Split:
    """A reading at an airport that is not in the batch's airports is rejected."""
    # The airports are a few thousand rows: broadcast, so the readings are not shuffled.
    known = F.broadcast(airports.select(F.col("faa").alias("_origin")))
    joined = weather.join(known, F.col("origin") == F.col("_origin"), "left")
    rejected = joined.where(F.col("_origin").isNull()).select(
        "source_file",
        "raw_line",
        F.format_string("origin airport %s is not in the batch's airports", F.col("origin")).alias(
            "reason"
        ),
    )
    observation_date = F.make_date("year", "month", "day")
    fact = joined.where(F.col("_origin").isNotNull()).select(
        F.col("origin"),
        observation_date.alias("observation_date"),
        F.col("hour"),
        date_key(observation_date).alias("date_key"),
        F.col("temp").cast("double").alias("temperature_f"),
        F.col("dewp").cast("double").alias("dewpoint_f"),
        F.col("humid").cast("double").alias("humidity_percent"),
        F.col("wind_dir").cast("double").alias("wind_direction_degrees"),
        F.col("wind_speed").cast("double").alias("wind_speed_mph"),
        F.col("wind_gust").cast("double").alias("wind_gust_mph"),
        F.col("precip").cast("double").alias("precipitation_inches"),
        F.col("pressure").cast("double").alias("pressure_millibars"),
        F.col("visib").cast("double").alias("visibility_miles"),
    )
    return Split(good=fact, rejected=rejected)
