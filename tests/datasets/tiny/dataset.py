"""A tiny dataset of the tests' own: shops and their sales, to test the generic jobs with.

Every relationship policy and counter of the generic code shows up on a handful of rows: a
sale of an unknown shop points at the unknown member, a negative amount breaks a rule, a
repeated sale is a counted duplicate, the calendar is derived from the facts.
"""

from __future__ import annotations

from transforms.declaration import CuratedTable, Dataset, Field, FileFormat, RawTable, Rule

CSV = FileFormat(delimiter=",", header=True, quote='"', null_tokens=("NA",))

DATASET = Dataset(
    name="tiny",
    description="shops and sales, for the tests",
    raw_tables=(
        RawTable("shops", (Field("shop_id", "int", key=True), Field("name", "string(10)")), CSV),
        RawTable(
            "sales",
            (
                Field("sale_id", "bigint", key=True),
                Field("shop_id", "int"),
                Field("amount", "decimal(8,2)"),
                Field("sold_on", "date"),
            ),
            CSV,
            rules=(Rule("amount_not_negative", "amount >= 0", "a sale cannot be negative"),),
        ),
    ),
    curated_tables=(
        CuratedTable(
            "dim_shop",
            (Field("shop_key", "int", key=True), Field("name", "string(10)")),
            build="builders:build_dim_shop",
            inputs=("shops",),
            source="shops",
            sortkey=("shop_key",),
            unknown_member={"shop_key": -1, "name": "unknown"},
        ),
        CuratedTable(
            "fact_sale",
            (
                Field("sale_key", "bigint", key=True),
                Field("shop_key", "int"),
                Field("amount", "decimal(8,2)"),
                Field("sold_on", "date"),
            ),
            build="builders:build_fact_sale",
            inputs=("sales", "shops"),
            source="sales",
            distkey="shop_key",
            sortkey=("sold_on",),
            fact=True,
        ),
        CuratedTable(
            "dim_day",
            (Field("day_key", "int", key=True), Field("day", "date")),
            build="builders:build_dim_day",
            inputs=("fact_sale",),
            source=None,
            sortkey=("day_key",),
        ),
    ),
    destinations=("warehouse", "catalog"),
)
