"""dim_part: parts, renamed to the star schema."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def build_dim_part(part: DataFrame) -> DataFrame:
    return part.select(
        F.col("p_partkey").alias("part_key"),
        F.col("p_name").alias("name"),
        F.col("p_mfgr").alias("manufacturer"),
        F.col("p_brand").alias("brand"),
        F.col("p_type").alias("part_type"),
        F.col("p_size").alias("size"),
        F.col("p_container").alias("container"),
        F.col("p_retailprice").alias("retail_price"),
    )
