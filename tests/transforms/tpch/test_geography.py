from chispa import assert_df_equality

from tests.transforms.tpch._dims import raw_schema
from transforms.tpch.geography import build_geography


def test_nations_carry_their_region_and_unknown_region_stays_null(spark):
    nation = spark.createDataFrame(
        [(7, "GERMANY", 3, "c"), (8, "ATLANTIS", 9, "c")], raw_schema("nation")
    )
    region = spark.createDataFrame([(3, "EUROPE", "c")], raw_schema("region"))
    expected = spark.createDataFrame(
        [(7, "GERMANY", 3, "EUROPE"), (8, "ATLANTIS", 9, None)],
        "nation_key int, nation_name string, region_key int, region_name string",
    )
    assert_df_equality(
        build_geography(nation, region), expected, ignore_row_order=True, ignore_nullable=True
    )
