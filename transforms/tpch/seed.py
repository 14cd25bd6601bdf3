"""Land TPC-H raw extracts in the lake as an OLTP export would: one day's files per batch.

tpchgen-cli writes the tables once; orders and lineitem are split by order date into
`batches` consecutive date ranges, each landing under its own `ingest_date=`. The dimension
tables land with the first batch; the last batch (when there are two or more) also carries a
revised extract of some customers, with the nation and region extracts they join to, so the
warehouse has upserts to do. Output is deterministic: seeding twice rewrites nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from orchestration.core.errors import UserError
from orchestration.core.lake import RAW, Lake
from orchestration.core.seeding import SeedResult, land

DATASET = "tpch"
DIMENSION_TABLES = ("region", "nation", "customer", "supplier", "part")
FACT_TABLES = ("orders", "lineitem")
DEFAULT_FIRST_INGEST_DATE = date(2025, 1, 1)
CHANGED_CUSTOMER_EVERY = 50
"""Every 50th customer gets a revised row in the last batch (30 customers at scale 0.01)."""


def raw_file_key(table: str, ingest_date: date) -> tuple[str, ...]:
    return (RAW, DATASET, table, f"ingest_date={ingest_date.isoformat()}", f"{table}.tbl")


def seed(
    lake: Lake,
    scale: float = 0.01,
    batches: int = 3,
    first_ingest_date: date = DEFAULT_FIRST_INGEST_DATE,
    only_batches: set[int] | None = None,
) -> SeedResult:
    """Generate TPC-H at `scale` and land it as `batches` daily extracts (1-based batches)."""
    if batches < 1:
        raise UserError(f"--batches must be at least 1, got {batches}")
    if scale <= 0:
        raise UserError(f"--scale must be positive, got {scale}")
    result = SeedResult()
    with tempfile.TemporaryDirectory(prefix="sfn-etl-seed-") as tmp:
        generated = Path(tmp) / "generated"
        _generate(generated, scale)
        staged = Path(tmp) / "staged"
        _split(generated, staged, batches, first_ingest_date, result)
        for path in sorted(staged.rglob("*.tbl")):
            relative = path.relative_to(staged)
            batch = (date.fromisoformat(relative.parts[3].split("=")[1]) - first_ingest_date).days
            if only_batches is not None and batch + 1 not in only_batches:
                continue
            land(lake, path, relative.parts, result)
    return result


def _generate(out_dir: Path, scale: float) -> None:
    command = [
        str(Path(sys.executable).with_name("tpchgen-cli")),
        "-s",
        str(scale),
        f"--output-dir={out_dir}",
        f"--tables={','.join(DIMENSION_TABLES + FACT_TABLES)}",
    ]
    if not Path(command[0]).exists():
        command[0] = shutil.which("tpchgen-cli") or "tpchgen-cli"
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise UserError(f"tpchgen-cli failed: {completed.stderr.strip() or completed.stdout}")


def _lines(path: Path) -> Iterator[str]:
    with path.open("r", encoding="utf-8", newline="") as handle:
        yield from handle


def _split(generated: Path, staged: Path, batches: int, first: date, result: SeedResult) -> None:
    ingest_dates = [first + timedelta(days=k) for k in range(batches)]

    def target(table: str, batch: int) -> Path:
        path = staged.joinpath(*raw_file_key(table, ingest_dates[batch]))
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    for table in DIMENSION_TABLES:
        shutil.copyfile(generated / f"{table}.tbl", target(table, 0))
        result.rows[table] = sum(1 for _ in _lines(generated / f"{table}.tbl"))

    order_dates = [line.split("|", 5)[4] for line in _lines(generated / "orders.tbl")]
    low = date.fromisoformat(min(order_dates))
    span = (date.fromisoformat(max(order_dates)) - low).days + 1

    def batch_of(order_date: str) -> int:
        return min((date.fromisoformat(order_date) - low).days * batches // span, batches - 1)

    batch_of_order: dict[str, int] = {}
    _route(
        generated / "orders.tbl",
        [target("orders", b) for b in range(batches)],
        lambda line: batch_of_order.setdefault(
            line.split("|", 1)[0], batch_of(line.split("|", 5)[4])
        ),
    )
    _route(
        generated / "lineitem.tbl",
        [target("lineitem", b) for b in range(batches)],
        lambda line: batch_of_order[line.split("|", 1)[0]],
    )
    result.rows["orders"] = len(order_dates)
    result.rows["lineitem"] = sum(1 for _ in _lines(generated / "lineitem.tbl"))

    if batches > 1:
        last = batches - 1
        for table in ("region", "nation"):
            shutil.copyfile(generated / f"{table}.tbl", target(table, last))
        changed = _write_changed_customers(generated / "customer.tbl", target("customer", last))
        result.rows["customer_changes"] = changed


def _route(source: Path, targets: list[Path], batch_of_line) -> None:
    handles = [path.open("w", encoding="utf-8", newline="") for path in targets]
    try:
        for line in _lines(source):
            handles[batch_of_line(line)].write(line)
    finally:
        for handle in handles:
            handle.close()


def _write_changed_customers(source: Path, target: Path) -> int:
    """Revise every Nth customer: a new account balance and market segment."""
    changed = 0
    with target.open("w", encoding="utf-8", newline="") as out:
        for line in _lines(source):
            fields = line.split("|")
            if int(fields[0]) % CHANGED_CUSTOMER_EVERY:
                continue
            fields[5] = f"{float(fields[5]) + 100:.2f}"
            fields[6] = "AUTOMOBILE" if fields[6] != "AUTOMOBILE" else "MACHINERY"
            out.write("|".join(fields))
            changed += 1
    return changed
