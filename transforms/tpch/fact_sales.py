"""fact_sales: one row per order line, lineitem joined with its order."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType

from transforms.calendar import date_key

REVENUE = DecimalType(18, 2)


def revenue(extended_price: str, discount: str) -> F.Column:
    """extendedprice * (1 - discount) in decimal arithmetic, rounded half-up to cents."""
    exact = F.col(extended_price) * (F.lit(1) - F.col(discount))
    return F.round(exact, 2).cast(REVENUE)


def build_fact_sales(lineitem: DataFrame, orders: DataFrame) -> DataFrame:
    """Join de-duplicated lines to their orders. The transform job passes only lines whose
    order is known (lineitem declares orders as its parent: the others wait for it)."""
    order_columns = orders.select(
        F.col("o_orderkey"),
        F.col("o_custkey"),
        F.col("o_orderdate"),
        F.col("o_orderstatus"),
        F.col("o_orderpriority"),
    )
    joined = lineitem.join(order_columns, lineitem["l_orderkey"] == order_columns["o_orderkey"])
    return joined.select(
        F.col("l_orderkey").alias("order_key"),
        F.col("l_linenumber").alias("line_number"),
        F.col("o_custkey").alias("customer_key"),
        F.col("l_partkey").alias("part_key"),
        F.col("l_suppkey").alias("supplier_key"),
        date_key("o_orderdate").alias("order_date_key"),
        F.col("o_orderdate").alias("order_date"),
        F.col("l_shipdate").alias("ship_date"),
        F.col("l_commitdate").alias("commit_date"),
        F.col("l_receiptdate").alias("receipt_date"),
        F.col("l_quantity").alias("quantity"),
        F.col("l_extendedprice").alias("extended_price"),
        F.col("l_discount").alias("discount"),
        F.col("l_tax").alias("tax"),
        revenue("l_extendedprice", "l_discount").alias("revenue"),
        F.col("l_returnflag").alias("return_flag"),
        F.col("l_linestatus").alias("line_status"),
        F.col("l_shipmode").alias("ship_mode"),
        F.col("l_shipinstruct").alias("ship_instruct"),
        F.col("o_orderstatus").alias("order_status"),
        F.col("o_orderpriority").alias("order_priority"),
    )
