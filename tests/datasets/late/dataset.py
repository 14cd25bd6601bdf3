"""A dataset of the tests' own where children can come before their parent: orders and lines.

A line needs its order (declared `Parent`); orders persist as state, so lines of yesterday's
orders load, and lines whose order has not arrived are held for up to two days.
"""

from __future__ import annotations

from transforms.declaration import CuratedTable, Dataset, Field, FileFormat, Parent, RawTable, Rule

PLAIN = FileFormat(delimiter=",", quote=None)

DATASET = Dataset(
    name="late",
    description="orders and their lines, arriving out of order, for the tests",
    raw_tables=(
        RawTable(
            "orders",
            (Field("order_id", "bigint", key=True), Field("customer", "string(10)")),
            PLAIN,
        ),
        RawTable(
            "lines",
            (
                Field("order_id", "bigint", key=True),
                Field("line_no", "int", key=True),
                Field("qty", "int"),
            ),
            PLAIN,
            rules=(Rule("qty_positive", "qty > 0", "a line orders at least one"),),
            parents=(Parent("orders", ("order_id",), ("order_id",), hold_days=2),),
        ),
    ),
    curated_tables=(
        CuratedTable(
            "fact_line",
            (
                Field("order_id", "bigint", key=True),
                Field("line_no", "int", key=True),
                Field("customer", "string(10)"),
                Field("qty", "int"),
            ),
            build="builders:build_fact_line",
            inputs=("lines", "orders"),
            source="lines",
            sortkey=("order_id",),
            fact=True,
        ),
    ),
    destinations=("warehouse",),
    max_attempts=2,
)
