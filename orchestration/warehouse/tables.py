"""The warehouse's target tables, in one place.

Columns, types and business keys come from the curated schemas (transforms/curated_columns.py,
which transforms/schemas.py also builds the Spark schemas from), so a
column added to a curated table reaches the warehouse without a second edit; this module adds only
what the warehouse needs on top: SQL types per dialect, NOT NULL keys, Redshift DISTKEY/SORTKEY.
Every table and column name that reaches SQL comes from here, validated and quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestration.warehouse.base import InvalidNameError
from transforms.curated_columns import CURATED_BUSINESS_KEYS, CURATED_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

DIALECTS = ("duckdb", "postgresql", "redshift")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
AUDIT_TABLE = "etl_load_audit"

# Redshift's VARCHAR length is in bytes and 256 is its default; the curated strings are codes,
# names and addresses well below it, and a longer value fails the COPY loudly, never truncates.
_REDSHIFT_VARCHAR = "VARCHAR(256)"
_SQL_TYPES = {"bigint": "BIGINT", "int": "INTEGER", "date": "DATE", "boolean": "BOOLEAN"}
_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")
_STRING_TYPES = {"duckdb": "VARCHAR", "postgresql": "TEXT", "redshift": _REDSHIFT_VARCHAR}


def validate_identifier(name: object, what: str = "identifier") -> str:
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise InvalidNameError(f"invalid {what} {name!r}: must match {IDENTIFIER.pattern}")
    return name


def quote(name: str) -> str:
    return f'"{validate_identifier(name)}"'


# Column types are Spark SQL type names ("bigint", "decimal(15,2)"): this module (and the
# Redshift load Lambda that imports it) then needs neither pyspark nor pyarrow of its own.
def sql_type(type_name: str, dialect: str) -> str:
    decimal = _DECIMAL.match(type_name)
    if decimal:
        return f"DECIMAL({decimal.group(1)},{decimal.group(2)})"
    if type_name == "string":
        return _STRING_TYPES[dialect]
    if type_name in _SQL_TYPES:
        return _SQL_TYPES[type_name]
    raise TypeError(f"no warehouse type for {type_name}: map it in {__name__}")


def arrow_type(type_name: str) -> pa.DataType:
    """The Arrow type of a curated column as Spark writes it to Parquet."""
    import pyarrow as pa

    decimal = _DECIMAL.match(type_name)
    if decimal:
        return pa.decimal128(int(decimal.group(1)), int(decimal.group(2)))
    types = {
        "bigint": pa.int64(),
        "int": pa.int32(),
        "date": pa.date32(),
        "boolean": pa.bool_(),
        "string": pa.string(),
    }
    if type_name in types:
        return types[type_name]
    raise TypeError(f"no Arrow type for {type_name}: map it in {__name__}")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    """Spark SQL type name, as in transforms/curated_columns.py."""
    not_null: bool
    """NOT NULL in the warehouse: the business keys."""

    def ddl(self, dialect: str) -> str:
        null = " NOT NULL" if self.not_null else ""
        return f"{quote(self.name)} {sql_type(self.data_type, dialect)}{null}"


@dataclass(frozen=True)
class TableDef:
    name: str
    columns: tuple[Column, ...]
    business_keys: tuple[str, ...]
    distkey: str | None
    """Redshift DISTKEY column; None replicates the table on every node (DISTSTYLE ALL)."""
    sortkey: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def value_columns(self) -> tuple[str, ...]:
        """The columns a MERGE updates: everything but the business keys."""
        return tuple(c.name for c in self.columns if c.name not in self.business_keys)

    @property
    def arrow_schema(self) -> pa.Schema:
        """The schema of the table's curated Parquet."""
        import pyarrow as pa

        return pa.schema(
            # Spark writes every curated column as nullable, keys included.
            [pa.field(c.name, arrow_type(c.data_type), True) for c in self.columns]
        )

    def create_sql(self, dialect: str) -> str:
        body = ",\n    ".join(
            [c.ddl(dialect) for c in self.columns]
            + [f"PRIMARY KEY ({', '.join(quote(k) for k in self.business_keys)})"]
        )
        sql = f"CREATE TABLE IF NOT EXISTS {quote(self.name)} (\n    {body}\n)"
        if dialect == "redshift":
            if self.distkey is None:
                sql += "\nDISTSTYLE ALL"
            else:
                sql += f"\nDISTSTYLE KEY DISTKEY ({quote(self.distkey)})"
            sql += f"\nSORTKEY ({', '.join(quote(k) for k in self.sortkey)})"
        return sql


