"""The tiny dataset's builders."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def build_dim_shop(shops: DataFrame) -> DataFrame:
    return shops.select(F.col("shop_id").alias("shop_key"), "name")


def build_fact_sale(sales: DataFrame, shops: DataFrame) -> DataFrame:
    known = shops.select(F.col("shop_id").alias("_known"))
    joined = sales.join(known, sales["shop_id"] == known["_known"], "left")
    return joined.select(
        F.col("sale_id").alias("sale_key"),
        F.when(F.col("_known").isNull(), F.lit(-1)).otherwise(F.col("shop_id")).alias("shop_key"),
        "amount",
        "sold_on",
    )


def build_dim_day(fact_sale: DataFrame) -> DataFrame:
    days = fact_sale.select(F.col("sold_on").alias("day")).distinct()
    return days.select(F.date_format("day", "yyyyMMdd").cast("int").alias("day_key"), "day")
