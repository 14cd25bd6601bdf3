from decimal import Decimal

from chispa import assert_df_equality

from tests.transforms.tpch._dims import SOURCE, curated_schema, geography, raw_rows
from transforms.schemas import QUARANTINE_SCHEMA
from transforms.tpch.dim_supplier import build_dim_supplier


def test_suppliers_get_nation_and_region_and_unknown_nation_is_rejected(spark):
    supplier = raw_rows(
        spark,
        "supplier",
        (1, "Supplier#1", "addr", 7, "17-111", Decimal("5755.94"), "c"),
        (2, "Supplier#2", "addr", None, "27-222", Decimal("1.00"), "c"),
    )
    result = build_dim_supplier(supplier, *geography(spark))

    expected = spark.createDataFrame(
        [(1, "Supplier#1", "addr", "17-111", Decimal("5755.94"), 7, "GERMANY", 3, "EUROPE")],
        curated_schema("dim_supplier"),
    )
    assert_df_equality(result.good, expected, ignore_nullable=True)
    assert [(r.source_file, r.raw_line) for r in result.rejected.collect()] == [(SOURCE, "raw 2")]
    assert result.rejected.schema.fieldNames() == QUARANTINE_SCHEMA.fieldNames()
