"""Benchmark: the Spark transform job against the same star schema in DuckDB SQL.

Not a test. Generates TPC-H raw extracts (default scale 1, cached under /tmp), then in one run
times, each in a fresh subprocess so start-up counts and peak memory is the process's own:
  * `jobs/transform.py` on local Spark (the code that runs on Glue),
  * the same raw files -> the same five tables in DuckDB SQL,
and prints times, the ratio and each one's peak RSS. The Spark job also runs at a tenth of the
scale to show the driver's memory does not grow with the data.

    .venv/bin/python bench/bench_transform.py [--scale 1] [--repeat 1]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orchestration.core.lake import Lake  # noqa: E402
from orchestration.core.layout import raw_root  # noqa: E402
from transforms.registry import get_dataset  # noqa: E402
from transforms.schemas import spark_schema  # noqa: E402
from transforms.tpch.seed import seed  # noqa: E402

DATASET = "tpch"

CACHE = Path("/tmp/sfn-etl-bench")

DUCKDB_STAR_SCHEMA = """
import sys, duckdb
raw, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET threads = 2")
def load(table, folder, columns):
    cols = ", ".join(f"'{name}': '{kind}'" for name, kind in columns)
    con.execute(f'''CREATE TABLE {table} AS SELECT * FROM read_csv(
        '{raw}/{folder}/*/*.tbl', delim='|', header=false, columns={{{cols}}},
        null_padding=true, filename=true)''')
{loads}
con.execute('''CREATE TABLE li AS SELECT * FROM lineitem
    QUALIFY row_number() OVER (PARTITION BY l_orderkey, l_linenumber
                               ORDER BY filename DESC) = 1''')
con.execute('''CREATE TABLE fact_sales AS SELECT l_orderkey order_key, l_linenumber line_number,
    o_custkey customer_key, l_partkey part_key, l_suppkey supplier_key,
    CAST(strftime(o_orderdate, '%Y%m%d') AS INT) order_date_key, o_orderdate order_date,
    l_shipdate ship_date, l_commitdate commit_date, l_receiptdate receipt_date,
    l_quantity quantity, l_extendedprice extended_price, l_discount discount, l_tax tax,
    CAST(round(l_extendedprice * (1 - l_discount), 2) AS DECIMAL(18,2)) revenue,
    l_returnflag return_flag, l_linestatus line_status, l_shipmode ship_mode,
    l_shipinstruct ship_instruct, o_orderstatus order_status, o_orderpriority order_priority
    FROM li JOIN orders ON l_orderkey = o_orderkey''')
con.execute(f"COPY fact_sales TO '{out}/fact_sales' (FORMAT parquet, PER_THREAD_OUTPUT)")
con.execute(f'''COPY (SELECT c_custkey customer_key, c_name AS name, c_address address,
    c_phone phone, c_acctbal account_balance, c_mktsegment market_segment,
    n_nationkey nation_key, n_name nation_name, r_regionkey region_key, r_name region_name
    FROM customer JOIN nation ON c_nationkey = n_nationkey
    JOIN region ON n_regionkey = r_regionkey) TO '{out}/dim_customer.parquet' (FORMAT parquet)''')
con.execute(f'''COPY (SELECT s_suppkey supplier_key, s_name AS name, s_address address,
    s_phone phone, s_acctbal account_balance, n_nationkey nation_key, n_name nation_name,
    r_regionkey region_key, r_name region_name FROM supplier
    JOIN nation ON s_nationkey = n_nationkey JOIN region ON n_regionkey = r_regionkey)
    TO '{out}/dim_supplier.parquet' (FORMAT parquet)''')
con.execute(f'''COPY (SELECT p_partkey part_key, p_name AS name, p_mfgr manufacturer,
    p_brand brand, p_type part_type, p_size AS size, p_container container,
    p_retailprice retail_price FROM part) TO '{out}/dim_part.parquet' (FORMAT parquet)''')
con.execute(f'''COPY (SELECT CAST(strftime(d, '%Y%m%d') AS INT) date_key, CAST(d AS DATE) AS date,
    year(d) AS year, quarter(d) AS quarter, month(d) AS month, monthname(d) month_name,
    day(d) AS day_of_month, isodow(d) day_of_week, dayname(d) day_name, weekofyear(d) week_of_year,
    isodow(d) >= 6 is_weekend FROM (SELECT unnest(generate_series(
        (SELECT min(least(order_date, ship_date, commit_date, receipt_date)) FROM fact_sales),
        (SELECT max(greatest(order_date, ship_date, commit_date, receipt_date)) FROM fact_sales),
        INTERVAL 1 DAY)) d)) TO '{out}/dim_date.parquet' (FORMAT parquet)''')
