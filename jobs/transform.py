"""Glue job `transform`: one dataset's batch of raw extracts -> its curated tables + quarantine.

Runs unchanged as a Glue 5.0 job script, with `spark-submit jobs/transform.py --lake ...`, and
in process under the local engine. The dataset's declaration (transforms/<dataset>/dataset.py)
says everything table-specific; this job names no table. Arguments (Glue style):
  --dataset NAME         the dataset (optional with --manifest_uri: the manifest names it)
  --lake ROOT            lake root (default: SFN_ETL_LAKE or ./lake)
  --lake_<zone> ROOT     a zone kept elsewhere, e.g. --lake_raw s3://raw-bucket/raw
  --batch_id ID          batch to write (default: a new id)
  --manifest_uri URI     read exactly the files it lists (default: every raw file of the dataset)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.runtime import LAKE_OPTIONS, lake_from_options, resolve_options, run_main, start
from jobs.transformation.curation import build_curated, write_and_count
from jobs.transformation.inputs import BatchInput, files_without_lines, read_lines, resolve_input
from orchestration.lake import Lake
from orchestration.layout import curated_uri, quarantine_uri, report_uri
from orchestration.manifest import check_batch_id, new_batch_id
from transforms.declaration import Dataset, RawTable
from transforms.dedupe import keep_latest
from transforms.parse import parse_lines, split_parsed
from transforms.registry import check_code
from transforms.rules import apply_rules
from transforms.schemas import QUARANTINE_SCHEMA

JOB_NAME = "transform"
OPTIONAL_ARGS = ("JOB_NAME", *LAKE_OPTIONS, "dataset", "batch_id", "manifest_uri")


def main(argv: Sequence[str]) -> int:
    options = resolve_options(argv, [], OPTIONAL_ARGS)
    lake = lake_from_options(options)
    batch_input = resolve_input(lake, options.get("manifest_uri"), options.get("dataset"))
    dataset = batch_input.dataset
    check_code(dataset)
    batch_id = check_batch_id(options.get("batch_id") or new_batch_id(dataset=dataset.name))
    runtime = start(options.get("JOB_NAME", JOB_NAME), argv)
    report = run_transform(runtime.spark, lake, batch_id, batch_input)
    lake.write_json(report_uri(lake, dataset.name, batch_id), report)
    runtime.commit()
    _print_counts(report)
    return 0


def run_transform(spark: SparkSession, lake: Lake, batch_id: str, batch_input: BatchInput) -> dict:
    """Parse, quarantine, de-duplicate, build and write every table of the batch; the report."""
    dataset = batch_input.dataset
    raw_counts: dict[str, dict] = {}
    rejected: dict[str, list[DataFrame]] = {}
    latest: dict[str, DataFrame] = {}
    persisted: list[DataFrame] = []
    for table in dataset.raw_tables:
        paths = batch_input.files_of(table.name)
        if not paths:
            continue
        parsed = parse_lines(read_lines(spark, paths, table.format), table).persist()
        persisted.append(parsed)
        counts, good, table_rejected = _parse_table(spark, table, paths, parsed)
        latest[table.name] = keep_latest(good, table.business_keys).persist()
        persisted.append(latest[table.name])
        counts["duplicates"] = counts["good"] - latest[table.name].count()
        raw_counts[table.name] = counts
        rejected[table.name] = table_rejected

    written = build_curated(
        spark,
        dataset,
        latest,
        rejected,
        lambda name: curated_uri(lake, dataset.name, name, batch_id),
    )

    for name, frames in rejected.items():
        uri = quarantine_uri(lake, dataset.name, name, batch_id)
        raw_counts[name]["quarantine_uri"] = uri
        raw_counts[name]["quarantined"] = write_and_count(spark, _union(frames), uri)
    for frame in persisted:
        frame.unpersist()

    return {
        "batch_id": batch_id,
        "dataset": dataset.name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "manifest_uri": batch_input.manifest_uri,
        "files": [f.uri for f in batch_input.files],
        "raw": raw_counts,
        "curated": _reconcile(dataset, written, raw_counts),
    }


def _parse_table(
    spark: SparkSession, table: RawTable, paths: list[str], parsed: DataFrame
) -> tuple[dict, DataFrame, list[DataFrame]]:
    """Counts of one raw table, its good rows after the row rules, and its rejected rows."""
    split = split_parsed(parsed)
    per_file = _count_lines_per_file(parsed)
    read = sum(counts[0] for counts in per_file.values())
    good = sum(counts[1] for counts in per_file.values())
    headers = sum(counts[2] for counts in per_file.values())
    empty_files = files_without_lines(
        paths, {uri for uri, counts in per_file.items() if counts[0] > 0}
    )
    table_rejected = [split.rejected, _empty_file_rows(spark, empty_files)]
    checked, broken = split.good, 0
    if table.rules:
        ruled = apply_rules(split.good, table.rules)
        checked = ruled.good
        table_rejected.append(ruled.rejected)
        broken = ruled.rejected.count()
    counts = {
        "files": len(paths),
        "read": read + len(empty_files),
        "header_lines": headers,
        "good": good - broken,
        "empty_files": empty_files,
    }
    return counts, checked, table_rejected


def _count_lines_per_file(parsed: DataFrame) -> dict[str, tuple[int, int, int]]:
    """(data lines, good lines, header lines) per source file: one pass, a row per file."""
    rows = parsed.groupBy("source_file").agg(
        F.count(F.when(~F.col("is_header"), 1)).alias("read"),
        F.count(F.when(~F.col("is_header") & F.col("reason").isNull(), 1)).alias("good"),
        F.count(F.when(F.col("is_header"), 1)).alias("headers"),
    )
    return {
        row["source_file"]: (int(row["read"]), int(row["good"]), int(row["headers"]))
        for row in rows.collect()
    }


def _empty_file_rows(spark: SparkSession, empty_files: list[str]) -> DataFrame:
    rows = [(uri, "", "empty file: no data lines") for uri in empty_files]
    return spark.createDataFrame(rows, QUARANTINE_SCHEMA)


def _union(frames: list[DataFrame]) -> DataFrame:
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result


def _reconcile(dataset: Dataset, written: dict[str, dict], raw: dict[str, dict]) -> dict:
    for name, counts in written.items():
        source = dataset.curated(name).source
        counts["source_table"] = source
        if source is None:
            counts.update(read=counts["written"], quarantined=0, duplicates=0, generated=0)
        else:
            counts.update(
                read=raw[source]["read"],
                quarantined=raw[source]["quarantined"],
                duplicates=raw[source]["duplicates"],
            )
    return written


def _print_counts(report: dict) -> None:
    print(f"batch {report['batch_id']} ({report['dataset']})")
    for table, counts in sorted(report["raw"].items()):
        print(
            f"  raw {table:<10} read={counts['read']} good={counts['good']} "
            f"quarantined={counts['quarantined']} duplicates={counts['duplicates']}"
        )
    for table, counts in sorted(report["curated"].items()):
        print(f"  curated {table:<12} written={counts['written']}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
