"""The local stand-ins for Lambda, Glue (jobs and the Data Catalog), SNS, SQS and S3."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from orchestration.core.lake import Lake
from orchestration.engine.catalog import CatalogTable, LocalCatalog
from orchestration.engine.handlers import LocalServices, ServiceError, spark_submit


@pytest.fixture
def services(tmp_path) -> LocalServices:
    return LocalServices(lake=Lake(str(tmp_path / "lake")), outbox_dir=tmp_path / "outbox")


def test_a_lambda_arn_runs_the_handler_of_the_module_of_that_name(services, monkeypatch):
    monkeypatch.setattr(
        "orchestration.lambdas.extract.handler", lambda event, context: {"got": event}
    )
    response = services.invoke_lambda(
        "arn:aws:lambda:us-east-1:000000000000:function:extract", b'{"a": 1}'
    )
    assert response == {
        "StatusCode": 200,
        "ExecutedVersion": "$LATEST",
        "Payload": {"got": {"a": 1}},
    }


def test_a_handler_exception_becomes_the_function_error_payload_lambda_returns(services):
    def handler(event, context):
        raise KeyError("table")

    services.overrides = {"lambda:broken": handler}
    response = services.invoke_lambda("broken", None)
    assert response["FunctionError"] == "Unhandled"
    assert (response["Payload"]["errorType"], response["Payload"]["errorMessage"]) == (
        "KeyError",
        "'table'",
    )
    assert response["Payload"]["stackTrace"]


def test_an_unknown_function_is_resource_not_found(services):
    with pytest.raises(ServiceError) as raised:
        services.invoke_lambda("arn:aws:lambda:us-east-1:000000000000:function:../x", None)
    assert (raised.value.code, raised.value.status) == ("ResourceNotFoundException", 404)


def test_the_lake_root_is_added_to_glue_arguments_unless_given(services):
    seen = []
    services.overrides = {"glue:job": seen.append}
    services.run_glue_job("job", {"--batch_id": "b"}, "jr_1")
    services.run_glue_job("job", {"--lake": "/elsewhere"}, "jr_2")
    assert seen == [
        ["--JOB_NAME", "job", "--lake", services.lake.root, "--batch_id", "b"],
        ["--JOB_NAME", "job", "--lake", "/elsewhere"],
    ]


def test_publish_and_send_message_append_to_the_outbox_and_report_it(services):
    reported = []
    services.on_outbox = lambda kind, record: reported.append((kind, record["MessageId"]))
    published = services.publish("arn:exec", {"TopicArn": "t", "Message": "hello"})
    sent = services.send_message("arn:exec", {"QueueUrl": "q", "MessageBody": "body"})
    assert sent["MD5OfMessageBody"] == "841a2d689ad86bd1611447453c22c6fc"
    sns = [
        json.loads(line) for line in (services.outbox_dir / "sns.jsonl").read_text().splitlines()
    ]
    sqs = [
        json.loads(line) for line in (services.outbox_dir / "sqs.jsonl").read_text().splitlines()
    ]
    assert [(r["executionArn"], r["Message"]) for r in sns] == [("arn:exec", "hello")]
    assert [(r["QueueUrl"], r["MessageBody"]) for r in sqs] == [("q", "body")]
    assert reported == [("sns", published["MessageId"]), ("sqs", sent["MessageId"])]


def test_the_local_lake_bucket_maps_s3_keys_to_files_under_the_lake_root(services):
    key = "manifests/b.committed.json"
    put = services.s3("putObject", {"Bucket": "local-lake", "Key": key, "Body": '{"ok": true}'})
    got = services.s3("getObject", {"Bucket": "local-lake", "Key": key})
    assert (Path(services.lake.root) / key).read_text() == got["Body"] == '{"ok": true}'
    assert put["ETag"] == got["ETag"] == '"fb50bf98d7d4137b4b4604ae138bc57c"'


def test_other_buckets_go_to_s3_through_boto3(services, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="data")
        services.s3("putObject", {"Bucket": "data", "Key": "k", "Body": "v"})
        assert services.s3("getObject", {"Bucket": "data", "Key": "k"})["Body"] == "v"
        with pytest.raises(ServiceError) as raised:
            services.s3("getObject", {"Bucket": "data", "Key": "absent"})
    assert (raised.value.code, raised.value.status) == ("NoSuchKey", 404)


@pytest.fixture
def with_catalog(tmp_path) -> LocalServices:
    return LocalServices(
        lake=Lake(str(tmp_path / "lake")),
        outbox_dir=tmp_path / "outbox",
        catalog_path=tmp_path / "meta" / "glue.duckdb",
    )


def _curated_partition(services: LocalServices, batch_id: str, rows: list[dict]) -> Path:
    folder = Path(services.lake.root) / "curated" / "tiny" / "dim_shop" / f"batch_id={batch_id}"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "part-00000.parquet")
    return folder


def _register(batch_id: str, location: Path | str) -> dict:
    """The request the definition's RegisterPartition task sends."""
    return {
        "DatabaseName": "tiny",
        "TableName": "dim_shop",
        "PartitionInputList": [
            {"Values": [batch_id], "StorageDescriptor": {"Location": str(location)}}
        ],
    }


