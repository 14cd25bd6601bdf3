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
GATE = "expect_raw_rows_to_keep_gate_rule"

SAMPLE_SIZE = 5


@dataclass(frozen=True)
class CheckResult:
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None = None
    sample: list[Any] = field(default_factory=list)


HELD_COUNTS = ("held", "held_in", "parked")
"""Report counts of rows set aside across batches; 0 when a report has none (older reports)."""


def reconcile(recounted: int, counts: Mapping[str, int]) -> CheckResult:
    """The curated rows on disk against the transform report of the batch.

    `counts` is the report's entry for the table. Passes when the Parquet holds what the report
    says was written and every row in is accounted for:
    written - generated + quarantined + duplicates + held + parked == read + held_in.
    `generated` rows (a dimension's "unknown" member) were written but never read; `held` rows
    wait for a parent, `held_in` are earlier batches' held rows retried in this one, `parked`
    are the data lines of files parked whole. A missing count is 0. unexpected_count is the
    number of rows unaccounted for (either way).
    """
    written, read, generated = counts["written"], counts["read"], counts.get("generated", 0)
    held, held_in, parked = (counts.get(k, 0) for k in HELD_COUNTS)
    set_aside = counts["quarantined"] + counts["duplicates"] + held + parked
    unaccounted = max(
        abs(recounted - written), abs(read + held_in - set_aside - (recounted - generated))
    )
    observed = {
        "read": read,
        "written": written,
        "recounted": recounted,
        "quarantined": counts["quarantined"],
        "duplicates": counts["duplicates"],
        "generated": generated,
        **{k: counts.get(k, 0) for k in HELD_COUNTS},
    }
    return CheckResult(
        expectation=RECONCILED,
        column=None,
        success=unaccounted == 0,
        unexpected_count=unaccounted,
        sample=[] if unaccounted == 0 else [observed],
    )


def quarantine_share(counts: Mapping[str, int], max_share: float, floor: int = 0) -> CheckResult:
    """Quarantined rows as a share of the rows in (read, plus held rows retried: `held_in`):
    fails only when they are more than `max_share` of them and more than `floor` (the dataset's
    quarantine_floor), so a few bad rows of a small delta are quarantined, not a failed day."""
    rows_in = counts.get("read", 0) + counts.get("held_in", 0)
    quarantined = counts.get("quarantined", 0)
    share = quarantined / rows_in if rows_in else 0.0
    success = not (quarantined > max_share * rows_in and quarantined > floor)
    return CheckResult(
        expectation=QUARANTINE_SHARE,
        column=None,
        success=success,
        unexpected_count=quarantined,
        sample=[]
        if success
        else [{"share": round(share, 6), "max_share": max_share, "floor": floor}],
    )


def gate(rule: str, entry: Mapping[str, Any]) -> CheckResult:
    """A gate rule of a raw table, from the transform report's `gates` entry `{"rows",
    "broken", "mostly", "reason"}`: passes when at least `mostly` of the rows kept the rule
    (no rows: passes). unexpected_count counts the rows that broke it."""
    rows, broken, mostly = int(entry["rows"]), int(entry["broken"]), float(entry["mostly"])
    passing = (rows - broken) / rows if rows else 1.0
    success = passing >= mostly
    observed = {
        "rule": rule,
        "reason": entry.get("reason"),
        "rows": rows,
        "broken": broken,
        "passing": round(passing, 6),
        "mostly": mostly,
    }
    return CheckResult(
        expectation=GATE,
        column=None,
        success=success,
        unexpected_count=broken,
        sample=[] if success else [observed],
    )


def keys_exist(
    facts: DataFrame, column: str, known_keys: DataFrame, mostly: float = 1.0
) -> CheckResult:
    """Every non-null value of `facts[column]` is one of `known_keys` (a one-column DataFrame),
    or at least `mostly` of them are (GX's `mostly`: the share of non-null rows).

    Null keys are left to the not-null expectations. unexpected_count counts fact rows, as GX
    does; the sample holds the smallest orphan keys.
    """
    (key_column,) = known_keys.columns
    # A dimension's keys are small next to its facts: broadcast them, and an anti join needs
    # no distinct, so the facts are scanned once and never shuffled.
    keys = F.broadcast(known_keys.select(F.col(key_column).alias(column)))
    present = facts.select(column).where(F.col(column).isNotNull())
    orphans = present.join(keys, column, "left_anti")
    row = orphans.agg(
        F.count(F.lit(1)).alias("rows"),
        F.slice(F.array_sort(F.collect_set(column)), 1, SAMPLE_SIZE).alias("sample"),
    ).first()
    rows = int(row["rows"])
    success = rows == 0
    if not success and mostly < 1.0:
        # Only when some orphans are allowed: a second count, of the (cached) facts.
        total = present.count()
        success = (total - rows) / total >= mostly
    return CheckResult(
        expectation=KEYS_EXIST,
        column=column,
        success=success,
        unexpected_count=rows,
        sample=list(row["sample"] or []),
    )