print(con.execute("SELECT count(*) FROM fact_sales").fetchone()[0])
"""

DUCKDB_TYPES = {"bigint": "BIGINT", "int": "INTEGER", "date": "DATE", "string": "VARCHAR"}


def duckdb_script() -> str:
    loads = []
    dataset = get_dataset(DATASET)
    for table in ("region", "nation", "customer", "supplier", "part", "orders", "lineitem"):
        raw = dataset.raw(table)
        columns = [
            (f.name, DUCKDB_TYPES.get(f.dataType.simpleString(), f.dataType.simpleString()))
            for f in spark_schema(raw.fields).fields
        ]
        loads.append(f"load({table!r}, {dataset.folder_of(raw)!r}, {columns!r})")
    return DUCKDB_STAR_SCHEMA.replace("{loads}", "\n".join(loads))


def seeded_lake(scale: float) -> Path:
    root = CACHE / f"sf{scale}" / "lake"
    marker = root.parent / "seeded"
    if not marker.exists():
        shutil.rmtree(root.parent, ignore_errors=True)
        started = time.perf_counter()
        seed(Lake(str(root)), scale=scale, batches=1)
        print(f"seeded scale {scale} in {time.perf_counter() - started:.1f} s", flush=True)
        marker.touch()
    return root


MEASURE = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print('peak_rss_kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
    "file=sys.stderr); sys.exit(code)"
)


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of the command's largest process, and its stdout.

    A fresh wrapper process per command, so the peak is this command's alone.
    """
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{command[-4:]} failed:\n{completed.stderr[-3000:]}")
    peak_kib = int(completed.stderr.strip().splitlines()[-1].split()[-1])
    return elapsed, peak_kib / 1024, completed.stdout


def spark_command(lake: Path, batch_id: str) -> list[str]:
    env_python = str(Path(sys.executable).parent)
    spark_submit = str(Path(env_python) / "spark-submit")
    return [
        "env",
        f"PATH={env_python}:/usr/bin:/bin",
        spark_submit,
        "--driver-memory",
        "2g",
        str(REPO / "jobs" / "transform.py"),
        "--lake",
        str(lake),
        "--dataset",
        DATASET,
        "--batch_id",
        batch_id,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    small = seeded_lake(args.scale / 10)
    large = seeded_lake(args.scale)
    small_time, small_rss, _ = timed(spark_command(small, "bench-small"))

    spark_times, duck_times, spark_rss, duck_rss = [], [], 0.0, 0.0
    script = duckdb_script()
    for run in range(args.repeat):
        out = CACHE / "duckdb-out"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        raw = raw_root(Lake(str(large)))
        seconds, rss, rows = timed([sys.executable, "-c", script, raw, str(out)])
        duck_times.append(seconds)
        duck_rss = max(duck_rss, rss)
        seconds, rss, stdout = timed(spark_command(large, f"bench-{run}"))
        spark_times.append(seconds)
        spark_rss = max(spark_rss, rss)
    spark_median = statistics.median(spark_times)
    duck_median = statistics.median(duck_times)
    print(
        f"\ntransform at TPC-H scale {args.scale} (fact_sales rows: {rows.strip()}), "
        f"median of {args.repeat}:"
    )
    print(f"  {'engine':<28}{'seconds':>10}{'peak RSS MiB':>15}")
    print(f"  {'Spark local[*] (the job)':<28}{spark_median:>10.1f}{spark_rss:>15.0f}")
    print(f"  {'DuckDB SQL':<28}{duck_median:>10.1f}{duck_rss:>15.0f}")
    print(f"  ratio Spark/DuckDB: {spark_median / duck_median:.1f}x (aim: at most 8x)")
    print(
        f"  Spark at scale {args.scale / 10}: {small_time:.1f} s, peak RSS {small_rss:.0f} MiB "
        f"(driver memory vs scale {args.scale}: {spark_rss / small_rss:.2f}x)"
    )


if __name__ == "__main__":
    main()
