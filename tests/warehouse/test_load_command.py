"""`sfn-etl load` (orchestration/cli/commands/load.py), through the real CLI entry point."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from orchestration.cli.main import main


@pytest.fixture
def lake(tmp_path, monkeypatch, tpch_curated_001):
    """A lake whose tpch batch b1 (with its manifest) has curated dim_date and dim_part, and
    whose batch b2 has curated dim_part but no manifest; a DuckDB warehouse."""
    root = tmp_path / "lake"
    for table in ("dim_date", "dim_part"):
        shutil.copytree(tpch_curated_001[table], root / "curated" / "tpch" / table / "batch_id=b1")
    shutil.copytree(
        tpch_curated_001["dim_part"], root / "curated" / "tpch" / "dim_part" / "batch_id=b2"
    )
    manifest = {
        "batch_id": "b1",
        "dataset": "tpch",
        "created_at": "2026-01-01T00:00:00Z",
        "files": [],
    }
    (root / "manifests").mkdir()
    (root / "manifests" / "b1.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("SFN_ETL_LAKE", str(root))
    monkeypatch.setenv("SFN_ETL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SFN_ETL_WAREHOUSE", raising=False)
    monkeypatch.setenv("COLUMNS", "400")  # rich wraps long paths at the terminal width
    return root


def warehouse_counts(tmp_path) -> list[tuple]:
    with duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(
            "SELECT batch_id, table_name, rows_staged, inserted, updated FROM tpch.etl_load_audit "
            "ORDER BY 1, 2"
        ).fetchall()


def test_load_loads_every_curated_table_of_the_batch_into_its_manifests_dataset(
    lake, tmp_path, capsys
):
    assert main(["load", "--batch-id", "b1"]) == 0

    assert warehouse_counts(tmp_path) == [
        ("b1", "dim_date", 2551, 2551, 0),
        ("b1", "dim_part", 2000, 2000, 0),
    ]
    output = capsys.readouterr().out
    assert "tpch" in output and "dim_date" in output and "2551" in output and "loaded" in output


def test_load_again_reports_the_tables_as_skipped(lake, tmp_path, capsys):
    main(["load", "--batch-id", "b1"])
    capsys.readouterr()

    assert main(["load", "--batch-id", "b1", "--table", "dim_part"]) == 0

    assert "skipped (already loaded)" in capsys.readouterr().out
    assert warehouse_counts(tmp_path) == [
        ("b1", "dim_date", 2551, 2551, 0),
        ("b1", "dim_part", 2000, 2000, 0),
    ]


def test_a_batch_without_a_manifest_loads_with_its_dataset_given(lake, tmp_path):
    assert main(["load", "--batch-id", "b2", "--dataset", "tpch"]) == 0

    assert warehouse_counts(tmp_path) == [("b2", "dim_part", 2000, 2000, 0)]


def test_a_batch_without_a_manifest_and_no_dataset_is_a_user_error_naming_the_manifest(
    lake, capsys
):
    assert main(["load", "--batch-id", "b2"]) == 2

    assert capsys.readouterr().err == (
        f"error: cannot tell the dataset of batch b2: missing: {lake}/manifests/b2.json; "
        "give it with --dataset\n"
    )


def test_load_of_a_table_the_batch_does_not_have_is_a_user_error(lake, capsys):
    assert main(["load", "--batch-id", "b1", "--table", "fact_sales"]) == 2

    assert capsys.readouterr().err == (
        f"error: no curated Parquet for batch b1 under {lake}/curated/tpch/fact_sales\n"
    )


def test_a_folder_with_only_markers_is_no_curated_data(lake, capsys):
    folder = lake / "curated" / "tpch" / "dim_supplier" / "batch_id=b3"
    folder.mkdir(parents=True)
    (folder / "_SUCCESS").write_bytes(b"")
    (folder / ".part-0.parquet.crc").write_bytes(b"")

    assert main(["load", "--batch-id", "b3", "--dataset", "tpch"]) == 2

    assert capsys.readouterr().err == (
        f"error: no curated Parquet for batch b3 under {lake}/curated/tpch\n"
    )


def test_load_of_an_unknown_table_or_dataset_names_them(lake, capsys):
    assert main(["load", "--batch-id", "b1", "--table", "dim_nope"]) == 2
    assert capsys.readouterr().err.startswith(
        "error: unknown table 'dim_nope' of dataset tpch: expected one of dim_customer, "
    )

    assert main(["load", "--batch-id", "b1", "--dataset", "nope"]) == 2
    assert capsys.readouterr().err.startswith("error: unknown dataset 'nope': expected one of ")
