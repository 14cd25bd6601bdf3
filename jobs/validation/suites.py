"""Expectation suites: expectations/<dataset>/<table>.json, shipped with the package, loaded
strictly.

A suite file is a Great Expectations 1.x ExpectationSuite as JSON:
`{"name": table, "expectations": [{"type": ..., "kwargs": {...}, "meta": {...}}], "meta": {...}}`.
GX itself drops an expectation it cannot build with only a log line, and a suite that silently
lost an expectation passes data it should fail: here every expectation is built up front and
any problem is an error naming the file and the expectation.

`meta.references` lists fact columns whose values must be keys of a dimension of the same
dataset, in the batch or in the warehouse: `[{"column": ..., "table": <curated table>, "key":
<its key column>, "mostly": <share, optional>}]`. GX has no expectation for that; the validate
job computes it. `mostly` is GX's: the share of the column's non-null values that must be keys
(default 1, every one).

Suites hold what judges the batch as a whole: row counts, not-null and unique keys, references.
A check of one value of one row is a row rule of the raw table instead
(transforms/<dataset>/dataset.py), so one bad value quarantines its row, not the batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from orchestration.core.errors import UserError
from transforms.declaration import Dataset

_COLUMN_KWARGS = ("column", "column_A", "column_B")


class SuiteError(UserError):
    """A suite file is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class Reference:
    column: str
    table: str
    key: str
    mostly: float = 1.0


@dataclass(frozen=True)
class Suite:
    table: str
    source: str
    expectations: tuple[Expectation, ...]
    meta: dict[str, Any]
    references: tuple[Reference, ...]

    def to_gx(self) -> ExpectationSuite:
        """A fresh GX suite: GX binds expectations to one suite, so each run gets copies."""
        return ExpectationSuite(
            name=self.table,
            expectations=[e.configuration.to_domain_obj() for e in self.expectations],
            meta=dict(self.meta),
        )


def load_suite(dataset: Dataset, table: str) -> Suite:
    path = Path(dataset.suites) / f"{table}.json"
    if not path.is_file():
        raise SuiteError(f"no expectation suite for curated table {table!r}: {path} is missing")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"cannot read expectation suite {path}: {exc}") from exc
    return parse_suite(text, dataset, table, str(path))


def parse_suite(text: str, dataset: Dataset, table: str, source: str) -> Suite:
    """The suite for `table` of `dataset` from the JSON text of `source` (a path, for
    messages)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{source}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("expectations"), list):
        raise SuiteError(f'{source}: expected an object with "name" and an "expectations" list')
    if document.get("name") != table:
        raise SuiteError(f"{source}: suite name {document.get('name')!r} is not {table!r}")
    curated = {t.name: set(t.column_names) for t in dataset.curated_tables}
    if table not in curated:
        raise SuiteError(f"{source}: {table!r} is not a curated table of {dataset.name}")
    columns = curated[table]
    expectations = tuple(
        _expectation(entry, number, columns, source)
        for number, entry in enumerate(document["expectations"], start=1)
    )
    if not expectations:
        raise SuiteError(f"{source}: the suite has no expectations")
    meta = document.get("meta") or {}
    if not isinstance(meta, dict):
        raise SuiteError(f'{source}: "meta" must be an object')
    return Suite(
        table=table,
        source=source,
        expectations=expectations,
        meta=meta,
        references=_references(meta.get("references", []), columns, curated, source),
    )


def _expectation(entry: Any, number: int, columns: set[str], source: str) -> Expectation:
    where = f"{source}: expectation {number}"
    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
        raise SuiteError(f'{where}: expected an object with "type" and "kwargs"')
    kwargs = entry.get("kwargs", {})
    if not isinstance(kwargs, dict):
        raise SuiteError(f'{where} ({entry["type"]}): "kwargs" must be an object')
    try:
        expectation = ExpectationConfiguration(
            type=entry["type"], kwargs=kwargs, meta=entry.get("meta")
        ).to_domain_obj()
    except Exception as exc:  # noqa: BLE001 - GX raises pydantic, lookup and value errors alike
        detail = " ".join(str(exc).split())
        raise SuiteError(f"{where} ({entry['type']}): {detail}") from exc
    referenced = [kwargs[k] for k in _COLUMN_KWARGS if k in kwargs] + kwargs.get("column_list", [])
    unknown = sorted(set(referenced) - columns)
    if unknown:
        raise SuiteError(f"{where} ({entry['type']}): no column {', '.join(unknown)} in the table")
    return expectation


def _references(
    entries: Any, columns: set[str], curated: dict[str, set[str]], source: str
) -> tuple[Reference, ...]:
    if not isinstance(entries, list):
        raise SuiteError(f'{source}: "meta.references" must be a list')
    references = []
    for number, entry in enumerate(entries, start=1):
        where = f"{source}: reference {number}"
        try:
            reference = Reference(entry["column"], entry["table"], entry["key"])
        except (KeyError, TypeError) as exc:
            raise SuiteError(f'{where}: expected "column", "table" and "key"') from exc
        unknown = sorted(set(entry) - {"column", "table", "key", "mostly"})
        if unknown:
            raise SuiteError(f"{where}: unknown field {unknown[0]!r}")
        mostly = entry.get("mostly", 1.0)
        if isinstance(mostly, bool) or not isinstance(mostly, int | float) or not 0 < mostly <= 1:
            raise SuiteError(f"{where}: mostly {mostly!r} must be a share in (0, 1]")
        reference = Reference(reference.column, reference.table, reference.key, float(mostly))
        if reference.column not in columns:
            raise SuiteError(f"{where}: no column {reference.column!r} in the table")
        if reference.key not in curated.get(reference.table, set()):
            raise SuiteError(f"{where}: no curated column {reference.table}.{reference.key}")
        references.append(reference)
    return tuple(references)
