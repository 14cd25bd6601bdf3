"""Two tiny datasets of the tests' own, both with a table named `orders`, built straight from the
declaration vocabulary (not registered): `shop` uses every type a declaration offers."""

from __future__ import annotations

from transforms.declaration import CuratedTable, Dataset, Field


def dataset(name: str, *tables: CuratedTable) -> Dataset:
    return Dataset(name=name, description=f"{name} (tests)", raw_tables=(), curated_tables=tables)


SHOP_ORDERS = CuratedTable(
    name="orders",
    columns=(
        Field("order_id", "bigint", key=True),
        Field("line", "int", key=True),
        Field("status", "string(10)"),
        Field("amount", "double"),
        Field("total", "decimal(12,2)"),
        Field("placed_at", "timestamp"),
        Field("placed_on", "date"),
        Field("paid", "boolean"),
    ),
    build="orders:build_orders",
    inputs=("raw_orders",),
    source="raw_orders",
    sortkey=("placed_on", "order_id"),
    distkey="order_id",
)
SHOP = dataset("shop", SHOP_ORDERS)

CRM_ORDERS = CuratedTable(
    name="orders",
    columns=(Field("order_id", "int", key=True), Field("channel", "string(25)")),
    build="orders:build_orders",
    inputs=("raw_orders",),
    source="raw_orders",
)
CRM = dataset("crm", CRM_ORDERS)
