from pathlib import Path

import pytest

from orchestration.core.errors import UserError
from orchestration.core.lake import Lake
from transforms.tpch.seed import seed


def _files(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): len(p.read_bytes().splitlines())
        for p in sorted(root.rglob("*.tbl"))
    }


def test_batches_split_orders_by_date_and_dimensions_land_first(seeded_raw):
    files = _files(seeded_raw)
    orders = {k: v for k, v in files.items() if "/orders/" in k}
    assert sorted(orders) == [
        f"raw/tpch/orders/ingest_date=2025-01-0{d}/orders.tbl" for d in (1, 2, 3)
    ]
    assert sum(orders.values()) == 15000
    assert sum(v for k, v in files.items() if "/lineitem/" in k) == 60175
    assert files["raw/tpch/customer/ingest_date=2025-01-01/customer.tbl"] == 1500
    assert files["raw/tpch/customer/ingest_date=2025-01-03/customer.tbl"] == 30
    assert files["raw/tpch/nation/ingest_date=2025-01-03/nation.tbl"] == 25
    assert not any("ingest_date=2025-01-02" in k and "/part/" in k for k in files)


def test_each_batch_holds_a_later_date_range_than_the_one_before(seeded_raw):
    def date_range(day):
        path = seeded_raw / f"raw/tpch/orders/ingest_date=2025-01-0{day}/orders.tbl"
        dates = [line.split("|")[4] for line in path.read_text().splitlines()]
        return min(dates), max(dates)

    ranges = [date_range(d) for d in (1, 2, 3)]
    assert ranges[0][1] < ranges[1][0] and ranges[1][1] < ranges[2][0]


def test_lines_of_an_order_land_in_its_batch(seeded_raw):
    day2 = seeded_raw / "raw/tpch"
    keys = {
        line.split("|")[0]
        for line in (day2 / "orders/ingest_date=2025-01-02/orders.tbl").read_text().splitlines()
    }
    lines = (day2 / "lineitem/ingest_date=2025-01-02/lineitem.tbl").read_text().splitlines()
    assert {line.split("|")[0] for line in lines} == keys


def test_revised_customers_change_balance_and_segment(seeded_raw):
    first = (seeded_raw / "raw/tpch/customer/ingest_date=2025-01-01/customer.tbl").read_text()
    revised = (seeded_raw / "raw/tpch/customer/ingest_date=2025-01-03/customer.tbl").read_text()
    original = {line.split("|")[0]: line.split("|") for line in first.splitlines()}
    for line in revised.splitlines():
        fields = line.split("|")
        before = original[fields[0]]
        assert int(fields[0]) % 50 == 0
        assert float(fields[5]) == pytest.approx(float(before[5]) + 100)
        assert fields[6] != before[6]


def test_seeding_twice_writes_nothing_new(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    first = seed(lake, scale=0.001, batches=2)
    second = seed(lake, scale=0.001, batches=2)
    assert len(first.written) == 12 and first.unchanged == []
    assert second.written == [] and sorted(second.unchanged) == sorted(first.written)
    assert len(list((tmp_path / "lake").rglob("*.tbl"))) == 12


def test_only_lands_the_chosen_batches(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    result = seed(lake, scale=0.001, batches=2, only_batches={2})
    assert all("ingest_date=2025-01-02" in uri for uri in result.written)
    assert len(result.written) == 5


def test_zero_batches_is_refused():
    with pytest.raises(UserError, match="--batches must be at least 1, got 0"):
        seed(Lake("/nonexistent"), scale=0.01, batches=0)
