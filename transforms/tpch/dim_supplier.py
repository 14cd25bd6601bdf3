"""dim_supplier: suppliers with their nation and region."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.split import Split
from transforms.tpch.geography import attach_geography, build_geography, unknown_nation


def build_dim_supplier(supplier: DataFrame, nation: DataFrame, region: DataFrame) -> Split:
    joined = attach_geography(supplier, "s_nationkey", build_geography(nation, region))
    dim = joined.where(F.col("_geo_found")).select(
        F.col("s_suppkey").alias("supplier_key"),
        F.col("s_name").alias("name"),
        F.col("s_address").alias("address"),
        F.col("s_phone").alias("phone"),
        F.col("s_acctbal").alias("account_balance"),
        "nation_key",
        "nation_name",
        "region_key",
        "region_name",
    )
    return Split(good=dim, rejected=unknown_nation(joined, "s_nationkey"))
