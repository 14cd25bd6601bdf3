"""The warehouse's target tables, built from the dataset declarations.

Every dataset loads into a schema of its own, named after it, which also holds that dataset's
load audit table: two datasets may both declare a table of one name and never touch each other.
Columns, types, business keys, DISTKEY and SORTKEY come from the curated tables of the
declaration (transforms/<dataset>/dataset.py), so a column added there reaches the warehouse
without a second edit; this module adds only what the warehouse needs on top: SQL types per
dialect and NOT NULL keys. Every schema, table and column name that reaches SQL comes from here,
validated and quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestration.warehouse.base import InvalidNameError
from transforms.declaration import ColumnType, CuratedTable, Dataset, parse_type
from transforms.registry import datasets

if TYPE_CHECKING:
    import pyarrow as pa

DIALECTS = ("duckdb", "postgresql", "redshift")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
AUDIT_TABLE = "etl_load_audit"
INTERNAL_PREFIX = "sfn_etl_"
"""The loader's own names (staging tables, the matched flag) start with it."""
RESERVED_SCHEMAS = ("information_schema", "system", "temp")
"""Schemas a dataset may not be named after: the SQL standard's catalog views, and DuckDB's
`system` and `temp` databases, which an unqualified `"temp"."t"` would resolve to. PostgreSQL and
Redshift also reserve every name starting with `pg_`."""

_SIMPLE_TYPES = {
    "int": "INTEGER",
    "bigint": "BIGINT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "double": "DOUBLE PRECISION",
    "timestamp": "TIMESTAMP",
}


def validate_identifier(name: object, what: str = "identifier") -> str:
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise InvalidNameError(f"invalid {what} {name!r}: must match {IDENTIFIER.pattern}")
    return name


def quote(name: str) -> str:
    return f'"{validate_identifier(name)}"'


def sql_type(column_type: ColumnType, dialect: str) -> str:
    """The column's SQL type. Strings keep their declared length only in Redshift, whose
    VARCHAR(N) counts UTF-8 bytes exactly as the declaration does, so Redshift refuses a longer
    value as the transform does (COPY without TRUNCATECOLUMNS fails, never truncates); DuckDB's
    VARCHAR ignores a length and PostgreSQL's TEXT is as fast as VARCHAR(N)."""
    kind = column_type.kind
    if kind == "decimal":
        return f"DECIMAL({column_type.precision},{column_type.scale})"
    if kind == "string":
        return {
            "duckdb": "VARCHAR",
            "postgresql": "TEXT",
            "redshift": f"VARCHAR({column_type.length})",
        }[dialect]
    if kind == "double" and dialect == "duckdb":
        return "DOUBLE"
    if kind in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[kind]
    raise TypeError(f"no warehouse type for {kind}: map it in {__name__}")


def arrow_type(column_type: ColumnType) -> pa.DataType:
    """The Arrow type of a curated column as Spark writes it to Parquet. Spark writes timestamps
    as INT96, which the readers in curated.py decode to microseconds, Spark's precision."""
    import pyarrow as pa

    if column_type.kind == "decimal":
        return pa.decimal128(column_type.precision, column_type.scale)
    types = {
        "int": pa.int32(),
        "bigint": pa.int64(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
        "string": pa.string(),
    }
    if column_type.kind in types:
        return types[column_type.kind]
    raise TypeError(f"no Arrow type for {column_type.kind}: map it in {__name__}")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    """The declared type, as in the dataset declaration: "bigint", "string(25)"."""
    not_null: bool
    """NOT NULL in the warehouse: the business keys."""

    @property
    def column_type(self) -> ColumnType:
        return parse_type(self.data_type)

    def ddl(self, dialect: str) -> str:
        null = " NOT NULL" if self.not_null else ""
        return f"{quote(self.name)} {sql_type(self.column_type, dialect)}{null}"


@dataclass(frozen=True)
class TableDef:
    schema: str
    """The dataset's schema, named after the dataset."""
    name: str
    columns: tuple[Column, ...]
    business_keys: tuple[str, ...]
    distkey: str | None
    """Redshift DISTKEY column; None replicates the table on every node (DISTSTYLE ALL)."""
    sortkey: tuple[str, ...]
    """Redshift SORTKEY columns; empty leaves the choice to Redshift (SORTKEY AUTO)."""

    @property
    def qualified(self) -> str:
        """The quoted, schema-qualified name every statement uses."""
        return f"{quote(self.schema)}.{quote(self.name)}"

    @property
    def audit(self) -> str:
        """The quoted, schema-qualified name of the dataset's audit table."""
        return f"{quote(self.schema)}.{quote(AUDIT_TABLE)}"

    @property
    def label(self) -> str:
        """`schema.table`, for messages."""
        return f"{self.schema}.{self.name}"

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
            [pa.field(c.name, arrow_type(c.column_type), True) for c in self.columns]
        )

    def create_sql(self, dialect: str) -> str:
        body = ",\n    ".join(
            [c.ddl(dialect) for c in self.columns]
            + [f"PRIMARY KEY ({', '.join(quote(k) for k in self.business_keys)})"]
        )
        sql = f"CREATE TABLE IF NOT EXISTS {self.qualified} (\n    {body}\n)"
        if dialect == "redshift":
            if self.distkey is None:
                sql += "\nDISTSTYLE ALL"
            else:
                sql += f"\nDISTSTYLE KEY DISTKEY ({quote(self.distkey)})"
            if self.sortkey:
                sql += f"\nSORTKEY ({', '.join(quote(k) for k in self.sortkey)})"
        return sql


