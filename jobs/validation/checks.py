"""Checks Great Expectations has no expectation for, computed on the batch's DataFrames.

Each returns a CheckResult shaped like a GX expectation result, so the summary lists a failed
reconciliation, quarantine share or orphan key exactly as it lists a failed GX expectation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

RECONCILED = "expect_table_row_count_to_reconcile_with_transform_report"
QUARANTINE_SHARE = "expect_quarantined_share_to_be_at_most"
KEYS_EXIST = "expect_column_values_to_exist_in_dimension"

SAMPLE_SIZE = 5


@dataclass(frozen=True)
class CheckResult:
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None = None
    sample: list[Any] = field(default_factory=list)


def reconcile(recounted: int, counts: Mapping[str, int]) -> CheckResult:
    """The curated rows on disk against the transform report of the batch.

    `counts` is the report's entry for the table. Passes when the Parquet holds what the report
    says was written and every row read is accounted for: written, quarantined or a duplicate.
    `generated` rows (a dimension's "unknown" member) were written but never read.
    unexpected_count is the number of rows unaccounted for (either way).
    """
    written, read, generated = counts["written"], counts["read"], counts.get("generated", 0)
    set_aside = counts["quarantined"] + counts["duplicates"]
    unaccounted = max(abs(recounted - written), abs(read - set_aside - (recounted - generated)))
    observed = {
        "read": read,
        "written": written,
        "recounted": recounted,
        "quarantined": counts["quarantined"],
        "duplicates": counts["duplicates"],
        "generated": generated,
    }
    return CheckResult(
        expectation=RECONCILED,
        column=None,
        success=unaccounted == 0,
        unexpected_count=unaccounted,
        sample=[] if unaccounted == 0 else [observed],
    )


def quarantine_share(counts: Mapping[str, int], max_share: float) -> CheckResult:
    """Quarantined rows as a share of the rows read for the table, at most `max_share`."""
    read, quarantined = counts["read"], counts["quarantined"]
    share = quarantined / read if read else 0.0
    success = share <= max_share
    return CheckResult(
        expectation=QUARANTINE_SHARE,
        column=None,
        success=success,
        unexpected_count=quarantined,
        sample=[] if success else [{"share": round(share, 6), "max_share": max_share}],
    )


def keys_exist(facts: DataFrame, column: str, known_keys: DataFrame) -> CheckResult:
    """Every non-null value of `facts[column]` is one of `known_keys` (a one-column DataFrame).

    Null keys are left to the not-null expectations. unexpected_count counts fact rows, as GX
    does; the sample holds the smallest orphan keys.
    """
    (key_column,) = known_keys.columns
    # A dimension's keys are small next to its facts: broadcast them, and an anti join needs
    # no distinct, so the facts are scanned once and never shuffled.
    keys = F.broadcast(known_keys.select(F.col(key_column).alias(column)))
    orphans = facts.select(column).where(F.col(column).isNotNull()).join(keys, column, "left_anti")
    row = orphans.agg(
        F.count(F.lit(1)).alias("rows"),
        F.slice(F.array_sort(F.collect_set(column)), 1, SAMPLE_SIZE).alias("sample"),
    ).first()
    rows = int(row["rows"])
    return CheckResult(
        expectation=KEYS_EXIST,
        column=column,
        success=rows == 0,
        unexpected_count=rows,
        sample=list(row["sample"] or []),
    )
