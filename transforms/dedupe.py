"""Deterministic de-duplication of repeated business keys within a batch."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


def keep_latest(rows: DataFrame, keys: Sequence[str], partitions: int | None = None) -> DataFrame:
    """One row per business key: the one from the latest extract, in `partitions` partitions
    (hashed by key) when given, else in the session's shuffle partitions.

    Raw paths carry `ingest_date=YYYY-MM-DD`, so the greatest source_file is the latest
    extract; within one file the greatest raw line wins. The choice depends only on the data,
    never on partitioning, so a rerun keeps the same rows.
    """
    if partitions is not None:
        # Hashed by the window's keys, so the window needs no exchange of its own.
        rows = rows.repartition(partitions, *keys)
    latest_first = Window.partitionBy(*keys).orderBy(
        F.col("source_file").desc(), F.col("raw_line").desc()
    )
    return (
        rows.withColumn("_rank", F.row_number().over(latest_first))
        .where(F.col("_rank") == 1)
        .drop("_rank")
    )
