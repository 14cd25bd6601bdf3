"""Lambda `extract`: the raw files no committed batch has consumed become the next batch.

A raw file is consumed only when a manifest listing it has a commit marker, and the state
machine writes that marker only after every load succeeded. So a failed execution leaves its
files to the next one and nothing is lost; a file rewritten in place (new etag) is new data.
Runs unchanged on AWS (s3:// lake, through boto3) and locally (file system lake).
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


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return extract(Settings.from_env().open_lake())


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
        return {
            "batch_id": None,
            "manifest_uri": None,
            "datasets": [],
            "file_count": 0,
            "has_work": False,
            "summary": None,
            "commit": None,
        }
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
