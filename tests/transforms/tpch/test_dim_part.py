from decimal import Decimal

from chispa import assert_df_equality

from tests.transforms.tpch._dims import curated_schema, raw_rows
from transforms.tpch.dim_part import build_dim_part


def test_parts_are_renamed_to_the_star_schema(spark):
    part = raw_rows(
        spark,
        "part",
        (
            1,
            "goldenrod lavender",
            "Manufacturer#1",
            "Brand#13",
            "PROMO BURNISHED COPPER",
            7,
            "JUMBO PKG",
            Decimal("901.00"),
            "c",
        ),
    )
    expected = spark.createDataFrame(
        [
            (
                1,
                "goldenrod lavender",
                "Manufacturer#1",
                "Brand#13",
                "PROMO BURNISHED COPPER",
                7,
                "JUMBO PKG",
                Decimal("901.00"),
            )
        ],
        curated_schema("dim_part"),
    )
    assert_df_equality(build_dim_part(part), expected, ignore_nullable=True)
