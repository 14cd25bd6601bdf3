"""Nation joined with region: the geography shared by dim_customer and dim_supplier."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def build_geography(nation: DataFrame, region: DataFrame) -> DataFrame:
    """nation_key, nation_name, region_key, region_name; a nation with no region keeps nulls."""
    return nation.join(region, nation["n_regionkey"] == region["r_regionkey"], "left").select(
        F.col("n_nationkey").alias("nation_key"),
        F.col("n_name").alias("nation_name"),
        F.col("n_regionkey").alias("region_key"),
        F.col("r_name").alias("region_name"),
    )


def attach_geography(rows: DataFrame, nation_key: str, geography: DataFrame) -> DataFrame:
    """Left-join geography on `nation_key`; `_geo_found` tells whether the nation was known."""
    tagged = geography.withColumn("_geo_found", F.lit(True))
    joined = rows.join(tagged, rows[nation_key] == tagged["nation_key"], "left")
    return joined.withColumn("_geo_found", F.coalesce(F.col("_geo_found"), F.lit(False)))


def unknown_nation(rows: DataFrame, nation_key: str) -> DataFrame:
    """Rows whose nation is unknown, as rejected rows with a reason."""
    return rows.where(~F.col("_geo_found")).select(
        "source_file",
        "raw_line",
        F.format_string("unknown nation key %d", F.col(nation_key)).alias("reason"),
    )
