"""Row-level rules: rows that break a declared rule are quarantined with its reason."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.declaration import Rule
from transforms.split import Split


def apply_rules(rows: DataFrame, rules: Sequence[Rule]) -> Split:
    """`rows` (typed, with source_file and raw_line) split by `rules`: a row fails the first
    rule whose condition is false; a NULL condition passes (missing values are not wrong)."""
    broken = F.coalesce(
        *[
            F.when(
                ~F.coalesce(F.expr(rule.condition), F.lit(True)),
                F.lit(f"rule {rule.name}: {rule.reason}"),
            )
            for rule in rules
        ],
        F.lit(None).cast("string"),
    )
    checked = rows.withColumn("_broken", broken)
    good = checked.where(F.col("_broken").isNull()).drop("_broken")
    rejected = checked.where(F.col("_broken").isNotNull()).select(
        "source_file", "raw_line", F.col("_broken").alias("reason")
    )
    return Split(good=good, rejected=rejected)
