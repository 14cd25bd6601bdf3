"""Lambda `extract`: the raw files no committed batch has consumed become the next batches.

Each declared dataset with new files gets a batch of its own (a manifest of its files), so the
state machine processes, loads and commits each dataset on its own and one dataset's failure
leaves the others' files committed. Raw files no dataset claims are listed in the output
(`unclaimed_files`), never taken into a batch.

A raw file is consumed only when a manifest listing it has a commit marker, and the state
machine writes that marker only after every load succeeded. So a failed execution leaves its
files to the next one and nothing is lost; a file rewritten in place (new etag; locally
size, mtime and inode, orchestration.lake.local_etag) is new data.
Runs unchanged on AWS (s3:// lake, through boto3) and locally (file system lake).

Triggers. A scheduled execution invokes it with `{"execution_id": ...}`. It also accepts the
EventBridge "Object Created" event of S3 (`{"source": "aws.s3", "detail-type": "Object Created",
"detail": {"bucket": {"name"}, "object": {"key"}}}`): the object only says *that* something
landed, so the batches are still every uncommitted raw file, exactly as on a schedule; a burst of
files is one batch however many events it raised. An event for an object outside the raw zone
starts no batch. Debouncing the burst itself belongs to the trigger: `sfn-etl watch` locally
(it waits for a quiet period before it starts an execution).

In-flight batches. Files listed by a manifest that is not committed yet are *not* excluded: a
crashed execution never commits its manifest, and excluding its files would lose them. Two
overlapping executions would therefore both take those files (the loads are MERGEs on business
keys, so no rows are duplicated, but the work is). Locally the engine's per-lake lock makes
overlap impossible; on AWS Step Functions has no such lock, so the EventBridge rule or schedule
must not start an execution while one runs (e.g. check ListExecutions(RUNNING) first).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orchestration.lake import MANIFESTS, RAW, Lake
from orchestration.layout import (
    COMMIT_SUFFIX,
    commit_marker_bucket_key,
    manifest_uri,
    raw_root,
    summary_bucket_key,
)
from orchestration.manifest import (
    Manifest,
    ManifestFile,
    claim,
    manifest_file,
    new_batch_id,
    read_manifest,
)
from orchestration.settings import Settings
from transforms.declaration import Dataset
from transforms.registry import select

S3_OBJECT_CREATED = "Object Created"


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


def nothing_new(unclaimed: list[str] | None = None) -> dict[str, Any]:
    return {
        "batch_id": None,
        "datasets": [],
        "file_count": 0,
        "has_work": False,
        "unclaimed_files": unclaimed or [],
    }


def extract(
    lake: Lake, dataset_names: list[str] | None = None, batch_id: str | None = None
) -> dict[str, Any]:
    """Write one manifest per dataset with new raw files and describe the batches for the
    state machine's Map. Every key is always present: the definition reads each one."""
    chosen = select(dataset_names)
    new_files, unclaimed = new_files_by_dataset(lake, chosen)
    if not new_files:
        return nothing_new(unclaimed)
    base = batch_id or new_batch_id()
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    by_name = {d.name: d for d in chosen}
    batches = [
        _write_batch(lake, by_name[name], f"{base}-{name}", created_at, files)
        for name, files in sorted(new_files.items())
    ]
    return {
        "batch_id": base,
        "datasets": batches,
        "file_count": sum(b["file_count"] for b in batches),
        "has_work": True,
        "unclaimed_files": unclaimed,
    }


def _write_batch(
    lake: Lake, dataset: Dataset, batch_id: str, created_at: str, files: list[ManifestFile]
) -> dict[str, Any]:
    manifest = Manifest(
        batch_id=batch_id, dataset=dataset.name, created_at=created_at, files=tuple(files)
    )
    uri = manifest_uri(lake, batch_id)
    lake.write_json(uri, manifest.to_json())
    summary_bucket, summary_key = summary_bucket_key(lake, batch_id)
    commit_bucket, commit_key = commit_marker_bucket_key(lake, batch_id)
    return {
        "dataset": dataset.name,
        "batch_id": batch_id,
        "manifest_uri": uri,
        "file_count": len(files),
        "tables": manifest.tables,
        "destinations": {d: d in dataset.destinations for d in ("warehouse", "catalog")},
        "summary": {"bucket": summary_bucket, "key": summary_key},
        "commit": {"bucket": commit_bucket, "key": commit_key},
    }


def new_files_by_dataset(
    lake: Lake, chosen: list[Dataset]
) -> tuple[dict[str, list[ManifestFile]], list[str]]:
    """The uncommitted raw files each dataset claims, and the URIs of those none claims."""
    consumed = consumed_files(lake)
    new: dict[str, list[ManifestFile]] = {}
    unclaimed: list[str] = []
    everyone = select(None)
    chosen_names = {d.name for d in chosen}
    for obj in lake.list(raw_root(lake), checksums=True):
        if (obj.uri, obj.etag) in consumed:
            continue
        claimed = claim(lake, obj.uri, everyone)
        if claimed is None:
            unclaimed.append(obj.uri)
        elif claimed[0] in chosen_names:
            new.setdefault(claimed[0], []).append(manifest_file(obj, claimed[1]))
    return new, unclaimed


def uncommitted_files(lake: Lake) -> list[tuple[str, str]]:
    """(uri, etag) of every raw file a dataset claims and no committed manifest has consumed,
    sorted by URI: the files the next execution would take."""
    new, _ = new_files_by_dataset(lake, select(None))
    return sorted((f.uri, f.etag) for files in new.values() for f in files)


def consumed_files(lake: Lake) -> set[tuple[str, str]]:
    """(uri, etag) of every raw file listed by a committed manifest."""
    consumed: set[tuple[str, str]] = set()
    for obj in lake.list(lake.uri(MANIFESTS)):
        if not obj.uri.endswith(COMMIT_SUFFIX):
            continue
        batch_id = obj.uri.rsplit("/", 1)[-1][: -len(COMMIT_SUFFIX)]
        manifest = read_manifest(lake, manifest_uri(lake, batch_id))
        consumed.update((f.uri, f.etag) for f in manifest.files)
    return consumed
