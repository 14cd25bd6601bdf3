"""Reading a batch of curated Parquet: the part files under `<curated_uri>/`, local or on S3.

Spark also leaves `_SUCCESS` and `.crc` files there; only visible `*.parquet` files are data.
Schemas are checked against the table definition before any row is read, so a wrong file is
named with its column; rows are streamed in record batches, so memory is bounded by a batch (and
a Parquet row group), whatever the table size.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orchestration.core.lake import normalize_uri, split_s3_uri
from orchestration.warehouse.base import CuratedDataError
from orchestration.warehouse.tables import TableDef

BATCH_ROWS = 65_536


def part_files(curated_uri: str) -> list[str]:
    """The batch's Parquet files, sorted; an error naming the URI when there are none."""
    uri = normalize_uri(curated_uri).rstrip("/")
    if uri.startswith("s3://"):
        bucket, prefix = split_s3_uri(uri + "/")
        paginator = _s3().get_paginator("list_objects_v2")
        names = [
            item["Key"]
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
            for item in page.get("Contents", [])
        ]
        files = [f"s3://{bucket}/{key}" for key in names if _is_data(key.rsplit("/", 1)[-1])]
    else:
        folder = Path(uri)
        if not folder.is_dir():
            raise CuratedDataError(f"curated data not found: {curated_uri} is not a directory")
        files = [str(p) for p in folder.iterdir() if p.is_file() and _is_data(p.name)]
    if not files:
        raise CuratedDataError(f"no *.parquet files under {curated_uri}")
    return sorted(files)


def _is_data(name: str) -> bool:
    return name.endswith(".parquet") and not name.startswith((".", "_"))


def open_parquet(uri: str) -> pq.ParquetFile:
    # pre_buffer (on by default) caches the column chunks of every row group read so far: memory
    # would grow with the file; without it, a reader holds about one row group.
    # Spark writes timestamps as INT96, which Arrow decodes to nanoseconds by default: wrong past
    # 2262 and finer than Spark's microseconds, the unit of the table's timestamp columns.
    options = {"pre_buffer": False, "coerce_int96_timestamp_unit": "us"}
    try:
        if uri.startswith("s3://"):
            source = io.BufferedReader(_S3File(uri), buffer_size=1 << 20)
            return pq.ParquetFile(source, **options)
        return pq.ParquetFile(uri, **options)
    except (OSError, pa.ArrowException) as exc:
        raise CuratedDataError(f"{uri}: not a readable Parquet file ({exc})") from exc


def _compatible(actual: pa.DataType, expected: pa.DataType) -> bool:
    """Types a safe cast turns into the expected one without changing any value."""
    if actual == expected:
        return True
    if pa.types.is_string(expected):
        return (
            pa.types.is_string(actual)
            or pa.types.is_large_string(actual)
            or (pa.types.is_string_view(actual))
        )
    if pa.types.is_integer(expected) or pa.types.is_floating(expected):
        same_kind = pa.types.is_integer if pa.types.is_integer(expected) else pa.types.is_floating
        return same_kind(actual) and actual.bit_width <= expected.bit_width
    if pa.types.is_timestamp(expected):
        # Another unit casts safely unless it would drop a digit (the cast then says so); a
        # UTC-adjusted timestamp (Spark's TIMESTAMP_MICROS output) holds the same UTC values.
        return pa.types.is_timestamp(actual) and actual.tz in (None, "UTC", "+00:00")
    if pa.types.is_decimal(expected):
        return (
            pa.types.is_decimal(actual)
            and actual.scale == expected.scale
            and actual.precision <= expected.precision
        )
    return False


def check_schema(uri: str, schema: pa.Schema, table: TableDef) -> None:
    expected = table.arrow_schema
    actual_names = set(schema.names)
    missing = [name for name in expected.names if name not in actual_names]
    if missing:
        raise CuratedDataError(f"{uri}: column {missing[0]!r} of {table.label} is missing")
    extra = [name for name in schema.names if name not in set(expected.names)]
    if extra:
        raise CuratedDataError(f"{uri}: column {extra[0]!r} is not a column of {table.label}")
    for field in expected:
        actual = schema.field(field.name).type
        if not _compatible(actual, field.type):
            raise CuratedDataError(
                f"{uri}: column {field.name!r} of {table.label} has type {actual}, "
                f"expected {field.type}"
            )


def check_files(curated_uri: str, table: TableDef) -> list[str]:
    """Every part file of the batch, each with a schema the table accepts."""
    files = part_files(curated_uri)
    for uri in files:
        check_schema(uri, open_parquet(uri).schema_arrow, table)
    return files


def iter_batches(
    curated_uri: str, table: TableDef, batch_rows: int = BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """The batch's rows as record batches with exactly the table's Arrow schema."""
    expected = table.arrow_schema
    for uri in part_files(curated_uri):
        parquet = open_parquet(uri)
        check_schema(uri, parquet.schema_arrow, table)
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=list(expected.names)):
            yield _conform(uri, batch, expected)


def _conform(uri: str, batch: pa.RecordBatch, expected: pa.Schema) -> pa.RecordBatch:
    if batch.schema.equals(expected):
        return batch
    arrays = []
    for field in expected:
        column = batch.column(field.name)
        try:
            arrays.append(column.cast(field.type, safe=True))
        except pa.ArrowInvalid as exc:
            raise CuratedDataError(f"{uri}: column {field.name!r}: {exc}") from exc
    return pa.RecordBatch.from_arrays(arrays, schema=expected)


def find_duplicate_key(curated_uri: str, table: TableDef) -> tuple | None:
    """The smallest business key that occurs twice in the batch, or None. Reads only the key
    columns; used to name the key after a warehouse refused a batch for duplicates."""
    keys = list(table.business_keys)
    key_schema = pa.schema([table.arrow_schema.field(k) for k in keys])
    parts = [open_parquet(u).read(columns=keys).cast(key_schema) for u in part_files(curated_uri)]
    counts = pa.concat_tables(parts).group_by(keys).aggregate([([], "count_all")])
    duplicates = counts.filter(pc.greater(counts["count_all"], 1))
    if duplicates.num_rows == 0:
        return None
    first = duplicates.sort_by([(k, "ascending") for k in keys]).slice(0, 1).to_pylist()[0]
    return tuple(first[k] for k in keys)


class _S3File(io.RawIOBase):
    """A seekable, read-only view of one S3 object through ranged GETs: Parquet reads the footer
    and then column chunks, so only the parts being decoded are ever held in memory."""

    def __init__(self, uri: str) -> None:
        self._bucket, self._key = split_s3_uri(uri)
        self._client = _s3()
        self._size = self._client.head_object(Bucket=self._bucket, Key=self._key)["ContentLength"]
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:
        end = min(self._position + len(buffer), self._size)
        if end <= self._position:
            return 0
        response = self._client.get_object(
            Bucket=self._bucket, Key=self._key, Range=f"bytes={self._position}-{end - 1}"
        )
        data = response["Body"].read()
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


def _s3():
    import boto3

    return boto3.client("s3")
