"""Lambda `extract`: the raw files no committed batch has consumed become the next batches.

Each declared dataset with new files gets a batch of its own (a manifest of its files), so the
state machine processes, loads and commits each dataset on its own and one dataset's failure
leaves the others' files committed. Raw files outside every dataset's folders are listed in the
output (`unclaimed_files`), never taken into a batch; a file in a folder of a dataset's own prefix
that no raw table of it is declared for (`raw/tpch/partsupp/` when no `partsupp` is declared) is
parked (orchestration/core/parked.py) and listed in `parked_files`.

A raw file is consumed only when a manifest listing it has a commit marker, and the state
machine writes that marker only after every load succeeded. So a failed execution leaves its
files to the next one and nothing is lost; a file rewritten in place (a new etag: on S3 the
ETag, locally the content's MD5) is new data. Manifests, the index and parked markers name a file
by its path in the raw zone, so a lake moved or copied elsewhere is not new data.
Runs unchanged on AWS (s3:// lake, through boto3) and locally (file system lake).

The index. Each dataset's history is compacted in `manifests/_index/<dataset>.json`
(orchestration.core.manifest.DatasetIndex), so a run costs the same however many batches came
before: read the index, settle the batches the last run made (a commit marker: their files are
consumed, except the ones the transform parked; a failure marker, written by the state machine's
RecordDatasetFailure: an attempt counted against each of their files, and a file failing
`max_attempts` times in a row is parked so the dataset's later files flow; neither marker, an
execution that was killed: nothing counted, their files are new again), list the dataset's
parked markers and raw folders, write the new manifest and the index. A lake without an index
builds it once from its committed manifests. Locally the index also caches each file's MD5 by
size and mtime, so only new or changed files are read.

Triggers. A scheduled execution invokes it with `{"execution_id": ...}`. It also accepts the
EventBridge "Object Created" event of S3 (`{"source": "aws.s3", "detail-type": "Object Created",
"detail": {"bucket": {"name"}, "object": {"key"}}}`): the object only says *that* something
landed, so the batches are still every uncommitted raw file, exactly as on a schedule; a burst of
files is one batch however many events it raised. An event for an object outside the raw zone
starts no batch. Debouncing the burst itself belongs to the trigger: `sfn-etl watch` locally
(it waits for a quiet period before it starts an execution).

In-flight batches. A batch whose execution left no marker is taken as killed: its files go into
the next batch (a crashed execution never commits its manifest, and excluding its files would
lose them). Two overlapping executions would therefore both take those files (the loads are
MERGEs on business keys, so no rows are duplicated, but the work is, and the index misses the
first one's commit). Locally the engine's per-lake lock makes overlap impossible; on AWS Step
Functions has no such lock, so the EventBridge rule or schedule must not start an execution
while one runs (e.g. check ListExecutions(RUNNING) first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from orchestration.core.lake import MANIFESTS, RAW, Checksums, Lake, LakeObject, MissingObjectError
from orchestration.core.layout import (
    COMMIT_SUFFIX,
    commit_marker_bucket_key,
    commit_marker_uri,
    failure_marker_bucket_key,
    failure_marker_uri,
    manifest_uri,
    raw_file_uri,
    raw_path,
    raw_root,
    summary_bucket_key,
)
from orchestration.core.manifest import (
    Attempts,
    DatasetIndex,
    Manifest,
    ManifestFile,
    claimer,
    new_batch_id,
    raw_prefixes,
    read_batch_manifest,
    read_index,
    read_manifest,
    write_index,
)
from orchestration.core.parked import ParkedFile, now_stamp, park, parked_paths
from orchestration.core.settings import Settings
from transforms.declaration import Dataset
from transforms.registry import select

S3_OBJECT_CREATED = "Object Created"
COMMITTED, FAILED, KILLED = "committed", "failed", "killed"
"""A batch's outcome, as its markers tell it: a commit marker, a failure marker, or none."""
CAUSE_CHARS = 200
"""How much of a failure's cause the index and a parked file's reason keep."""


class InvalidEvent(ValueError):
    """An event that claims to come from S3 but lacks the fields EventBridge always sends."""


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    lake = Settings.from_env().open_lake()
    event = event or {}
    names = event.get("datasets") or None
    trigger = s3_trigger(event)
    if trigger is None:
        return extract(lake, names)
    if not _in_raw_zone(lake, trigger["bucket"], trigger["key"]):
        return {**nothing_new(), "trigger": {**trigger, "ignored": "not under the raw zone"}}
    return {**extract(lake, names), "trigger": trigger}


