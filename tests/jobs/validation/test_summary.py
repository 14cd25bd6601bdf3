from datetime import UTC, date, datetime
from decimal import Decimal

from jobs.validation.checks import CheckResult
from jobs.validation.summary import build_summary, json_safe, table_entry
from transforms.registry import get_dataset

TPCH = get_dataset("tpch")

PASSED = CheckResult("expect_column_values_to_not_be_null", "part_key", True, 0)
FAILED = CheckResult("expect_column_values_to_be_between", "discount", False, 1, [Decimal("0.11")])


def test_a_table_entry_lists_only_the_failed_expectations_with_json_samples():
    assert table_entry([PASSED, FAILED]) == {
        "success": False,
        "evaluated": 2,
        "failed": [
            {
                "expectation": "expect_column_values_to_be_between",
                "column": "discount",
                "unexpected_count": 1,
                "sample": ["0.11"],
            }
        ],
    }


def test_the_summary_fails_when_one_table_fails_and_still_lists_every_load():
    summary = build_summary(
        "b1",
        TPCH,
        {"fact_sales": [FAILED], "dim_part": [PASSED]},
        {"fact_sales": "/lake/curated/fact_sales/batch_id=b1", "dim_part": "/lake/p"},
        ["warehouse keys not checked: x"],
        validated_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        raw_counts={
            "lineitem": {"held": 3, "parked_files": ["tpch/lineitem/b.tbl"]},
            "orders": {"held": 0, "parked_files": ["tpch/orders/a.tbl"]},
        },
    )
    assert summary == {
        "batch_id": "b1",
        "dataset": "tpch",
        "success": False,
        "validated_at": "2025-01-02T03:04:05+00:00",
        "tables": {
            "dim_part": {"success": True, "evaluated": 1, "failed": []},
            "fact_sales": {
                "success": False,
                "evaluated": 1,
                "failed": [
                    {
                        "expectation": "expect_column_values_to_be_between",
                        "column": "discount",
                        "unexpected_count": 1,
                        "sample": ["0.11"],
                    }
                ],
            },
        },
        "loads": [
            {"dataset": "tpch", "table": "dim_part", "curated_uri": "/lake/p"},
            {
                "dataset": "tpch",
                "table": "fact_sales",
                "curated_uri": "/lake/curated/fact_sales/batch_id=b1",
            },
        ],
        "notes": ["warehouse keys not checked: x"],
        "set_aside": {
            "held": {"lineitem": 3},
            "parked_files": ["tpch/lineitem/b.tbl", "tpch/orders/a.tbl"],
        },
    }


def test_loads_put_dimensions_before_facts(tiny):
    uris = {"fact_sale": "f", "dim_shop": "s", "dim_day": "d"}
    loads = build_summary("b1", tiny, {}, uris)["loads"]
    assert [load["table"] for load in loads] == ["dim_day", "dim_shop", "fact_sale"]


def test_samples_become_json_values():
    sample = [{"order_key": 1, "ship": date(1999, 1, 2)}, (Decimal("0.11"), None)]
    assert json_safe(sample) == [{"order_key": 1, "ship": "1999-01-02"}, ["0.11", None]]
