from chispa import assert_df_equality

from transforms.geography import build_geography
from transforms.schemas import RAW_TABLES


def test_nations_carry_their_region_and_unknown_region_stays_null(spark):
    nation = spark.createDataFrame(
        [(7, "GERMANY", 3, "c"), (8, "ATLANTIS", 9, "c")], RAW_TABLES["nation"].spark_schema
    )
    region = spark.createDataFrame([(3, "EUROPE", "c")], RAW_TABLES["region"].spark_schema)
    expected = spark.createDataFrame(
        [(7, "GERMANY", 3, "EUROPE"), (8, "ATLANTIS", 9, None)],
        "nation_key int, nation_name string, region_key int, region_name string",
    )
    assert_df_equality(
        build_geography(nation, region), expected, ignore_row_order=True, ignore_nullable=True
    )