def test_batch_create_partition_registers_a_curated_folder_in_the_local_catalog(with_catalog):
    folder = _curated_partition(with_catalog, "b1", [{"shop_key": 1, "name": "north"}])

    assert with_catalog.glue("batchCreatePartition", _register("b1", folder)) == {"Errors": []}

    catalog = LocalCatalog(with_catalog.catalog_path)
    assert catalog.tables() == [CatalogTable("tiny", "dim_shop", 1, "b1")]
    assert catalog.query("SELECT batch_id, shop_key, name FROM tiny.dim_shop") == (
        ["batch_id", "shop_key", "name"],
        [("b1", 1, "north")],
    )


def test_a_partition_registered_again_comes_back_in_errors_as_glue_answers(with_catalog):
    folder = _curated_partition(with_catalog, "b1", [{"shop_key": 1, "name": "north"}])
    with_catalog.glue("batchCreatePartition", _register("b1", folder))

    again = with_catalog.glue("batchCreatePartition", _register("b1", folder))

    assert again == {
        "Errors": [
            {
                "PartitionValues": ["b1"],
                "ErrorDetail": {
                    "ErrorCode": "AlreadyExistsException",
                    "ErrorMessage": "Partition already exists.",
                },
            }
        ]
    }
    assert LocalCatalog(with_catalog.catalog_path).tables()[0].partitions == 1


def test_a_request_the_catalog_refuses_whole_is_a_glue_error_with_its_code(with_catalog):
    with pytest.raises(ServiceError) as raised:
        with_catalog.glue("batchCreatePartition", _register("b1", "s3://bucket/curated/x"))
    assert (raised.value.service, raised.value.code) == ("glue", "InvalidInputException")
    assert not with_catalog.catalog_path.exists()


def test_an_unsupported_glue_action_is_an_invalid_input_exception(with_catalog):
    with pytest.raises(ServiceError) as raised:
        with_catalog.glue("getTable", {"DatabaseName": "tiny", "Name": "dim_shop"})
    assert (raised.value.code, raised.value.message) == (
        "InvalidInputException",
        "glue:getTable is not local",
    )


def test_catalog_calls_without_a_catalog_configured_are_entity_not_found(services):
    with pytest.raises(ServiceError) as raised:
        services.glue("batchCreatePartition", _register("b1", "/nowhere"))
    assert raised.value.code == "EntityNotFoundException"


def test_isolated_mode_spark_submits_the_script_and_reports_its_error_line(tmp_path):
    script = tmp_path / "jobs" / "failing.py"
    script.parent.mkdir()
    script.write_text(
        "import sys\nprint('error: manifest m lists no files', file=sys.stderr)\nsys.exit(2)\n"
    )
    assert spark_submit(str(script), ["--batch_id", "b"]) == (
        "error: manifest m lists no files (spark-submit exited with code 2)"
    )
