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
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark.sql import DataFrame, Observation, SparkSession

from jobs.runtime import LAKE_OPTIONS, lake_from_options, resolve_options, run_main, start
from jobs.transformation.curation import build_curated, write_and_count
from jobs.transformation.history import (
    Carried,
    as_candidates,
    batch_time,
    carried_from,
    hold_orphans,
    newest_first,
    raw_columns,
    read_rows,
)
from jobs.transformation.inputs import BatchInput, empty_input, resolve_input
from jobs.transformation.raw import read_raw_table
from orchestration.core.lake import Lake, normalize_uri
from orchestration.core.layout import curated_uri, held_uri, quarantine_uri, report_uri, state_uri
from orchestration.core.manifest import ManifestFile, check_batch_id, new_batch_id
from orchestration.core.parked import ParkedFile, park
from transforms.declaration import Dataset
from transforms.registry import check_code

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
    """Parse, quarantine, park, de-duplicate, hold, build and write every table of the batch;
    the report."""
    dataset = batch_input.dataset
    now = batch_time(batch_id)
    carried = carried_from(lake, dataset, batch_input.previous_batch_id)
    by_uri = {normalize_uri(batch_input.uris[f.path]): f for f in batch_input.files}
    work = Work()
    for table in dataset.raw_tables:
        uris = [normalize_uri(batch_input.uris[f.path]) for f in batch_input.files_of(table.name)]
        if not uris:
            continue
        read = read_raw_table(spark, table, uris)
        work.persisted.extend(read.persisted)
        work.batch[table.name] = read.latest
        work.rejected[table.name] = read.rejected
        parked = [
            _park(lake, dataset, batch_id, by_uri[uri], reason, lines)
            for uri, (reason, lines) in sorted(read.parked.items())
        ]
        work.parked_files.extend(parked)
        work.counts[table.name] = {
            **read.counts,
            "parked_files": [p["path"] for p in parked],
            "held": 0,
            "held_in": 0,
        }

    known, state = _known_rows(spark, lake, dataset, batch_id, work.batch, carried)
    held = _hold_children(spark, lake, dataset, batch_id, now, known, carried, work)
    written = build_curated(
        spark,
        dataset,
        work.batch,
        known,
        work.rejected,
        lambda name: curated_uri(lake, dataset.name, name, batch_id),
    )

    for name, frames in work.rejected.items():
        counts = work.counts[name]
        counts.update(quarantine_uri=None, quarantined=0)
        if frames:
            counts["quarantine_uri"] = quarantine_uri(lake, dataset.name, name, batch_id)
            counts["quarantined"] = write_and_count(_union(frames), counts["quarantine_uri"])
    for frame in work.persisted:
        frame.unpersist()

    return {
        "batch_id": batch_id,
        "dataset": dataset.name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "manifest_uri": batch_input.manifest_uri,
        "previous_batch_id": batch_input.previous_batch_id,
        "files": [batch_input.uris[f.path] for f in batch_input.files],
        "raw": work.counts,
        "curated": _reconcile(dataset, written, work.counts),
        "state": state,
        "held": held,
        "parked_files": work.parked_files,
    }


@dataclass
class Work:
    """What the job gathers table by table: the batch's rows of each raw table (one per key),
    rejected rows by raw table, counts by raw table, parked files, frames to unpersist."""

    batch: dict[str, DataFrame] = field(default_factory=dict)
    rejected: dict[str, list[DataFrame]] = field(default_factory=dict)
    counts: dict[str, dict] = field(default_factory=dict)
    parked_files: list[dict] = field(default_factory=list)
    persisted: list[DataFrame] = field(default_factory=list)


def _park(
    lake: Lake, dataset: Dataset, batch_id: str, file: ManifestFile, reason: str, lines: int
) -> dict:
    park(lake, ParkedFile.of_batch_file(file, dataset.name, reason, batch_id, lines))
    return {"path": file.path, "table": file.table, "reason": reason, "lines": lines}


