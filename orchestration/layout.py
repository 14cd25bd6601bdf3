"""Every path of the lake layout (CONTRACTS.md), built in one place.

```
raw/<dataset>/<table>/...                               extracts as they land
manifests/<batch_id>.json, <batch_id>.committed.json    a dataset's batch and its bookmark
curated/<dataset>/<table>/batch_id=<id>/                curated Parquet of a batch
curated/<dataset>/_reports/batch_id=<id>/transform.json the transform's counts
quarantine/<dataset>/<raw table>/batch_id=<id>/         rejected rows with their reason
validation/<batch_id>/summary.json, results.json, docs/ the Validate job's verdict
```
A batch holds the files of one dataset, so a batch id names its dataset's outputs everywhere.
"""

from __future__ import annotations

from orchestration.lake import CURATED, MANIFESTS, QUARANTINE, RAW, VALIDATION, Lake

COMMIT_SUFFIX = ".committed.json"
REPORTS = "_reports"


def raw_root(lake: Lake) -> str:
    return lake.uri(RAW)


def manifest_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(MANIFESTS, f"{batch_id}.json")


def commit_marker_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(MANIFESTS, f"{batch_id}{COMMIT_SUFFIX}")


def commit_marker_bucket_key(lake: Lake, batch_id: str) -> tuple[str, str]:
    return lake.bucket_key(MANIFESTS, f"{batch_id}{COMMIT_SUFFIX}")


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
