"""Curated Parquet built from tpchgen-cli output with DuckDB SQL, for the load tests and the bench.

It stands in for the Spark transform: same tables, columns and Parquet types as the tpch
declaration (cast column by column from the table definitions), not the same code.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.warehouse.tables import get_table, quote, sql_type, tables_of
from transforms.registry import get_dataset

TABLES = tuple(t.name for t in tables_of("tpch"))

_SELECTS = {
    "fact_sales": """
        SELECT l_orderkey AS order_key, l_linenumber AS line_number, o_custkey AS customer_key,
               l_partkey AS part_key, l_suppkey AS supplier_key,
               CAST(strftime(o_orderdate, '%Y%m%d') AS INTEGER) AS order_date_key,
               o_orderdate AS order_date, l_shipdate AS ship_date, l_commitdate AS commit_date,
               l_receiptdate AS receipt_date, l_quantity AS quantity,
               l_extendedprice AS extended_price, l_discount AS discount, l_tax AS tax,
               round(l_extendedprice * (1 - l_discount), 2) AS revenue,
               l_returnflag AS return_flag, l_linestatus AS line_status, l_shipmode AS ship_mode,
               l_shipinstruct AS ship_instruct, o_orderstatus AS order_status,
               o_orderpriority AS order_priority
        FROM lineitem JOIN orders ON l_orderkey = o_orderkey""",
    "dim_customer": """
        SELECT c_custkey AS customer_key, c_name AS name, c_address AS address, c_phone AS phone,
               c_acctbal AS account_balance, c_mktsegment AS market_segment,
               n_nationkey AS nation_key, n_name AS nation_name, r_regionkey AS region_key,
               r_name AS region_name
        FROM customer JOIN nation ON c_nationkey = n_nationkey
                      JOIN region ON n_regionkey = r_regionkey""",
    "dim_supplier": """
        SELECT s_suppkey AS supplier_key, s_name AS name, s_address AS address, s_phone AS phone,
               s_acctbal AS account_balance, n_nationkey AS nation_key, n_name AS nation_name,
               r_regionkey AS region_key, r_name AS region_name
        FROM supplier JOIN nation ON s_nationkey = n_nationkey
                      JOIN region ON n_regionkey = r_regionkey""",
    "dim_part": """
        SELECT p_partkey AS part_key, p_name AS name, p_mfgr AS manufacturer, p_brand AS brand,
               p_type AS part_type, p_size AS size, p_container AS container,
               p_retailprice AS retail_price
        FROM part""",
    "dim_date": """
        SELECT CAST(strftime(d, '%Y%m%d') AS INTEGER) AS date_key, d AS date, year(d) AS year,
               quarter(d) AS quarter, month(d) AS month, monthname(d) AS month_name,
               day(d) AS day_of_month, dayofweek(d) + 1 AS day_of_week, dayname(d) AS day_name,
               weekofyear(d) AS week_of_year, dayofweek(d) IN (0, 6) AS is_weekend
        FROM (SELECT CAST(range AS DATE) AS d
              FROM range(DATE '1992-01-01', DATE '1999-01-01', INTERVAL 1 DAY))""",
}

_SOURCES = {
    "fact_sales": ("lineitem", "orders"),
    "dim_customer": ("customer", "nation", "region"),
    "dim_supplier": ("supplier", "nation", "region"),
    "dim_part": ("part",),
    "dim_date": (),
}


def generate_tbl(scale: float, out: Path) -> Path:
    """tpchgen-cli's pipe-delimited .tbl files for `scale`, reused when already there."""
    if not (out / "lineitem.tbl").exists():
        binary = Path(sys.executable).parent / "tpchgen-cli"
        command = str(binary) if binary.exists() else shutil.which("tpchgen-cli")
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([command, "-s", str(scale), f"--output-dir={out}"], check=True)
    return out


def build_curated(tbl_dir: Path, out_dir: Path, tables: tuple[str, ...] = TABLES) -> dict:
    """Write `<out_dir>/<table>/part-00000.parquet` for each table; return table -> folder."""
    conn = duckdb.connect()
    conn.execute("SET enable_progress_bar = false")
    for raw in {source for table in tables for source in _SOURCES[table]}:
        fields = get_dataset("tpch").raw(raw).fields
        columns = {f.name: sql_type(f.column_type, "duckdb") for f in fields}
        columns["trailing_delimiter"] = "VARCHAR"  # every .tbl line ends with '|'
        conn.execute(
            f"CREATE VIEW {raw} AS SELECT * FROM read_csv('{tbl_dir / raw}.tbl', delim='|', "
            f"header=false, columns={columns!r}, quote='', escape='')"
        )
    folders = {}
    for table in tables:
        definition = get_table("tpch", table)
        folder = out_dir / table
        folder.mkdir(parents=True, exist_ok=True)
        casts = ", ".join(
            f"CAST({quote(c.name)} AS {sql_type(c.column_type, 'duckdb')}) AS {quote(c.name)}"
            for c in definition.columns
        )
        conn.execute(
            f"COPY (SELECT {casts} FROM ({_SELECTS[table]})) TO '{folder / 'part-00000.parquet'}' "
            "(FORMAT parquet)"
        )
        (folder / "_SUCCESS").write_bytes(b"")
        folders[table] = folder
    conn.close()
    return folders