def validate_schema(name: object) -> str:
    """A dataset name usable as a schema in every dialect."""
    schema = validate_identifier(name, "schema")
    if schema in RESERVED_SCHEMAS or schema.startswith(("pg_", INTERNAL_PREFIX)):
        raise InvalidNameError(
            f"schema {schema!r} is reserved in the warehouse: rename the dataset (not one of "
            f"{', '.join(RESERVED_SCHEMAS)}, nor starting with pg_ or {INTERNAL_PREFIX})"
        )
    return schema


def table_def(dataset: Dataset, table: CuratedTable) -> TableDef:
    """The warehouse table of one curated table of a dataset (the registry's or a test's)."""
    where = f"{dataset.name}.{table.name}"
    schema = validate_schema(dataset.name)
    validate_identifier(table.name, f"table name of {where}")
    if table.name == AUDIT_TABLE:
        raise InvalidNameError(f"{where}: {AUDIT_TABLE} is the name of the load audit table")
    keys = table.business_keys
    columns = []
    for field in table.columns:
        validate_identifier(field.name, f"column of {where}")
        if field.name.startswith(INTERNAL_PREFIX):
            raise InvalidNameError(f"{where}: column {field.name!r}: {INTERNAL_PREFIX}* is taken")
        columns.append(Column(field.name, field.type, not_null=field.name in keys))
    names = {c.name for c in columns}
    referenced = set(keys) | set(table.sortkey) | ({table.distkey} - {None})
    if not keys or not referenced <= names:
        raise InvalidNameError(f"{where}: keys {sorted(referenced - names)} are not columns")
    return TableDef(schema, table.name, tuple(columns), keys, table.distkey, table.sortkey)


def _dataset(name: object) -> Dataset:
    dataset = validate_identifier(name, "dataset name")
    known = datasets()
    if dataset not in known:
        raise InvalidNameError(
            f"unknown dataset {dataset!r}: expected one of {', '.join(sorted(known))}"
        )
    return known[dataset]


def get_table(dataset: object, table: object) -> TableDef:
    """The definition of a declared table; anything else (a crafted or unknown name) is
    refused, naming the known ones."""
    declared = _dataset(dataset)
    name = validate_identifier(table, "table name")
    names = [t.name for t in declared.curated_tables]
    if name not in names:
        raise InvalidNameError(
            f"unknown table {name!r} of dataset {declared.name}: expected one of "
            f"{', '.join(sorted(names))}"
        )
    return table_def(declared, declared.curated(name))


def tables_of(dataset: object) -> tuple[TableDef, ...]:
    """Every table of a declared dataset in its load order: dimensions, then facts."""
    declared = _dataset(dataset)
    return tuple(table_def(declared, declared.curated(name)) for name in declared.load_order())


def audit_create_sql(dialect: str, schema: str) -> str:
    """The load audit table of a schema: one row per (batch, table) applied. loaded_at is UTC."""
    now = "SYSDATE" if dialect == "redshift" else "(now() AT TIME ZONE 'UTC')"
    return (
        f"CREATE TABLE IF NOT EXISTS {quote(schema)}.{quote(AUDIT_TABLE)} (\n"
        '    "batch_id" VARCHAR(256) NOT NULL,\n'
        '    "table_name" VARCHAR(256) NOT NULL,\n'
        '    "rows_staged" BIGINT NOT NULL,\n'
        '    "inserted" BIGINT NOT NULL,\n'
        '    "updated" BIGINT NOT NULL,\n'
        f'    "loaded_at" TIMESTAMP NOT NULL DEFAULT {now},\n'
        '    PRIMARY KEY ("batch_id", "table_name")\n'
        ")"
    )


def ddl_statements(dialect: str, table: TableDef) -> list[str]:
    """The schema, its audit table, then the target: each created only when missing."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    return [
        f"CREATE SCHEMA IF NOT EXISTS {quote(table.schema)}",
        audit_create_sql(dialect, table.schema),
        table.create_sql(dialect),
    ]