def s3_trigger(event: dict[str, Any]) -> dict[str, str] | None:
    """(bucket, key) of an EventBridge S3 Object Created event; None for any other invocation."""
    if event.get("source") != "aws.s3":
        return None
    kind = event.get("detail-type")
    if kind != S3_OBJECT_CREATED:
        raise InvalidEvent(f"unsupported S3 event detail-type {kind!r}: expected 'Object Created'")
    detail = event.get("detail") or {}
    bucket = (detail.get("bucket") or {}).get("name")
    key = (detail.get("object") or {}).get("key")
    if not bucket or not key:
        raise InvalidEvent("S3 Object Created event without detail.bucket.name/detail.object.key")
    return {"source": "aws.s3", "bucket": bucket, "key": key}


def _in_raw_zone(lake: Lake, bucket: str, key: str) -> bool:
    raw_bucket, raw_prefix = lake.bucket_key(RAW)
    raw_prefix = "" if raw_prefix in ("", ".") else raw_prefix.rstrip("/") + "/"
    return bucket == raw_bucket and key.startswith(raw_prefix)


def nothing_new(
    unclaimed: list[str] | None = None, parked: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "batch_id": None,
        "datasets": [],
        "file_count": 0,
        "has_work": False,
        "unclaimed_files": unclaimed or [],
        "parked_files": parked or [],
        "parked_count": len(parked or []),
    }


def extract(
    lake: Lake, dataset_names: list[str] | None = None, batch_id: str | None = None
) -> dict[str, Any]:
    """Park what cannot be processed, write one manifest per dataset with new raw files and
    describe the batches for the state machine's Map. Every key is always present: the
    definition reads each one (`parked_count` is how its Choice tells a run that only parked
    files, which it notifies)."""
    plans, unclaimed = survey(lake, select(dataset_names))
    parked = []
    for plan in plans:
        for parked_file in plan.to_park:
            park(lake, parked_file)
            parked.append(
                {
                    "path": parked_file.path,
                    "dataset": parked_file.dataset,
                    "table": parked_file.table,
                    "reason": parked_file.reason,
                }
            )
    base = batch_id or new_batch_id()
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    batches = []
    for plan in plans:
        index = plan.index
        if plan.new_files:
            batch = _write_batch(lake, plan, f"{base}-{plan.dataset.name}", created_at)
            batches.append(batch)
            index = replace(index, open_batches=(batch["batch_id"],))
        if index != plan.read:
            write_index(lake, index)
    if not batches:
        return nothing_new(unclaimed, parked)
    return {
        "batch_id": base,
        "datasets": batches,
        "file_count": sum(b["file_count"] for b in batches),
        "has_work": True,
        "unclaimed_files": unclaimed,
        "parked_files": parked,
        "parked_count": len(parked),
    }


def _write_batch(lake: Lake, plan: DatasetPlan, batch_id: str, created_at: str) -> dict[str, Any]:
    dataset = plan.dataset
    manifest = Manifest(
        batch_id=batch_id,
        dataset=dataset.name,
        created_at=created_at,
        files=plan.new_files,
        previous_batch_id=plan.index.last_committed,
    )
    uri = manifest_uri(lake, batch_id)
    lake.write_json(uri, manifest.to_json())
    summary_bucket, summary_key = summary_bucket_key(lake, batch_id)
    commit_bucket, commit_key = commit_marker_bucket_key(lake, batch_id)
    failure_bucket, failure_key = failure_marker_bucket_key(lake, batch_id)
    return {
        "dataset": dataset.name,
        "batch_id": batch_id,
        "manifest_uri": uri,
        "file_count": len(manifest.files),
        "tables": manifest.tables,
        "destinations": {d: d in dataset.destinations for d in ("warehouse", "catalog")},
        "summary": {"bucket": summary_bucket, "key": summary_key},
        "commit": {"bucket": commit_bucket, "key": commit_key},
        "failure": {"bucket": failure_bucket, "key": failure_key},
        "previous_batch_id": manifest.previous_batch_id,
    }


@dataclass(frozen=True)
class DatasetPlan:
    """What a run would do for one dataset; `survey` writes nothing, `extract` carries it out."""

    dataset: Dataset
    read: DatasetIndex | None
    """The index as read; None when there was none (this one is built from the manifests)."""
    index: DatasetIndex
    """The index with the outcomes of its open batches and this listing, before the new batch."""
    new_files: tuple[ManifestFile, ...]
    to_park: tuple[ParkedFile, ...]


