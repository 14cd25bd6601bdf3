from decimal import Decimal

from chispa import assert_df_equality

from tests.transforms._dims import raw_rows
from transforms.dim_part import build_dim_part
from transforms.schemas import DIM_PART


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
        DIM_PART,
    )
    assert_df_equality(build_dim_part(part), expected, ignore_nullable=True)
