"""summary.json: the verdict the state machine routes on, and the loads its Map iterates over.

```
{"batch_id": ..., "dataset": ..., "success": bool, "validated_at": ...,
 "tables": {table: {"success", "evaluated",
                    "failed": [{"expectation", "column", "unexpected_count", "sample"}]}},
 "loads": [{"dataset", "table", "curated_uri"}, ...], "notes": [...],
 "set_aside": {"held": {raw table: rows}, "parked_files": [raw path, ...]}}
```
GX results and the job's computed checks arrive here as CheckResults of the same shape.
`tables` holds every curated table of the batch, and the raw tables with checks of their own
(gate rules; the quarantined share of a raw table no curated table reconciles with): raw and
curated tables of a dataset never share a name. `loads` lists curated tables only; a batch
without curated tables has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)

from jobs.validation.checks import SAMPLE_SIZE, CheckResult
from transforms.declaration import Dataset


def gx_checks(result: ExpectationSuiteValidationResult) -> list[CheckResult]:
    return [_gx_check(r) for r in result.results]


def _gx_check(result: ExpectationValidationResult) -> CheckResult:
    config = result.expectation_config
    details = result.result or {}
    if result.exception_info and result.exception_info.get("raised_exception"):
        sample = [result.exception_info.get("exception_message")]
    elif "partial_unexpected_list" in details:
        sample = list(details["partial_unexpected_list"][:SAMPLE_SIZE])
    else:
        # Aggregate expectations (row count, min, mean...) report what they observed instead.
        sample = [details["observed_value"]] if "observed_value" in details else []
    return CheckResult(
        expectation=config.type,
        column=_column(config.kwargs),
        success=bool(result.success),
        unexpected_count=details.get("unexpected_count"),
        sample=sample,
    )


def _column(kwargs: Mapping[str, Any]) -> str | None:
    if "column" in kwargs:
        return kwargs["column"]
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return None


def table_entry(checks: Iterable[CheckResult]) -> dict[str, Any]:
    checks = list(checks)
    failed = [
        {
            "expectation": c.expectation,
            "column": c.column,
            "unexpected_count": c.unexpected_count,
            "sample": json_safe(c.sample),
        }
        for c in checks
        if not c.success
    ]
    return {"success": not failed, "evaluated": len(checks), "failed": failed}


def build_summary(
    batch_id: str,
    dataset: Dataset,
    checks: Mapping[str, Iterable[CheckResult]],
    curated_uris: Mapping[str, str],
    notes: Iterable[str] = (),
    validated_at: datetime | None = None,
    raw_counts: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """`raw_counts` (the transform report's per raw table) gives `set_aside`: the rows held for
    their parent and the files parked, which the state machine passes on to the notification."""
    raw_counts = raw_counts or {}
    tables = {table: table_entry(results) for table, results in sorted(checks.items())}
    # Dimensions first: a Map run one table at a time then loads facts after their keys.
    order = [t for t in dataset.load_order() if t in curated_uris]
    return {
        "batch_id": batch_id,
        "dataset": dataset.name,
        "success": all(entry["success"] for entry in tables.values()),
        "validated_at": (validated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "tables": tables,
        "loads": [
            {"dataset": dataset.name, "table": t, "curated_uri": curated_uris[t]} for t in order
        ],
        "notes": list(notes),
        "set_aside": {
            "held": {t: int(c["held"]) for t, c in sorted(raw_counts.items()) if c.get("held")},
            "parked_files": sorted(
                p for c in raw_counts.values() for p in c.get("parked_files", [])
            ),
        },
    }


def json_safe(value: Any) -> Any:
    """Samples as JSON values: dates as ISO strings, decimals as exact strings."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
