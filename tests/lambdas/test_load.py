"""The Load Lambda handler, on the embedded DuckDB warehouse the settings point at."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.core.errors import UserError
from orchestration.lambdas.load import LoadEventError, handler
from orchestration.warehouse import InvalidNameError
from orchestration.warehouse.tables import get_table


def supplier(key: int, balance: str) -> dict:
    return {
        "supplier_key": key,
        "name": f"Supplier#{key:09d}",
        "address": "N kD4on9OM Ipw3,gf0JBoQDd7tgrzrddZ",
        "phone": "27-918-335-1736",
        "account_balance": Decimal(balance),
        "nation_key": 17,
        "nation_name": "PERU",
        "region_key": 1,
        "region_name": "AMERICA",
    }


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SFN_ETL_WAREHOUSE", f"duckdb://{path}")
    return path


def curated(tmp_path, batch_id: str, rows: list[dict]) -> str:
    folder = tmp_path / "curated" / "tpch" / "dim_supplier" / f"batch_id={batch_id}"
    folder.mkdir(parents=True)
    table = pa.Table.from_pylist(rows, get_table("tpch", "dim_supplier").arrow_schema)
    pq.write_table(table, folder / "part-00000-c000.snappy.parquet")
    (folder / "_SUCCESS").write_bytes(b"")
    return str(folder)


def test_the_handler_loads_the_table_and_returns_its_counts(tmp_path, warehouse):
    first = curated(tmp_path, "b1", [supplier(1, "5.00"), supplier(2, "6.00")])
    second = curated(tmp_path, "b2", [supplier(2, "7.50"), supplier(3, "1.00")])

    event = {"dataset": "tpch", "table": "dim_supplier"}
    loaded = handler({**event, "batch_id": "b1", "curated_uri": first}, None)
    merged = handler({**event, "batch_id": "b2", "curated_uri": second}, None)

    assert loaded == {
        "dataset": "tpch",
        "table": "dim_supplier",
        "rows_staged": 2,
        "inserted": 2,
        "updated": 0,
        "skipped": False,
    }
    assert merged == {
        "dataset": "tpch",
        "table": "dim_supplier",
        "rows_staged": 2,
        "inserted": 1,
        "updated": 1,
        "skipped": False,
    }
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute(
            "SELECT supplier_key, account_balance FROM tpch.dim_supplier ORDER BY 1"
        ).fetchall() == [(1, Decimal("5.00")), (2, Decimal("7.50")), (3, Decimal("1.00"))]


def test_a_retried_invocation_is_skipped(tmp_path, warehouse):
    event = {
        "batch_id": "b1",
        "dataset": "tpch",
        "table": "dim_supplier",
        "curated_uri": curated(tmp_path, "b1", [supplier(1, "5.00")]),
        "extra": "state input passes through",
    }
    handler(event, None)

    assert handler(event, None) == {
        "dataset": "tpch",
        "table": "dim_supplier",
        "rows_staged": 0,
        "inserted": 0,
        "updated": 0,
        "skipped": True,
    }


@pytest.mark.parametrize(
    ("dataset", "table", "message"),
    [
        ("tpch", "dim_supplier; DELETE FROM dim_supplier", "invalid table name 'dim_supplier; "),
        ("tpch", "orders", "unknown table 'orders' of dataset tpch: expected one of dim_"),
        ("tpch; --", "dim_supplier", "invalid dataset name 'tpch; --'"),
        ("shop", "dim_supplier", "unknown dataset 'shop': expected one of "),
    ],
)
def test_a_crafted_or_unknown_name_is_refused_by_name(tmp_path, warehouse, dataset, table, message):
    event = {
        "batch_id": "b1",
        "dataset": dataset,
        "table": table,
        "curated_uri": curated(tmp_path, "b1", [supplier(1, "5.00")]),
    }

    with pytest.raises(InvalidNameError) as raised:
        handler(event, None)

    assert isinstance(raised.value, UserError)
    assert str(raised.value).startswith(message)
    assert not warehouse.exists()


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"dataset": "tpch", "table": "dim_supplier", "curated_uri": "/x"},
            "'batch_id' must be a non-empty string, got None",
        ),
        (
            {"batch_id": "b1", "table": "dim_supplier", "curated_uri": "/x"},
            "'dataset' must be a non-empty string, got None",
        ),
        (
            {"batch_id": "b1", "dataset": "", "table": "dim_supplier", "curated_uri": "/x"},
            "'dataset' must be a non-empty string, got ''",
        ),
        (
            {"batch_id": "b1", "dataset": "tpch", "table": 7, "curated_uri": "/x"},
            "'table' must be a non-empty string, got 7",
        ),
        (
            {"batch_id": "b1", "dataset": "tpch", "table": "dim_supplier", "curated_uri": ""},
            "'curated_uri' must be a non-empty string",
        ),
        (["b1"], "load event must be an object with batch_id, dataset, table, curated_uri"),
    ],
)
def test_a_malformed_event_names_the_field(event, message, warehouse):
    with pytest.raises(LoadEventError, match=message):
        handler(event, None)
