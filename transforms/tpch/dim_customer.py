"""dim_customer: customers with their nation and region."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.split import Split
from transforms.tpch.geography import attach_geography, build_geography, unknown_nation


def build_dim_customer(customer: DataFrame, nation: DataFrame, region: DataFrame) -> Split:
    joined = attach_geography(customer, "c_nationkey", build_geography(nation, region))
    dim = joined.where(F.col("_geo_found")).select(
        F.col("c_custkey").alias("customer_key"),
        F.col("c_name").alias("name"),
        F.col("c_address").alias("address"),
        F.col("c_phone").alias("phone"),
        F.col("c_acctbal").alias("account_balance"),
        F.col("c_mktsegment").alias("market_segment"),
        "nation_key",
        "nation_name",
        "region_key",
        "region_name",
    )
    return Split(good=dim, rejected=unknown_nation(joined, "c_nationkey"))
