"""The console's pages, rendered from the execution store and the lake with Jinja templates
(templates/), every value escaped by the templates' autoescape.

- executions: the list, newest first, filtered by status as list-executions filters;
- one execution: its graph with the path taken, a timeline of state durations, each dataset's
  outcome (orchestration/engine/summary.py), its validation summary with links to the Data Docs
  and to samples of quarantined and parked rows, and the event history;
- a sample of quarantined rows, a parked file's first lines (files.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from orchestration.core.errors import UserError
from orchestration.core.lake import Lake, LakeError
from orchestration.core.layout import docs_index_uri, summary_uri
from orchestration.core.settings import Settings
from orchestration.engine.store import ExecutionStore
from orchestration.engine.summary import summarize
from orchestration.insight.console.files import parked_sample, quarantine_sample
from orchestration.insight.graph import build_graph, svg_markup
from orchestration.insight.paths import trace
from orchestration.insight.timeline import timeline

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
TEMPLATES = Path(__file__).resolve().parent / "templates"
DETAILS_SHOWN = 160
"""Characters of an event's details shown in the history table; the rest on demand."""


class BadRequest(UserError):
    """A query the console cannot answer, e.g. an unknown status; the message says why."""


class Pages:
    def __init__(self, settings: Settings, document: dict[str, Any]):
        self.settings = settings
        self.document = document
        self.store = ExecutionStore(settings.home)
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
        )
        self.templates.filters["segment"] = lambda value: quote(str(value), safe="")
        self.templates.filters["path"] = lambda value: quote(str(value), safe="/")

    def executions(self, status: str | None) -> str:
        if status is not None and status not in STATUSES:
            raise BadRequest(f"unknown status {status!r}: one of {', '.join(STATUSES)}")
        return self._render(
            "executions.html",
            title="Executions",
            executions=self.store.list(status),
            statuses=STATUSES,
            status=status,
        )

    def execution(self, name: str) -> str:
        record = self.store.describe(name)
        events = self.store.history(name)
        path = trace(events)
        lake = self.settings.open_lake()
        try:
            graph, graph_error = Markup(svg_markup(build_graph(self.document, path))), None
        except UserError as exc:
            graph, graph_error = None, str(exc)
        summary = summarize(record, events, lake)
        return self._render(
            "execution.html",
            title=f"Execution {record['name']}",
            record=record,
            summary=summary,
            datasets=[
                _dataset_view(lake, name, item) for name, item in summary["datasets"].items()
            ],
            graph=graph,
            graph_error=graph_error,
            bars=timeline(path),
            events=[_event_row(event) for event in events],
            refresh=record["status"] == "RUNNING",
        )

    def quarantine(self, dataset: str, raw_table: str, batch_id: str) -> str:
        sample = quarantine_sample(self.settings.open_lake(), dataset, raw_table, batch_id)
        return self._render(
            "quarantine.html",
            title=f"Quarantined rows of {dataset}.{raw_table}, batch {batch_id}",
            sample=sample,
        )

    def parked(self, path: str) -> str:
        sample = parked_sample(self.settings.open_lake(), path)
        return self._render("parked.html", title=f"Parked file {path}", sample=sample)

    def error(self, status: int, message: str) -> str:
        return self._render("error.html", title=f"{status}", message=message)

    def _render(self, template: str, **context: Any) -> str:
        context.setdefault("refresh", False)
        return self.templates.get_template(template).render(**context)


def _dataset_view(lake: Lake, dataset: str, item: dict[str, Any]) -> dict[str, Any]:
    """A dataset's outcome with what its validation found and where to look further."""
    batch_id = item["batch_id"]
    validation = _read(lake, summary_uri(lake, batch_id))
    docs = docs_index_uri(lake, batch_id)
    return {
        "name": dataset,
        **item,
        "checks": (validation or {}).get("tables", {}),
        "has_docs": not lake.is_s3 and Path(docs).is_file(),
        "parked_paths": [p["path"] if isinstance(p, dict) else p for p in item["parked_files"]],
    }


def _event_row(event: dict[str, Any]) -> dict[str, Any]:
    details = next((v for k, v in event.items() if k.endswith("EventDetails")), None) or {}
    text = json.dumps(details, separators=(",", ":"), default=str) if details else ""
    return {
        "id": event.get("id"),
        "previous": event.get("previousEventId"),
        "type": event.get("type"),
        "timestamp": event.get("timestamp"),
        "state": details.get("name", ""),
        "short": text if len(text) <= DETAILS_SHOWN else text[:DETAILS_SHOWN] + "...",
        "full": text if len(text) > DETAILS_SHOWN else None,
    }


def _read(lake: Lake, uri: str) -> dict[str, Any] | None:
    try:
        return lake.read_json(uri)
    except LakeError:
        return None
