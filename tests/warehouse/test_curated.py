from datetime import UTC, datetime
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
from orchestration.warehouse.tables import get_table, table_def
from tests.warehouse._datasets import SHOP, SHOP_ORDERS

PART = get_table("tpch", "dim_part")
ORDERS = table_def(SHOP, SHOP_ORDERS)


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
        match=f"^{path}: column 'size' of tpch.dim_part has type double, expected int32$",
    ):
        check_files(str(tmp_path), PART)


def test_a_decimal_with_another_scale_is_refused(tmp_path):
    path = _write_with(
        tmp_path,
        lambda t: t.set_column(7, "retail_price", t["retail_price"].cast(pa.decimal128(15, 3))),
    )

    with pytest.raises(CuratedDataError, match=f"^{path}: column 'retail_price' of tpch.dim_part"):
        check_files(str(tmp_path), PART)


def test_a_missing_column_is_named(tmp_path):
    path = _write_with(tmp_path, lambda t: t.drop_columns(["brand"]))

    with pytest.raises(
        CuratedDataError, match=f"^{path}: column 'brand' of tpch.dim_part is missing$"
    ):
        check_files(str(tmp_path), PART)


def test_an_unexpected_column_is_named(tmp_path):
    path = _write_with(tmp_path, lambda t: t.append_column("comment", pa.array(["x"])))

    with pytest.raises(
        CuratedDataError, match=f"^{path}: column 'comment' is not a column of tpch.dim_part$"
    ):
        check_files(str(tmp_path), PART)


def test_a_file_that_is_not_parquet_is_named(tmp_path):
    (tmp_path / "part-0.parquet").write_bytes(b"PAR1 but not really")

    with pytest.raises(CuratedDataError, match=f"^{tmp_path}/part-0.parquet: not a readable"):
        check_files(str(tmp_path), PART)


def order(placed_at: datetime) -> dict:
    return {
        "order_id": 1,
        "line": 1,
        "status": "paid",
        "amount": 0.1,
        "total": Decimal("12.50"),
        "placed_at": placed_at,
        "placed_on": placed_at.date(),
        "paid": True,
    }


def test_spark_int96_timestamps_are_read_as_microseconds_even_past_2262(tmp_path):
    # Spark 3.5 writes timestamps as INT96 by default; Arrow would read them as nanoseconds,
    # which overflow after 2262-04-11.
    stamps = [datetime(2013, 1, 1, 5, 17, 3, 123456), datetime(2999, 12, 31, 23, 59, 59, 999999)]
    data = pa.Table.from_pylist([order(t) for t in stamps], ORDERS.arrow_schema)
    pq.write_table(data, tmp_path / "part-0.parquet", use_deprecated_int96_timestamps=True)

    (batch,) = iter_batches(str(tmp_path), ORDERS)

    assert pq.ParquetFile(tmp_path / "part-0.parquet").schema.column(5).physical_type == "INT96"
    assert batch.schema.field("placed_at").type == pa.timestamp("us")
    assert batch.column("placed_at").to_pylist() == stamps


def test_utc_timestamps_and_single_precision_floats_are_cast_to_the_table_schema(tmp_path):
    data = pa.Table.from_pylist([order(datetime(2013, 1, 1, 5, 17, 3))], ORDERS.arrow_schema)
    utc = data["placed_at"].cast(pa.timestamp("ms", tz="UTC"))
    data = data.set_column(5, "placed_at", utc)
    data = data.set_column(3, "amount", pa.array([0.5], pa.float32()))
    pq.write_table(data, tmp_path / "part-0.parquet")

    (batch,) = iter_batches(str(tmp_path), ORDERS)

    assert batch.schema.equals(ORDERS.arrow_schema)
    assert batch.to_pylist()[0]["placed_at"] == datetime(2013, 1, 1, 5, 17, 3)
    assert batch.to_pylist()[0]["amount"] == 0.5


def test_a_timestamp_finer_than_microseconds_is_refused_not_truncated(tmp_path):
    ns = pa.array([int(datetime(2013, 1, 1, tzinfo=UTC).timestamp()) * 10**9 + 1], pa.int64())
    data = pa.Table.from_pylist([order(datetime(2013, 1, 1))], ORDERS.arrow_schema)
    data = data.set_column(5, "placed_at", ns.cast(pa.timestamp("ns")))
    pq.write_table(data, tmp_path / "part-0.parquet", coerce_timestamps=None)

    with pytest.raises(CuratedDataError, match="column 'placed_at': .* would lose data"):
        list(iter_batches(str(tmp_path), ORDERS))


@pytest.mark.parametrize(
    ("column", "wrong", "expected"),
    [
        (3, pa.array([1], pa.int64()), "has type int64, expected double"),
        (
            5,
            pa.array([datetime(2013, 1, 1)], pa.timestamp("us", tz="Europe/Paris")),
            r"has type timestamp\[us, tz=Europe/Paris\], expected timestamp\[us\]",
        ),
        (7, pa.array(["true"]), "has type string, expected bool"),
    ],
)
def test_a_double_timestamp_or_boolean_of_another_kind_is_refused(
    tmp_path, column, wrong, expected
):
    data = pa.Table.from_pylist([order(datetime(2013, 1, 1))], ORDERS.arrow_schema)
    name = ORDERS.column_names[column]
    pq.write_table(data.set_column(column, name, wrong), tmp_path / "part-0.parquet")

    with pytest.raises(CuratedDataError, match=f"column '{name}' of shop.orders {expected}"):
        check_files(str(tmp_path), ORDERS)


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
