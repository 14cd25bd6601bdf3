"""Lambda `extract`: the raw files no committed batch has consumed become the next batch.

A raw file is consumed only when a manifest listing it has a commit marker, and the state
machine writes that marker only after every load succeeded. So a failed execution leaves its
files to the next one and nothing is lost; a file rewritten in place (new etag) is new data.
Runs unchanged on AWS (s3:// lake, through boto3) and locally (file system lake).

Triggers. A scheduled execution invokes it with `{"execution_id": ...}`. It also accepts the
EventBridge "Object Created" event of S3 (`{"source": "aws.s3", "detail-type": "Object Created",
"detail": {"bucket": {"name"}, "object": {"key"}}}`): the object only says *that* something
landed, so the batch is still every uncommitted raw file, exactly as on a schedule; a burst of
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

from orchestration.lake import MANIFESTS, RAW, VALIDATION, Lake
from orchestration.manifest import (
    Manifest,
    commit_marker_uri,
    manifest_file,
    manifest_uri,
    new_batch_id,
    read_manifest,
)
from orchestration.settings import Settings

COMMIT_SUFFIX = ".committed.json"


S3_OBJECT_CREATED = "Object Created"


class InvalidEvent(ValueError):
    """An event that claims to come from S3 but lacks the fields EventBridge always sends."""


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    lake = Settings.from_env().open_lake()
    trigger = s3_trigger(event or {})
    if trigger is None:
        return extract(lake)
    if not _in_raw_zone(lake, trigger["bucket"], trigger["key"]):
        return {**nothing_new(), "trigger": {**trigger, "ignored": "not under the raw zone"}}
    return {**extract(lake), "trigger": trigger}


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


def nothing_new() -> dict[str, Any]:
    return {
        "batch_id": None,
        "manifest_uri": None,
        "datasets": [],
        "file_count": 0,
        "has_work": False,
        "summary": None,
        "commit": None,
    }


def extract(lake: Lake, batch_id: str | None = None) -> dict[str, Any]:
    """Write the manifest of the new raw files and describe the batch for the state machine.

    Every key is always present: the definition's ResultSelector reads each one."""
    consumed = consumed_files(lake)
    new_files = [
        manifest_file(lake, obj)
        for obj in lake.list(lake.uri(RAW))
        if (obj.uri, obj.etag) not in consumed
    ]
    if not new_files:
        return nothing_new()
    batch_id = batch_id or new_batch_id()
    manifest = Manifest(
        batch_id=batch_id,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        files=tuple(new_files),
    )
    uri = manifest_uri(lake, batch_id)
    lake.write_json(uri, manifest.to_json())
    summary_bucket, summary_key = lake.bucket_key(VALIDATION, batch_id, "summary.json")
    commit_bucket, commit_key = lake.bucket_key(MANIFESTS, f"{batch_id}{COMMIT_SUFFIX}")
    return {
        "batch_id": batch_id,
        "manifest_uri": uri,
        "datasets": manifest.tables,
        "file_count": len(new_files),
        "has_work": True,
        "summary": {"bucket": summary_bucket, "key": summary_key},
        "commit": {"bucket": commit_bucket, "key": commit_key},
    }


def uncommitted_files(lake: Lake) -> list[tuple[str, str]]:
    """(uri, etag) of every raw file no committed manifest has consumed, sorted by URI."""
    consumed = consumed_files(lake)
    return [
        (obj.uri, obj.etag)
        for obj in lake.list(lake.uri(RAW))
        if (obj.uri, obj.etag) not in consumed
    ]


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


def is_committed(lake: Lake, batch_id: str) -> bool:
    return lake.exists(commit_marker_uri(lake, batch_id))
