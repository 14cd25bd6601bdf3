"""A lake that cannot be written, a full disk and a corrupted manifest: the execution fails with
an error naming the path, and nothing is committed (no Spark: Extract is where each one shows)."""

from __future__ import annotations

import errno
import json
import subprocess
from pathlib import Path

import pytest

from orchestration.engine import RunRequest, run_execution
from orchestration.lake import Lake
from orchestration.lambdas.extract import extract
from orchestration.layout import commit_marker_uri
from orchestration.settings import Settings
from tests.reliability.warehouse_state import TPCH_ONLY, committed_batches

pytestmark = pytest.mark.reliability

ORDERS = ("raw", "tpch", "orders", "ingest_date=2025-01-01", "orders.tbl")


def _mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {completed.stderr.strip()}")


@pytest.fixture
def mounts():
    mounted: list[Path] = []
    yield lambda path, size="1m": (_mount_tmpfs(path, size), mounted.append(path))
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], check=False)


def _failure(result) -> str:
    assert result.status == "FAILED"
    return json.loads(result.record["cause"])["errorMessage"]


def _settings(tmp_path: Path, **zones: str) -> Settings:
    env = {"SFN_ETL_LAKE": str(tmp_path / "lake"), "SFN_ETL_HOME": str(tmp_path / "home")}
    env.update({f"SFN_ETL_LAKE_{zone.upper()}": root for zone, root in zones.items()})
    return Settings.from_env(env)


def test_a_read_only_lake_fails_naming_the_manifest_it_cannot_write(tmp_path, monkeypatch, mounts):
    # root ignores chmod, so the lake is a tmpfs remounted read-only: nobody can write it.
    lake_dir = tmp_path / "lake"
    mounts(lake_dir)
    Lake(str(lake_dir)).write_text(Lake(str(lake_dir)).uri(*ORDERS), "1|x|\n")
    subprocess.run(["mount", "-o", "remount,ro", str(lake_dir)], check=True)
    settings = _settings(tmp_path)
    monkeypatch.setenv("SFN_ETL_LAKE", settings.lake)
    monkeypatch.setenv("SFN_ETL_HOME", str(settings.home))

    result = run_execution(settings, RunRequest(input=TPCH_ONLY, time_scale=0.01))
    message = _failure(result)
    assert message.startswith(f"cannot write {lake_dir}/manifests/")
    assert message.endswith(".json: Read-only file system")
    assert not (lake_dir / "manifests").exists()
    assert result.record["error"] == "LakeError"


def test_a_full_disk_fails_naming_the_manifest_and_commits_nothing(tmp_path, monkeypatch, mounts):
    manifests = tmp_path / "manifests-fs"
    mounts(manifests, "64k")
    filler = manifests / "filler"
    with pytest.raises(OSError) as full, filler.open("wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()
    assert full.value.errno == errno.ENOSPC
    settings = _settings(tmp_path, manifests=str(manifests))
    lake = settings.open_lake()
    lake.write_text(lake.uri(*ORDERS), "1|x|\n")
    monkeypatch.setenv("SFN_ETL_LAKE", settings.lake)
    monkeypatch.setenv("SFN_ETL_LAKE_MANIFESTS", str(manifests))
    monkeypatch.setenv("SFN_ETL_HOME", str(settings.home))

    result = run_execution(settings, RunRequest(input=TPCH_ONLY, time_scale=0.01))
    message = _failure(result)
    assert message.startswith(f"cannot write {manifests}/")
    assert message.endswith(".json: No space left on device")
    # No manifest, and no temporary file left behind either.
    assert [p.name for p in manifests.iterdir()] == ["filler"]
    assert committed_batches(lake) == []


def test_a_corrupted_committed_manifest_fails_naming_it_and_commits_nothing(tmp_path, monkeypatch):
    settings = _settings(tmp_path)
    lake = settings.open_lake()
    lake.write_text(lake.uri(*ORDERS), "1|x|\n")
    (first,) = extract(lake, batch_id="b1")["datasets"]
    assert first["batch_id"] == "b1-tpch"
    lake.write_json(commit_marker_uri(lake, first["batch_id"]), {"tables": []})
    manifest = Path(first["manifest_uri"])
    manifest.write_text(manifest.read_text()[:40])  # torn by a disk or a hand edit
    lake.write_text(lake.uri("raw", "tpch", "orders", "ingest_date=2025-01-02", "orders.tbl"), "2|")
    monkeypatch.setenv("SFN_ETL_LAKE", settings.lake)
    monkeypatch.setenv("SFN_ETL_HOME", str(settings.home))

    result = run_execution(settings, RunRequest(input=TPCH_ONLY, time_scale=0.01))
    message = _failure(result)
    assert message.startswith(f"not valid JSON: {manifest} (line ")
    assert committed_batches(lake) == ["b1-tpch"]
    assert sorted(p.name for p in manifest.parent.iterdir()) == [
        "b1-tpch.committed.json",
        "b1-tpch.json",
    ]
