"""A lake that cannot be written, a full disk and a corrupted manifest: the execution fails with
an error naming the path, and nothing is committed (no Spark: Extract is where each one shows).

The read-only lake and the full disk are real file systems, without root: a tmpfs of a fixed
size mounted inside an unprivileged user and mount namespace (`unshare --user --map-root-user
--mount`, util-linux). This process reaches it through /proc/<pid>/root of the process holding
the namespace, so the execution runs here, in process, and the mount goes away with that process.
Root needs nothing more (it ignores chmod, not a read-only or full file system); anyone without
unshare or user namespaces gets a failure saying so, never a skip.
"""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.core.lake import ZONES
from orchestration.core.layout import commit_marker_uri
from orchestration.core.settings import Settings
from orchestration.engine import RunRequest, run_execution
from orchestration.lambdas.extract import extract
from tests.reliability.warehouse_state import TPCH_ONLY, committed_batches

pytestmark = pytest.mark.reliability

ORDERS = ("raw", "tpch", "orders", "ingest_date=2025-01-01", "orders.tbl")

# Mounts a tmpfs on $1 of size $2, then on each line read remounts it read-only; exits (and so
# unmounts) when its stdin closes.
_HOLDER = (
    'mount -t tmpfs -o size="$2" tmpfs "$1" || exit 1; echo mounted; '
    'read -r _ || exit 0; mount -t tmpfs -o remount,ro tmpfs "$1" || exit 1; echo read-only; '
    "read -r _; exit 0"
)
_MISSING = (
    "the lake-fault tests mount a tmpfs in an unprivileged user namespace and need util-linux "
    "`unshare` on PATH and user namespaces enabled (user.max_user_namespaces > 0; on Debian "
    "kernel.unprivileged_userns_clone=1; on Ubuntu 23.10+ "
    "kernel.apparmor_restrict_unprivileged_userns=0)"
)


class Tmpfs:
    """A tmpfs of `size` in a user and mount namespace of its own; `path` is where this process
    sees it."""

    def __init__(self, mountpoint: Path, size: str):
        if shutil.which("unshare") is None:
            pytest.fail(f"{_MISSING}: unshare is not installed", pytrace=False)
        mountpoint.mkdir(parents=True, exist_ok=True)
        self._holder = subprocess.Popen(
            ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", _HOLDER, "sh",
             str(mountpoint), size],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self._expect("mounted")
        self.path = Path(f"/proc/{self._holder.pid}/root{mountpoint}")

    def remount_read_only(self) -> None:
        self._holder.stdin.write("\n")
        self._holder.stdin.flush()
        self._expect("read-only")

    def _expect(self, line: str) -> None:
        if self._holder.stdout.readline().strip() != line:
            self._holder.stdin.close()
            self._holder.wait(timeout=10)
            pytest.fail(f"{_MISSING}: {self._holder.stderr.read().strip()}", pytrace=False)

    def close(self) -> None:
        self._holder.stdin.close()
        self._holder.wait(timeout=10)


@pytest.fixture
def tmpfs() -> Iterator:
    mounted: list[Tmpfs] = []

    def mount(mountpoint: Path, size: str = "1m") -> Tmpfs:
        mounted.append(Tmpfs(mountpoint, size))
        return mounted[-1]

    yield mount
    for each in reversed(mounted):
        each.close()