def survey(lake: Lake, chosen: list[Dataset]) -> tuple[list[DatasetPlan], list[str]]:
    """The plan of each chosen dataset, and the URIs of the raw files outside every dataset's
    folders. Reads the lake only."""
    histories = _histories(lake, chosen)
    known = {
        raw_file_uri(lake, path): checksum
        for history in histories.values()
        for path, checksum in history.index.checksums.items()
    }
    files, unclaimed = _list_raw(lake, chosen, known)
    plans = []
    for dataset in chosen:
        history = histories[dataset.name]
        skipped = history.parked | {p.path for p in history.failed_out}
        new_files, strays, checksums = [], [], {}
        for path, (table, obj) in sorted(files[dataset.name].items()):
            if obj.mtime_ns is not None:
                checksums[path] = (obj.size, obj.mtime_ns, obj.etag)
            if path in skipped:
                continue
            if table is None:
                strays.append(_stray(dataset, path, obj))
            elif history.index.consumed.get(path) != obj.etag:
                new_files.append(ManifestFile(path, table, obj.size, obj.etag))
        plans.append(
            DatasetPlan(
                dataset=dataset,
                read=history.read,
                index=replace(history.index, checksums=checksums),
                new_files=tuple(new_files),
                to_park=(*history.failed_out, *strays),
            )
        )
    return plans, unclaimed


def uncommitted_files(lake: Lake) -> list[tuple[str, str]]:
    """(uri, etag) of every raw file the next execution would take, sorted by URI."""
    plans, _ = survey(lake, select(None))
    return sorted((raw_file_uri(lake, f.path), f.etag) for p in plans for f in p.new_files)


@dataclass(frozen=True)
class _History:
    read: DatasetIndex | None
    index: DatasetIndex
    """With the outcomes of the open batches settled."""
    parked: frozenset[str]
    """Paths parked before this run."""
    failed_out: tuple[ParkedFile, ...]
    """Files whose batch failed for the last allowed time: this run parks them."""


def _histories(lake: Lake, chosen: list[Dataset]) -> dict[str, _History]:
    read = {d.name: read_index(lake, d.name) for d in chosen}
    parked = {d.name: frozenset(parked_paths(lake, d)) for d in chosen}
    unindexed = [d.name for d in chosen if read[d.name] is None]
    built = _index_from_manifests(lake, unindexed, parked) if unindexed else {}
    histories = {}
    for dataset in chosen:
        index, failed_out = _settle(
            lake, dataset, read[dataset.name] or built[dataset.name], parked[dataset.name]
        )
        histories[dataset.name] = _History(
            read[dataset.name], index, parked[dataset.name], failed_out
        )
    return histories


def _index_from_manifests(
    lake: Lake, names: list[str], parked: dict[str, frozenset[str]]
) -> dict[str, DatasetIndex]:
    """The index of datasets that have none yet, from their committed manifests (the one scan
    of the whole history, once per lake)."""
    consumed: dict[str, dict[str, str]] = {name: {} for name in names}
    last: dict[str, str | None] = dict.fromkeys(names)
    committed = sorted(
        obj.uri.rsplit("/", 1)[-1].removesuffix(COMMIT_SUFFIX)
        for obj in lake.list(lake.uri(MANIFESTS))
        if obj.uri.endswith(COMMIT_SUFFIX)
    )
    for batch_id in committed:
        manifest = read_manifest(lake, manifest_uri(lake, batch_id))
        if manifest.dataset not in consumed:
            continue
        for f in manifest.files:
            if f.path not in parked[manifest.dataset]:
                consumed[manifest.dataset][f.path] = f.etag
        last[manifest.dataset] = batch_id
    return {
        name: DatasetIndex(dataset=name, consumed=consumed[name], last_committed=last[name])
        for name in names
    }


