"""Two sources in one execution: a SIGKILL inside one dataset's load after the other dataset
committed, then a rerun, converges to the warehouse of a clean run (full-table checksums)."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

from orchestration.core.lake import Lake
from orchestration.engine import RunRequest, run_execution
from tests.conftest import TINY_SUITES
from tests.reliability.kill_at import TWO_SOURCES
from tests.reliability.warehouse_state import audit_rows, checksums, committed_files, raw_files
from tests.reliability.world import SCALE, World, isolate
from transforms.registry import EXTRA_DATASETS_ENV

pytestmark = pytest.mark.reliability


def _land_tiny(lake: Lake, day: str, sale: int) -> None:
    """A day of the tests' tiny dataset: its shops and one sale."""
    files = {
        "shops": "shop_id,name\n1,north\n2,south\n",
        "sales": f"sale_id,shop_id,amount,sold_on\n{sale},{sale % 2 + 1},5.00,{day}\n",
    }
    for table, text in files.items():
        path = Path(lake.uri("raw", "tiny", table, f"ingest_date={day}", f"{table}.csv"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture(scope="module")
def two_sources(tmp_path_factory, spark) -> World:
    """TPC-H and tiny: day 1 of both loaded; day 2 of both landed (the snapshot); the clean
    run of day 2 is the reference."""
    from transforms.tpch.seed import seed

    root = tmp_path_factory.mktemp("two_sources")
    work = root / "work"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(EXTRA_DATASETS_ENV, f"tests.datasets.tiny={TINY_SUITES}")
        settings = isolate(patch, work)
        lake = settings.open_lake()
        seed(lake, scale=SCALE, batches=2, only_batches={1})
        _land_tiny(lake, "2025-01-01", 10)
        first = run_execution(settings, RunRequest(input=TWO_SOURCES, time_scale=0.01))
        assert first.status == "SUCCEEDED", first.record
        seed(lake, scale=SCALE, batches=2, only_batches={2})
        _land_tiny(lake, "2025-01-02", 11)
        shutil.copytree(work, root / "snapshot")
        before = {name: checksums(settings, name) for name in TWO_SOURCES["datasets"]}
        clean = run_execution(settings, RunRequest(input=TWO_SOURCES, time_scale=0.01))
        assert clean.status == "SUCCEEDED", clean.record
        reference = {name: checksums(settings, name) for name in TWO_SOURCES["datasets"]}
        yield World(work, root / "snapshot", settings, before, reference, committed_files(lake))


def test_a_kill_in_one_datasets_load_after_the_other_committed_converges_on_rerun(two_sources):
    world = two_sources
    world.restore()
    killed = world.killed_run("load_after_other_committed")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert (world.settings.home / "killed_at").read_text() == "load_after_other_committed"

    # tiny's day 2 is loaded and committed; TPC-H's load died in its transaction: unchanged.
    assert checksums(world.settings, "tiny") == world.reference["tiny"]
    assert checksums(world.settings, "tpch") == world.before["tpch"]
    assert world.reference["tpch"] != world.before["tpch"]

    rerun = world.run(TWO_SOURCES)
    assert rerun.status == "SUCCEEDED", rerun.record
    assert {name: checksums(world.settings, name) for name in world.reference} == world.reference
    assert committed_files(world.lake) == world.reference_committed_files == raw_files(world.lake)
    for name in TWO_SOURCES["datasets"]:
        loaded = [(batch, table) for batch, table, _ in audit_rows(world.settings, name)]
        assert len(loaded) == len(set(loaded)), name  # no (batch, table) loaded twice
