"""Benchmark: the validate job's time as a share of the transform's, measured in one run.

Not a test. Seeds TPC-H raw extracts at scale 1 in one batch (cached under /tmp), then in one
process on one local Spark session (as the local engine runs jobs), twice over the same batch
(every zone but raw cleared in between, so both rounds do the same work), times:
  1. the transform job over the batch,
  2. the validate job over every curated table of the batch (dimension keys from the batch);
the first round is cold (the session's first jobs: JIT, Great Expectations' first context), the
second warm. Then, warm, the validation of fact_sales alone, its dimension keys read from a
DuckDB warehouse that already holds the dimensions (a later batch carrying only orders and
lineitem). Prints the times side by side with the shares, cold against cold and warm against
warm. Aim (issue 13): validation at most 10% of the transform, both warm.

    .venv/bin/python bench/bench_validate.py [--scale 1]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from jobs import transform, validate  # noqa: E402
from jobs.runtime import local_session  # noqa: E402
from orchestration.core.lake import RAW, Lake  # noqa: E402
from orchestration.core.layout import curated_uri  # noqa: E402
from orchestration.warehouse.tables import get_table, quote  # noqa: E402
from transforms.registry import get_dataset  # noqa: E402
from transforms.tpch.seed import seed  # noqa: E402

CACHE = Path("/tmp/sfn-etl-bench-validate")
DATASET = "tpch"
BATCH = "bench"
DIMENSIONS = ("dim_customer", "dim_part", "dim_supplier", "dim_date")


def seeded_lake(scale: float) -> Path:
    """Raw extracts seeded once per scale."""
    root = CACHE / f"sf{scale}" / "lake"
    marker = root.parent / "seeded"
    if not marker.exists():
        shutil.rmtree(root.parent, ignore_errors=True)
        started = time.perf_counter()
        seed(Lake(str(root)), scale=scale, batches=1)
        print(f"seeded scale {scale} in {time.perf_counter() - started:.1f} s", flush=True)
        marker.touch()
    return root


def clear_outputs(root: Path) -> None:
    """Every zone but raw removed, so a round starts from the seeded extracts alone."""
    for zone in root.iterdir():
        if zone.name != RAW:
            shutil.rmtree(zone)


def warehouse_with_dimensions(root: Path) -> str:
    """A DuckDB warehouse holding the batch's dimensions, as an earlier load left it."""
    path = root.parent / "warehouse.duckdb"
    path.unlink(missing_ok=True)
    lake = Lake(str(root))
    with duckdb.connect(str(path)) as conn:
        for table in DIMENSIONS:
            files = f"{curated_uri(lake, DATASET, table, BATCH)}/*.parquet"
            definition = get_table(DATASET, table)
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(definition.schema)}")
            conn.execute(
                f"CREATE TABLE {definition.qualified} AS SELECT * FROM read_parquet('{files}')"
            )
    return f"duckdb:///{path}"


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()

    root = seeded_lake(args.scale)
    lake = Lake(str(root))
    spark = local_session("bench-validate")
    no_warehouse = f"duckdb:///{root.parent / 'absent.duckdb'}"
    argv = ["--lake", str(root), "--dataset", DATASET, "--batch_id", BATCH]

    rounds = {}
    for round_name in ("cold", "warm"):
        clear_outputs(root)
        transform_s, _ = timed(lambda: transform.main(argv))
        validate_s, _ = timed(lambda: validate.main([*argv, "--warehouse", no_warehouse]))
        rounds[round_name] = (transform_s, validate_s)

    warehouse = warehouse_with_dimensions(root)
    plan = validate.plan_batch(lake, get_dataset(DATASET), BATCH)
    facts_only = validate.BatchPlan(
        BATCH,
        plan.dataset,
        {"fact_sales": plan.counts["fact_sales"]},
        {"fact_sales": plan.uris["fact_sales"]},
        {"fact_sales": plan.suites["fact_sales"]},
    )
    facts_s, summary = timed(
        lambda: validate.validate_batch(spark, lake, facts_only, 0.01, warehouse)
    )
    fact_entry = summary["tables"]["fact_sales"]

    rows = plan.counts["fact_sales"]["written"]
    print(f"\nTPC-H scale {args.scale}, one batch, fact_sales {rows:,} rows, Spark local[*]:")
    print(f"  {'step':<44}{'seconds':>9}{'share of its transform':>24}")
    for round_name, (transform_s, validate_s) in rounds.items():
        print(f"  {f'transform, all tables ({round_name})':<44}{transform_s:>9.1f}")
        share = f"{validate_s / transform_s:.1%}"
        print(f"  {f'validate, every table ({round_name})':<44}{validate_s:>9.1f}{share:>24}")
    warm_transform_s = rounds["warm"][0]
    share = f"{facts_s / warm_transform_s:.1%}"
    print(f"  {'validate, fact_sales, warehouse keys (warm)':<44}{facts_s:>9.1f}{share:>24}")
    print(
        f"  fact_sales: {fact_entry['evaluated']} expectations evaluated, "
        f"success={fact_entry['success']} "
        "(aim: validate at most 10% of the transform, both warm)"
    )


if __name__ == "__main__":
    main()
