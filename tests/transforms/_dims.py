"""Inputs shared by the dimension tests."""

SOURCE = "/lake/raw/tpch/x/ingest_date=2025-01-01/x.tbl"


def geography(spark):
    return spark.createDataFrame(
        [(7, "GERMANY", 3, "EUROPE")],
        "nation_key int, nation_name string, region_key int, region_name string",
    )


def raw_rows(spark, table, *rows):
    from transforms.schemas import RAW_TABLES

    schema = "source_file string, raw_line string, " + ", ".join(
        f"{f.name} {f.data_type.simpleString()}" for f in RAW_TABLES[table].fields
    )
    return spark.createDataFrame([(SOURCE, f"raw {r[0]}", *r) for r in rows], schema)
