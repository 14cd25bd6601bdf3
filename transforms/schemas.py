"""Explicit schemas: the raw TPC-H extracts as they land, and the curated star schema."""

from __future__ import annotations

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


FACT_SALES = _struct(
    ("order_key", LongType()),
    ("line_number", IntegerType()),
    ("customer_key", LongType()),
    ("part_key", LongType()),
    ("supplier_key", LongType()),
    ("order_date_key", IntegerType()),
    ("order_date", DateType()),
    ("ship_date", DateType()),
    ("commit_date", DateType()),
    ("receipt_date", DateType()),
    ("quantity", MONEY),
    ("extended_price", MONEY),
    ("discount", MONEY),
    ("tax", MONEY),
    ("revenue", REVENUE),
    ("return_flag", StringType()),
    ("line_status", StringType()),
    ("ship_mode", StringType()),
    ("ship_instruct", StringType()),
    ("order_status", StringType()),
    ("order_priority", StringType()),
)

_GEOGRAPHY = (
    ("nation_key", IntegerType()),
    ("nation_name", StringType()),
    ("region_key", IntegerType()),
    ("region_name", StringType()),
)

DIM_CUSTOMER = _struct(
    ("customer_key", LongType()),
    ("name", StringType()),
    ("address", StringType()),
    ("phone", StringType()),
    ("account_balance", MONEY),
    ("market_segment", StringType()),
    *_GEOGRAPHY,
)

DIM_SUPPLIER = _struct(
    ("supplier_key", LongType()),
    ("name", StringType()),
    ("address", StringType()),
    ("phone", StringType()),
    ("account_balance", MONEY),
    *_GEOGRAPHY,
)

DIM_PART = _struct(
    ("part_key", LongType()),
    ("name", StringType()),
    ("manufacturer", StringType()),
    ("brand", StringType()),
    ("part_type", StringType()),
    ("size", IntegerType()),
    ("container", StringType()),
    ("retail_price", MONEY),
)

DIM_DATE = _struct(
    ("date_key", IntegerType()),
    ("date", DateType()),
    ("year", IntegerType()),
    ("quarter", IntegerType()),
    ("month", IntegerType()),
    ("month_name", StringType()),
    ("day_of_month", IntegerType()),
    ("day_of_week", IntegerType()),
    ("day_name", StringType()),
    ("week_of_year", IntegerType()),
    ("is_weekend", BooleanType()),
)

CURATED_SCHEMAS: dict[str, StructType] = {
    "fact_sales": FACT_SALES,
    "dim_customer": DIM_CUSTOMER,
    "dim_supplier": DIM_SUPPLIER,
    "dim_part": DIM_PART,
    "dim_date": DIM_DATE,
}

CURATED_BUSINESS_KEYS: dict[str, tuple[str, ...]] = {
    "fact_sales": ("order_key", "line_number"),
    "dim_customer": ("customer_key",),
    "dim_supplier": ("supplier_key",),
    "dim_part": ("part_key",),
    "dim_date": ("date_key",),
}

QUARANTINE_SCHEMA = _struct(
    ("source_file", StringType()),
    ("raw_line", StringType()),
    ("reason", StringType()),
)
