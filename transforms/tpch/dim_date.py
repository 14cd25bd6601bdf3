"""dim_date: one row per calendar day spanned by the dates of a batch's sales."""

from __future__ import annotations

from pyspark.sql import DataFrame

from transforms.calendar import build_calendar

FACT_DATE_COLUMNS = ("order_date", "ship_date", "commit_date", "receipt_date")


def build_dim_date(fact_sales: DataFrame) -> DataFrame:
    return build_calendar(fact_sales, FACT_DATE_COLUMNS)
