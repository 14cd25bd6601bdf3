from decimal import Decimal

from chispa import assert_df_equality

from tests.transforms.tpch._dims import SOURCE, curated_schema, geography, raw_rows
from transforms.schemas import QUARANTINE_SCHEMA
from transforms.tpch.dim_customer import build_dim_customer


def test_customers_get_nation_and_region_and_unknown_nation_is_rejected(spark):
    customer = raw_rows(
        spark,
        "customer",
        (1, "Customer#1", "addr", 7, "17-111", Decimal("711.56"), "BUILDING", "c"),
        (2, "Customer#2", "addr", 42, "27-222", Decimal("-9.99"), "MACHINERY", "c"),
    )
    result = build_dim_customer(customer, *geography(spark))

    expected = spark.createDataFrame(
        [
            (
                1,
                "Customer#1",
                "addr",
                "17-111",
                Decimal("711.56"),
                "BUILDING",
                7,
                "GERMANY",
                3,
                "EUROPE",
            )
        ],
        curated_schema("dim_customer"),
    )
    assert_df_equality(result.good, expected, ignore_nullable=True)
    rejected = spark.createDataFrame(
        [(SOURCE, "raw 2", "unknown nation key 42")], QUARANTINE_SCHEMA
    )
    assert_df_equality(result.rejected, rejected, ignore_nullable=True)
