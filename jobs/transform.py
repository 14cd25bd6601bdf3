"""Glue job `transform`: raw extracts of one batch -> curated star schema + quarantine.

Runs unchanged as a Glue 5.0 job script, with `spark-submit jobs/transform.py --lake ...`, and
in process under the local engine. Arguments (Glue style, all optional locally):
  --lake ROOT            lake root (default: SFN_ETL_LAKE or ./lake)
  --lake_<zone> ROOT     a zone kept elsewhere, e.g. --lake_raw s3://raw-bucket/raw
  --batch_id ID          batch to write (default: a new id)
  --manifest_uri URI     read exactly the files it lists (default: every file under raw/)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.runtime import LAKE_OPTIONS, lake_from_options, resolve_options, run_main, start
from jobs.transform_inputs import BatchInput, files_without_lines, read_lines, resolve_input
from orchestration.errors import UserError
from orchestration.lake import CURATED, QUARANTINE, Lake
from orchestration.manifest import check_batch_id, new_batch_id
from transforms.dedupe import keep_latest
from transforms.dim_customer import build_dim_customer
from transforms.dim_date import build_dim_date
from transforms.dim_part import build_dim_part
from transforms.dim_supplier import build_dim_supplier
from transforms.fact_sales import build_fact_sales
from transforms.geography import build_geography
from transforms.parse import parse_lines, split_parsed
from transforms.schemas import QUARANTINE_SCHEMA, RAW_TABLES

JOB_NAME = "transform"
OPTIONAL_ARGS = ("JOB_NAME", *LAKE_OPTIONS, "batch_id", "manifest_uri")

CURATED_SOURCES = {
    "fact_sales": "lineitem",
    "dim_customer": "customer",
    "dim_supplier": "supplier",
    "dim_part": "part",
}


def report_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(CURATED, "_reports", f"batch_id={batch_id}", "transform.json")


def curated_uri(lake: Lake, table: str, batch_id: str) -> str:
    return lake.uri(CURATED, table, f"batch_id={batch_id}")


def quarantine_uri(lake: Lake, raw_table: str, batch_id: str) -> str:
    return lake.uri(QUARANTINE, raw_table, f"batch_id={batch_id}")


def main(argv: Sequence[str]) -> int:
    options = resolve_options(argv, [], OPTIONAL_ARGS)
    lake = lake_from_options(options)
    batch_id = check_batch_id(options.get("batch_id") or new_batch_id())
    batch_input = resolve_input(lake, options.get("manifest_uri"))
    runtime = start(options.get("JOB_NAME", JOB_NAME), argv)
    report = run_transform(runtime.spark, lake, batch_id, batch_input)
    lake.write_json(report_uri(lake, batch_id), report)
    runtime.commit()
    _print_counts(report)
    return 0


def run_transform(spark: SparkSession, lake: Lake, batch_id: str, batch_input: BatchInput) -> dict:
    """Parse, quarantine, de-duplicate, build and write every table of the batch; the report."""
    tables = batch_input.tables
    _require_geography(tables)
    raw_counts: dict[str, dict] = {}
    rejected: dict[str, list[DataFrame]] = {}
    latest: dict[str, DataFrame] = {}
    parsed_frames: list[DataFrame] = []
    for table in tables:
        paths = batch_input.files_of(table)
        parsed = parse_lines(read_lines(spark, paths), RAW_TABLES[table]).persist()
        split = split_parsed(parsed)
        per_file = _count_lines_per_file(parsed)
        read = sum(counts[0] for counts in per_file.values())
        good = sum(counts[1] for counts in per_file.values())
        empty_files = files_without_lines(paths, set(per_file))
        latest[table] = keep_latest(split.good, RAW_TABLES[table].business_keys).persist()
        kept = latest[table].count()
        parsed_frames.append(parsed)
        rejected[table] = [split.rejected, _empty_file_rows(spark, empty_files)]
        raw_counts[table] = {
            "files": len(paths),
            "read": read + len(empty_files),
            "good": good,
            "duplicates": good - kept,
            "empty_files": empty_files,
        }

    curated_counts = {}
    for table, frame in _build_curated(latest, rejected).items():
        uri = curated_uri(lake, table, batch_id)
        curated_counts[table] = {"uri": uri, "written": _write_and_count(spark, frame, uri)}
    if "fact_sales" in curated_counts:
        # From the written facts: four date columns of Parquet, not the lineitem-orders join again.
        facts = spark.read.parquet(curated_counts["fact_sales"]["uri"])
        uri = curated_uri(lake, "dim_date", batch_id)
        curated_counts["dim_date"] = {
            "uri": uri,
            "written": _write_and_count(spark, build_dim_date(facts), uri),
        }

    for table, frames in rejected.items():
        uri = quarantine_uri(lake, table, batch_id)
        raw_counts[table]["quarantine_uri"] = uri
        raw_counts[table]["quarantined"] = _write_and_count(spark, _union(frames), uri)
    for frame in [*latest.values(), *parsed_frames]:
        frame.unpersist()

    return {
        "batch_id": batch_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "manifest_uri": batch_input.manifest_uri,
        "files": [f.uri for f in batch_input.files],
        "raw": raw_counts,
        "curated": _reconcile(curated_counts, raw_counts),
    }


def _require_geography(tables: list[str]) -> None:
    needs_geography = {"customer", "supplier"} & set(tables)
    missing = {"nation", "region"} - set(tables)
    if needs_geography and missing:
        raise UserError(
            f"the batch has {', '.join(sorted(needs_geography))} but no "
            f"{' or '.join(sorted(missing))} extract: dimensions need nation and region "
            "in the same batch"
        )


def _count_lines_per_file(parsed: DataFrame) -> dict[str, tuple[int, int]]:
    """(lines read, good lines) per source file: one pass, one row per file to the driver."""
    rows = parsed.groupBy("source_file").agg(
        F.count(F.lit(1)).alias("read"),
        F.count(F.when(F.col("reason").isNull(), 1)).alias("good"),
    )
    return {row["source_file"]: (int(row["read"]), int(row["good"])) for row in rows.collect()}


def _empty_file_rows(spark: SparkSession, empty_files: list[str]) -> DataFrame:
    rows = [(uri, "", "empty file: no lines") for uri in empty_files]
    return spark.createDataFrame(rows, QUARANTINE_SCHEMA)


def _build_curated(
    latest: dict[str, DataFrame], rejected: dict[str, list[DataFrame]]
) -> dict[str, DataFrame]:
    curated: dict[str, DataFrame] = {}
    if "lineitem" in latest:
        orders = latest.get("orders")
        if orders is None:
            orders = latest["lineitem"].sparkSession.createDataFrame(
                [], RAW_TABLES["orders"].spark_schema
            )
        fact = build_fact_sales(latest["lineitem"], orders)
        rejected["lineitem"].append(fact.rejected)
        curated["fact_sales"] = fact.good
    if "nation" in latest and "region" in latest:
        geography = build_geography(latest["nation"], latest["region"])
        for raw_table, build in (
            ("customer", build_dim_customer),
            ("supplier", build_dim_supplier),
        ):
            if raw_table in latest:
                dim = build(latest[raw_table], geography)
                rejected[raw_table].append(dim.rejected)
                curated[f"dim_{raw_table}"] = dim.good
    if "part" in latest:
        curated["dim_part"] = build_dim_part(latest["part"])
    return curated


def _write_and_count(spark: SparkSession, frame: DataFrame, uri: str) -> int:
    """Write Parquet, then count what is stored (from its metadata): the report counts the
    rows that landed, not the rows meant to."""
    frame.write.mode("overwrite").parquet(uri)
    return spark.read.parquet(uri).count()


def _union(frames: list[DataFrame]) -> DataFrame:
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result


def _reconcile(curated: dict[str, dict], raw: dict[str, dict]) -> dict[str, dict]:
    for table, counts in curated.items():
        source = CURATED_SOURCES.get(table)
        counts["source_table"] = source
        if source is None:
            counts.update(read=counts["written"], quarantined=0, duplicates=0)
        else:
            counts.update(
                read=raw[source]["read"],
                quarantined=raw[source]["quarantined"],
                duplicates=raw[source]["duplicates"],
            )
    return curated


def _print_counts(report: dict) -> None:
    print(f"batch {report['batch_id']}")
    for table, counts in sorted(report["raw"].items()):
        print(
            f"  raw {table:<10} read={counts['read']} good={counts['good']} "
            f"quarantined={counts['quarantined']} duplicates={counts['duplicates']}"
        )
    for table, counts in sorted(report["curated"].items()):
        print(f"  curated {table:<12} written={counts['written']}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
