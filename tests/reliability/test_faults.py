"""SIGKILL at Transform, between staging and MERGE, and at Commit: a rerun converges to the
warehouse of a clean run (full-table checksums, not counts). Scale 0.001, two daily batches:
batch 1 is loaded first, so batch 2's load MERGEs into non-empty tables. The kill with two
sources in one execution is in test_faults_two_sources.py."""

from __future__ import annotations

import shutil
import signal

import pytest

from orchestration.engine import RunRequest, run_execution
from tests.reliability.warehouse_state import (
    TPCH_ONLY,
    audit_rows,
    checksums,
    committed_batches,
    committed_files,
    raw_files,
)
from tests.reliability.world import SCALE, World, isolate

pytestmark = pytest.mark.reliability


@pytest.fixture(scope="module")
def world(tmp_path_factory, spark) -> World:
    from transforms.tpch.seed import seed

    root = tmp_path_factory.mktemp("faults")
    work = root / "work"
    with pytest.MonkeyPatch.context() as patch:
        settings = isolate(patch, work)
        lake = settings.open_lake()
        seed(lake, scale=SCALE, batches=2, only_batches={1})
        first = run_execution(settings, RunRequest(input=TPCH_ONLY, time_scale=0.01))
        assert first.status == "SUCCEEDED", first.record
        seed(lake, scale=SCALE, batches=2, only_batches={2})
        shutil.copytree(work, root / "snapshot")
        before = checksums(settings)
        clean = run_execution(settings, RunRequest(input=TPCH_ONLY, time_scale=0.01))
        assert clean.status == "SUCCEEDED", clean.record
        world = World(
            work,
            root / "snapshot",
            settings,
            before,
            checksums(settings),
            committed_files(lake),
        )
        yield world


def test_the_clean_run_loaded_every_raw_file_exactly_once_and_changed_every_table(world):
    assert world.reference_committed_files == raw_files(world.lake)
    assert world.reference["fact_sales"][0] > world.before["fact_sales"][0] > 0
    assert world.reference["dim_customer"] != world.before["dim_customer"]  # revised customers


@pytest.mark.parametrize(
    ("point", "loaded_before_the_kill", "committed_before_the_kill"),
    [
        ("transform", False, False),
        ("load_before_merge", False, False),
        ("commit", True, False),
        ("after_commit", True, True),
    ],
)
def test_a_sigkill_then_a_rerun_converges_to_the_clean_run_warehouse(
    world, point, loaded_before_the_kill, committed_before_the_kill
):
    world.restore()
    killed = world.killed_run(point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert (world.settings.home / "killed_at").read_text() == point

    # Nothing half-done is visible: the warehouse is exactly the one before or after the load
    # (all tables in their transactions), and the bookmark moves only with the commit marker.
    expected = world.reference if loaded_before_the_kill else world.before
    assert checksums(world.settings) == expected
    assert len(committed_batches(world.lake)) == (2 if committed_before_the_kill else 1)

    rerun = world.run()
    assert rerun.status == "SUCCEEDED", rerun.record
    assert checksums(world.settings) == world.reference
    assert committed_files(world.lake) == world.reference_committed_files == raw_files(world.lake)
    loaded = [(batch, table) for batch, table, _ in audit_rows(world.settings)]
    assert len(loaded) == len(set(loaded))  # no (batch, table) loaded twice
