"""Parse raw delimited lines into typed rows, keeping malformed lines with a reason.

Input: a DataFrame of `source_file` and `raw_line` (one row per line of an extract).
Every line comes out exactly once: a header (`is_header`), typed, or verbatim with the first
reason it failed. Casting is columnar (no Python UDF) and strict: values Spark would coerce
silently (a third decimal place, 2023-02-30, an overflowing integer, "5,755.94") are rejected,
and so is a string longer in UTF-8 bytes than its declared string(N).
"""

from __future__ import annotations

import re

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.declaration import ColumnType, FileFormat, RawTable
from transforms.schemas import spark_type
from transforms.split import Split

REPLACEMENT_CHARACTER = "\ufffd"
BYTE_ORDER_MARK = "\ufeff"

_PATTERNS: dict[str, str] = {
    "int": r"^-?[0-9]{1,10}$",
    "bigint": r"^-?[0-9]{1,19}$",
    "double": r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "timestamp": (
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
        r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
    ),
    "boolean": r"^(true|false|TRUE|FALSE|True|False)$",
}


def value_pattern(column_type: ColumnType) -> str | None:
    """The regular expression a non-empty raw value of `column_type` must match (None for
    strings, which only their length limits)."""
    if column_type.kind == "decimal":
        whole = column_type.precision - column_type.scale
        digits = rf"^-?[0-9]{{1,{max(whole, 1)}}}"
        if column_type.scale == 0:
            return digits + "$"
        return digits + rf"(\.[0-9]{{1,{column_type.scale}}})?$"
    return _PATTERNS.get(column_type.kind)


def header_lines(table: RawTable) -> list[str]:
    """The header line as a file may carry it: plain, or with every name quoted."""
    delimiter = table.format.delimiter
    plain = delimiter.join(table.field_names)
    lines = [plain, BYTE_ORDER_MARK + plain]
    quote = table.format.quote
    if quote:
        quoted = delimiter.join(f"{quote}{name}{quote}" for name in table.field_names)
        lines += [quoted, BYTE_ORDER_MARK + quoted]
    return lines


def _raw_values(lines: DataFrame, table: RawTable) -> tuple[DataFrame, dict[str, Column], Column]:
    """The frame with its split fields, each field's raw text, and the number of fields."""
    fmt = table.format
    names = table.field_names
    if fmt.quote is None:
        # A plain split: Java's single-character fast path, no regular expression per line.
        split = lines.withColumn(
            "_fields", F.split(F.col("raw_line"), re.escape(fmt.delimiter), -1)
        )
        values = {name: F.col("_fields")[i] for i, name in enumerate(names)}
        counted = F.col("_fields")
    else:
        schema = ", ".join(f"`{name}` STRING" for name in names)
        options = {
            "sep": fmt.delimiter,
            "quote": fmt.quote,
            "escape": fmt.escape or fmt.quote,
            # No token means NULL to Spark here: the declared null tokens are applied below.
            "nullValue": "\u0000",
            "mode": "PERMISSIVE",
        }
        split = lines.withColumn("_parsed", F.from_csv(F.col("raw_line"), schema, options))
        values = {name: F.col("_parsed")[name] for name in names}
        # Field count: the delimiters outside quoted sections, plus one.
        escape = re.escape(fmt.escape) + "." if fmt.escape else re.escape(fmt.quote * 2)
        quoted = (
            f"{re.escape(fmt.quote)}(?:{escape}|[^{re.escape(fmt.quote)}])*{re.escape(fmt.quote)}"
        )
        unquoted = F.regexp_replace(F.col("raw_line"), quoted, "")
        counted = F.split(unquoted, re.escape(fmt.delimiter), -1)
    if fmt.trailing_delimiter:
        # Extracts that end every line with the delimiter (TPC-H's .tbl); a line without it
        # is accepted too.
        trailing = F.element_at(counted, -1) == ""
        count = F.size(counted) - F.when(trailing, 1).otherwise(0)
    else:
        count = F.size(counted)
    return split, values, count


def parse_lines(lines: DataFrame, table: RawTable) -> DataFrame:
    """Type every line of `table`: `is_header`, its fields, and `reason` (null when good)."""
    fmt: FileFormat = table.format
    expected = len(table.fields)
    split, raw_values, field_count = _raw_values(lines, table)
    null_tokens = [""] + list(fmt.null_tokens)

    typed: dict[str, Column] = {}
    field_errors: list[Column] = []
    key_errors: list[Column] = []
    for raw_field in table.fields:
        column_type = raw_field.column_type
        raw = raw_values[raw_field.name]
        is_empty = raw.isNull() | raw.isin(null_tokens)
        value = F.when(is_empty, F.lit(None)).otherwise(raw.cast(spark_type(column_type)))
        typed[raw_field.name] = value.alias(raw_field.name)
        if raw_field.key:
            key_errors.append(F.when(is_empty, F.lit(f"null business key {raw_field.name}")))
        if column_type.kind == "string":
            too_long = ~is_empty & (F.octet_length(raw) > column_type.length)
            message = F.format_string(
                f"field {raw_field.name}: %d bytes, longer than string({column_type.length})",
                F.octet_length(raw),
            )
            field_errors.append(F.when(too_long, message))
            continue
        pattern = value_pattern(column_type)
        malformed = ~is_empty & (~raw.rlike(pattern) | value.isNull())
        message = F.format_string(
            f"field {raw_field.name}: '%s' is not a valid {raw_field.type}", raw
        )
        field_errors.append(F.when(malformed, message))

    delimiter = fmt.delimiter
    checks = []
    if fmt.encoding.lower() == "utf-8":
        checks.append(
            F.when(
                F.col("raw_line").contains(REPLACEMENT_CHARACTER),
                F.lit("line is not valid UTF-8"),
            )
        )
    reason = F.coalesce(
        *checks,
        F.when(F.trim(F.col("raw_line")) == "", F.lit("blank line")),
        F.when(
            field_count != expected,
            F.format_string(
                f"expected {expected} fields separated by '{delimiter}', found %d", field_count
            ),
        ),
        *key_errors,
        *field_errors,
    )
    is_header = (F.col("raw_line").isin(header_lines(table)) if fmt.header else F.lit(False)).alias(
        "is_header"
    )
    return split.select(
        "source_file",
        "raw_line",
        is_header,
        F.when(is_header, F.lit(None)).otherwise(reason).alias("reason"),
        *typed.values(),
    )


def split_parsed(parsed: DataFrame) -> Split:
    """Good rows without `reason` and `is_header`; rejected lines as source_file, raw_line,
    reason. Header lines are in neither."""
    data = parsed.where(~F.col("is_header"))
    good = data.where(F.col("reason").isNull()).drop("reason", "is_header")
    rejected = data.where(F.col("reason").isNotNull()).select("source_file", "raw_line", "reason")
    return Split(good=good, rejected=rejected)
