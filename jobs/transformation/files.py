"""File-level problems: a raw file that cannot be processed is parked whole, not row by row.

A file is parked when Spark cannot read it (a corrupt archive), or when more than its table's
`park_share` of its lines fail to parse (schema drift such as a changed field count, another
table's extract, a wrong encoding). Its lines go nowhere else: the report counts them as
parked, and the rest of the batch goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms.declaration import RawTable


@dataclass(frozen=True)
class FileCounts:
    read: int
    """Data lines (headers excluded)."""
    good: int
    """Lines that parsed."""
    headers: int
    first_reason: str | None
    """The smallest rejection reason of the file: the one its parking reason quotes."""
    extra: dict[str, int] = field(default_factory=dict)
    """The file's values of the extra aggregates, by alias."""

    @property
    def rejected(self) -> int:
        return self.read - self.good


def count_lines_per_file(parsed: DataFrame, extra: Sequence[Column] = ()) -> dict[str, FileCounts]:
    """Counts per source file of parsed lines, and the `extra` aggregates (integer counts,
    each aliased) of each file: one pass, a row per file."""
    rows = parsed.groupBy("source_file").agg(
        F.count(F.when(~F.col("is_header"), 1)).alias("read"),
        F.count(F.when(~F.col("is_header") & F.col("reason").isNull(), 1)).alias("good"),
        F.count(F.when(F.col("is_header"), 1)).alias("headers"),
        F.min("reason").alias("first_reason"),
        *extra,
    )
    fixed = {"source_file", "read", "good", "headers", "first_reason"}
    return {
        row["source_file"]: FileCounts(
            read=int(row["read"]),
            good=int(row["good"]),
            headers=int(row["headers"]),
            first_reason=row["first_reason"],
            extra={name: int(value) for name, value in row.asDict().items() if name not in fixed},
        )
        for row in rows.collect()
    }


def rejected_files(table: RawTable, per_file: dict[str, FileCounts]) -> dict[str, str]:
    """{uri: reason} of the files too broken to take row by row."""
    broken = {}
    for uri, counts in per_file.items():
        if counts.read and counts.rejected > table.park_share * counts.read:
            broken[uri] = (
                f"{counts.rejected} of {counts.read} lines rejected (more than "
                f"{table.park_share:.0%}), e.g. {counts.first_reason}"
            )
    return broken


def unreadable_files(
    spark: SparkSession, uris: list[str], read: Callable[[SparkSession, list[str]], DataFrame]
) -> dict[str, str]:
    """{uri: reason} of the files Spark fails to read, each tried alone with `read`.

    Called only after reading the files together failed, so the common path reads each file
    once; the reason is the error's root cause (`java.io.IOException: not a gzip file`)."""
    failures = {}
    for uri in uris:
        try:
            read(spark, [uri]).count()
        except Exception as exc:  # noqa: BLE001 - any reader failure is this file's problem
            failures[uri] = f"unreadable: {_root_cause(str(exc))[:300]}"
    return failures


def _root_cause(message: str) -> str:
    causes = re.findall(r"Caused by: (.+)", message)
    if causes:
        return causes[-1].strip()
    return (message.strip().splitlines() or ["unknown error"])[0]
