"""The load transaction, on DuckDB and on a real PostgreSQL server (every test runs on both)."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from orchestration.warehouse import (
    CuratedDataError,
    DuplicateKeyError,
    InvalidNameError,
    LoadRejectedError,
    LoadResult,
)
from orchestration.warehouse.tables import get_table, table_def
from tests.warehouse._datasets import CRM, CRM_ORDERS, SHOP, SHOP_ORDERS

SHOP_TABLE = table_def(SHOP, SHOP_ORDERS)
CRM_TABLE = table_def(CRM, CRM_ORDERS)

TPCH_001_ROWS = {
    "dim_customer": 1500,
    "dim_date": 2551,
    "dim_part": 2000,
    "dim_supplier": 100,
    "fact_sales": 60175,
}


def customer(key: int, name: str | None = "Customer", balance: str = "10.00", **extra) -> dict:
    row = {
        "customer_key": key,
        "name": name,
        "address": f"{key} Main St",
        "phone": "25-989-741-2988",
        "account_balance": Decimal(balance),
        "market_segment": "BUILDING",
        "nation_key": 15,
        "nation_name": "MOROCCO",
        "region_key": 0,
        "region_name": "AFRICA",
    }
    return row | extra


def test_scale_001_batch_gives_the_row_counts_and_sums_of_the_curated_parquet(
    tpch_curated_001, open_wh, query
):
    warehouse = open_wh()
    results = [warehouse.load("b1", "tpch", t, str(tpch_curated_001[t])) for t in TPCH_001_ROWS]

    assert [r.as_dict() for r in results] == [
        {
            "dataset": "tpch",
            "table": t,
            "rows_staged": n,
            "inserted": n,
            "updated": 0,
            "skipped": False,
        }
        for t, n in TPCH_001_ROWS.items()
    ]
    facts = pq.read_table(tpch_curated_001["fact_sales"])
    customers = pq.read_table(tpch_curated_001["dim_customer"])
    assert query(
        "SELECT COUNT(*), SUM(revenue), SUM(quantity), SUM(extended_price), "
        "COUNT(DISTINCT order_key), MIN(order_date), MAX(ship_date) FROM tpch.fact_sales"
    ) == [
        (
            60175,
            pc.sum(facts["revenue"]).as_py(),
            pc.sum(facts["quantity"]).as_py(),
            pc.sum(facts["extended_price"]).as_py(),
            15000,
            pc.min(facts["order_date"]).as_py(),
            pc.max(facts["ship_date"]).as_py(),
        )
    ]
    assert query("SELECT COUNT(*), SUM(account_balance) FROM tpch.dim_customer") == [
        (1500, pc.sum(customers["account_balance"]).as_py())
    ]
    assert query(
        "SELECT table_name, rows_staged, inserted, updated FROM tpch.etl_load_audit ORDER BY 1"
    ) == [(t, n, n, 0) for t, n in sorted(TPCH_001_ROWS.items())]


def test_second_batch_updates_changed_customers_and_inserts_new_ones(write_curated, open_wh, query):
    first = [customer(1), customer(2), customer(3, name=None)]
    second = [
        customer(1),  # unchanged
        customer(2, balance="-99.50"),  # changed value
        customer(3, name="Named now"),  # NULL -> value is a change
        customer(4, market_segment="MACHINERY"),  # new
    ]
    warehouse = open_wh()
    warehouse.load("b1", "tpch", "dim_customer", write_curated("dim_customer", first, "b1"))
    second_uri = write_curated("dim_customer", second, "b2")
    result = warehouse.load("b2", "tpch", "dim_customer", second_uri)

    assert result == LoadResult(
        "tpch", "dim_customer", rows_staged=4, inserted=1, updated=2, skipped=False
    )
    assert query(
        "SELECT customer_key, name, account_balance, market_segment FROM tpch.dim_customer "
        "ORDER BY 1"
    ) == [
        (1, "Customer", Decimal("10.00"), "BUILDING"),
        (2, "Customer", Decimal("-99.50"), "BUILDING"),
        (3, "Named now", Decimal("10.00"), "BUILDING"),
        (4, "Customer", Decimal("10.00"), "MACHINERY"),
    ]
    assert query(
        "SELECT batch_id, rows_staged, inserted, updated FROM tpch.etl_load_audit ORDER BY 1"
    ) == [("b1", 3, 3, 0), ("b2", 4, 1, 2)]


def test_loading_the_same_batch_again_is_skipped_by_the_schemas_audit_table(
    write_curated, open_wh, snapshot, query
):
    uri = write_curated("dim_customer", [customer(1), customer(2)], "b1")
    warehouse = open_wh()
    warehouse.load("b1", "tpch", "dim_customer", uri)
    before = snapshot("dim_customer")

    again = open_wh().load("b1", "tpch", "dim_customer", uri)

    assert again == LoadResult("tpch", "dim_customer", 0, 0, 0, skipped=True)
    assert snapshot("dim_customer") == before
    assert query("SELECT batch_id, table_name FROM tpch.etl_load_audit") == [("b1", "dim_customer")]


def test_identical_rows_under_a_new_batch_update_nothing(write_curated, open_wh, query):
    rows = [customer(1), customer(2, name=None)]
    warehouse = open_wh()
    warehouse.load("b1", "tpch", "dim_customer", write_curated("dim_customer", rows, "b1"))

    result = warehouse.load("b2", "tpch", "dim_customer", write_curated("dim_customer", rows, "b2"))

    assert result == LoadResult(
        "tpch", "dim_customer", rows_staged=2, inserted=0, updated=0, skipped=False
    )
    assert query("SELECT batch_id FROM tpch.etl_load_audit ORDER BY 1") == [("b1",), ("b2",)]


# A first load copies straight into the empty target, later ones stage and MERGE: the failure
# tests run on both paths.
TARGETS = ["empty target", "loaded target"]


def _prepared(target: str, write_curated, open_wh):
    warehouse = open_wh()
    if target == "loaded target":
        uri = write_curated("dim_customer", [customer(1)], "b1")
        warehouse.load("b1", "tpch", "dim_customer", uri)
    else:
        warehouse.ensure_tables(get_table("tpch", "dim_customer"))
    return warehouse


@pytest.mark.parametrize("target", TARGETS)
def test_a_wrongly_typed_part_file_rolls_back_the_rows_already_copied(
    target, write_curated, open_wh, snapshot
):
    warehouse = _prepared(target, write_curated, open_wh)
    before = snapshot("dim_customer")
    uri = write_curated("dim_customer", [customer(1, balance="5.00"), customer(2)], "b2")
    bad = pq.read_table(f"{uri}/part-00000-b2-c000.snappy.parquet")
    bad = bad.set_column(0, "customer_key", pc.cast(bad["customer_key"], "string"))
    pq.write_table(bad, f"{uri}/part-00001-b2-c000.snappy.parquet")

    with pytest.raises(
        CuratedDataError,
        match="part-00001-b2-c000.snappy.parquet: column "
        "'customer_key' of tpch.dim_customer has type string, expected int64",
    ):
        warehouse.load("b2", "tpch", "dim_customer", uri)

    assert snapshot("dim_customer") == before


@pytest.mark.parametrize("target", TARGETS)
def test_a_null_business_key_is_rejected_by_the_warehouse_and_nothing_is_applied(
    target, write_curated, open_wh, snapshot
):
    warehouse = _prepared(target, write_curated, open_wh)
    before = snapshot("dim_customer")
    uri = write_curated("dim_customer", [customer(1, balance="5.00"), customer(None)], "b2")

    with pytest.raises(
        LoadRejectedError, match="^tpch.dim_customer: batch b2 from .* was not loaded"
    ):
        warehouse.load("b2", "tpch", "dim_customer", uri)

    assert snapshot("dim_customer") == before


@pytest.mark.parametrize("target", TARGETS)
def test_a_duplicate_business_key_is_refused_naming_table_and_key(
    target, write_curated, open_wh, snapshot
):
    warehouse = _prepared(target, write_curated, open_wh)
    before = snapshot("dim_customer")
    rows = [customer(7), customer(1, balance="2.00"), customer(7, name="other")]

    with pytest.raises(
        DuplicateKeyError,
        match=r"^tpch.dim_customer: duplicate business key customer_key=7 in the batch; nothing",
    ):
        warehouse.load("b2", "tpch", "dim_customer", write_curated("dim_customer", rows, "b2"))

    assert snapshot("dim_customer") == before


def test_a_crash_after_the_merge_rolls_back_the_merge_and_the_audit_row(
    write_curated, open_wh, snapshot, monkeypatch
):
    warehouse = _prepared("loaded target", write_curated, open_wh)
    before = snapshot("dim_customer")
    merge_then_crash = type(warehouse)._rowcount

    def crash(self, conn, sql):
        count = merge_then_crash(self, conn, sql)
        if sql.startswith("MERGE"):
            raise RuntimeError("crashed after MERGE")
        return count

    monkeypatch.setattr(type(warehouse), "_rowcount", crash)
    uri = write_curated("dim_customer", [customer(1, balance="5.00"), customer(2)], "b2")

    with pytest.raises(RuntimeError, match="crashed after MERGE"):
        warehouse.load("b2", "tpch", "dim_customer", uri)

    assert snapshot("dim_customer") == before


@pytest.mark.parametrize(
    ("dataset", "table", "message"),
    [
        ("tpch", 'dim_customer"; DROP TABLE etl_load_audit; --', "invalid table name '"),
        ("tpch", "DIM_CUSTOMER", "invalid table name '"),
        ("tpch", "etl_load_audit", "unknown table 'etl_load_audit' of dataset tpch"),
        ("tpch", "pg_class", "unknown table 'pg_class' of dataset tpch"),
        ("pg_catalog", "pg_class", "unknown dataset 'pg_catalog'"),
        ('tpch"; --', "dim_customer", "invalid dataset name '"),
    ],
)
def test_a_dataset_or_table_not_declared_is_refused(
    dataset, table, message, write_curated, open_wh
):
    uri = write_curated("dim_customer", [customer(1)], "b1")

    with pytest.raises(InvalidNameError, match=f"^{message}"):
        open_wh().load("b1", dataset, table, uri)


def test_a_batch_id_that_is_not_a_plain_name_is_refused(write_curated, open_wh):
    uri = write_curated("dim_customer", [customer(1)], "b1")

    with pytest.raises(InvalidNameError, match=r"invalid batch_id \"b1' OR '1'='1\""):
        open_wh().load("b1' OR '1'='1", "tpch", "dim_customer", uri)


def test_a_folder_without_parquet_is_refused_naming_it(tmp_path, open_wh, query):
    folder = tmp_path / "curated" / "tpch" / "dim_date" / "batch_id=b1"
    folder.mkdir(parents=True)
    (folder / "_SUCCESS").write_bytes(b"")

    with pytest.raises(CuratedDataError, match=f"no \\*.parquet files under {folder}$"):
        open_wh().load("b1", "tpch", "dim_date", str(folder))

    assert query("SELECT COUNT(*) FROM tpch.etl_load_audit") == [(0,)]


def test_dates_and_booleans_arrive_unchanged(write_curated, open_wh, query):
    row = {
        "date_key": 19920104,
        "date": date(1992, 1, 4),
        "year": 1992,
        "quarter": 1,
        "month": 1,
        "month_name": "January",
        "day_of_month": 4,
        "day_of_week": 7,
        "day_name": "Saturday",
        "week_of_year": 1,
        "is_weekend": True,
    }
    open_wh().load("b1", "tpch", "dim_date", write_curated("dim_date", [row], "b1"))

    assert query("SELECT date, is_weekend, day_name FROM tpch.dim_date") == [
        (date(1992, 1, 4), True, "Saturday")
    ]


# -- datasets of the tests' own: namespacing and every declared type --------------------------


def shop_order(order_id: int, amount: float = 1.5, **extra) -> dict:
    row = {
        "order_id": order_id,
        "line": 1,
        "status": "paid",
        "amount": amount,
        "total": Decimal("12.50"),
        "placed_at": datetime(2013, 1, 1, 5, 17, 3, 123456),
        "placed_on": date(2013, 1, 1),
        "paid": True,
    }
    return row | extra


def test_two_datasets_with_a_table_of_one_name_load_into_their_own_schemas(
    write_curated, open_wh, query
):
    warehouse = open_wh()
    shop_b1 = write_curated(SHOP_TABLE, [shop_order(1), shop_order(2)], "b1")
    crm_b1 = write_curated(CRM_TABLE, [{"order_id": 1, "channel": "web"}], "b1")

    shop = warehouse.load_table("b1", SHOP_TABLE, shop_b1)
    # The same batch id and table name, in another schema: not mistaken for a re-run.
    crm = warehouse.load_table("b1", CRM_TABLE, crm_b1)
    shop_b2 = write_curated(SHOP_TABLE, [shop_order(1, amount=9.25), shop_order(3)], "b2")
    warehouse.load_table("b2", SHOP_TABLE, shop_b2)

    assert (shop.dataset, shop.table, shop.inserted, shop.skipped) == ("shop", "orders", 2, False)
    assert (crm.dataset, crm.table, crm.inserted, crm.skipped) == ("crm", "orders", 1, False)
    assert query("SELECT order_id, amount FROM shop.orders ORDER BY 1") == [
        (1, 9.25),
        (2, 1.5),
        (3, 1.5),
    ]
    assert query("SELECT order_id, channel FROM crm.orders") == [(1, "web")]
    assert query(
        "SELECT batch_id, rows_staged, inserted, updated FROM shop.etl_load_audit ORDER BY 1"
    ) == [("b1", 2, 2, 0), ("b2", 2, 1, 1)]
    assert query("SELECT batch_id, table_name, inserted FROM crm.etl_load_audit") == [
        ("b1", "orders", 1)
    ]


def test_doubles_timestamps_booleans_and_multibyte_strings_arrive_unchanged(
    write_curated, open_wh, query, tmp_path
):
    rows = [
        shop_order(1, amount=0.1, status="ünïcödé ✓"),
        shop_order(2, amount=1e300, paid=False, placed_at=datetime(2999, 12, 31, 23, 59, 59)),
        shop_order(3, amount=-math.inf, paid=None, status=None),
        shop_order(4, amount=1 / 3, placed_at=None),
    ]
    uri = write_curated(SHOP_TABLE, rows, "b1")
    # As Spark writes it: timestamps as INT96.
    data = pa.Table.from_pylist(rows, SHOP_TABLE.arrow_schema)
    pq.write_table(
        data, f"{uri}/part-00000-b1-c000.snappy.parquet", use_deprecated_int96_timestamps=True
    )

    open_wh().load_table("b1", SHOP_TABLE, uri)

    assert query(
        "SELECT order_id, status, amount, placed_at, paid FROM shop.orders ORDER BY 1"
    ) == [
        (1, "ünïcödé ✓", 0.1, datetime(2013, 1, 1, 5, 17, 3, 123456), True),
        (2, "paid", 1e300, datetime(2999, 12, 31, 23, 59, 59), False),
        (3, None, -math.inf, datetime(2013, 1, 1, 5, 17, 3, 123456), None),
        (4, "paid", 1 / 3, None, True),
    ]


def test_a_changed_double_or_timestamp_is_an_update_and_an_unchanged_one_is_not(
    write_curated, open_wh, query
):
    warehouse = open_wh()
    first = [shop_order(1), shop_order(2), shop_order(3)]
    warehouse.load_table("b1", SHOP_TABLE, write_curated(SHOP_TABLE, first, "b1"))
    second = [
        shop_order(1),
        shop_order(2, amount=1.5000001),
        shop_order(3, placed_at=datetime(2013, 1, 1, 5, 17, 3, 123457)),
    ]

    result = warehouse.load_table("b2", SHOP_TABLE, write_curated(SHOP_TABLE, second, "b2"))

    assert result == LoadResult(
        "shop", "orders", rows_staged=3, inserted=0, updated=2, skipped=False
    )
    assert query("SELECT order_id, amount, placed_at FROM shop.orders ORDER BY 1") == [
        (1, 1.5, datetime(2013, 1, 1, 5, 17, 3, 123456)),
        (2, 1.5000001, datetime(2013, 1, 1, 5, 17, 3, 123456)),
        (3, 1.5, datetime(2013, 1, 1, 5, 17, 3, 123457)),
    ]


def test_utc_adjusted_timestamps_load_as_their_utc_time(write_curated, open_wh, query):
    # What Spark writes with spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS.
    uri = write_curated(SHOP_TABLE, [shop_order(1)], "b1")
    data = pa.Table.from_pylist([shop_order(1)], SHOP_TABLE.arrow_schema)
    utc = data["placed_at"].cast(pa.timestamp("us", tz="UTC"))
    pq.write_table(data.set_column(5, "placed_at", utc), f"{uri}/part-00000-b1-c000.snappy.parquet")

    open_wh().load_table("b1", SHOP_TABLE, uri)

    assert query("SELECT placed_at FROM shop.orders") == [(datetime(2013, 1, 1, 5, 17, 3, 123456),)]