@dataclass(frozen=True)
class _Physical:
    distkey: str | None
    sortkey: tuple[str, ...]


# Why these: fact_sales is distributed on customer_key so its largest join (to dim_customer,
# distributed the same way) is co-located, and sorted on order_date because queries restrict
# dates; the other dimensions are small enough to replicate on every node (DISTSTYLE ALL).
_PHYSICAL: dict[str, _Physical] = {
    "fact_sales": _Physical(distkey="customer_key", sortkey=("order_date",)),
    "dim_customer": _Physical(distkey="customer_key", sortkey=("customer_key",)),
    "dim_supplier": _Physical(distkey=None, sortkey=("supplier_key",)),
    "dim_part": _Physical(distkey=None, sortkey=("part_key",)),
    "dim_date": _Physical(distkey=None, sortkey=("date_key",)),
}


def _build(name: str) -> TableDef:
    validate_identifier(name, "table name")
    if name not in _PHYSICAL:
        raise TypeError(f"curated table {name} has no DISTKEY/SORTKEY entry in {__name__}")
    keys = CURATED_BUSINESS_KEYS[name]
    columns = tuple(
        Column(
            name=validate_identifier(column, f"column of {name}"),
            data_type=type_name,
            not_null=column in keys,
        )
        for column, type_name in CURATED_COLUMNS[name]
    )
    names = {c.name for c in columns}
    physical = _PHYSICAL[name]
    referenced = set(keys) | set(physical.sortkey) | ({physical.distkey} - {None})
    if not keys or not referenced <= names:
        raise TypeError(f"{name}: keys {sorted(referenced - names)} are not columns of the table")
    return TableDef(name, columns, keys, physical.distkey, physical.sortkey)


TABLES: dict[str, TableDef] = {name: _build(name) for name in CURATED_COLUMNS}

if set(_PHYSICAL) != set(TABLES):
    raise TypeError(f"{__name__}: DISTKEY/SORTKEY entries for unknown tables {set(_PHYSICAL)}")

# Dimensions before the fact, so a reader never sees a fact row before its dimension rows.
LOAD_ORDER: tuple[str, ...] = tuple(sorted(TABLES, key=lambda n: (n.startswith("fact_"), n)))


def get_table(name: object) -> TableDef:
    """The definition of a target table; anything else (a crafted or unknown name) is refused."""
    validate_identifier(name, "table name")
    try:
        return TABLES[name]  # type: ignore[index]
    except KeyError:
        raise InvalidNameError(
            f"unknown table {name!r}: expected one of {', '.join(sorted(TABLES))}"
        ) from None


def audit_create_sql(dialect: str) -> str:
    """The load audit table: one row per (batch, table) applied. loaded_at is UTC."""
    now = "SYSDATE" if dialect == "redshift" else "(now() AT TIME ZONE 'UTC')"
    text = _REDSHIFT_VARCHAR if dialect == "redshift" else "VARCHAR(256)"
    return (
        f"CREATE TABLE IF NOT EXISTS {quote(AUDIT_TABLE)} (\n"
        f'    "batch_id" {text} NOT NULL,\n'
        f'    "table_name" {text} NOT NULL,\n'
        '    "rows_staged" BIGINT NOT NULL,\n'
        '    "inserted" BIGINT NOT NULL,\n'
        '    "updated" BIGINT NOT NULL,\n'
        f'    "loaded_at" TIMESTAMP NOT NULL DEFAULT {now},\n'
        '    PRIMARY KEY ("batch_id", "table_name")\n'
        ")"
    )


def ddl_statements(dialect: str, table: TableDef) -> list[str]:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    return [audit_create_sql(dialect), table.create_sql(dialect)]
