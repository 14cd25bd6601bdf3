"""Glue job `validate`: the expectation suites over every curated table of one dataset's batch.

Runs unchanged as a Glue 5.0 job script, with `spark-submit jobs/validate.py ...`, and in
process under the local engine. Arguments (Glue style):
  --batch_id ID                  the batch to validate (required)
  --dataset NAME                 its dataset (default: the one its manifest names)
  --lake ROOT                    lake root (default: SFN_ETL_LAKE or ./lake)
  --lake_<zone> ROOT             a zone kept elsewhere, e.g. --lake_validation s3://b/validation
  --max_quarantine_share SHARE   quarantined / read rows allowed per table (default: the
                                 dataset's declared max_quarantine_share)
  --warehouse URL                where earlier batches' dimension keys are (default:
                                 SFN_ETL_WAREHOUSE)

Checks per curated table of the transform report: its suite, the reconciliation with the
report, the quarantined share (with the dataset's quarantine_floor) and its references. Per raw
table: its gate rules (the report's `raw.<table>.gates`), and the quarantined share of a raw
table that no curated table of the batch reconciles with (one kept only as state, or only
joined to another); they are listed in the summary under the raw table's name. A batch with no
curated table (an extract of parents alone, kept as state) runs no suite and loads nothing.

Writes validation/<batch_id>/summary.json, results.json and docs/. Exits 0 whether or not the
data passed (the summary carries the verdict, the state machine routes on it); fails only when
validation cannot run: no transform report, a table missing on disk, a bad suite.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructField, StructType

from jobs.runtime import LAKE_OPTIONS, lake_from_options, resolve_options, run_main, start
from jobs.validation.checks import (
    GATE,
    HELD_COUNTS,
    CheckResult,
    gate,
    keys_exist,
    quarantine_share,
    reconcile,
)
from jobs.validation.gx import SuiteRunner
from jobs.validation.suites import Suite, load_suite
from jobs.validation.summary import build_summary, gx_checks
from jobs.validation.warehouse_keys import read_keys
from orchestration.core.errors import UserError
from orchestration.core.lake import Lake
from orchestration.core.layout import (
    curated_uri,
    docs_index_uri,
    docs_root,
    report_uri,
    results_uri,
    summary_uri,
)
from orchestration.core.manifest import check_batch_id, read_batch_manifest
from orchestration.core.settings import Settings
from transforms.declaration import Dataset
from transforms.registry import get_dataset
from transforms.schemas import spark_schema

JOB_NAME = "validate"
OPTIONAL_ARGS = ("JOB_NAME", *LAKE_OPTIONS, "dataset", "max_quarantine_share", "warehouse")
REPORT_COUNTS = ("written", "read", "quarantined", "duplicates", "generated")
RAW_COUNTS = ("read", "quarantined", "held_in")
GATE_COUNTS = ("rows", "broken")


@dataclass(frozen=True)
class BatchPlan:
    """What one validation run needs, checked before Spark starts."""

    batch_id: str
    dataset: Dataset
    counts: dict[str, dict]
    """The transform report's counts per curated table."""
    uris: dict[str, str]
    suites: dict[str, Suite]
    raw: dict[str, dict] = field(default_factory=dict)
    """The transform report's counts per raw table (gates included)."""


def main(argv: Sequence[str]) -> int:
    options = resolve_options(argv, ["batch_id"], OPTIONAL_ARGS)
    lake = lake_from_options(options)
    batch_id = check_batch_id(options["batch_id"])
    dataset = get_dataset(options.get("dataset") or read_batch_manifest(lake, batch_id).dataset)
    plan = plan_batch(lake, dataset, batch_id)
    max_share = _share(options.get("max_quarantine_share"), dataset.max_quarantine_share)
    warehouse = options.get("warehouse") or Settings.from_env().warehouse
    runtime = start(options.get("JOB_NAME", JOB_NAME), argv)
    summary = validate_batch(runtime.spark, lake, plan, max_share, warehouse)
    runtime.commit()
    _print_verdict(lake, summary)
    return 0