def _settle(
    lake: Lake, dataset: Dataset, index: DatasetIndex, parked: frozenset[str]
) -> tuple[DatasetIndex, tuple[ParkedFile, ...]]:
    """The index with the outcome of each open batch applied, and the files to park for having
    failed `max_attempts` times in a row."""
    consumed = dict(index.consumed)
    attempts = dict(index.attempts)
    last = index.last_committed
    failed_out = []
    for batch_id in sorted(index.open_batches):
        outcome, caught = _outcome(lake, batch_id)
        if outcome == KILLED:
            continue
        files = read_batch_manifest(lake, batch_id).files
        if outcome == COMMITTED:
            for f in files:
                attempts.pop(f.path, None)
                # A file the transform parked mid-batch is not consumed: released, it is new.
                if f.path not in parked:
                    consumed[f.path] = f.etag
            last = max(last or batch_id, batch_id)
            continue
        error = _error_text(caught)
        for f in files:
            if f.path in parked:
                continue
            prior = attempts.pop(f.path, None)
            if prior is None or prior.etag != f.etag:  # new content starts a fresh count
                prior = Attempts(f.etag, 0, error, ())
            count = prior.count + 1
            if count < dataset.max_attempts:
                attempts[f.path] = Attempts(f.etag, count, error, (*prior.batches, batch_id))
                continue
            reason = f"batch {batch_id} failed {count} consecutive attempts: {error}"
            failed_out.append(ParkedFile.of_batch_file(f, dataset.name, reason, batch_id))
    settled = replace(
        index, consumed=consumed, attempts=attempts, open_batches=(), last_committed=last
    )
    return settled, tuple(failed_out)


def _outcome(lake: Lake, batch_id: str) -> tuple[str, Any]:
    """(COMMITTED, None), (FAILED, the error the state machine caught) or (KILLED, None)."""
    if lake.exists(commit_marker_uri(lake, batch_id)):
        return COMMITTED, None
    try:
        return FAILED, lake.read_json(failure_marker_uri(lake, batch_id))
    except MissingObjectError:
        return KILLED, None


def _error_text(caught: Any) -> str:
    """'<Error>: <short cause>' of a caught error {"Error", "Cause"}; a Lambda's or a Glue
    job's cause is JSON whose message is the part worth keeping."""
    if not isinstance(caught, dict):
        return str(caught)[:CAUSE_CHARS]
    error, cause = str(caught.get("Error") or "unknown error"), caught.get("Cause")
    try:
        details = json.loads(cause) if isinstance(cause, str) else cause
    except json.JSONDecodeError:
        details = cause
    if isinstance(details, dict):
        details = details.get("errorMessage") or details.get("ErrorMessage") or details
    text = " ".join(str(details or "").split())
    if len(text) > CAUSE_CHARS:
        text = text[: CAUSE_CHARS - 1] + "…"
    return f"{error}: {text}" if text else error


def _list_raw(
    lake: Lake, chosen: list[Dataset], known: Checksums
) -> tuple[dict[str, dict[str, tuple[str | None, LakeObject]]], list[str]]:
    """Each chosen dataset's raw files, path -> (raw table or None for a stray, object), and the
    URIs of the files outside every dataset's prefix and folders.

    Listed: the chosen datasets' prefixes and folders (with checksums) and the top-level folders
    that are no dataset's (where unclaimed files lie, never hashed); never another dataset's
    prefix, so one dataset's history does not slow another's run."""
    everyone = select(None)
    names = {d.name for d in everyone}
    chosen_names = {d.name for d in chosen}
    tracked = [prefix for d in chosen for prefix in raw_prefixes(d)]
    folders, objects = lake.list_children(raw_root(lake))
    for folder in folders:
        if folder not in names and folder not in tracked:
            objects.extend(lake.list(raw_file_uri(lake, folder)))
    by_path = {raw_path(lake, obj.uri): obj for obj in objects}
    for prefix in tracked:
        for obj in lake.list(raw_file_uri(lake, prefix), checksums=True, known=known):
            by_path[raw_path(lake, obj.uri)] = obj
    files: dict[str, dict[str, tuple[str | None, LakeObject]]] = {n: {} for n in chosen_names}
    unclaimed = []
    claim_path = claimer(everyone)
    for path, obj in sorted(by_path.items()):
        claimed = claim_path(path)
        owner = claimed[0] if claimed else path.split("/", 1)[0]
        if owner in chosen_names:
            files[owner][path] = (claimed[1] if claimed else None, obj)
        elif claimed is None and owner not in names:
            unclaimed.append(obj.uri)
    return files, unclaimed


def _stray(dataset: Dataset, path: str, obj: LakeObject) -> ParkedFile:
    parts = path.split("/")
    folder = "/".join(parts[:2]) if len(parts) > 2 else parts[0]
    return ParkedFile(
        path=path,
        dataset=dataset.name,
        table=None,
        size=obj.size,
        etag=obj.etag,
        reason=f"no raw table of {dataset.name} is declared for folder {folder}",
        batch_id=None,
        parked_at=now_stamp(),
    )
