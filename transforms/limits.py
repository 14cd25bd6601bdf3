"""The declared limits of curated columns, checked on what a builder computed.

Raw fields are held to their declared types by the parser (transforms/parse.py). A curated
column a builder derives (a concatenation, a mapped code) can still outgrow its declared
string(N), which Redshift's VARCHAR(N) would refuse at COPY, failing the whole load; checked
here, such a row is quarantined under its table's source instead. Only strings need a check:
a builder's decimals, integers and dates are already of their declared Spark type (the curation
conforms them), so they fit the warehouse's DECIMAL(P,S), INTEGER or DATE.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

from transforms.declaration import Field


def limit_violation(columns: Sequence[Field]) -> Column:
    """A string column: NULL when the row fits every declared limit of `columns`, otherwise the
    reason for the first column over its limit, e.g. "column name: 27 bytes, longer than
    string(25)" (bytes of UTF-8, as Redshift counts them). A NULL value fits."""
    reasons = []
    for column in columns:
        column_type = column.column_type
        if column_type.kind != "string":
            continue
        size = F.octet_length(F.col(column.name))
        reasons.append(
            F.when(
                size > column_type.length,
                F.format_string(
                    f"column {column.name}: %d bytes, longer than string({column_type.length})",
                    size,
                ),
            )
        )
    return F.coalesce(*reasons, F.lit(None).cast("string"))
