"""Explicit schemas: the raw TPC-H extracts as they land, and the curated star schema."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from transforms.curated_columns import CURATED_BUSINESS_KEYS as CURATED_BUSINESS_KEYS
from transforms.curated_columns import CURATED_COLUMNS

MONEY = DecimalType(15, 2)
REVENUE = DecimalType(18, 2)


@dataclass(frozen=True)
class RawField:
    name: str
    data_type: DataType
    business_key: bool = False


@dataclass(frozen=True)
class RawTable:
    name: str
    fields: tuple[RawField, ...]

    @property
    def business_keys(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.business_key)

    @property
    def spark_schema(self) -> StructType:
        return StructType([StructField(f.name, f.data_type, True) for f in self.fields])


def _raw(name: str, *fields: tuple) -> RawTable:
    return RawTable(name, tuple(RawField(*f) for f in fields))


RAW_TABLES: dict[str, RawTable] = {
    t.name: t
    for t in (
        _raw(
            "region",
            ("r_regionkey", IntegerType(), True),
            ("r_name", StringType()),
            ("r_comment", StringType()),
        ),
        _raw(
            "nation",
            ("n_nationkey", IntegerType(), True),
            ("n_name", StringType()),
            ("n_regionkey", IntegerType()),
            ("n_comment", StringType()),
        ),
        _raw(
            "part",
            ("p_partkey", LongType(), True),
            ("p_name", StringType()),
            ("p_mfgr", StringType()),
            ("p_brand", StringType()),
            ("p_type", StringType()),
            ("p_size", IntegerType()),
            ("p_container", StringType()),
            ("p_retailprice", MONEY),
            ("p_comment", StringType()),
        ),
        _raw(
            "supplier",
            ("s_suppkey", LongType(), True),
            ("s_name", StringType()),
            ("s_address", StringType()),
            ("s_nationkey", IntegerType()),
            ("s_phone", StringType()),
            ("s_acctbal", MONEY),
            ("s_comment", StringType()),
        ),
        _raw(
            "customer",
            ("c_custkey", LongType(), True),
            ("c_name", StringType()),
            ("c_address", StringType()),
            ("c_nationkey", IntegerType()),
            ("c_phone", StringType()),
            ("c_acctbal", MONEY),
            ("c_mktsegment", StringType()),
            ("c_comment", StringType()),
        ),
        _raw(
            "orders",
            ("o_orderkey", LongType(), True),
            ("o_custkey", LongType()),
            ("o_orderstatus", StringType()),
            ("o_totalprice", MONEY),
            ("o_orderdate", DateType()),
            ("o_orderpriority", StringType()),
            ("o_clerk", StringType()),
            ("o_shippriority", IntegerType()),
            ("o_comment", StringType()),
        ),
        _raw(
            "lineitem",
            ("l_orderkey", LongType(), True),
            ("l_partkey", LongType()),
            ("l_suppkey", LongType()),
            ("l_linenumber", IntegerType(), True),
            ("l_quantity", MONEY),
            ("l_extendedprice", MONEY),
            ("l_discount", MONEY),
            ("l_tax", MONEY),
            ("l_returnflag", StringType()),
            ("l_linestatus", StringType()),
            ("l_shipdate", DateType()),
            ("l_commitdate", DateType()),
            ("l_receiptdate", DateType()),
            ("l_shipinstruct", StringType()),
            ("l_shipmode", StringType()),
            ("l_comment", StringType()),
        ),
    )
}


def _struct(*fields: tuple[str, DataType]) -> StructType:
    return StructType([StructField(name, data_type, True) for name, data_type in fields])


_SIMPLE_TYPES: dict[str, DataType] = {
    "bigint": LongType(),
    "int": IntegerType(),
    "date": DateType(),
    "string": StringType(),
    "boolean": BooleanType(),
}


def _spark_type(type_name: str) -> DataType:
    decimal = re.fullmatch(r"decimal\((\d+),(\d+)\)", type_name)
    if decimal:
        return DecimalType(int(decimal.group(1)), int(decimal.group(2)))
    return _SIMPLE_TYPES[type_name]


CURATED_SCHEMAS: dict[str, StructType] = {
    table: _struct(*((name, _spark_type(type_name)) for name, type_name in columns))
    for table, columns in CURATED_COLUMNS.items()
}
FACT_SALES = CURATED_SCHEMAS["fact_sales"]
DIM_CUSTOMER = CURATED_SCHEMAS["dim_customer"]
DIM_SUPPLIER = CURATED_SCHEMAS["dim_supplier"]
DIM_PART = CURATED_SCHEMAS["dim_part"]
DIM_DATE = CURATED_SCHEMAS["dim_date"]

QUARANTINE_SCHEMA = _struct(
    ("source_file", StringType()),
    ("raw_line", StringType()),
    ("reason", StringType()),
)
