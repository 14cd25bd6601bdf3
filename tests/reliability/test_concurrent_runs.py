"""Two executions on one lake: the second is refused before it writes anything (no Spark)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from orchestration.core.errors import UserError
from orchestration.core.settings import Settings
from orchestration.engine import RunRequest, lake_lock, lock_path, run_execution
from orchestration.lambdas.extract import nothing_new

pytestmark = pytest.mark.reliability

HOLD = (
    "import sys; from orchestration.engine import lake_lock; "
    "from orchestration.core.settings import Settings\n"
    "with lake_lock(Settings.from_env(), 'holder-execution'):\n"
    "    print('locked', flush=True); sys.stdin.readline()\n"
)


def _env(lake_root) -> dict[str, str]:
    env = {**os.environ}
    env.pop("SFN_ETL_WAREHOUSE", None)
    return env


@pytest.fixture
def holder(lake_root):
    """Another process holding the lake's execution lock."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(lake_root),
    )
    assert process.stdout.readline() == "locked\n"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(10)


def test_a_second_sfn_etl_run_on_the_same_lake_is_refused_naming_the_holder(
    holder, lake_root, tmp_path
):
    completed = subprocess.run(
        [sys.executable, "-m", "orchestration.cli.main", "run"],
        capture_output=True,
        text=True,
        env=_env(lake_root),
        timeout=120,
    )
    assert completed.returncode == 2
    assert completed.stderr == (
        f"error: another execution is running on lake {lake_root} (pid {holder.pid}, execution "
        "holder-execution); wait for it to finish, or stop it, and run again\n"
    )
    assert not (tmp_path / "home" / "executions").exists()
    assert not lake_root.exists()


def test_a_sigkilled_holder_leaves_no_stale_lock(holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    with lake_lock(Settings.from_env(), "next"):
        pass


def test_executions_on_different_lakes_do_not_conflict(tmp_path):
    first = Settings.from_env({"SFN_ETL_LAKE": str(tmp_path / "a"), "SFN_ETL_HOME": str(tmp_path)})
    second = Settings.from_env({"SFN_ETL_LAKE": str(tmp_path / "b"), "SFN_ETL_HOME": str(tmp_path)})
    assert lock_path(first) != lock_path(second)
    with lake_lock(first, "one"), lake_lock(second, "two"):
        pass


def test_two_concurrent_engine_runs_the_second_refused_and_the_first_unharmed(lake_root):
    settings = Settings.from_env()
    entered, release = threading.Event(), threading.Event()

    def slow_extract(event, context):
        entered.set()
        release.wait(30)
        return nothing_new()

    results = []
    first = threading.Thread(
        target=lambda: results.append(
            run_execution(
                settings, RunRequest(name="first"), overrides={"lambda:extract": slow_extract}
            )
        )
    )
    first.start()
    try:
        assert entered.wait(60)
        with pytest.raises(UserError) as refused:
            run_execution(settings, RunRequest(name="second"))
    finally:
        release.set()
        first.join(60)
    assert str(refused.value) == (
        f"another execution is running on lake {lake_root} (pid {os.getpid()}, execution "
        "first); wait for it to finish, or stop it, and run again"
    )
    assert [r.status for r in results] == ["SUCCEEDED"]
    assert sorted(p.name for p in (settings.home / "executions").iterdir()) == ["first"]
    with lake_lock(settings, "after"):  # released when the first finished
        pass


def test_an_unwritable_state_directory_is_a_clear_error_before_anything_runs(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the state directory should be")
    settings = Settings.from_env(
        {"SFN_ETL_LAKE": str(tmp_path / "lake"), "SFN_ETL_HOME": str(blocker / "home")}
    )
    with pytest.raises(UserError) as refused:
        run_execution(settings, RunRequest())
    assert str(refused.value).startswith(f"cannot create the execution lock {lock_path(settings)}")
    assert not (tmp_path / "lake").exists()
