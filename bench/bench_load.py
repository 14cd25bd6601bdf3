"""Load benchmark: fact_sales at TPC-H scale 1 into PostgreSQL, side by side in one run.

    eval "$(bash tests/postgres.sh start)"
    .venv/bin/python bench/bench_load.py [--scale 1] [--small-scale 0.1] [--repeat 2]

Figures (first loads: the median of --repeat runs, alternated so drift hits every side alike):
  - raw COPY FROM STDIN of the same rows (Arrow batches -> CSV -> psycopg), into a heap table and
    into a table with the target's primary key: the baselines;
  - the adapter's first load into an empty target (COPY straight into it, audit, commit), in
    rows/s and as a ratio to the raw COPY into the keyed table;
  - MERGE into a full target (stage by COPY, diff, MERGE, audit): the same rows again under a new
    batch id (nothing changed), then every row changed;
  - the loader's peak RSS at the small and the large scale (a subprocess per load), which must
    not grow with the table.
TPC-H data and the transform job's curated Parquet are cached under --cache
(default /tmp/sfn-etl-bench).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make the package importable

import duckdb  # noqa: E402
import psycopg  # noqa: E402
import pyarrow.csv as pa_csv  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from orchestration.core.lake import Lake  # noqa: E402
from orchestration.warehouse.postgres_adapter import PostgresWarehouse  # noqa: E402
from orchestration.warehouse.tables import get_table, quote  # noqa: E402
from transforms.tpch.seed import seed  # noqa: E402

DATASET = "tpch"
BATCH = "bench"
FACT = get_table(DATASET, "fact_sales")


def prepare(scale: float, cache: Path) -> tuple[Path, Path]:
    """fact_sales as the transform job writes it at `scale`, and a copy of it with every row
    changed."""
    lake = cache / f"s{scale:g}" / "lake"
    curated = lake / "curated" / DATASET / FACT.name / f"batch_id={BATCH}"
    if not (curated / "_SUCCESS").exists():
        shutil.rmtree(lake, ignore_errors=True)
        seed(Lake(str(lake)), scale=scale, batches=1)
        transform = [sys.executable, "-m", "jobs.transform", "--dataset", DATASET]
        subprocess.run([*transform, "--lake", str(lake), "--batch_id", BATCH], check=True)
    changed = lake.parent / "fact_sales_changed"
    if not (changed / "part-00000.parquet").exists():
        changed.mkdir(parents=True, exist_ok=True)
        with duckdb.connect() as conn:
            conn.execute("SET enable_progress_bar = false")
            conn.execute(
                f"COPY (SELECT * REPLACE (ship_mode || '*' AS ship_mode) "
                f"FROM read_parquet('{curated}/*.parquet')) "
                f"TO '{changed}/part-00000.parquet' (FORMAT parquet)"
            )
    return curated, changed


def fresh_database(server: str) -> str:
    name = f"sfn_etl_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def drop_database(server: str, dsn: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{urlsplit(dsn).path.lstrip("/")}" WITH (FORCE)')


def raw_copy(dsn: str, curated: Path, keyed: bool) -> float:
    """Seconds to COPY every row into a new table, with the least code that can do it."""
    name = "raw_keyed" if keyed else "raw_heap"
    table = dataclasses.replace(FACT, name=name)
    create = table.create_sql("postgresql")
    if not keyed:
        create = create.replace(',\n    PRIMARY KEY ("order_key", "line_number")', "")
    columns = ", ".join(map(quote, FACT.column_names))
    options = pa_csv.WriteOptions(include_header=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(table.schema)}")
        conn.execute(f"DROP TABLE IF EXISTS {table.qualified}")
        conn.execute(create)
        started = time.perf_counter()
        copy_sql = f"COPY {table.qualified} ({columns}) FROM STDIN (FORMAT csv)"
        with conn.transaction(), conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for path in sorted(curated.glob("*.parquet")):
                for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536):
                    buffer = io.BytesIO()
                    pa_csv.write_csv(batch, buffer, options)
                    copy.write(buffer.getbuffer())
        seconds = time.perf_counter() - started
        conn.execute(f"DROP TABLE {table.qualified}")
    return seconds


def child_load(dsn: str, batch_id: str, curated: Path) -> dict:
    """The adapter's load in a process of its own, so its peak RSS is the loader's alone."""
    output = subprocess.run(
        [sys.executable, __file__, "_child", dsn, batch_id, str(curated)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM): unlike ru_maxrss it is not inherited across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _child(dsn: str, batch_id: str, curated: str) -> None:
    phases: dict[str, float] = {}

    class Timed(PostgresWarehouse):
        def _copy_into(self, conn, name, table, curated_uri):  # noqa: ANN001, ANN202 - probe
            started = time.perf_counter()
            rows = super()._copy_into(conn, name, table, curated_uri)
            phases["copy"] = time.perf_counter() - started
            return rows

    imports_mib = _peak_rss_mib()
    with Timed(dsn) as warehouse:
        started = time.perf_counter()
        result = warehouse.load(batch_id, DATASET, FACT.name, curated)
        seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "copy": phases["copy"],
                "result": result.as_dict(),
                "imports_mib": imports_mib,
                "peak_mib": _peak_rss_mib(),
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--small-scale", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sfn-etl-bench"))
    parser.add_argument("--dsn", default=os.environ.get("SFN_ETL_TEST_PG_DSN"))
    args = parser.parse_args(argv)
    if not args.dsn:
        parser.error('no server: eval "$(bash tests/postgres.sh start)" or pass --dsn')

    began = time.perf_counter()
    curated, changed = prepare(args.scale, args.cache)
    small, _ = prepare(args.small_scale, args.cache)
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in curated.glob("*.parquet"))
    print(f"prepared data in {time.perf_counter() - began:.0f} s; running...", file=sys.stderr)

    load_before = os.getloadavg()[0]
    heap, keyed, loads = [], [], []
    scratch = fresh_database(args.dsn)
    for _ in range(args.repeat):
        heap.append(raw_copy(scratch, curated, keyed=False))
        keyed.append(raw_copy(scratch, curated, keyed=True))
        target = fresh_database(args.dsn)
        loads.append(child_load(target, "b1", curated))
        if len(loads) < args.repeat:
            drop_database(args.dsn, target)
    drop_database(args.dsn, scratch)
    unchanged = child_load(target, "b2", curated)
    all_changed = child_load(target, "b3", changed)
    drop_database(args.dsn, target)
    small_db = fresh_database(args.dsn)
    small_load = child_load(small_db, "b1", small)
    drop_database(args.dsn, small_db)

    load_s = statistics.median(r["seconds"] for r in loads)
    copy_s = statistics.median(r["copy"] for r in loads)
    heap_s, keyed_s = statistics.median(heap), statistics.median(keyed)

    def line(label: str, seconds: float, ratio: str = "") -> None:
        print(f"  {label:<48} {seconds:7.1f} s {rows / seconds:>10,.0f} rows/s  {ratio}")

    def part(label: str, seconds: float) -> None:
        print(f"    {label:<46} {seconds:7.1f} s")

    print(
        f"\nfact_sales at TPC-H scale {args.scale:g}: {rows:,} rows; first loads: medians of "
        f"{args.repeat}; load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs"
    )
    line("raw COPY FROM STDIN, heap table", heap_s, f"{keyed_s / heap_s:.2f}x the keyed COPY")
    line("raw COPY FROM STDIN, table with primary key", keyed_s, "1.00x (baseline)")
    line("adapter, first load into an empty target", load_s, f"{keyed_s / load_s:.2f}x")
    part("of which COPY into the target + ANALYZE", copy_s)
    part("of which DDL, checks, audit row, commit", load_s - copy_s)
    merges = (("0 changed", unchanged), ("all changed", all_changed))
    for label, run in merges:
        counts = run["result"]
        line(
            f"adapter, MERGE into a full target, {label}",
            run["seconds"],
            f"{keyed_s / run['seconds']:.2f}x",
        )
        part("of which staging COPY + ANALYZE", run["copy"])
        part(
            f"of which checks, diff, MERGE, audit ({counts['updated']:,} updated)",
            run["seconds"] - run["copy"],
        )
    print(
        f"  loader peak RSS: scale {args.small_scale:g} {small_load['peak_mib']:.0f} MiB, "
        f"scale {args.scale:g} {max(r['peak_mib'] for r in loads):.0f} MiB first load, "
        f"{max(unchanged['peak_mib'], all_changed['peak_mib']):.0f} MiB MERGE "
        f"(after imports {loads[0]['imports_mib']:.0f} MiB; "
        f"{rows / small_load['result']['rows_staged']:.0f}x the rows)"
    )
    print(f"  total bench time {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "_child":
        _child(*sys.argv[2:])
    else:
        sys.exit(main())
