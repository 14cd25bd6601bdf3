"""The vocabulary a dataset is declared in: raw tables, curated tables, rules, destinations.

A dataset lives in `transforms/<dataset>/` (a `dataset.py` holding `DATASET`, plus its builder
modules) and `expectations/<dataset>/<table>.json`. This module is plain data and imports no
pyspark: the load Lambda reads the curated table definitions on a runtime that has only boto3.

Column types are written as text, the way a data engineer reads a DDL:
`int`, `bigint`, `double`, `boolean`, `date`, `timestamp`, `decimal(P,S)` and `string(N)`,
where N is the longest value in UTF-8 bytes (Redshift's VARCHAR(N) counts bytes, so the limit
the transform enforces is the one the warehouse enforces).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from orchestration.core.errors import UserError

DESTINATIONS = ("warehouse", "catalog")
COMPRESSIONS = {"none": (), "gzip": (".gz",), "bzip2": (".bz2",)}
ENCODINGS = ("utf-8", "iso-8859-1", "us-ascii")
"""Encodings in which a newline is one byte, so lines split before decoding stay whole."""

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
_STRING = re.compile(r"^string\((\d+)\)$")
_SIMPLE = ("int", "bigint", "double", "boolean", "date", "timestamp")
MAX_STRING_BYTES = 65535
"""Redshift's widest VARCHAR."""


class DeclarationError(UserError):
    """A dataset declaration that cannot work; the message names the file and the field."""


@dataclass(frozen=True)
class ColumnType:
    """A parsed column type: `kind` is one of int, bigint, double, boolean, date, timestamp,
    decimal, string; `length` (bytes) for strings, `precision`/`scale` for decimals."""

    kind: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None

    @property
    def spark_name(self) -> str:
        """The Spark SQL type name: string(N) is a plain string there."""
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        return self.kind


def parse_type(text: object) -> ColumnType:
    """The ColumnType of a type's text; ValueError saying what is accepted otherwise."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"missing type (got {text!r})")
    normalized = text.strip().lower()
    if normalized in _SIMPLE:
        return ColumnType(normalized)
    decimal = _DECIMAL.match(normalized)
    if decimal:
        precision, scale = int(decimal.group(1)), int(decimal.group(2))
        if not 1 <= precision <= 38 or scale > precision:
            raise ValueError(f"{text!r}: decimal precision must be 1-38 and scale <= precision")
        return ColumnType("decimal", precision=precision, scale=scale)
    string = _STRING.match(normalized)
    if string:
        length = int(string.group(1))
        if not 1 <= length <= MAX_STRING_BYTES:
            raise ValueError(f"{text!r}: string length must be 1-{MAX_STRING_BYTES} bytes")
        return ColumnType("string", length=length)
    if normalized == "string":
        raise ValueError("'string' needs its longest value in bytes, e.g. string(40)")
    raise ValueError(
        f"unknown type {text!r}: expected one of {', '.join(_SIMPLE)}, decimal(P,S), string(N)"
    )


@dataclass(frozen=True)
class Field:
    """A column: `key=True` makes it part of the table's business key."""

    name: str
    type: str
    key: bool = False

    @property
    def column_type(self) -> ColumnType:
        return parse_type(self.type)


@dataclass(frozen=True)
class FileFormat:
    """How a raw extract is written.

    `quote` None means fields are never quoted (a plain split on the delimiter); otherwise a
    field may be quoted, with the quote doubled inside it, or escaped by `escape` when given.
    `null_tokens` are the values that mean NULL (an empty field always does).
    `trailing_delimiter` is TPC-H's `.tbl` habit of ending every line with the delimiter.
    `header` files start with one header line naming the fields; it is not a data row.
    `compression` is recognised by file name (Spark's codecs): gzip `.gz`, bzip2 `.bz2`.
    """

    delimiter: str = ","
    header: bool = False
    quote: str | None = '"'
    escape: str | None = None
    null_tokens: tuple[str, ...] = ()
    encoding: str = "utf-8"
    compression: str = "none"
    trailing_delimiter: bool = False


@dataclass(frozen=True)
class Rule:
    """A rule over a raw table's rows: `condition` is a Spark SQL boolean expression over the
    table's columns; NULL counts as passing, so missing values are left to the null checks.

    By default a rule is row-level: rows where the condition is false are quarantined with
    `reason` and the rest of the batch goes on. `gate=True` makes it batch-level: no row is
    quarantined, and the batch fails validation when fewer than `mostly` of its rows pass.
    """

    name: str
    condition: str
    reason: str
    gate: bool = False
    mostly: float = 1.0


@dataclass(frozen=True)
class Parent:
    """A child row needs a row of raw table `table` whose `parent_keys` equal its `keys`.

    A child whose parent is in neither the batch nor an earlier committed batch is held (kept
    aside and retried by every later batch) for up to `hold_days`, counted from the batch that
    first held it, then quarantined with the reason.
    """

    table: str
    keys: tuple[str, ...]
    parent_keys: tuple[str, ...]
    hold_days: float = 7.0


