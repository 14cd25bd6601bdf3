"""Building a dataset's curated tables from its de-duplicated raw tables, as declared.

Each curated table's builder (transforms/<dataset>/<module>.py) gets its declared inputs in
order: raw tables of the batch, or curated tables written before it (read back from their
Parquet); an input the batch has no rows for arrives empty, with its schema. What a builder
returns is checked against the declaration before anything is written.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from jobs.transformation.inputs import empty_input
from transforms.declaration import CuratedTable, Dataset, DeclarationError
from transforms.limits import limit_violation
from transforms.registry import resolve
from transforms.schemas import spark_schema
from transforms.split import Split


def build_curated(
    spark: SparkSession,
    dataset: Dataset,
    batch: dict[str, DataFrame],
    known: dict[str, DataFrame],
    rejected: dict[str, list[DataFrame]],
    uri_of: Callable[[str], str],
) -> dict[str, dict]:
    """Build and write every curated table the batch has input for; `{table: {uri, written,
    generated}}`. `batch` holds the batch's rows of each raw table, `known` every known row of
    the kept tables. Rejected rows are appended to `rejected[<source raw table>]`."""
    written: dict[str, dict] = {}
    for table in dataset.curated_tables:
        if not _has_input(table, batch, written):
            continue
        inputs = [
            _input(spark, dataset, table, name, batch, known, written) for name in table.inputs
        ]
        built = resolve(dataset, table.build)(*inputs)
        if isinstance(built, Split):
            rejected[table.source].append(built.rejected)
            built = built.good
        frame = conform(dataset, table, built)
        limits = None
        if table.source is not None:
            limits = check_limits(dataset, table, frame)
            frame = limits.good
        generated = 0
        if table.unknown_member is not None:
            frame = frame.unionByName(unknown_member_row(spark, table))
            generated = 1
        uri = uri_of(table.name)
        written[table.name] = {
            "uri": uri,
            "written": write_and_count(frame, uri),
            "generated": generated,
        }
        over_limit = limits.rejected() if limits else None
        if over_limit is not None:
            rejected[table.source].append(over_limit)
    return written


@dataclass(frozen=True)
class LimitCheck:
    """A built table split by its declared limits (what loads locally loads on Redshift):
    `good` counts, as it is written, the rows over a limit, so finding none costs no pass."""

    good: DataFrame
    observation: Observation
    over_limit: DataFrame
    """The rows over a limit, named by the table and holding the row as JSON (lazy)."""

    def rejected(self) -> DataFrame | None:
        """After `good` was written: the rows over a limit, or None when there were none."""
        return self.over_limit if self.observation.get["over_limit"] else None


def check_limits(dataset: Dataset, table: CuratedTable, frame: DataFrame) -> LimitCheck:
    checked = frame.withColumn("_limit", limit_violation(table.columns))
    # Unique: an Observation takes the first finished query's metrics of its name, and datasets
    # run their jobs at once in one session.
    observation = Observation(f"limits of {dataset.name}.{table.name} {secrets.token_hex(4)}")
    good = (
        checked.observe(observation, F.count("_limit").alias("over_limit"))
        .where(F.col("_limit").isNull())
        .drop("_limit")
    )
    over_limit = checked.where(F.col("_limit").isNotNull()).select(
        F.lit(f"{dataset.name}.{table.name} (built)").alias("source_file"),
        F.to_json(F.struct(*frame.columns)).alias("raw_line"),
        F.col("_limit").alias("reason"),
    )
    return LimitCheck(good=good, observation=observation, over_limit=over_limit)


def _has_input(table: CuratedTable, batch: dict, written: dict) -> bool:
    """Built when its source is in the batch; a derived table when its first input is."""
    first = table.source or table.inputs[0]
    return first in batch or first in written


def _input(
    spark: SparkSession,
    dataset: Dataset,
    table: CuratedTable,
    name: str,
    batch: dict[str, DataFrame],
    known: dict[str, DataFrame],
    written: dict[str, dict],
) -> DataFrame:
    """The source's rows of the batch; for any other input, every row known of it."""
    if name != table.source and name in known:
        return known[name]
    if name in batch:
        return batch[name]
    if name in written:
        return spark.read.parquet(written[name]["uri"])
    return empty_input(spark, dataset, name)


def conform(dataset: Dataset, table: CuratedTable, frame: DataFrame) -> DataFrame:
    """The builder's output in the declared column order; a DeclarationError naming the
    builder and the column when it returns another column set or another type."""
    builder = f"{dataset.package}.{table.build}"
    declared = spark_schema(table.columns)
    actual = {f.name: f.dataType for f in frame.schema.fields}
    for name in actual:
        if name not in declared.fieldNames():
            raise DeclarationError(
                f"{builder} returned column {name!r}, which {dataset.package}.dataset does not "
                f"list for {table.name}"
            )
    for field in declared.fields:
        if field.name not in actual:
            raise DeclarationError(
                f"{builder} did not return column {field.name!r} of {table.name}"
            )
        if actual[field.name] != field.dataType:
            raise DeclarationError(
                f"{builder} returned {table.name}.{field.name} as "
                f"{actual[field.name].simpleString()}, declared {field.dataType.simpleString()}"
            )
    return frame.select(*declared.fieldNames())


def unknown_member_row(spark: SparkSession, table: CuratedTable) -> DataFrame:
    member = table.unknown_member or {}
    schema = spark_schema(table.columns)
    return spark.createDataFrame([tuple(member.get(n) for n in schema.fieldNames())], schema)


def write_and_count(frame: DataFrame, uri: str) -> int:
    """Write Parquet and count the rows the write took, gathered while writing: no pass over
    the written files. A failed write raises, so the count is of rows that landed."""
    # Unique: an Observation takes the first finished query's metrics of its name.
    written = Observation(f"rows written to {uri} {secrets.token_hex(4)}")
    frame.observe(written, F.count(F.lit(1)).alias("rows")).write.mode("overwrite").parquet(uri)
    return int(written.get["rows"])
