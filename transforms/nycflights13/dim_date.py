"""dim_date: one row per day from the first to the last flight of a batch.

Flights leave New York every day, so these days also cover every weather reading's date.
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from transforms.calendar import build_calendar

FACT_DATE_COLUMNS = ("flight_date",)


def build_dim_date(fact_flights: DataFrame) -> DataFrame:
    return build_calendar(fact_flights, FACT_DATE_COLUMNS)
