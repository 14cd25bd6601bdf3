"""The Redshift tables hold exactly the limits the declarations promise: one set of limits.

The transform refuses a string longer in UTF-8 bytes than its string(N), or a decimal wider
than its decimal(P,S); Redshift's VARCHAR(N) and DECIMAL(P,S) must be those same numbers, or
a value the transform let through fails the COPY (or one it refused would have fitted). Read
off the DDL text the Redshift adapter runs, for every curated column of every dataset.
"""

from __future__ import annotations

import re

import pytest

from orchestration.warehouse.redshift_adapter import RedshiftDataWarehouse
from orchestration.warehouse.tables import ddl_statements, tables_of
from transforms.registry import datasets

EVERY_TABLE = [(d.name, t.name) for d in datasets().values() for t in d.curated_tables]
COLUMN_LINE = re.compile(
    r'^ +"(?P<name>[a-z_][a-z0-9_]*)" (?P<type>[A-Z ]+?(\(\d+(,\d+)?\))?)( NOT NULL)?,?$'
)
OTHER_TYPES = {
    "int": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE PRECISION",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
"""The Redshift type of each declared type without a limit, written out here."""


def _redshift_columns(dataset: str, table: str) -> dict[str, str]:
    """Column name -> SQL type, parsed from the CREATE TABLE the Redshift adapter runs."""
    (definition,) = [t for t in tables_of(dataset) if t.name == table]
    create = ddl_statements(RedshiftDataWarehouse.dialect, definition)[-1]
    assert create.startswith(f'CREATE TABLE IF NOT EXISTS "{dataset}"."{table}" (\n')
    columns = {}
    for line in create.splitlines()[1:]:
        matched = COLUMN_LINE.match(line)
        if matched:
            columns[matched["name"]] = matched["type"]
    return columns


def _expected(declared: str) -> str:
    """The Redshift type a declared type's text promises, read from the text itself."""
    text = declared.strip().lower()
    string = re.fullmatch(r"string\((\d+)\)", text)
    if string:
        return f"VARCHAR({int(string[1])})"
    decimal = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", text)
    if decimal:
        return f"DECIMAL({int(decimal[1])},{int(decimal[2])})"
    return OTHER_TYPES[text]


@pytest.mark.parametrize(
    ("dataset", "table"), EVERY_TABLE, ids=[f"{d}.{t}" for d, t in EVERY_TABLE]
)
def test_redshift_ddl_has_every_declared_length_and_precision(dataset, table):
    declared = {c.name: c.type for c in datasets()[dataset].curated(table).columns}

    columns = _redshift_columns(dataset, table)

    assert columns == {name: _expected(text) for name, text in declared.items()}


def test_the_parsed_ddl_sees_lengths_and_precisions():
    # The parser above must read VARCHAR(N) and DECIMAL(P,S) whole, or the test proves nothing.
    columns = _redshift_columns("tpch", "fact_sales")
    assert (columns["ship_mode"], columns["revenue"], columns["order_key"]) == (
        "VARCHAR(10)",
        "DECIMAL(18,2)",
        "BIGINT",
    )
    assert _redshift_columns("nycflights13", "fact_weather")["temperature_f"] == "DOUBLE PRECISION"
