"""Benchmark: the local loop, both shipped datasets at their `make run` sizes, cold and warm.

Not a test. Both sides run the same execution (Extract, Transform, Validate, Load into DuckDB,
catalog, Commit) of TPC-H at scale 0.01 in three daily extracts and one month of nycflights13,
over raw extracts seeded once (cached under /tmp), each on a fresh lake, warehouse and state
directory:
  - cold: `sfn-etl run` in a fresh process, interpreter and JVM start included;
  - warm: a second execution in the process that ran a first one, as `sfn-etl schedule` and
    `sfn-etl watch` run them (the Spark session and imports are warm).
Every execution must commit both datasets with the same rows loaded into each table, or the
bench fails. Prints the medians, the targets of issue 13 (15 s cold, 6 s warm) and the ratios.
With --candidate, every run is repeated with those Spark settings (SFN_ETL_SPARK_CONF), the two
sides alternated, and the ratios between them printed.

    .venv/bin/python bench/bench_run.py [--repeat 3] [--candidate "key=value;key=value"]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from jobs.runtime import SPARK_CONF_ENV  # noqa: E402
from orchestration.core.lake import Lake  # noqa: E402
from transforms.registry import get_dataset, resolve  # noqa: E402

CACHE = Path("/tmp/sfn-etl-bench/run")
SEEDS = {"tpch": {"scale": 0.01, "batches": 3}, "nycflights13": {"months": 1}}
"""The sizes `make run` seeds."""
COLD_TARGET_SECONDS = 15.0
WARM_TARGET_SECONDS = 6.0

WARM_SCRIPT = """
import contextlib, json, os, sys, time
from orchestration.core.settings import Settings
from orchestration.engine import RunRequest, run_execution
from orchestration.engine.summary import summarize

results = []
for work in sys.argv[1:]:
    os.environ.update(SFN_ETL_LAKE=f"{work}/lake", SFN_ETL_HOME=f"{work}/home")
    settings = Settings.from_env()
    started = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        result = run_execution(settings, RunRequest())
    seconds = time.perf_counter() - started
    summary = summarize(result.record, result.events, settings.open_lake())
    results.append({"seconds": seconds, "summary": summary})
print(json.dumps(results))
"""


def seeded_raw() -> Path:
    """One raw zone holding both datasets' extracts, seeded once."""
    root = CACHE / "seeded" / "lake"
    marker = root.parent / "done"
    if not marker.exists():
        shutil.rmtree(root.parent, ignore_errors=True)
        for name, options in SEEDS.items():
            dataset = get_dataset(name)
            resolve(dataset, dataset.seed)(Lake(str(root)), **options)
        marker.touch()
    return root / "raw"


def environment(work: Path, raw: Path, spark_conf: str) -> dict[str, str]:
    env = {
        **os.environ,
        "SFN_ETL_LAKE": str(work / "lake"),
        "SFN_ETL_LAKE_RAW": str(raw),
        "SFN_ETL_HOME": str(work / "home"),
        SPARK_CONF_ENV: spark_conf,
    }
    env.pop("SFN_ETL_WAREHOUSE", None)
    return env


def loaded_rows(summary: dict) -> dict[str, int]:
    """table -> rows staged, for each committed dataset; fails unless both committed."""
    if summary["status"] != "SUCCEEDED":
        raise SystemExit(
            f"execution {summary['execution']} {summary['status']}: "
            f"{json.dumps(summary, indent=1)[:4000]}"
        )
    rows = {}
    for name, entry in summary["datasets"].items():
        if entry["status"] != "committed":
            raise SystemExit(f"{name}: {entry['status']}: {entry.get('cause')}")
        rows |= {f"{name}.{t}": load["rows_staged"] for t, load in entry["tables"].items()}
    if set(name for name in summary["datasets"]) != set(SEEDS):
        raise SystemExit(f"datasets run: {sorted(summary['datasets'])}, expected {sorted(SEEDS)}")
    return rows


def cold_run(raw: Path, spark_conf: str) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory(prefix="sfn-etl-bench-") as tmp:
        command = [str(Path(sys.executable).with_name("sfn-etl")), "run", "--json"]
        started = time.perf_counter()
        completed = subprocess.run(
            command, capture_output=True, text=True, env=environment(Path(tmp), raw, spark_conf)
        )
        seconds = time.perf_counter() - started
        if completed.returncode != 0:
            raise SystemExit(f"the cold run failed:\n{completed.stderr[-3000:]}")
        return seconds, loaded_rows(json.loads(completed.stdout))


def warm_pair(raw: Path, spark_conf: str) -> list[tuple[float, dict]]:
    """Two executions in one process, each on a lake of its own: (seconds, rows) of each."""
    with tempfile.TemporaryDirectory(prefix="sfn-etl-bench-") as tmp:
        works = [Path(tmp) / "first", Path(tmp) / "second"]
        env = environment(works[0], raw, spark_conf)
        completed = subprocess.run(
            [sys.executable, "-c", WARM_SCRIPT, *map(str, works)],
            capture_output=True,
            text=True,
            env=env,
        )
        if completed.returncode != 0:
            raise SystemExit(f"the warm runs failed:\n{completed.stderr[-3000:]}")
        return [(r["seconds"], loaded_rows(r["summary"])) for r in json.loads(completed.stdout)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--candidate", help="Spark settings to compare with the defaults")
    args = parser.parse_args()
    raw = seeded_raw()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    sides = {"defaults": ""} | ({"candidate": args.candidate} if args.candidate else {})
    samples = {side: {"cold": [], "first": [], "warm": []} for side in sides}
    outputs = []
    for _ in range(args.repeat):  # alternated, so drift hits every side alike
        for side, spark_conf in sides.items():
            seconds, rows = cold_run(raw, spark_conf)
            (first_seconds, first_rows), (warm_seconds, warm_rows) = warm_pair(raw, spark_conf)
            samples[side]["cold"].append(round(seconds, 1))
            samples[side]["first"].append(round(first_seconds, 1))
            samples[side]["warm"].append(round(warm_seconds, 1))
            outputs += [rows, first_rows, warm_rows]
    if any(rows != outputs[0] for rows in outputs):
        raise SystemExit(f"the executions loaded different rows: {outputs}")
    print(f"rows loaded by every execution: {outputs[0]}")
    medians = {side: {k: statistics.median(v) for k, v in s.items()} for side, s in samples.items()}
    for side, spark_conf in sides.items():
        cold, warm = medians[side]["cold"], medians[side]["warm"]
        print(f"{side} {spark_conf}: medians of {args.repeat}")
        print(
            f"  cold process (`sfn-etl run`):     {cold:6.1f} s   target "
            f"{COLD_TARGET_SECONDS:.0f} s: {cold / COLD_TARGET_SECONDS:.1f}x the target"
        )
        print(f"  first execution in process:      {medians[side]['first']:6.1f} s")
        print(
            f"  second execution, warm session:  {warm:6.1f} s   target "
            f"{WARM_TARGET_SECONDS:.0f} s: {warm / WARM_TARGET_SECONDS:.1f}x the target"
        )
        print(f"  samples: {samples[side]}")
    if args.candidate:
        for kind in ("cold", "warm"):
            ratio = medians["defaults"][kind] / medians["candidate"][kind]
            print(f"defaults / candidate, {kind}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
