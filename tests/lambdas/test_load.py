"""The Load Lambda handler, on the embedded DuckDB warehouse the settings point at."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.errors import UserError
from orchestration.lambdas.load import LoadEventError, handler
from orchestration.warehouse import InvalidNameError
from orchestration.warehouse.tables import TABLES


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
    folder = tmp_path / "curated" / "dim_supplier" / f"batch_id={batch_id}"
    folder.mkdir(parents=True)
    table = pa.Table.from_pylist(rows, TABLES["dim_supplier"].arrow_schema)
    pq.write_table(table, folder / "part-00000-c000.snappy.parquet")
    (folder / "_SUCCESS").write_bytes(b"")
    return str(folder)


def test_the_handler_loads_the_table_and_returns_its_counts(tmp_path, warehouse):
    first = curated(tmp_path, "b1", [supplier(1, "5.00"), supplier(2, "6.00")])
    second = curated(tmp_path, "b2", [supplier(2, "7.50"), supplier(3, "1.00")])

    loaded = handler({"batch_id": "b1", "table": "dim_supplier", "curated_uri": first}, None)
    merged = handler({"batch_id": "b2", "table": "dim_supplier", "curated_uri": second}, None)

    assert loaded == {
        "table": "dim_supplier",
        "rows_staged": 2,
        "inserted": 2,
        "updated": 0,
        "skipped": False,
    }
    assert merged == {
        "table": "dim_supplier",
        "rows_staged": 2,
        "inserted": 1,
        "updated": 1,
        "skipped": False,
    }
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute(
            "SELECT supplier_key, account_balance FROM dim_supplier ORDER BY 1"
        ).fetchall() == [(1, Decimal("5.00")), (2, Decimal("7.50")), (3, Decimal("1.00"))]


def test_a_retried_invocation_is_skipped(tmp_path, warehouse):
    event = {
        "batch_id": "b1",
        "table": "dim_supplier",
        "curated_uri": curated(tmp_path, "b1", [supplier(1, "5.00")]),
        "extra": "state input passes through",
    }
    handler(event, None)

    assert handler(event, None) == {
        "table": "dim_supplier",
        "rows_staged": 0,
        "inserted": 0,
        "updated": 0,
        "skipped": True,
    }


def test_a_crafted_table_name_is_refused_by_name(tmp_path, warehouse):
    event = {
        "batch_id": "b1",
        "table": "dim_supplier; DELETE FROM dim_supplier",
        "curated_uri": curated(tmp_path, "b1", [supplier(1, "5.00")]),
    }

    with pytest.raises(InvalidNameError) as raised:
        handler(event, None)

    assert isinstance(raised.value, UserError)
    assert str(raised.value).startswith(
        "invalid table name 'dim_supplier; DELETE FROM dim_supplier'"
    )
    assert not warehouse.exists()


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"table": "dim_supplier", "curated_uri": "/x"}, "'batch_id' must be a non-empty string"),
        ({"batch_id": "b1", "table": 7, "curated_uri": "/x"}, "'table' must be a non-empty string"),
        ({"batch_id": "b1", "table": "dim_supplier", "curated_uri": ""}, "'curated_uri' must be"),
        (["b1"], "load event must be an object with batch_id, table, curated_uri"),
    ],
)
def test_a_malformed_event_names_the_field(event, message, warehouse):
    with pytest.raises(LoadEventError, match=message):
        handler(event, None)
