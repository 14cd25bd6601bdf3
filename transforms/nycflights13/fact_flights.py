"""fact_flights: one row per scheduled flight, its references resolved within the batch.

The policies are the dataset's (see dataset.py): an unknown carrier or origin rejects the
flight; an unknown destination or plane points at the unknown member, the reported code kept.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.calendar import date_key
from transforms.nycflights13.dataset import UNKNOWN
from transforms.split import Split


def _keys(table: DataFrame, key: str, alias: str) -> DataFrame:
    # Reference tables are a few thousand rows at most: broadcasting them keeps the 300k
    # flights of a batch from being shuffled once per reference.
    return F.broadcast(table.select(F.col(key).alias(alias)))


def build_fact_flights(
    flights: DataFrame, airlines: DataFrame, airports: DataFrame, planes: DataFrame
) -> Split:
    joined = (
        flights.join(
            _keys(airlines, "carrier", "_carrier"), F.col("carrier") == F.col("_carrier"), "left"
        )
        .join(_keys(airports, "faa", "_origin"), F.col("origin") == F.col("_origin"), "left")
        .join(_keys(airports, "faa", "_dest"), F.col("dest") == F.col("_dest"), "left")
        .join(_keys(planes, "tailnum", "_tailnum"), F.col("tailnum") == F.col("_tailnum"), "left")
    )
    reason = F.coalesce(
        F.when(
            F.col("_carrier").isNull(),
            F.format_string("carrier %s is not in the batch's airlines", F.col("carrier")),
        ),
        F.when(
            F.col("_origin").isNull(),
            F.format_string("origin airport %s is not in the batch's airports", F.col("origin")),
        ),
    )
    checked = joined.withColumn("_reason", reason)
    rejected = checked.where(F.col("_reason").isNotNull()).select(
        "source_file", "raw_line", F.col("_reason").alias("reason")
    )
    flight_date = F.make_date("year", "month", "day")
    fact = checked.where(F.col("_reason").isNull()).select(
        flight_date.alias("flight_date"),
        F.col("carrier").alias("carrier_code"),
        F.col("flight").alias("flight_number"),
        F.col("sched_dep_time").alias("scheduled_departure"),
        date_key(flight_date).alias("date_key"),
        F.col("origin"),
        F.coalesce(F.col("_dest"), F.lit(UNKNOWN)).alias("dest"),
        F.col("dest").alias("reported_dest"),
        F.coalesce(F.col("_tailnum"), F.lit(UNKNOWN)).alias("tail_number"),
        F.col("tailnum").alias("reported_tail_number"),
        F.col("hour").alias("scheduled_hour"),
        F.col("dep_time").alias("actual_departure"),
        F.col("sched_arr_time").alias("scheduled_arrival"),
        F.col("arr_time").alias("actual_arrival"),
        F.col("dep_delay").alias("departure_delay_minutes"),
        F.col("arr_delay").alias("arrival_delay_minutes"),
        F.col("air_time").alias("air_time_minutes"),
        F.col("distance").alias("distance_miles"),
        # The BTS records no departure time exactly when the flight was cancelled.
        F.col("dep_time").isNull().alias("cancelled"),
    )
    return Split(good=fact, rejected=rejected)
