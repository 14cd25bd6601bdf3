"""checkov over infra/: no failed check, and every skip says why, inline."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
TOOLS_CHECKOV = ROOT / ".venv-tools" / "bin" / "checkov"
INSTALL = "python3.11 -m venv .venv-tools && .venv-tools/bin/pip install checkov"


def _checkov() -> str:
    # checkov pins old boto3/packaging, so it lives in a tools venv, not the project's.
    if TOOLS_CHECKOV.is_file():
        return str(TOOLS_CHECKOV)
    found = shutil.which("checkov")
    if found:
        return found
    pytest.fail(f"checkov not found at {TOOLS_CHECKOV} or on PATH; install it with: {INSTALL}")


@pytest.fixture(scope="module")
def checkov_results() -> dict:
    completed = subprocess.run(
        [
            _checkov(),
            "--directory",
            str(INFRA),
            "--framework",
            "terraform",
            "--compact",
            "--output",
            "json",
            # No Prisma Cloud lookups: the scan must not depend on the network.
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # checkov exits 1 when a check fails; the JSON report is there either way.
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"checkov gave no JSON report (exit {completed.returncode}): {completed.stderr}"
        )
    return report


def test_checkov_finds_no_failed_check_in_infra(checkov_results):
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]})"
        for c in checkov_results["results"]["failed_checks"]
    ]
    assert failed == []
    assert checkov_results["results"]["parsing_errors"] == []
    assert checkov_results["summary"]["failed"] == 0


def test_checkov_scans_the_terraform_it_should(checkov_results):
    # A parse failure or a wrong directory would pass with zero checks.
    assert checkov_results["summary"]["resource_count"] >= 60
    assert checkov_results["summary"]["passed"] >= 300


def test_checkov_passes_the_state_machine_policy_that_writes_the_catalog(checkov_results):
    # The policy that now registers partitions: its least-privilege checks ran and passed.
    passed = {
        c["check_id"]
        for c in checkov_results["results"]["passed_checks"]
        if c["resource"] == "aws_iam_policy_document.state_machine"
    }
    assert {"CKV_AWS_111", "CKV_AWS_356", "CKV_AWS_108", "CKV_AWS_109"} <= passed


def test_every_skipped_check_is_justified_inline(checkov_results):
    skipped = checkov_results["results"]["skipped_checks"]
    unjustified = [
        f"{c['check_id']} {c['resource']}"
        for c in skipped
        # What checkov records for a bare `#checkov:skip=CKV_...`.
        if c["check_result"].get("suppress_comment", "").strip() in ("", "No comment provided")
    ]
    assert skipped and unjustified == []
