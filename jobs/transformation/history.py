"""What earlier committed batches of a dataset leave to the next one.

Two kinds of rows outlive their batch, both as Parquet in the curated zone
(orchestration/core/layout.py `state_uri`, `held_uri`):
- the state of a kept table (transforms.declaration.Dataset.kept_tables: parents and reference
  tables): every row known so far, so a delta of children finds the parents that came before;
- held rows: children whose parent has not arrived yet, retried by every later batch up to
  their parent's `hold_days`, then quarantined with the reason.

A batch's report says where the current state and held rows are (`state`, `held`); the next
batch reads them from the report of the dataset's last committed batch, which Extract names in
the manifest (`previous_batch_id`). A failed batch's rows are therefore never read: its files
are taken again and produce them again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from orchestration.core.lake import Lake
from orchestration.core.layout import report_uri
from transforms.declaration import Dataset, RawTable

HELD_SINCE = "held_since"
LINEAGE = ("source_file", "raw_line")
_STAMP = re.compile(r"^(\d{8}T\d{6}Z)-")


@dataclass(frozen=True)
class Carried:
    """`{raw table: {"uri", "rows"}}` of the state and of the held rows a batch starts from."""

    state: dict[str, dict] = field(default_factory=dict)
    held: dict[str, dict] = field(default_factory=dict)


def carried_from(lake: Lake, dataset: Dataset, previous_batch_id: str | None) -> Carried:
    if previous_batch_id is None:
        return Carried()
    report = lake.read_json(report_uri(lake, dataset.name, previous_batch_id))
    return Carried(state=dict(report.get("state", {})), held=dict(report.get("held", {})))


def batch_time(batch_id: str) -> datetime:
    """When the batch was cut, from its id (`20261125T153012Z-…`); now for an id without one."""
    stamp = _STAMP.match(batch_id)
    if stamp is None:
        return datetime.now(UTC)
    return datetime.strptime(stamp.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def raw_columns(table: RawTable) -> list[str]:
    return [*LINEAGE, *table.field_names]


def newest_first(
    batch_rows: DataFrame, earlier_rows: DataFrame, keys: tuple[str, ...]
) -> DataFrame:
    """The batch's rows, and the earlier rows whose key the batch does not repeat."""
    earlier = earlier_rows.join(batch_rows.select(*keys), list(keys), "left_anti")
    return batch_rows.unionByName(earlier.select(*batch_rows.columns))


def hold_orphans(
    candidates: DataFrame,
    table: RawTable,
    known: dict[str, DataFrame],
    now: datetime,
    outcome: Observation,
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """(released, held, expired) of a child table's candidate rows (with `held_since`).

    A row is released when every declared parent has a row with its key in `known`; otherwise
    it stays held, unless it has waited longer than the missing parent's `hold_days`: then it
    is expired, as source_file, raw_line and the reason. Writing `held` fills `outcome` with
    the rows "released" and "expired", so knowing whether there are any costs no pass."""
    rows = candidates.withColumn("_missing", F.lit(None).cast("string")).withColumn(
        "_hold_days", F.lit(None).cast("double")
    )
    for index, parent in enumerate(table.parents):
        aliases = [f"_parent{index}_{n}" for n in range(len(parent.keys))]
        parent_keys = (
            known[parent.table]
            .select(*[F.col(k).alias(a) for k, a in zip(parent.parent_keys, aliases, strict=True)])
            .distinct()
            .withColumn("_found", F.lit(True))
        )
        condition = [rows[k] == parent_keys[a] for k, a in zip(parent.keys, aliases, strict=True)]
        rows = rows.join(parent_keys, condition, "left")
        missing = F.col("_found").isNull() & F.col("_missing").isNull()
        reason = _missing_parent(parent.table, parent.parent_keys, parent.keys)
        rows = (
            rows.withColumn("_hold_days", _first_of(missing, F.lit(parent.hold_days), "_hold_days"))
            .withColumn("_missing", _first_of(missing, reason, "_missing"))
            .drop("_found", *aliases)
        )
    columns = [*raw_columns(table), HELD_SINCE]
    waited_days = (F.lit(now).cast("long") - F.col(HELD_SINCE).cast("long")) / 86400.0
    orphan = F.col("_missing").isNotNull()
    expired = orphan & (waited_days > F.col("_hold_days"))
    released = rows.where(~orphan).select(*raw_columns(table))
    observed = rows.observe(
        outcome,
        F.count(F.when(~orphan, 1)).alias("released"),
        F.count(F.when(expired, 1)).alias("expired"),
    )
    held = observed.where(orphan & ~expired).select(*columns)
    rejected = rows.where(expired).select(
        *LINEAGE,
        F.format_string(
            "%s; held since %s, longer than %s days",
            F.col("_missing"),
            F.date_format(F.col(HELD_SINCE), "yyyy-MM-dd HH:mm:ss'Z'"),
            F.col("_hold_days"),
        ).alias("reason"),
    )
    return released, held, rejected


def _first_of(missing: Column, value: Column, column: str) -> Column:
    """`value` on the rows whose first missing parent is this one; `column` as it was on others."""
    return F.when(missing, value).otherwise(F.col(column))


def _missing_parent(parent: str, parent_keys: tuple[str, ...], keys: tuple[str, ...]) -> Column:
    described = ", ".join(f"{p}=%s" for p in parent_keys)
    return F.format_string(f"{parent} {described} has not arrived", *[F.col(k) for k in keys])


def as_candidates(batch_rows: DataFrame, table: RawTable, now: datetime) -> DataFrame:
    """A batch's rows of a child table, first held (if at all) now."""
    return batch_rows.select(*raw_columns(table)).withColumn(
        HELD_SINCE, F.lit(now).cast("timestamp")
    )


def read_rows(spark: SparkSession, entry: dict | None) -> DataFrame | None:
    return None if entry is None else spark.read.parquet(entry["uri"])
