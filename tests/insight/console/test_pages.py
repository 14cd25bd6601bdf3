"""The console's pages from real executions (console/pages.py)."""

from __future__ import annotations

import json
import re

import pytest

from orchestration.core.errors import UserError
from orchestration.core.settings import Settings
from orchestration.engine.definition import load_definition
from orchestration.insight.console.pages import BadRequest, Pages
from tests.insight.executions import run_definition, run_mixed

PASS_ONLY = {"StartAt": "Only", "States": {"Only": {"Type": "Pass", "End": True}}}
SCRIPT = "<script>alert(1)</script>"


def _pages(document=None) -> Pages:
    return Pages(Settings.from_env(), document or load_definition().document)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_executions_list_filters_by_status(lake_root, tmp_path):
    run_mixed(lake_root, name="mixed")
    run_definition(tmp_path, PASS_ONLY, name="easy")
    pages = _pages()

    everything = pages.executions(None)
    failed = pages.executions("FAILED")

    assert 'href="/executions/mixed"' in everything and 'href="/executions/easy"' in everything
    assert 'href="/executions/mixed"' in failed and "/executions/easy" not in failed
    assert 'href="/?status=FAILED" class="current"' in failed
    assert "No TIMED_OUT executions yet" in pages.executions("TIMED_OUT")


def test_an_unknown_status_is_a_bad_request_naming_the_choices(lake_root):
    with pytest.raises(BadRequest, match="unknown status 'failed': one of RUNNING, SUCCEEDED"):
        _pages().executions("failed")


def test_an_execution_page_shows_status_graph_timeline_datasets_and_history(lake_root):
    result = run_mixed(lake_root)
    page = _pages().execution("mixed")

    assert '<span id="status" class="status FAILED">FAILED</span>' in page
    graph = page[page.index('<div class="graph" id="graph">') :]
    assert graph.removeprefix('<div class="graph" id="graph">').lstrip().startswith("<svg")
    assert "<title>Transform</title>" in graph
    timeline = page[page.index('id="timeline"') : page.index('id="events"')]
    assert timeline.count('<td class="bar">') == len(
        [e for e in result.events if e["type"].endswith("StateEntered")]
    )
    assert "ProcessDatasets[0] &gt; Deliver &gt; LoadTables[1]" in timeline
    events = page[page.index('id="events"') :]
    assert events.count("<tr>") == len(result.events) + 1
    text = _text(page[page.index('id="datasets"') : page.index('id="validation"')])
    assert "alpha committed b1-alpha 1 passed dim_a: 2 inserted, 0 updated" in text
    assert "beta failed States.TaskFailed b1-beta 1 not run" in text
    assert '<a href="/quarantine/alpha/items/b1-alpha">items: 3</a>' in page


def test_the_validation_section_links_data_docs_and_parked_files(lake_root):
    run_mixed(lake_root)
    (lake_root / "validation" / "b1-alpha" / "docs").mkdir(parents=True)
    (lake_root / "validation" / "b1-alpha" / "docs" / "index.html").write_text("docs")
    report = lake_root / "curated/alpha/_reports/batch_id=b1-alpha/transform.json"
    parked = {"path": "alpha/items/d=1/a b#.csv", "table": "items", "reason": "layout", "lines": 4}
    report.write_text(json.dumps(json.loads(report.read_text()) | {"parked_files": [parked]}))

    page = _pages().execution("mixed")

    assert '<a href="/docs/b1-alpha/index.html">Data Docs</a>' in page
    assert "/docs/b1-beta/" not in page
    assert '<a href="/parked/alpha/items/d%3D1/a%20b%23.csv">alpha/items/d=1/a b#.csv</a>' in page


def test_markup_in_state_names_and_input_is_escaped(lake_root, tmp_path):
    document = {"StartAt": SCRIPT, "States": {SCRIPT: {"Type": "Pass", "End": True}}}
    run_definition(tmp_path, document, {"note": SCRIPT}, name="nasty")

    page = _pages(document).execution("nasty")

    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_missing_execution_names_it(lake_root):
    with pytest.raises(UserError, match="no execution named 'gone'"):
        _pages().execution("gone")