def _known_rows(
    spark: SparkSession,
    lake: Lake,
    dataset: Dataset,
    batch_id: str,
    batch: dict[str, DataFrame],
    carried: Carried,
) -> tuple[dict[str, DataFrame], dict[str, dict]]:
    """Every known row of each kept table (the batch's over the state's), and the state the
    report hands on: rewritten for a kept table the batch has rows of, carried otherwise."""
    known: dict[str, DataFrame] = {}
    state = dict(carried.state)
    for name in dataset.kept_tables():
        table = dataset.raw(name)
        earlier = read_rows(spark, carried.state.get(name))
        if name not in batch:
            if earlier is not None:
                known[name] = earlier
            continue
        rows = batch[name].select(*raw_columns(table))
        if earlier is not None:
            rows = newest_first(rows, earlier, table.business_keys)
        uri = state_uri(lake, dataset.name, name, batch_id)
        state[name] = {"uri": uri, "rows": write_and_count(rows, uri), "batch_id": batch_id}
        known[name] = spark.read.parquet(uri)
    return known, state


def _hold_children(
    spark: SparkSession,
    lake: Lake,
    dataset: Dataset,
    batch_id: str,
    now: datetime,
    known: dict[str, DataFrame],
    carried: Carried,
    work: Work,
) -> dict[str, dict]:
    """Release into `work.batch` the children whose parents are known, hold the others,
    quarantine those held too long; the held rows the report hands on."""
    held: dict[str, dict] = {}
    for table in dataset.raw_tables:
        earlier = carried.held.get(table.name)
        if not table.parents or (table.name not in work.batch and earlier is None):
            continue
        counts = work.counts.setdefault(table.name, _no_files_counts())
        work.rejected.setdefault(table.name, [])
        candidates = None
        if table.name in work.batch:
            candidates = as_candidates(work.batch[table.name], table, now)
        if earlier is not None:
            counts["held_in"] = int(earlier["rows"])
            earlier_rows = read_rows(spark, earlier)
            if candidates is None:
                candidates = earlier_rows
            else:
                candidates = newest_first(candidates, earlier_rows, table.business_keys)
        for parent in table.parents:
            if parent.table not in known:
                known[parent.table] = empty_input(spark, dataset, parent.table)
        outcome = Observation(f"holding {dataset.name}.{table.name} {batch_id}")
        released, waiting, expired = hold_orphans(candidates, table, known, now, outcome)
        uri = held_uri(lake, dataset.name, table.name, batch_id)
        counts["held"] = write_and_count(waiting, uri)
        if counts["held"]:
            held[table.name] = {"uri": uri, "rows": counts["held"]}
        if outcome.get["expired"]:
            work.rejected[table.name].append(expired)
        if earlier is not None:
            # Held rows the batch sends again are superseded: counted duplicates.
            in_batch = counts["good"] - counts["duplicates"]
            counts["duplicates"] += in_batch + counts["held_in"] - candidates.count()
        if outcome.get["released"]:
            work.batch[table.name] = released
        else:
            work.batch.pop(table.name, None)
    return held


def _no_files_counts() -> dict:
    """The counts of a raw table the batch has no file of (only held rows to retry)."""
    return {
        "files": 0,
        "read": 0,
        "header_lines": 0,
        "good": 0,
        "duplicates": 0,
        "empty_files": [],
        "parked": 0,
        "parked_files": [],
        "held": 0,
        "held_in": 0,
    }


def _reconcile(dataset: Dataset, written: dict[str, dict], raw: dict[str, dict]) -> dict:
    """Each curated table's counts next to its source's: written - generated + quarantined +
    duplicates + held + parked == read + held_in."""
    carried = ("read", "quarantined", "duplicates", "held", "held_in", "parked")
    for name, counts in written.items():
        source = dataset.curated(name).source
        counts["source_table"] = source
        if source is None:
            counts.update({key: 0 for key in carried}, read=counts["written"], generated=0)
        else:
            counts.update({key: raw[source][key] for key in carried})
    return written


def _union(frames: list[DataFrame]) -> DataFrame:
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result


def _print_counts(report: dict) -> None:
    print(f"batch {report['batch_id']} ({report['dataset']})")
    for table, counts in sorted(report["raw"].items()):
        print(
            f"  raw {table:<10} read={counts['read']} good={counts['good']} "
            f"quarantined={counts['quarantined']} duplicates={counts['duplicates']} "
            f"held={counts['held']} held_in={counts['held_in']} parked={counts['parked']}"
        )
    for parked in report["parked_files"]:
        print(f"  parked {parked['path']}: {parked['reason']}")
    for table, counts in sorted(report["curated"].items()):
        print(f"  curated {table:<12} written={counts['written']}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