def plan_batch(lake: Lake, dataset: Dataset, batch_id: str) -> BatchPlan:
    """The batch's curated tables (the transform report's) and their suites, and its raw
    tables' counts; a UserError naming what is missing when validation cannot run."""
    uri = report_uri(lake, dataset.name, batch_id)
    if not lake.exists(uri):
        raise UserError(f"batch {batch_id} has no transform report: {uri} is missing")
    report = lake.read_json(uri)
    counts = report.get("curated")
    if not isinstance(counts, dict):
        raise UserError(f"{uri}: no curated tables listed")
    for table, entry in counts.items():
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), int) for k in REPORT_COUNTS
        ):
            raise UserError(f"{uri}: curated.{table} needs {', '.join(REPORT_COUNTS)} counts")
        _optional_counts(entry, HELD_COUNTS, f"{uri}: curated.{table}")
    raw = _raw_counts(report.get("raw", {}), uri)
    # Where the lake keeps the table now, not the report's copy of it: a lake copied or moved
    # elsewhere validates its own files.
    unknown = sorted(set(counts) - {t.name for t in dataset.curated_tables})
    unknown += sorted(set(raw) - {t.name for t in dataset.raw_tables})
    if unknown:
        raise UserError(f"{uri}: {', '.join(unknown)} are not tables of {dataset.name}")
    uris = {table: curated_uri(lake, dataset.name, table, batch_id) for table in sorted(counts)}
    missing = [f"{t} (no Parquet under {u})" for t, u in uris.items() if not _has_parquet(lake, u)]
    if missing:
        raise UserError(
            f"batch {batch_id}: curated table missing, though listed in {uri}: "
            + "; ".join(missing)
        )
    suites = {table: load_suite(dataset, table) for table in uris}
    return BatchPlan(batch_id, dataset, counts, uris, suites, raw)


def _optional_counts(entry: Mapping, names: Sequence[str], where: str) -> None:
    wrong = [k for k in names if k in entry and not isinstance(entry[k], int)]
    if wrong:
        raise UserError(f"{where}: {wrong[0]} must be a count, got {entry[wrong[0]]!r}")


def _raw_counts(raw: object, uri: str) -> dict[str, dict]:
    """The report's raw section, checked where validation reads it: counts (0 when missing)
    and gates."""
    if not isinstance(raw, dict):
        raise UserError(f"{uri}: raw must be an object of raw tables")
    for table, entry in raw.items():
        where = f"{uri}: raw.{table}"
        if not isinstance(entry, dict):
            raise UserError(f"{where} must be an object of counts")
        _optional_counts(entry, RAW_COUNTS, where)
        gates = entry.get("gates", {})
        if not isinstance(gates, dict):
            raise UserError(f"{where}.gates must be an object of rules")
        for rule, counted in gates.items():
            mostly = counted.get("mostly") if isinstance(counted, dict) else None
            if (
                not isinstance(counted, dict)
                or not all(isinstance(counted.get(k), int) for k in GATE_COUNTS)
                or isinstance(mostly, bool)
                or not isinstance(mostly, int | float)
                or not 0 < mostly <= 1
            ):
                raise UserError(
                    f"{where}.gates.{rule} needs rows and broken counts and a mostly share "
                    "in (0, 1]"
                )
    return raw


def _has_parquet(lake: Lake, uri: str) -> bool:
    return any(o.uri.endswith(".parquet") for o in lake.list(uri))


