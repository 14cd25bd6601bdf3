"""A raw table's rules: row rules quarantine the rows that break them, gate rules are counted.

A row rule (`gate=False`) judges one row: a row that breaks it is quarantined with its reason
and the rest of the batch goes on. A gate rule (`gate=True`) judges the batch: no row is set
aside, the transform counts the rows and the breakers (`gate_counts`) into its report, and the
validate job fails the batch when fewer than the rule's `mostly` share of its rows pass. A NULL
condition passes either way: missing values are left to the null checks.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.declaration import Rule
from transforms.split import Split

ROWS = "_gate_rows"
"""The alias of the row count among `gate_aggregates`."""


def row_rules(rules: Sequence[Rule]) -> tuple[Rule, ...]:
    return tuple(rule for rule in rules if not rule.gate)


def gate_rules(rules: Sequence[Rule]) -> tuple[Rule, ...]:
    return tuple(rule for rule in rules if rule.gate)


def broken(rule: Rule) -> Column:
    """True where the row breaks `rule`: its condition is false (NULL passes)."""
    return ~F.coalesce(F.expr(rule.condition), F.lit(True))


def apply_rules(rows: DataFrame, rules: Sequence[Rule]) -> Split:
    """`rows` (typed, with source_file and raw_line) split by the row rules among `rules`: a
    row fails the first one whose condition is false. Gate rules quarantine nothing."""
    applied = row_rules(rules)
    reason = F.coalesce(
        *[F.when(broken(rule), F.lit(f"rule {rule.name}: {rule.reason}")) for rule in applied],
        F.lit(None).cast("string"),
    )
    checked = rows.withColumn("_broken", reason)
    good = checked.where(F.col("_broken").isNull()).drop("_broken")
    rejected = checked.where(F.col("_broken").isNotNull()).select(
        "source_file", "raw_line", F.col("_broken").alias("reason")
    )
    return Split(good=good, rejected=rejected)


def _alias(index: int) -> str:
    # Positional: a rule's name need not be a valid column name.
    return f"_gate_{index}_broken"


def gate_aggregates(rules: Sequence[Rule]) -> list[Column]:
    """Aggregate columns for one `agg` over a raw table's rows: the row count (alias ROWS),
    then the breakers of each gate rule among `rules`, in order. Empty without gate rules."""
    gates = gate_rules(rules)
    if not gates:
        return []
    return [F.count(F.lit(1)).alias(ROWS)] + [
        F.count(F.when(broken(rule), 1)).alias(_alias(i)) for i, rule in enumerate(gates)
    ]


def gate_counts(rows: DataFrame, rules: Sequence[Rule]) -> dict[str, dict]:
    """The report entry of the gate rules among `rules` over `rows`, in one pass:
    `{rule name: {"rows": n, "broken": k, "mostly": m, "reason": "..."}}`; `{}` (no Spark
    job) when there is no gate rule."""
    aggregates = gate_aggregates(rules)
    if not aggregates:
        return {}
    counted = rows.agg(*aggregates).first()
    return {
        rule.name: {
            "rows": int(counted[ROWS]),
            "broken": int(counted[_alias(i)]),
            "mostly": rule.mostly,
            "reason": rule.reason,
        }
        for i, rule in enumerate(gate_rules(rules))
    }