def test_a_tmpfs_in_a_user_namespace_is_a_real_read_only_then_full_file_system(tmp_path, tmpfs):
    """The mechanism itself, so that a test below cannot pass for the wrong reason."""
    mounted = tmpfs(tmp_path / "fs", "64k")
    (mounted.path / "a").write_text("a")
    assert not (tmp_path / "fs" / "a").exists()  # only the namespace's tmpfs holds it
    with pytest.raises(OSError) as full, (mounted.path / "big").open("wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()
    assert full.value.errno == errno.ENOSPC
    mounted.remount_read_only()
    with pytest.raises(OSError) as refused:
        (mounted.path / "b").write_text("b")
    assert refused.value.errno == errno.EROFS


def _failure(result) -> str:
    assert result.status == "FAILED"
    return json.loads(result.record["cause"])["errorMessage"]


def _settings(tmp_path: Path, monkeypatch, **zones: str) -> Settings:
    """The settings of a lake under tmp_path with `zones` moved, in the environment too (the
    Lambdas read it)."""
    env = {"SFN_ETL_LAKE": str(tmp_path / "lake"), "SFN_ETL_HOME": str(tmp_path / "home")}
    env.update({f"SFN_ETL_LAKE_{zone.upper()}": root for zone, root in zones.items()})
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env(env)


def test_a_read_only_lake_fails_naming_the_manifest_it_cannot_write(tmp_path, monkeypatch, tmpfs):
    mounted = tmpfs(tmp_path / "lake-fs")
    lake_dir = mounted.path
    # Every zone on the tmpfs: the whole lake is read-only. (The lake root itself cannot be the
    # /proc/<pid>/root path: Settings resolves it, and that link resolves to this namespace.)
    settings = _settings(tmp_path, monkeypatch, **{zone: f"{lake_dir}/{zone}" for zone in ZONES})
    lake = settings.open_lake()
    lake.write_text(lake.uri(*ORDERS), "1|x|\n")
    mounted.remount_read_only()

    result = run_execution(settings, RunRequest(input=TPCH_ONLY, time_scale=0.01))
    message = _failure(result)
    assert message.startswith(f"cannot write {lake_dir}/manifests/")
    assert message.endswith(".json: Read-only file system")
    assert not (lake_dir / "manifests").exists()
    assert result.record["error"] == "LakeError"


def test_a_full_disk_fails_naming_the_manifest_and_commits_nothing(tmp_path, monkeypatch, tmpfs):
    manifests = tmpfs(tmp_path / "manifests-fs", "64k").path
    filler = manifests / "filler"
    with pytest.raises(OSError) as full, filler.open("wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()
    assert full.value.errno == errno.ENOSPC
    settings = _settings(tmp_path, monkeypatch, manifests=str(manifests))
    lake = settings.open_lake()
    lake.write_text(lake.uri(*ORDERS), "1|x|\n")

    result = run_execution(settings, RunRequest(input=TPCH_ONLY, time_scale=0.01))
    message = _failure(result)
    assert message.startswith(f"cannot write {manifests}/")
    assert message.endswith(".json: No space left on device")
    # No manifest, and no temporary file left behind either.
    assert [p.name for p in manifests.iterdir()] == ["filler"]
    assert committed_batches(lake) == []


def test_a_corrupted_committed_manifest_fails_naming_it_and_commits_nothing(tmp_path, monkeypatch):
    settings = _settings(tmp_path, monkeypatch)
    lake = settings.open_lake()
    lake.write_text(lake.uri(*ORDERS), "1|x|\n")
    (first,) = extract(lake, batch_id="b1")["datasets"]
    assert first["batch_id"] == "b1-tpch"
    lake.write_json(commit_marker_uri(lake, first["batch_id"]), {"tables": []})
    manifest = Path(first["manifest_uri"])
    manifest.write_text(manifest.read_text()[:40])  # torn by a disk or a hand edit
    lake.write_text(lake.uri("raw", "tpch", "orders", "ingest_date=2025-01-02", "orders.tbl"), "2|")

    result = run_execution(settings, RunRequest(input=TPCH_ONLY, time_scale=0.01))
    message = _failure(result)
    assert message.startswith(f"not valid JSON: {manifest} (line ")
    assert committed_batches(lake) == ["b1-tpch"]
    assert sorted(p.name for p in manifest.parent.iterdir()) == [
        "_index",  # the first extract's; the failed one left no new manifest
        "b1-tpch.committed.json",
        "b1-tpch.json",
    ]
