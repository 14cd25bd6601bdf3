"""The `run` fixture: run a definition on the local engine in the test's own folder."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.engine.conformance.runner import Runner, run_definition


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    return functools.partial(run_definition, tmp_path)
