"""`sfn-etl console` started as a process and looked at in a real headless Chromium
(Debian's chromium, installed by `setup.sh --test`; driven by playwright).

The screenshot is saved under the test's tmp_path and, to find it after the run, as
`<pytest basetemp>/console.png` (e.g. /tmp/pytest-of-root/pytest-current/console.png)."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.insight.executions import run_mixed

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Without these Chromium's background connections fail against a closed network."""
CLI = Path(sys.executable).parent / "sfn-etl"


@pytest.fixture
def console_url(lake_root):
    """`sfn-etl console --port 0` on a store holding one finished execution, `mixed`."""
    run_mixed(lake_root)
    process = subprocess.Popen(
        [str(CLI), "console", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 120)
        line = process.stdout.readline() if ready else ""
        assert line.startswith("sfn-etl console on http://127.0.0.1:"), line + (
            process.stderr.read() if process.poll() is not None else ""
        )
        yield line.split(" on ", 1)[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_console_shows_the_last_execution_its_status_and_graph_in_chromium(
    console_url, tmp_path, tmp_path_factory
):
    assert CHROMIUM.is_file(), "Debian's chromium is missing: bash setup.sh --test installs it"
    screenshot = tmp_path / "console.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh profile for each run
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = browser.new_page()
            page.goto(console_url)
            assert page.locator("#executions td a").first.inner_text() == "mixed"
            page.click("#executions td a >> text=mixed")
            page.wait_for_selector("#graph svg")

            assert page.url == f"{console_url}executions/mixed"
            assert page.inner_text("#status") == "FAILED"
            states = page.locator("#graph svg g.node title").all_text_contents()
            assert {"Extract", "ProcessDatasets", "Transform", "Failed"} <= set(states)
            # Three Maps and a Parallel with its two branches.
            assert page.locator("#graph svg g.cluster").count() == 6
            assert "entered 2x, retried 1x, caught 1 (States.TaskFailed)" in page.inner_text(
                "#graph"
            )
            page.screenshot(path=str(screenshot), full_page=False)
        finally:
            browser.close()

    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shutil.copy(screenshot, tmp_path_factory.getbasetemp() / "console.png")
