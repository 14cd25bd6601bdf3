"""The fault suite's world: a working directory (lake + state) restored from a snapshot before
each scenario, and the killed run driven by kill_at.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.core.lake import Lake
from orchestration.core.settings import Settings
from orchestration.engine import ExecutionResult, RunRequest, run_execution
from tests.reliability.warehouse_state import TPCH_ONLY

SCALE = 0.001
KILL_AT = Path(__file__).with_name("kill_at.py")
REPO = Path(__file__).resolve().parents[2]


@dataclass
class World:
    """One working directory (lake + state) restored from a snapshot before each scenario."""

    work: Path
    snapshot: Path
    settings: Settings
    before: dict
    """Checksums with batch 1 loaded and batch 2 landed, not yet run."""
    reference: dict
    """Checksums after a clean run of batch 2."""
    reference_committed_files: list[str]

    @property
    def lake(self) -> Lake:
        return self.settings.open_lake()

    def restore(self) -> None:
        shutil.rmtree(self.work)
        shutil.copytree(self.snapshot, self.work)

    def run(self, run_input: dict = TPCH_ONLY) -> ExecutionResult:
        return run_execution(self.settings, RunRequest(input=run_input, time_scale=0.01))

    def killed_run(self, point: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        return subprocess.run(
            [sys.executable, str(KILL_AT), point],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )


def isolate(patch: pytest.MonkeyPatch, work: Path) -> Settings:
    """The settings of a lake and state under `work` alone, every zone and the warehouse
    included; the environment says so too, for the killed run kill_at.py starts."""
    patch.setenv("SFN_ETL_LAKE", str(work / "lake"))
    patch.setenv("SFN_ETL_HOME", str(work / "home"))
    patch.delenv("SFN_ETL_WAREHOUSE", raising=False)
    for zone in ("RAW", "CURATED", "QUARANTINE", "MANIFESTS", "VALIDATION"):
        patch.delenv(f"SFN_ETL_LAKE_{zone}", raising=False)
    return Settings.from_env()
