"""Where the validation of a batch lands in the lake (CONTRACTS.md), without importing GX.

`sfn-etl docs` only prints a path: importing Great Expectations for it would take seconds.
"""

from __future__ import annotations

from orchestration.lake import VALIDATION, Lake

SUMMARY = "summary.json"
RESULTS = "results.json"
DOCS = "docs"


def summary_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(VALIDATION, batch_id, SUMMARY)


def results_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(VALIDATION, batch_id, RESULTS)


def docs_root(lake: Lake, batch_id: str) -> str:
    return lake.uri(VALIDATION, batch_id, DOCS)


def docs_index_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(VALIDATION, batch_id, DOCS, "index.html")
