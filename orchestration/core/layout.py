"""Every path of the lake layout (CONTRACTS.md), built in one place.

```
raw/<dataset>/<table>/...                               extracts as they land
manifests/<batch_id>.json, <batch_id>.committed.json    a dataset's batch and its bookmark
manifests/<batch_id>.failed.json                        why a dataset's batch failed
manifests/_index/<dataset>.json                         Extract's compacted view of history
manifests/_parked/<raw path>.json                       a parked raw file and why
curated/<dataset>/<table>/batch_id=<id>/                curated Parquet of a batch
curated/<dataset>/_reports/batch_id=<id>/transform.json the transform's counts
curated/<dataset>/_state/<raw table>/batch_id=<id>/     every known row of a parent/reference table
curated/<dataset>/_held/<raw table>/batch_id=<id>/      children waiting for their parent
quarantine/<dataset>/<raw table>/batch_id=<id>/         rejected rows with their reason
validation/<batch_id>/summary.json, results.json, docs/ the Validate job's verdict
```
A batch holds the files of one dataset, so a batch id names its dataset's outputs everywhere.
"""

from __future__ import annotations

from orchestration.core.lake import CURATED, MANIFESTS, QUARANTINE, RAW, VALIDATION, Lake

COMMIT_SUFFIX = ".committed.json"
FAILURE_SUFFIX = ".failed.json"
REPORTS = "_reports"
STATE = "_state"
HELD = "_held"
INDEX = "_index"
PARKED = "_parked"


def raw_root(lake: Lake) -> str:
    return lake.uri(RAW)


def raw_file_uri(lake: Lake, path: str) -> str:
    """The URI of a raw file named by its path relative to the raw zone (as manifests name it)."""
    return lake.uri(RAW, path)


def raw_path(lake: Lake, uri: str) -> str:
    """A raw file's path relative to the raw zone: how manifests, the index and parked markers
    name it, so a lake moved elsewhere keeps its history."""
    root = raw_root(lake).rstrip("/") + "/"
    if not uri.startswith(root):
        raise ValueError(f"{uri} is not under the raw zone {root}")
    return uri[len(root) :]


def manifest_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(MANIFESTS, f"{batch_id}.json")


def commit_marker_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(MANIFESTS, f"{batch_id}{COMMIT_SUFFIX}")


def commit_marker_bucket_key(lake: Lake, batch_id: str) -> tuple[str, str]:
    return lake.bucket_key(MANIFESTS, f"{batch_id}{COMMIT_SUFFIX}")


def failure_marker_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(MANIFESTS, f"{batch_id}{FAILURE_SUFFIX}")


def failure_marker_bucket_key(lake: Lake, batch_id: str) -> tuple[str, str]:
    return lake.bucket_key(MANIFESTS, f"{batch_id}{FAILURE_SUFFIX}")


def index_uri(lake: Lake, dataset: str) -> str:
    return lake.uri(MANIFESTS, INDEX, f"{dataset}.json")


def parked_root(lake: Lake) -> str:
    return lake.uri(MANIFESTS, PARKED)


def parked_marker_uri(lake: Lake, path: str) -> str:
    """The marker of the raw file at `path` (relative to the raw zone)."""
    return lake.uri(MANIFESTS, PARKED, f"{path}.json")


def state_uri(lake: Lake, dataset: str, raw_table: str, batch_id: str) -> str:
    return lake.uri(CURATED, dataset, STATE, raw_table, f"batch_id={batch_id}")


def held_uri(lake: Lake, dataset: str, raw_table: str, batch_id: str) -> str:
    return lake.uri(CURATED, dataset, HELD, raw_table, f"batch_id={batch_id}")


def curated_uri(lake: Lake, dataset: str, table: str, batch_id: str) -> str:
    return lake.uri(CURATED, dataset, table, f"batch_id={batch_id}")


def curated_table_uri(lake: Lake, dataset: str, table: str) -> str:
    """The folder of every batch of a curated table."""
    return lake.uri(CURATED, dataset, table)


def quarantine_uri(lake: Lake, dataset: str, raw_table: str, batch_id: str) -> str:
    return lake.uri(QUARANTINE, dataset, raw_table, f"batch_id={batch_id}")


def report_uri(lake: Lake, dataset: str, batch_id: str) -> str:
    return lake.uri(CURATED, dataset, REPORTS, f"batch_id={batch_id}", "transform.json")


def summary_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(VALIDATION, batch_id, "summary.json")


def summary_bucket_key(lake: Lake, batch_id: str) -> tuple[str, str]:
    return lake.bucket_key(VALIDATION, batch_id, "summary.json")


def results_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(VALIDATION, batch_id, "results.json")


def docs_root(lake: Lake, batch_id: str) -> str:
    return lake.uri(VALIDATION, batch_id, "docs")


def docs_index_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(VALIDATION, batch_id, "docs", "index.html")
