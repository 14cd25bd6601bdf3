"""`sfn-etl load` (orchestration/commands/load.py), through the real CLI entry point."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from orchestration.cli import main


@pytest.fixture
def lake(tmp_path, monkeypatch, tpch_curated_001):
    """A lake whose batch b1 has curated dim_date and dim_part; a DuckDB warehouse."""
    root = tmp_path / "lake"
    for table in ("dim_date", "dim_part"):
        shutil.copytree(tpch_curated_001[table], root / "curated" / table / "batch_id=b1")
    monkeypatch.setenv("SFN_ETL_LAKE", str(root))
    monkeypatch.setenv("SFN_ETL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SFN_ETL_WAREHOUSE", raising=False)
    monkeypatch.setenv("COLUMNS", "400")  # rich wraps long paths at the terminal width
    return root


def warehouse_counts(tmp_path) -> list[tuple]:
    with duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(
            "SELECT table_name, rows_staged, inserted, updated FROM etl_load_audit ORDER BY 1"
        ).fetchall()


def test_load_loads_every_curated_table_of_the_batch_into_the_default_warehouse(
    lake, tmp_path, capsys
):
    assert main(["load", "--batch-id", "b1"]) == 0

    assert warehouse_counts(tmp_path) == [("dim_date", 2557, 2557, 0), ("dim_part", 2000, 2000, 0)]
    output = capsys.readouterr().out
    assert "dim_date" in output and "2557" in output and "loaded" in output


def test_load_again_reports_the_tables_as_skipped(lake, tmp_path, capsys):
    main(["load", "--batch-id", "b1"])
    capsys.readouterr()

    assert main(["load", "--batch-id", "b1", "--table", "dim_part"]) == 0

    assert "skipped (already loaded)" in capsys.readouterr().out
    assert warehouse_counts(tmp_path) == [("dim_date", 2557, 2557, 0), ("dim_part", 2000, 2000, 0)]


def test_load_of_a_table_the_batch_does_not_have_is_a_user_error(lake, capsys):
    assert main(["load", "--batch-id", "b1", "--table", "fact_sales"]) == 2

    assert capsys.readouterr().err == (
        f"error: no curated Parquet for batch b1 under {lake}/curated/fact_sales\n"
    )


def test_load_of_an_unknown_table_names_it(lake, capsys):
    assert main(["load", "--batch-id", "b1", "--table", "dim_nope"]) == 2

    assert capsys.readouterr().err.startswith("error: unknown table 'dim_nope': expected one of")