@dataclass(frozen=True)
class RawTable:
    """A raw table: the files under `raw/<folder>/`, by default `raw/<dataset>/<name>/`."""

    name: str
    fields: tuple[Field, ...]
    format: FileFormat = field(default_factory=FileFormat)
    folder: str | None = None
    rules: tuple[Rule, ...] = ()
    parents: tuple[Parent, ...] = ()
    park_share: float = 0.5
    """A file more than this share of whose lines are rejected is parked as a whole (schema
    drift, a wrong encoding, another table's extract), not quarantined line by line."""

    @property
    def business_keys(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.key)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class CuratedTable:
    """A curated table and how it is built.

    `build` is "module:function" inside the dataset's package; the function is pure (DataFrame
    in, DataFrame out) and is called with one DataFrame per name in `inputs`, in that order:
    raw tables of the batch (de-duplicated) or curated tables built before it. An input the
    batch has no rows for arrives empty, with its schema. The function returns the table, or a
    `transforms.split.Split` whose rejected rows are quarantined under `source`.

    `source` is the raw table whose rows this table reconciles with (read = written +
    quarantined + duplicates); None for a derived table (a calendar, say). The table is built
    when its source (or, for a derived table, its first input) is in the batch.
    `unknown_member` is Kimball's "unknown" row, added to every batch that builds the table,
    for facts whose reference is missing. `distkey` None replicates the table on every
    Redshift node (DISTSTYLE ALL).
    """

    name: str
    columns: tuple[Field, ...]
    build: str
    inputs: tuple[str, ...]
    source: str | None
    sortkey: tuple[str, ...] = ()
    distkey: str | None = None
    unknown_member: dict[str, Any] | None = None
    fact: bool = False
    """Facts load after the dimensions of their batch: a reader never sees a fact row before
    the dimension rows it refers to."""

    @property
    def business_keys(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class Dataset:
    """A dataset: its raw tables, curated tables, where it goes, and how to seed samples.

    `seed` is "module:function" inside the package, called as function(lake, **options).
    """

    name: str
    description: str
    raw_tables: tuple[RawTable, ...]
    curated_tables: tuple[CuratedTable, ...]
    destinations: tuple[str, ...] = ("warehouse",)
    seed: str | None = None
    max_quarantine_share: float = 0.01
    quarantine_floor: int = 10
    """Quarantined rows a table may have in a batch whatever its share: one bad row in a
    ten-row delta is quarantined, it does not hold the day."""
    max_attempts: int = 3
    """Failed attempts of a batch after which its files are parked, so new files flow again
    (SQS's maxReceiveCount)."""
    package: str = ""
    """The Python package the builders and the seed live in; the registry fills it."""
    suites: str = ""
    """The folder of the dataset's expectation suites; the registry fills it."""

    def raw(self, name: str) -> RawTable:
        for table in self.raw_tables:
            if table.name == name:
                return table
        raise KeyError(f"{self.name} has no raw table {name!r}")

    def curated(self, name: str) -> CuratedTable:
        for table in self.curated_tables:
            if table.name == name:
                return table
        raise KeyError(f"{self.name} has no curated table {name!r}")

    def kept_tables(self) -> tuple[str, ...]:
        """Raw tables whose rows persist as curated state that later batches read: every
        declared parent, and every raw input of a curated table whose source is another table
        (orders for the sales fact, nation and region for the customer dimension). So a delta
        of children alone finds the parents and references that came before it."""
        raw_names = {t.name for t in self.raw_tables}
        kept = {p.table for t in self.raw_tables for p in t.parents}
        for table in self.curated_tables:
            kept.update(n for n in table.inputs if n in raw_names and n != table.source)
        return tuple(t.name for t in self.raw_tables if t.name in kept)

    def folder_of(self, table: RawTable) -> str:
        return (table.folder or f"{self.name}/{table.name}").strip("/")

    def load_order(self) -> tuple[str, ...]:
        """Curated tables as the Load Map runs them: dimensions, then facts."""
        return tuple(t.name for t in sorted(self.curated_tables, key=lambda t: (t.fact, t.name)))


CALENDAR_COLUMNS = (
    Field("date_key", "int", key=True),
    Field("date", "date"),
    Field("year", "int"),
    Field("quarter", "int"),
    Field("month", "int"),
    Field("month_name", "string(9)"),
    Field("day_of_month", "int"),
    Field("day_of_week", "int"),
    Field("day_name", "string(9)"),
    Field("week_of_year", "int"),
    Field("is_weekend", "boolean"),
)
"""The columns transforms.calendar.build_calendar returns: a dataset's dim_date declares them."""
