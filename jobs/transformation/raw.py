"""One raw table of a batch: its files read once, parsed, broken files parked, rules applied."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.transformation.files import (
    FileCounts,
    count_lines_per_file,
    rejected_files,
    unreadable_files,
)
from jobs.transformation.inputs import files_without_lines, read_lines
from transforms.declaration import RawTable
from transforms.dedupe import keep_latest
from transforms.parse import parse_lines, split_parsed
from transforms.rules import apply_rules, gate_aggregates, gate_report, row_rules, rule_reason
from transforms.schemas import QUARANTINE_SCHEMA

RULE_BREAKERS = "_rule_breakers"
"""The alias of the count, per file, of parsed lines that break a row rule."""

ROWS_PER_PARTITION = 500_000
"""Good rows of a raw table per partition of its de-duplicated rows (a TPC-H scale 1 lineitem,
6 million rows, fills the local default of 8 partitions)."""


@dataclass
class RawBatch:
    """A raw table's rows in the batch: `latest` (one per business key), the rejected rows
    (no frame the counts show empty), the files to park {uri: (reason, data lines)}, the
    frames to unpersist, and the counts."""

    latest: DataFrame
    rejected: list[DataFrame]
    parked: dict[str, tuple[str, int]]
    counts: dict
    persisted: list[DataFrame] = field(default_factory=list)


def read_raw_table(spark: SparkSession, table: RawTable, uris: list[str]) -> RawBatch:
    """`uris` as orchestration.core.lake.normalize_uri names them; so do the report and
    `parked`."""
    parsed, per_file, unreadable = _parse_readable(spark, table, uris)
    broken = {**unreadable, **rejected_files(table, per_file)}
    kept_files = [counts for uri, counts in per_file.items() if uri not in broken]
    kept_totals = sum((Counter(counts.extra) for counts in kept_files), Counter())
    parked = {uri: (reason, _lines(per_file, uri)) for uri, reason in broken.items()}
    kept = parsed.where(~F.col("source_file").isin(list(broken))) if broken else parsed
    split = split_parsed(kept)
    empty_files = files_without_lines(
        [uri for uri in uris if uri not in broken],
        {uri for uri, counts in per_file.items() if counts.read > 0},
    )
    # Only frames the per-file counts say hold rows: a raw table with none writes no quarantine.
    rejected = []
    if sum(counts.rejected for counts in kept_files):
        rejected.append(split.rejected)
    if empty_files:
        rejected.append(_empty_file_rows(spark, empty_files))
    good_rows = split.good
    if row_rules(table.rules):
        ruled = apply_rules(split.good, table.rules)
        good_rows = ruled.good
        if kept_totals[RULE_BREAKERS]:
            rejected.append(ruled.rejected)
    good = sum(counts.good for counts in kept_files) - kept_totals[RULE_BREAKERS]
    partitions = latest_partitions(
        good,
        cores=spark.sparkContext.defaultParallelism,
        ceiling=int(spark.conf.get("spark.sql.shuffle.partitions")),
    )
    latest = keep_latest(good_rows, table.business_keys, partitions).persist()
    counts = {
        "files": len(uris),
        "read": sum(c.read for c in per_file.values()) + len(empty_files),
        "header_lines": sum(c.headers for c in per_file.values()),
        "good": good,
        "duplicates": good - latest.count(),
        "empty_files": empty_files,
        "parked": sum(lines for _, lines in parked.values()),
        "gates": gate_report(table.rules, kept_totals),
    }
    return RawBatch(
        latest=latest, rejected=rejected, parked=parked, counts=counts, persisted=[parsed, latest]
    )


def latest_partitions(good_rows: int, cores: int, ceiling: int) -> int:
    """Partitions for a raw table's de-duplicated rows: one per ROWS_PER_PARTITION good rows,
    at least one per core, at most the session's shuffle partitions (`ceiling`).

    They are cached, and adaptive execution does not coalesce the partitions of a cached plan:
    without this, a daily delta of a few thousand rows kept the session's shuffle partitions
    (Spark's default is 200) through every table built from it, a task and a file each."""
    return min(ceiling, max(cores, math.ceil(good_rows / ROWS_PER_PARTITION)))


def line_aggregates(table: RawTable) -> list[Column]:
    """What the per-file count gathers besides lines: the row-rule breakers among the parsed
    lines (alias RULE_BREAKERS) and the gate counts among the lines that pass the row rules,
    so neither takes a pass of its own."""
    parsed_line = ~F.col("is_header") & F.col("reason").isNull()
    if not row_rules(table.rules):
        return gate_aggregates(table.rules, among=parsed_line)
    breaks = rule_reason(table.rules).isNotNull()
    return [
        F.count(F.when(parsed_line & breaks, 1)).alias(RULE_BREAKERS),
        *gate_aggregates(table.rules, among=parsed_line & ~breaks),
    ]


def _lines(per_file: dict[str, FileCounts], uri: str) -> int:
    counts = per_file.get(uri)
    return 0 if counts is None else counts.read


def _parse_readable(
    spark: SparkSession, table: RawTable, uris: list[str]
) -> tuple[DataFrame, dict[str, FileCounts], dict[str, str]]:
    """The parsed lines (persisted) of the files Spark can read, their counts per file, and
    {uri: reason} of the files it cannot."""

    def read(session: SparkSession, paths: list[str]) -> DataFrame:
        return parse_lines(read_lines(session, paths, table.format), table)

    parsed = read(spark, uris).persist()
    try:
        return parsed, count_lines_per_file(parsed, line_aggregates(table)), {}
    except Exception:
        parsed.unpersist()
        unreadable = unreadable_files(spark, uris, read)
        if not unreadable:
            raise
    readable = [uri for uri in uris if uri not in unreadable]
    if not readable:
        return spark.createDataFrame([], read(spark, uris).schema), {}, unreadable
    parsed = read(spark, readable).persist()
    return parsed, count_lines_per_file(parsed, line_aggregates(table)), unreadable


def _empty_file_rows(spark: SparkSession, empty_files: list[str]) -> DataFrame:
    rows = [(uri, "", "empty file: no data lines") for uri in empty_files]
    return spark.createDataFrame(rows, QUARANTINE_SCHEMA)
