"""A raw table's rules: row rules quarantine the rows that break them, gate rules are counted.

A row rule (`gate=False`) judges one row: a row that breaks it is quarantined with its reason
and the rest of the batch goes on. A gate rule (`gate=True`) judges the batch: no row is set
aside, the transform counts the rows and the breakers (`gate_aggregates`) into its report, and the
validate job fails the batch when fewer than the rule's `mostly` share of its rows pass. A NULL
condition passes either way: missing values are left to the null checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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


def rule_reason(rules: Sequence[Rule]) -> Column:
    """The reason of the first row rule among `rules` the row breaks; NULL when it breaks
    none (or there is no row rule)."""
    return F.coalesce(
        *[
            F.when(broken(rule), F.lit(f"rule {rule.name}: {rule.reason}"))
            for rule in row_rules(rules)
        ],
        F.lit(None).cast("string"),
    )


def apply_rules(rows: DataFrame, rules: Sequence[Rule]) -> Split:
    """`rows` (typed, with source_file and raw_line) split by the row rules among `rules`: a
    row fails the first one whose condition is false. Gate rules quarantine nothing."""
    checked = rows.withColumn("_broken", rule_reason(rules))
    good = checked.where(F.col("_broken").isNull()).drop("_broken")
    rejected = checked.where(F.col("_broken").isNotNull()).select(
        "source_file", "raw_line", F.col("_broken").alias("reason")
    )
    return Split(good=good, rejected=rejected)


def _alias(index: int) -> str:
    # Positional: a rule's name need not be a valid column name.
    return f"_gate_{index}_broken"


def gate_aggregates(rules: Sequence[Rule], among: Column | None = None) -> list[Column]:
    """Aggregate columns for an `agg` beside other counts: the rows (alias ROWS), then the
    breakers of each gate rule among `rules`, in order, counting only the rows where `among`
    holds (every row when None). Empty without gate rules."""
    gates = gate_rules(rules)
    if not gates:
        return []
    counted = F.lit(True) if among is None else among
    return [F.count(F.when(counted, 1)).alias(ROWS)] + [
        F.count(F.when(counted & broken(rule), 1)).alias(_alias(i)) for i, rule in enumerate(gates)
    ]


def gate_report(rules: Sequence[Rule], counted: Mapping[str, int]) -> dict[str, dict]:
    """The report entry of the gate rules among `rules`, from the values of `gate_aggregates`
    (summed when aggregated in groups; a missing alias counts 0):
    `{rule name: {"rows": n, "broken": k, "mostly": m, "reason": "..."}}`."""
    return {
        rule.name: {
            "rows": int(counted.get(ROWS, 0)),
            "broken": int(counted.get(_alias(i), 0)),
            "mostly": rule.mostly,
            "reason": rule.reason,
        }
        for i, rule in enumerate(gate_rules(rules))
    }
