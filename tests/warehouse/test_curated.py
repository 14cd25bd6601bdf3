from decimal import Decimal
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from orchestration.warehouse.base import CuratedDataError
from orchestration.warehouse.curated import (
    check_files,
    find_duplicate_key,
    iter_batches,
    part_files,
)
from orchestration.warehouse.tables import TABLES

PART = TABLES["dim_part"]


def part_row(key: int, price: str = "9.99") -> dict:
    return {
        "part_key": key,
        "name": f"part {key}",
        "manufacturer": "Manufacturer#1",
        "brand": "Brand#13",
        "part_type": "PROMO BRUSHED COPPER",
        "size": 7,
        "container": "JUMBO PKG",
        "retail_price": Decimal(price),
    }


def test_part_files_are_the_visible_parquet_files_only(write_curated):
    uri = write_curated("dim_part", [part_row(1), part_row(2)], parts=2)

    assert [Path(f).name for f in part_files(uri)] == [
        "part-00000-b1-c000.snappy.parquet",
        "part-00001-b1-c000.snappy.parquet",
    ]


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(CuratedDataError, match=f"curated data not found: {tmp_path}/nope is not"):
        part_files(str(tmp_path / "nope"))


def test_batches_stream_in_the_table_schema_whatever_the_batch_size(write_curated):
    uri = write_curated("dim_part", [part_row(k) for k in range(1, 8)], parts=2)

    batches = list(iter_batches(uri, PART, batch_rows=3))

    assert [b.num_rows for b in batches] == [3, 1, 3]
    assert all(b.schema.equals(PART.arrow_schema) for b in batches)
    assert [r["part_key"] for b in batches for r in b.to_pylist()] == [1, 2, 3, 4, 5, 6, 7]


def test_narrower_types_and_string_views_are_cast_to_the_table_schema(tmp_path):
    data = pa.Table.from_pylist([part_row(1)], PART.arrow_schema)
    data = data.set_column(0, "part_key", data["part_key"].cast(pa.int32()))
    data = data.set_column(1, "name", data["name"].cast(pa.string_view()))
    data = data.set_column(7, "retail_price", data["retail_price"].cast(pa.decimal128(9, 2)))
    pq.write_table(data, tmp_path / "part-0.parquet")

    (batch,) = iter_batches(str(tmp_path), PART)

    assert batch.schema.equals(PART.arrow_schema)
    assert batch.to_pylist() == [part_row(1)]


def _write_with(tmp_path, change) -> str:
    data = change(pa.Table.from_pylist([part_row(1)], PART.arrow_schema))
    pq.write_table(data, tmp_path / "part-0.parquet")
    return str(tmp_path / "part-0.parquet")


def test_a_wrong_type_is_named_with_file_and_column(tmp_path):
    path = _write_with(tmp_path, lambda t: t.set_column(5, "size", t["size"].cast(pa.float64())))

    with pytest.raises(
        CuratedDataError,
        match=f"^{path}: column 'size' of dim_part has type double, expected int32$",
    ):
        check_files(str(tmp_path), PART)


def test_a_decimal_with_another_scale_is_refused(tmp_path):
    path = _write_with(
        tmp_path,
        lambda t: t.set_column(7, "retail_price", t["retail_price"].cast(pa.decimal128(15, 3))),
    )

    with pytest.raises(CuratedDataError, match=f"^{path}: column 'retail_price' of dim_part"):
        check_files(str(tmp_path), PART)


def test_a_missing_column_is_named(tmp_path):
    path = _write_with(tmp_path, lambda t: t.drop_columns(["brand"]))

    with pytest.raises(CuratedDataError, match=f"^{path}: column 'brand' of dim_part is missing$"):
        check_files(str(tmp_path), PART)


def test_an_unexpected_column_is_named(tmp_path):
    path = _write_with(tmp_path, lambda t: t.append_column("comment", pa.array(["x"])))

    with pytest.raises(
        CuratedDataError, match=f"^{path}: column 'comment' is not a column of dim_part$"
    ):
        check_files(str(tmp_path), PART)


def test_a_file_that_is_not_parquet_is_named(tmp_path):
    (tmp_path / "part-0.parquet").write_bytes(b"PAR1 but not really")

    with pytest.raises(CuratedDataError, match=f"^{tmp_path}/part-0.parquet: not a readable"):
        check_files(str(tmp_path), PART)


def test_find_duplicate_key_returns_the_smallest_repeated_key_across_files(write_curated):
    rows = [part_row(5), part_row(3), part_row(9), part_row(5), part_row(3)]
    uri = write_curated("dim_part", rows, parts=2)

    assert find_duplicate_key(uri, PART) == (3,)
    assert find_duplicate_key(write_curated("dim_part", [part_row(1)], "b2"), PART) is None


@pytest.fixture
def s3(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket="curated-bucket")
        yield client


def test_a_batch_on_s3_is_listed_and_read_through_ranged_gets(s3, write_curated):
    local = Path(write_curated("dim_part", [part_row(k) for k in range(1, 6)], parts=2))
    for path in local.iterdir():
        s3.upload_file(str(path), "curated-bucket", f"curated/dim_part/batch_id=b1/{path.name}")
    s3.put_object(Bucket="curated-bucket", Key="curated/dim_part/batch_id=b10/part-9.parquet")
    uri = "s3://curated-bucket/curated/dim_part/batch_id=b1"

    files = part_files(uri)
    rows = [r for batch in iter_batches(uri, PART) for r in batch.to_pylist()]

    assert files == [
        f"{uri}/part-00000-b1-c000.snappy.parquet",
        f"{uri}/part-00001-b1-c000.snappy.parquet",
    ]
    assert rows == [part_row(k) for k in range(1, 6)]


def test_an_empty_s3_prefix_is_named(s3):
    with pytest.raises(CuratedDataError, match="no \\*.parquet files under s3://curated-bucket/x"):
        part_files("s3://curated-bucket/x")
