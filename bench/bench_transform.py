"""Benchmark: the Spark transform job against a DuckDB reference doing the same work.

Not a test. Seeds TPC-H raw extracts (default scale 1, cached under /tmp) plus a dirty day of
deltas (bench/dirty_extracts.py: repeats, revisions, malformed lines, rule breakers, orphans,
a drifted file), then in one run, for each engine, one fresh process that transforms the batch
twice: the first run is cold (process start to its end: JVM or interpreter, session, JIT), the
second warm (same process). Spark runs `jobs/transform.py`'s `main` (the code that runs on
Glue) on local[*]; DuckDB runs bench/transform_reference.py's SQL on as many threads as Spark
has cores. Every output the job writes (curated tables, quarantine, state, held rows) and every
count of its report is compared with the reference's, row for row; the bench fails loudly on
any difference. Prints cold and warm times apart, their ratios, each process's peak RSS, and the
Spark job's peak RSS at scale 0.1 (issue 13's memory target: scale 3 / scale 0.1 at most 1.2x).

    .venv/bin/python bench/bench_transform.py [--scale 1] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import duckdb  # noqa: E402
from bench_datasets import run_watched  # noqa: E402
from dirty_extracts import add_dirty_extracts  # noqa: E402
from transform_reference import count_queries, outputs, reference_statements  # noqa: E402

from jobs.transformation.history import batch_time  # noqa: E402
from orchestration.core.lake import Lake  # noqa: E402
from orchestration.core.layout import (  # noqa: E402
    curated_uri,
    held_uri,
    quarantine_uri,
    raw_root,
    report_uri,
    state_uri,
)
from transforms.registry import get_dataset  # noqa: E402
from transforms.tpch.seed import seed  # noqa: E402

DATASET = get_dataset("tpch")
CACHE = Path("/tmp/sfn-etl-bench/transform")
THREADS = os.cpu_count() or 1
BATCHES = ("20250102T000000Z-bench-cold", "20250102T000000Z-bench-warm")
MEMORY_BASE_SCALE = 0.1
"""The scale whose peak RSS the job's is compared with."""
REPORTED = ("read", "good", "duplicates", "quarantined", "held", "parked", "files")

SPARK_DRIVER = """
import json, sys, time
from jobs.transform import main
lake, batches = sys.argv[1], sys.argv[2:]
for batch in batches:
    main(["--lake", lake, "--dataset", "tpch", "--batch_id", batch])
    print("DONE " + json.dumps({"batch": batch, "at": time.time()}), flush=True)
"""

DUCKDB_RUNNER = r"""
import duckdb, json, os, sys, time
spec = json.load(open(sys.argv[1]))
con = duckdb.connect()
con.execute(f"SET threads = {spec['threads']}")
for out in spec['runs']:
    for statement in spec['statements']:
        try:
            con.execute(statement)
        except duckdb.Error as error:
            sys.exit(f"{error}\nin: {statement}")
    for name, table in spec['outputs'].items():
        os.makedirs(os.path.dirname(f"{out}/{name}"), exist_ok=True)
        con.execute(f"COPY {table} TO '{out}/{name}.parquet' (FORMAT parquet)")
    counts = {key: con.execute(query).fetchone()[0] for key, query in spec['counts'].items()}
    print("DONE " + json.dumps({"counts": counts, "at": time.time()}), flush=True)
"""


def seeded_lake(scale: float) -> Path:
    """A lake whose raw zone holds the seed at `scale` and the dirty day, seeded once."""
    root = CACHE / f"sf{scale}" / "lake"
    marker = root.parent / "seeded"
    if not marker.exists():
        shutil.rmtree(root.parent, ignore_errors=True)
        started = time.perf_counter()
        seed(Lake(str(root)), scale=scale, batches=1)
        add_dirty_extracts(Path(raw_root(Lake(str(root)))) / DATASET.name)
        print(f"seeded scale {scale} in {time.perf_counter() - started:.1f} s", flush=True)
        marker.touch()
    return root


def _clear_outputs(lake: Path) -> None:
    for zone in lake.iterdir():
        if zone.name != "raw":
            shutil.rmtree(zone)


def _done_lines(stdout: str) -> list[dict]:
    return [json.loads(line[5:]) for line in stdout.splitlines() if line.startswith("DONE ")]


def _cold_and_warm(command: list[str], env: dict, what: str) -> tuple[float, float, float, list]:
    """Cold and warm seconds, peak RSS (MiB) of the process tree's largest process, and what
    each run printed after DONE."""
    started = time.time()
    completed, peak_kib = run_watched(command, env)
    if completed.returncode != 0:
        log = CACHE / f"failed-{what.replace(' ', '-')}.log"
        log.write_text(completed.stderr)
        causes = [line for line in completed.stderr.splitlines() if "Error" in line][:5]
        raise SystemExit(f"{what} failed (its whole stderr: {log}):\n" + "\n".join(causes))
    done = _done_lines(completed.stdout)
    if len(done) != len(BATCHES):
        raise SystemExit(f"{what} finished {len(done)} of {len(BATCHES)} runs:\n{completed.stdout}")
    return done[0]["at"] - started, done[1]["at"] - done[0]["at"], peak_kib / 1024, done


def run_spark(lake: Path) -> tuple[float, float, float]:
    _clear_outputs(lake)
    driver = CACHE / "spark_driver.py"
    driver.write_text(SPARK_DRIVER)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    command = [str(bin_dir / "spark-submit"), "--driver-memory", "2g", str(driver)]
    cold, warm, peak, _ = _cold_and_warm([*command, str(lake), *BATCHES], env, "the Spark job")
    return cold, warm, peak


