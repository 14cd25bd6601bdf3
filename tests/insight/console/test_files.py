"""Lake files the console shows, only from inside their folders (console/files.py)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.core.lake import Lake
from orchestration.core.parked import ParkedFile, park
from orchestration.insight.console.files import (
    LINE_BYTES,
    NotFound,
    docs_file,
    parked_sample,
    quarantine_sample,
)

PARKED = "tpch/orders/ingest_date=2025-01-01/orders.tbl"


@pytest.fixture
def lake(lake_root) -> Lake:
    docs = lake_root / "validation" / "b1-tpch" / "docs"
    (docs / "validations").mkdir(parents=True)
    (docs / "index.html").write_text("<h1>docs</h1>")
    (docs / "validations" / "run.html").write_text("run")
    (lake_root / "validation" / "b1-tpch" / "summary.json").write_text("{}")
    return Lake(str(lake_root))


def test_a_data_docs_file_is_found_inside_its_batch_folder(lake, lake_root):
    assert docs_file(lake, "b1-tpch", "validations/run.html").read_text() == "run"
    assert docs_file(lake, "b1-tpch", "") == lake_root / "validation/b1-tpch/docs/index.html"


@pytest.mark.parametrize(
    ("batch_id", "relative"),
    [
        ("b1-tpch", "../summary.json"),
        ("b1-tpch", "../../../../etc/passwd"),
        ("b1-tpch", "/etc/passwd"),
        ("..", "b1-tpch/summary.json"),
        ("b1-tpch", "missing.html"),
    ],
)
def test_nothing_outside_the_docs_folder_is_served(lake, batch_id, relative):
    with pytest.raises(NotFound):
        docs_file(lake, batch_id, relative)


def test_a_quarantine_sample_shows_the_first_rows_and_the_total(lake, lake_root):
    folder = lake_root / "quarantine" / "tpch" / "orders" / "batch_id=b1-tpch"
    folder.mkdir(parents=True)
    rows = [
        {"source_file": "orders.tbl", "raw_line": f"{n}|x", "reason": "bad date"} for n in range(3)
    ]
    pq.write_table(pa.Table.from_pylist(rows), folder / "part-0.parquet")
    (folder / "_SUCCESS").write_text("")

    sample = quarantine_sample(lake, "tpch", "orders", "b1-tpch", limit=2)

    assert sample.columns == ["source_file", "raw_line", "reason"]
    assert sample.rows == [["orders.tbl", "0|x", "bad date"], ["orders.tbl", "1|x", "bad date"]]
    assert sample.total == 3


@pytest.mark.parametrize(
    "names", [("tpch", "orders", "../b1"), ("..", "x", "b1"), ("a/b", "x", "b")]
)
def test_a_quarantine_sample_is_looked_up_by_plain_names_only(lake, names):
    with pytest.raises(NotFound):
        quarantine_sample(lake, *names)


def test_a_missing_quarantine_folder_is_not_found(lake):
    with pytest.raises(NotFound, match="no quarantined rows of tpch.orders in batch b9"):
        quarantine_sample(lake, "tpch", "orders", "b9")


def test_a_parked_file_shows_its_marker_and_first_lines_cut_and_decoded(lake, lake_root):
    raw = lake_root / "raw" / PARKED
    raw.parent.mkdir(parents=True)
    raw.write_bytes(b"1|caf\xe9|\r\n" + b"2|" + b"x" * (LINE_BYTES * 3) + b"\n3|ok|\n4|more|\n")
    park(lake, ParkedFile(PARKED, "tpch", "orders", raw.stat().st_size, None, "layout", "b1",
                          "2025-01-02T00:00:00+00:00"))  # fmt: skip

    sample = parked_sample(lake, PARKED, limit=3)

    assert sample.parked.reason == "layout"
    assert sample.lines == ["1|caf\ufffd|", "2|" + "x" * (LINE_BYTES - 2), "3|ok|"]


def test_only_a_parked_file_is_shown(lake, lake_root):
    raw = lake_root / "raw" / "tpch" / "orders" / "fine.tbl"
    raw.parent.mkdir(parents=True)
    raw.write_text("1|\n")
    with pytest.raises(NotFound, match="tpch/orders/fine.tbl is not parked"):
        parked_sample(lake, "tpch/orders/fine.tbl")
    with pytest.raises(NotFound):
        parked_sample(lake, "../validation/b1-tpch/summary.json")
