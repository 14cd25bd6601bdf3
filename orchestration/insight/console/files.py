"""The lake files the console shows: a batch's Data Docs, a sample of a batch's quarantined rows,
the first lines of a parked raw file. Each is looked up inside its own known folder of a local
lake (orchestration/core/layout.py); a path that resolves outside it is not found."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from orchestration.core.errors import UserError
from orchestration.core.lake import QUARANTINE, Lake
from orchestration.core.layout import docs_root, quarantine_uri, raw_root
from orchestration.core.parked import ParkedFile, read_parked

SAMPLE_ROWS = 20
LINE_BYTES = 2000
"""A raw line longer than this is cut: a parked file may hold a 20 MB field."""


class NotFound(UserError):
    """No such file in the folder the console serves it from; the message says what was asked."""


@dataclass(frozen=True)
class RowSample:
    columns: list[str]
    rows: list[list[str]]
    total: int


@dataclass(frozen=True)
class ParkedSample:
    parked: ParkedFile
    lines: list[str]
    """The file's first lines, undecodable bytes replaced."""


def docs_file(lake: Lake, batch_id: str, relative: str) -> Path:
    """A file of a batch's Data Docs (validation/<batch>/docs/)."""
    root = _local_folder(lake, docs_root(lake, batch_id))
    return _file_inside(
        root, relative or "index.html", f"no Data Docs file {relative!r} of {batch_id}"
    )


def quarantine_sample(
    lake: Lake, dataset: str, raw_table: str, batch_id: str, limit: int = SAMPLE_ROWS
) -> RowSample:
    """The first rows of a batch's quarantined rows of one raw table, with their reason."""
    import pyarrow.dataset as pa_dataset

    _plain_names(dataset, raw_table, batch_id)
    zone = _local_folder(lake, lake.uri(QUARANTINE))
    folder = _local_folder(lake, quarantine_uri(lake, dataset, raw_table, batch_id))
    if not folder.is_relative_to(zone) or not folder.is_dir():
        raise NotFound(f"no quarantined rows of {dataset}.{raw_table} in batch {batch_id}")
    rows = pa_dataset.dataset(str(folder), format="parquet")
    head = rows.head(limit)
    return RowSample(
        columns=head.column_names,
        rows=[[_cell(value) for value in row.values()] for row in head.to_pylist()],
        total=rows.count_rows(),
    )


def parked_sample(lake: Lake, path: str, limit: int = SAMPLE_ROWS) -> ParkedSample:
    """A parked raw file's marker and first lines; only a file that is parked is shown."""
    try:
        parked = read_parked(lake, path)
    except UserError as exc:
        raise NotFound(str(exc)) from exc
    root = _local_folder(lake, raw_root(lake))
    file = _file_inside(root, path, f"parked file {path} is no longer in the raw zone")
    with file.open("rb") as handle:
        lines = [_first_bytes_of_line(handle) for _ in range(limit)]
    return ParkedSample(parked, [line for line in lines if line is not None])


def _first_bytes_of_line(handle: BinaryIO) -> str | None:
    """The next line, cut at LINE_BYTES; None at the end of the file."""
    line = handle.readline(LINE_BYTES)
    if not line:
        return None
    rest = line
    while len(rest) == LINE_BYTES and not rest.endswith(b"\n"):
        rest = handle.readline(LINE_BYTES)
    return line.rstrip(b"\r\n").decode("utf-8", errors="replace")


def _plain_names(*names: str) -> None:
    """Names that become one folder each: a `/` or `..` would reach another folder."""
    for name in names:
        if not name or "/" in name or name in (".", ".."):
            raise NotFound(f"{name!r} is not a dataset, table or batch name")


def _local_folder(lake: Lake, uri: str) -> Path:
    if lake.is_s3 or uri.startswith("s3://"):
        raise NotFound(f"the console shows files of a local lake only, not {uri}")
    return Path(uri).resolve()


def _file_inside(root: Path, relative: str, missing: str) -> Path:
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFound(missing)
    return target


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
