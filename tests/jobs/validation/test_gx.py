import json
from decimal import Decimal

from jobs.validation.gx import SuiteRunner, docs_site_config
from jobs.validation.suites import parse_suite
from transforms.registry import get_dataset
from transforms.schemas import spark_schema

TPCH = get_dataset("tpch")
DIM_PART = spark_schema(TPCH.curated("dim_part").columns)


def test_docs_site_is_a_folder_for_a_local_lake():
    assert docs_site_config("/lake/validation/b1/docs")["store_backend"] == {
        "class_name": "TupleFilesystemStoreBackend",
        "base_directory": "/lake/validation/b1/docs",
    }


def test_docs_site_is_gx_s3_store_for_an_s3_lake():
    assert docs_site_config("s3://bucket/lake/validation/b1/docs")["store_backend"] == {
        "class_name": "TupleS3StoreBackend",
        "bucket": "bucket",
        "prefix": "lake/validation/b1/docs",
    }


SUITE = {
    "name": "dim_part",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "part_key"}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "size", "min_value": 1, "max_value": 50},
        },
    ],
}


def _parts(spark, *sizes: int):
    rows = [
        (key, "p", "Manufacturer#1", "Brand#11", "T", size, "BOX", Decimal("901.00"))
        for key, size in enumerate(sizes, start=1)
    ]
    return spark.createDataFrame(rows, DIM_PART)


def test_failed_expectations_come_back_with_counts_and_unexpected_values(spark, tmp_path):
    runner = SuiteRunner("b1", str(tmp_path / "docs"))
    suite = parse_suite(json.dumps(SUITE), TPCH, "dim_part", "dim_part.json")

    result = runner.run(suite, _parts(spark, 7, 51, 99, 51))

    by_type = {r.expectation_config.type: r for r in result.results}
    failed = by_type["expect_column_values_to_be_between"]
    assert not failed.success
    assert failed.result["unexpected_count"] == 3
    assert sorted(failed.result["partial_unexpected_list"]) == [51, 51, 99]
    # A passed expectation was asked only for its verdict: no per-expectation value scan.
    assert by_type["expect_column_values_to_not_be_null"].success
    assert by_type["expect_column_values_to_not_be_null"].result == {}


def test_data_docs_of_the_batch_land_in_the_configured_folder(spark, tmp_path):
    runner = SuiteRunner("b1", str(tmp_path / "docs"))
    runner.run(parse_suite(json.dumps(SUITE), TPCH, "dim_part", "dim_part.json"), _parts(spark, 7))
    runner.build_docs()

    assert "validations/dim_part/b1/" in (tmp_path / "docs" / "index.html").read_text()
    assert (tmp_path / "docs" / "expectations" / "dim_part.html").exists()
