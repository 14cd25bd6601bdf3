"""A calendar dimension: one row per day spanned by the date columns of a batch's facts."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def date_key(date: Column | str) -> Column:
    """The yyyymmdd integer key of a calendar day: what facts join a dim_date on."""
    return F.date_format(date, "yyyyMMdd").cast("int")


def build_calendar(facts: DataFrame, date_columns: Sequence[str]) -> DataFrame:
    """Every day from the earliest to the latest of `date_columns`, with calendar attributes.

    Computed as an aggregate and an explode on the executors: no dates reach the driver.
    """
    firsts = [F.min(c) for c in date_columns]
    lasts = [F.max(c) for c in date_columns]
    # least/greatest need two arguments or more.
    first = F.least(*firsts) if len(firsts) > 1 else firsts[0]
    last = F.greatest(*lasts) if len(lasts) > 1 else lasts[0]
    bounds = facts.agg(first.alias("first_day"), last.alias("last_day")).where(
        F.col("first_day").isNotNull()
    )
    days = bounds.select(
        F.explode(F.sequence("first_day", "last_day", F.expr("INTERVAL 1 DAY"))).alias("date")
    )
    # Spark's dayofweek counts from Sunday = 1; ISO 8601 counts from Monday = 1.
    iso_day_of_week = ((F.dayofweek("date") + 5) % 7 + 1).cast("int")
    return days.select(
        date_key("date").alias("date_key"),
        F.col("date"),
        F.year("date").alias("year"),
        F.quarter("date").alias("quarter"),
        F.month("date").alias("month"),
        F.date_format("date", "MMMM").alias("month_name"),
        F.dayofmonth("date").alias("day_of_month"),
        iso_day_of_week.alias("day_of_week"),
        F.date_format("date", "EEEE").alias("day_name"),
        F.weekofyear("date").alias("week_of_year"),
        (iso_day_of_week >= 6).alias("is_weekend"),
    )