def run_duckdb(lake: Path) -> tuple[float, float, float, dict]:
    out = CACHE / "duckdb-out"
    shutil.rmtree(out, ignore_errors=True)
    held_since = batch_time(BATCHES[0]).strftime("%Y-%m-%d %H:%M:%S")
    spec = {
        "threads": THREADS,
        "statements": reference_statements(DATASET, raw_root(Lake(str(lake))), held_since),
        "outputs": outputs(DATASET),
        "counts": count_queries(DATASET),
        "runs": [str(out / batch) for batch in BATCHES],
    }
    spec_file = CACHE / "duckdb_spec.json"
    spec_file.write_text(json.dumps(spec))
    command = [sys.executable, "-c", DUCKDB_RUNNER, str(spec_file)]
    cold, warm, peak, done = _cold_and_warm(command, dict(os.environ), "the DuckDB reference")
    return cold, warm, peak, done[0]["counts"]


def _spark_output(lake: Lake, name: str, batch_id: str) -> str:
    zone, table = name.split("/")
    uri_of = {
        "curated": curated_uri,
        "quarantine": quarantine_uri,
        "state": state_uri,
        "held": held_uri,
    }[zone]
    return uri_of(lake, DATASET.name, table, batch_id) + "/*.parquet"


def differences(lake_root: Path, duck_counts: dict) -> list[str]:
    """Every way the job's first run differs from the reference's: columns, rows, counts."""
    lake = Lake(str(lake_root))
    batch_id = BATCHES[0]
    found = []
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name in outputs(DATASET):
        written = _spark_output(lake, name, batch_id)
        spark = f"read_parquet('{written}', hive_partitioning=false)"
        duck = f"read_parquet('{CACHE / 'duckdb-out' / batch_id / name}.parquet')"
        if not Path(written).parent.exists():
            # The job writes no quarantine folder for a raw table it rejected no rows of.
            (rows,) = con.execute(f"SELECT count(*) FROM {duck}").fetchone()
            if rows or not name.startswith("quarantine/"):
                found.append(f"{name}: the job wrote nothing, the reference {rows} rows")
            continue
        spark_columns = con.execute(f"DESCRIBE SELECT * FROM {spark}").fetchall()
        duck_columns = con.execute(f"DESCRIBE SELECT * FROM {duck}").fetchall()
        spark_columns = [c[:2] for c in spark_columns]
        duck_columns = [c[:2] for c in duck_columns]
        if spark_columns != duck_columns:
            apart = [c for c in spark_columns if c not in duck_columns]
            apart += [c for c in duck_columns if c not in spark_columns]
            found.append(f"{name}: the columns differ: {apart}")
            continue
        for only, first, second in (("Spark", spark, duck), ("DuckDB", duck, spark)):
            rows = con.execute(f"SELECT * FROM {first} EXCEPT ALL SELECT * FROM {second}")
            extra = rows.fetchmany(3)
            if extra:
                found.append(f"{name}: rows only {only} has, e.g. {extra}")
    report = lake.read_json(report_uri(lake, DATASET.name, batch_id))
    for table, counts in report["raw"].items():
        for key in REPORTED:
            if counts[key] != duck_counts.get(f"{table}.{key}", 0):
                found.append(
                    f"{table}.{key}: {counts[key]} (Spark) vs "
                    f"{duck_counts.get(f'{table}.{key}')} (DuckDB)"
                )
    for table, counts in report["curated"].items():
        if counts["written"] != duck_counts[f"{table}.written"]:
            found.append(
                f"{table}.written: {counts['written']} vs {duck_counts[f'{table}.written']}"
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    small, large = seeded_lake(MEMORY_BASE_SCALE), seeded_lake(args.scale)
    _, _, small_rss = run_spark(small)
    results: dict[str, list[tuple[float, float, float]]] = {"spark": [], "duckdb": []}
    for _ in range(args.repeat):
        cold, warm, rss, duck_counts = run_duckdb(large)
        results["duckdb"].append((cold, warm, rss))
        results["spark"].append(run_spark(large))
        found = differences(large, duck_counts)
        if found:
            raise SystemExit(
                "the job's output differs from the reference's:\n  " + "\n  ".join(found)
            )
    medians = {
        engine: [statistics.median(run[i] for run in runs) for i in range(3)]
        for engine, runs in results.items()
    }
    rows = duck_counts["fact_sales.written"]
    print(
        f"\ntransform at TPC-H scale {args.scale} plus a dirty day ({rows:,} fact_sales rows; "
        f"outputs and counts identical), {THREADS} cores, median of {args.repeat}:"
    )
    print(f"  {'engine':<32}{'cold s':>9}{'warm s':>9}{'peak RSS MiB':>14}")
    names = {"spark": "Spark local[*] (the job)", "duckdb": f"DuckDB reference ({THREADS} threads)"}
    for engine, (cold, warm, rss) in medians.items():
        print(f"  {names[engine]:<32}{cold:>9.1f}{warm:>9.1f}{rss:>14.0f}")
    spark, duck = medians["spark"], medians["duckdb"]
    print(
        f"  ratio Spark/DuckDB: cold {spark[0] / duck[0]:.1f}x, warm {spark[1] / duck[1]:.1f}x "
        "(target: at most 3x)"
    )
    print(
        f"  Spark peak RSS at scale {MEMORY_BASE_SCALE}: {small_rss:.0f} MiB "
        f"(scale {args.scale} / scale {MEMORY_BASE_SCALE}: {spark[2] / small_rss:.2f}x, "
        "target: at most 1.2x at scale 3)"
    )


if __name__ == "__main__":
    main()