def validate_batch(
    spark: SparkSession, lake: Lake, plan: BatchPlan, max_share: float, warehouse: str
) -> dict:
    """Run every suite and computed check, write results, Data Docs and the summary."""
    # Not cached: each metric query and key check reads only the Parquet columns it needs,
    # where caching would first copy every column of every table into memory (at TPC-H scale 1,
    # most of the validation's time). The recount reads only the Parquet footers.
    frames = {table: spark.read.parquet(uri) for table, uri in plan.uris.items()}
    recounted = {table: frame.count() for table, frame in frames.items()}
    runner = SuiteRunner(plan.batch_id, docs_root(lake, plan.batch_id))
    checks: dict[str, list[CheckResult]] = {}
    results: dict[str, dict] = {}
    notes: list[str] = []
    floor = plan.dataset.quarantine_floor
    for table, suite in plan.suites.items():
        result = runner.run(suite, frames[table])
        results[table] = result.to_json_dict()
        counts = plan.counts[table]
        checks[table] = [
            *gx_checks(result),
            reconcile(recounted[table], counts),
            quarantine_share(counts, max_share, floor),
            *_reference_checks(spark, plan.dataset, suite, frames, warehouse, notes),
        ]
    checks.update(raw_checks(plan, max_share))
    runner.build_docs()
    summary = build_summary(
        plan.batch_id, plan.dataset, checks, plan.uris, notes, raw_counts=plan.raw
    )
    lake.write_json(results_uri(lake, plan.batch_id), results)
    # Last: the summary is what the state machine reads, so it never points at missing docs.
    lake.write_json(summary_uri(lake, plan.batch_id), summary)
    return summary


def raw_checks(plan: BatchPlan, max_share: float) -> dict[str, list[CheckResult]]:
    """Per raw table of the report: its gate rules, and its quarantined share when no curated
    table of the batch reconciles with it (a table kept only as state, or a batch without
    curated tables); raw tables with neither are left out."""
    reconciled = {entry.get("source_table") for entry in plan.counts.values()}
    reconciled |= {plan.dataset.curated(t).source for t in plan.counts}
    checks: dict[str, list[CheckResult]] = {}
    for table, entry in sorted(plan.raw.items()):
        found = [gate(rule, counted) for rule, counted in entry.get("gates", {}).items()]
        if table not in reconciled:
            found.append(quarantine_share(entry, max_share, plan.dataset.quarantine_floor))
        if found:
            checks[table] = found
    return checks


def _reference_checks(
    spark: SparkSession,
    dataset: Dataset,
    suite: Suite,
    frames: Mapping[str, DataFrame],
    warehouse: str,
    notes: list[str],
) -> list[CheckResult]:
    checks = []
    for ref in suite.references:
        known = read_keys(warehouse, dataset.name, ref.table, ref.key)
        if known.keys is None:
            notes.append(known.note)
            continue
        key_field = spark_schema(dataset.curated(ref.table).columns)[ref.key]
        keys = spark.createDataFrame(
            [(key,) for key in known.keys], StructType([StructField(ref.key, key_field.dataType)])
        )
        if ref.table in frames:
            keys = keys.unionByName(frames[ref.table].select(ref.key))
        checks.append(keys_exist(frames[suite.table], ref.column, keys, ref.mostly))
    return checks


def _share(value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0.0 <= share <= 1.0:
        raise UserError(f"--max_quarantine_share: {value!r} is not a share between 0 and 1")
    return share


def _print_verdict(lake: Lake, summary: dict) -> None:
    verdict = "passed" if summary["success"] else "FAILED"
    print(f"batch {summary['batch_id']} ({summary['dataset']}): validation {verdict}")
    for table, entry in summary["tables"].items():
        print(f"  {table:<12} {len(entry['failed'])} of {entry['evaluated']} failed")
        for failed in entry["failed"]:
            on = f" on {failed['column']}" if failed["column"] else ""
            if failed["expectation"] == GATE and failed["sample"]:
                on = f" rule {failed['sample'][0]['rule']} ({failed['sample'][0]['reason']})"
            print(f"    {failed['expectation']}{on}: {failed['unexpected_count']} unexpected")
    for note in summary["notes"]:
        print(f"  note: {note}")
    print(f"summary: {summary_uri(lake, summary['batch_id'])}")
    print(f"docs: {docs_index_uri(lake, summary['batch_id'])}")


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
