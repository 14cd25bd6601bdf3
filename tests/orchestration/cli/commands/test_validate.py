import json
from decimal import Decimal
from pathlib import Path

import boto3
from moto import mock_aws

from orchestration.cli.main import main
from transforms.registry import get_dataset
from transforms.schemas import spark_schema

BATCH = "p1"


def _land_parts(spark, root: Path, *keys: int) -> None:
    """A transformed tpch batch holding only dim_part (parts of these keys), with its transform
    report."""
    folder = root / "curated" / "tpch" / "dim_part" / f"batch_id={BATCH}"
    rows = [
        (key, "p", "Manufacturer#1", "Brand#11", "T", 7, "BOX", Decimal("901.00")) for key in keys
    ]
    schema = spark_schema(get_dataset("tpch").curated("dim_part").columns)
    spark.createDataFrame(rows, schema).coalesce(1).write.parquet(str(folder))
    counts = {"read": len(keys), "written": len(keys), "quarantined": 0, "duplicates": 0}
    report = {
        "batch_id": BATCH,
        "dataset": "tpch",
        "curated": {"dim_part": {"uri": str(folder), **counts, "generated": 0}},
    }
    path = root / "curated" / "tpch" / "_reports" / f"batch_id={BATCH}" / "transform.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(report))


def _manifest(root: Path, dataset: str) -> None:
    """The batch's manifest, which names its dataset."""
    path = root / "manifests" / f"{BATCH}.json"
    path.parent.mkdir(parents=True)
    manifest = {"batch_id": BATCH, "dataset": dataset, "created_at": "2025-01-01T00:00:00+00:00",
                "files": []}  # fmt: skip
    path.write_text(json.dumps(manifest))


def _validate(tmp_path: Path, *extra: str) -> int:
    warehouse = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return main(["validate", "--batch-id", BATCH, "--warehouse", warehouse, *extra])


def test_validate_exits_0_when_the_data_passes_and_docs_prints_its_index(
    spark, lake_root, tmp_path, capsys
):
    _land_parts(spark, lake_root, 1, 2)
    _manifest(lake_root, "tpch")

    assert _validate(tmp_path) == 0  # the dataset is the one the batch's manifest names
    assert f"batch {BATCH} (tpch): validation passed" in capsys.readouterr().out

    index = lake_root / "validation" / BATCH / "docs" / "index.html"
    assert main(["docs"]) == 0
    assert capsys.readouterr().out == f"{index}\n"
    assert main(["docs", "--batch-id", BATCH]) == 0
    assert capsys.readouterr().out == f"{index}\n"
    assert index.exists()


def test_validate_exits_1_when_the_data_fails_and_says_what_failed(
    spark, lake_root, tmp_path, capsys
):
    _land_parts(spark, lake_root, 1, 1)

    assert _validate(tmp_path, "--dataset", "tpch") == 1
    out = capsys.readouterr().out
    assert f"batch {BATCH} (tpch): validation FAILED" in out
    assert "expect_column_values_to_be_unique on part_key: 2 unexpected" in out
    summary = json.loads((lake_root / "validation" / BATCH / "summary.json").read_text())
    assert summary["success"] is False


def test_validate_of_a_batch_never_transformed_exits_2_naming_the_report(lake_root, capsys):
    assert main(["validate", "--batch-id", "nope", "--dataset", "tpch"]) == 2
    report = lake_root / "curated" / "tpch" / "_reports" / "batch_id=nope" / "transform.json"
    assert f"batch nope has no transform report: {report} is missing" in capsys.readouterr().err


def test_validate_without_dataset_of_a_batch_without_manifest_exits_2_naming_it(lake_root, capsys):
    assert main(["validate", "--batch-id", "nope"]) == 2
    assert f"missing: {lake_root / 'manifests' / 'nope.json'}" in capsys.readouterr().err


def test_validate_of_an_unknown_dataset_exits_2_naming_the_declared_ones(lake_root, capsys):
    assert main(["validate", "--batch-id", BATCH, "--dataset", "nosuch"]) == 2
    assert "unknown dataset 'nosuch'; declared: nycflights13, tpch" in capsys.readouterr().err


def test_validate_reads_the_report_of_the_dataset_it_is_given(lake_root, capsys):
    # A tpch batch validated as nycflights13 finds no nycflights13 report: nothing is mixed up.
    _manifest(lake_root, "tpch")
    assert main(["validate", "--batch-id", BATCH, "--dataset", "nycflights13"]) == 2
    report = lake_root / "curated" / "nycflights13" / "_reports" / f"batch_id={BATCH}"
    assert f"{report / 'transform.json'} is missing" in capsys.readouterr().err


def _fake_validation(root: Path, batch_id: str, validated_at: str) -> Path:
    folder = root / "validation" / batch_id
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "index.html").write_text("<html></html>")
    summary = {"batch_id": batch_id, "validated_at": validated_at, "success": True}
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder / "docs" / "index.html"


def test_docs_defaults_to_the_batch_validated_last(lake_root, capsys):
    _fake_validation(lake_root, "zz-older", "2025-01-01T10:00:00+00:00")
    latest = _fake_validation(lake_root, "aa-newer", "2025-01-02T09:00:00+00:00")

    assert main(["docs"]) == 0
    assert capsys.readouterr().out == f"{latest}\n"


def test_docs_before_any_validation_is_a_clear_error(lake_root, capsys):
    assert main(["docs"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"no validated batch under {lake_root}/validation" in err


def test_docs_of_a_batch_without_docs_names_the_missing_page(lake_root, capsys):
    assert main(["docs", "--batch-id", "b9"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    index = lake_root / "validation" / "b9" / "docs" / "index.html"
    assert f"no Data Docs for batch b9: {index} is missing" in err


def test_docs_finds_the_batch_validated_last_in_an_s3_lake(monkeypatch, tmp_path, capsys):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SFN_ETL_LAKE": "s3://lake-bucket/lake",
        "SFN_ETL_HOME": str(tmp_path / "home"),
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="lake-bucket")
        for batch_id, validated_at in (("b1", "2025-01-02T00:00:00+00:00"), ("b2", "2025-01-01")):
            prefix = f"lake/validation/{batch_id}"
            summary = {"batch_id": batch_id, "validated_at": validated_at}
            s3.put_object(
                Bucket="lake-bucket", Key=f"{prefix}/summary.json", Body=json.dumps(summary)
            )
            s3.put_object(Bucket="lake-bucket", Key=f"{prefix}/docs/index.html", Body=b"<html>")
        # A summary-named file deeper down is a docs asset, not a batch.
        s3.put_object(Bucket="lake-bucket", Key="lake/validation/b2/docs/summary.json", Body=b"{}")

        assert main(["docs"]) == 0

    assert capsys.readouterr().out == "s3://lake-bucket/lake/validation/b1/docs/index.html\n"
