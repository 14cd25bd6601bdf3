"""Builder inputs made of real nycflights13 lines, typed by the dataset's own parser."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from transforms.nycflights13.dataset import DATASET
from transforms.parse import parse_lines, split_parsed


def source_file(table: str) -> str:
    return f"/lake/raw/nycflights13/{table}/ingest_date=2013-01-01/{table}.csv"


def raw_rows(spark: SparkSession, table: str, *lines: str) -> DataFrame:
    """`lines` of raw table `table` as the transform job hands them to a builder: typed, with
    source_file and raw_line. Every line must parse: these are lines of the real extracts."""
    frame = spark.createDataFrame(
        [(source_file(table), line) for line in lines], "source_file string, raw_line string"
    )
    split = split_parsed(parse_lines(frame, DATASET.raw(table)))
    rejected = split.rejected.collect()
    assert not rejected, rejected
    return split.good
