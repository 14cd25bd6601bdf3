"""Inputs shared by the TPC-H dimension tests."""

from transforms.schemas import spark_schema
from transforms.tpch.dataset import DATASET

SOURCE = "/lake/raw/tpch/x/ingest_date=2025-01-01/x.tbl"


def raw_schema(table):
    return spark_schema(DATASET.raw(table).fields)


def curated_schema(table):
    return spark_schema(DATASET.curated(table).columns)


def geography(spark):
    """GERMANY (7) in EUROPE (3), as the nation and region extracts carry them."""
    nation = spark.createDataFrame([(7, "GERMANY", 3, "c")], raw_schema("nation"))
    region = spark.createDataFrame([(3, "EUROPE", "c")], raw_schema("region"))
    return nation, region


def raw_rows(spark, table, *rows):
    schema = "source_file string, raw_line string, " + ", ".join(
        f"{f.name} {f.dataType.simpleString()}" for f in raw_schema(table).fields
    )
    return spark.createDataFrame([(SOURCE, f"raw {r[0]}", *r) for r in rows], schema)
