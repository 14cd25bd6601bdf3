"""PostgreSQL specifics: COPY FROM STDIN fidelity, streaming in record batches, concurrency."""

from __future__ import annotations

import threading
from decimal import Decimal

import psycopg
import pyarrow.parquet as pq

from orchestration.warehouse import curated
from orchestration.warehouse.postgres_adapter import PostgresWarehouse


def customer(key: int, name: str | None) -> dict:
    return {
        "customer_key": key,
        "name": name,
        "address": None,
        "phone": "",
        "account_balance": Decimal("-999.99"),
        "market_segment": "BUILDING",
        "nation_key": None,
        "nation_name": "MOROCCO",
        "region_key": 0,
        "region_name": "AFRICA",
    }


def test_copy_keeps_every_string_exactly_and_tells_empty_from_null(pg_dsn, write_curated):
    names = [
        "comma, inside",
        'quote " inside',
        "line\nbreak",
        "back\\slash",
        "",
        None,
        "\\N",
        "ünïcödé ✓",
        "  padded  ",
    ]
    rows = [customer(key, name) for key, name in enumerate(names, start=1)]
    with PostgresWarehouse(pg_dsn) as warehouse:
        warehouse.load("b1", "tpch", "dim_customer", write_curated("dim_customer", rows))

    with psycopg.connect(pg_dsn) as conn:
        loaded = conn.execute(
            "SELECT name, address, phone, account_balance, nation_key FROM tpch.dim_customer "
            "ORDER BY customer_key"
        ).fetchall()

    assert loaded == [(name, None, "", Decimal("-999.99"), None) for name in names]


def test_rows_are_streamed_to_copy_in_bounded_record_batches(pg_dsn, tpch_curated_001, monkeypatch):
    sizes: list[int] = []
    real_iter_batches = curated.iter_batches

    def spy(*args, **kwargs):
        for batch in real_iter_batches(*args, **kwargs):
            sizes.append(batch.num_rows)
            yield batch

    monkeypatch.setattr(curated, "iter_batches", spy)

    with PostgresWarehouse(pg_dsn, batch_rows=1000) as warehouse:
        result = warehouse.load("b1", "tpch", "fact_sales", str(tpch_curated_001["fact_sales"]))

    # Batches do not span part files: each file of n rows takes ceil(n / 1000) batches.
    part_rows = [
        pq.ParquetFile(path).metadata.num_rows
        for path in sorted(tpch_curated_001["fact_sales"].glob("*.parquet"))
    ]
    assert result.inserted == 60175
    assert (len(sizes), max(sizes), sum(sizes)) == (
        sum(-(-rows // 1000) for rows in part_rows),
        1000,
        60175,
    )


def test_concurrent_loads_of_the_same_batch_apply_it_once(pg_dsn, tpch_curated_001):
    uri = str(tpch_curated_001["fact_sales"])
    start = threading.Barrier(2)
    results = []

    def load() -> None:
        with PostgresWarehouse(pg_dsn) as warehouse:
            start.wait()
            results.append(warehouse.load("b1", "tpch", "fact_sales", uri))

    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted((r.skipped, r.inserted) for r in results) == [(False, 60175), (True, 0)]
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SELECT COUNT(*) FROM tpch.fact_sales").fetchone() == (60175,)
        assert conn.execute("SELECT COUNT(*) FROM tpch.etl_load_audit").fetchone() == (1,)


def test_a_dataset_schema_is_the_only_schema_a_load_creates(pg_dsn, write_curated):
    rows = [customer(1, "a")]
    with PostgresWarehouse(pg_dsn) as warehouse:
        warehouse.load("b1", "tpch", "dim_customer", write_curated("dim_customer", rows))

    with psycopg.connect(pg_dsn) as conn:
        tables = conn.execute(
            "SELECT schemaname, tablename FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
        ).fetchall()
    assert tables == [("tpch", "dim_customer"), ("tpch", "etl_load_audit")]
