"""Spark schemas from declarations: the typed raw tables, the curated tables, the quarantine."""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from transforms.declaration import ColumnType, Field, parse_type

_SIMPLE: dict[str, DataType] = {
    "int": IntegerType(),
    "bigint": LongType(),
    "double": DoubleType(),
    "boolean": BooleanType(),
    "date": DateType(),
    "timestamp": TimestampType(),
    "string": StringType(),
}


def spark_type(column_type: ColumnType | str) -> DataType:
    if isinstance(column_type, str):
        column_type = parse_type(column_type)
    if column_type.kind == "decimal":
        return DecimalType(column_type.precision, column_type.scale)
    return _SIMPLE[column_type.kind]


def spark_schema(fields: Iterable[Field]) -> StructType:
    """Every column nullable: keys are checked by the parser and the suites, not by Spark."""
    return StructType([StructField(f.name, spark_type(f.type), True) for f in fields])


QUARANTINE_SCHEMA = StructType(
    [
        StructField("source_file", StringType(), True),
        StructField("raw_line", StringType(), True),
        StructField("reason", StringType(), True),
    ]
)
