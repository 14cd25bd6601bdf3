"""`sfn-etl schedule` and `sfn-etl watch` on a fake clock, with a fake execution (no Spark)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from orchestration.cli.commands import schedule as command
from orchestration.cli.main import main
from orchestration.core.errors import UserError
from orchestration.core.lake import Lake
from orchestration.lambdas.extract import extract

START = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)


class FakeTime:
    """Jumps forward by however long the command asks to sleep; `at` runs actions on the way."""

    def __init__(self):
        self.now = START
        self.actions: dict[float, callable] = {}

    def clock(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return (self.now - START).total_seconds()

    def sleep(self, seconds: float) -> bool:
        self.now += timedelta(seconds=seconds)
        for at in sorted(self.actions):
            if self.monotonic() >= at:
                self.actions.pop(at)()
        return False


@pytest.fixture
def fake(monkeypatch, lake_root):
    time, logs = FakeTime(), []
    monkeypatch.setattr(command, "clock", time.clock)
    monkeypatch.setattr(command, "monotonic", time.monotonic)
    monkeypatch.setattr(command, "sleep", time.sleep)
    monkeypatch.setattr(command, "_logger", lambda: logs.append)
    time.logs = logs
    return time


def _runs(monkeypatch, execute):
    calls = []

    def run_once(execution_input):
        calls.append(execution_input)
        return execute(execution_input)

    monkeypatch.setattr(command, "make_run_once", lambda time_scale: run_once)
    return calls


def test_schedule_starts_one_execution_per_tick_of_the_expression(fake, monkeypatch):
    fired = []
    _runs(monkeypatch, lambda _: fired.append(fake.now) or "e SUCCEEDED")
    code = main(
        ["schedule", "--expression", "cron(0/15 * * * ? *)", "--max-executions", "3",
         "--input", '{"note": "nightly"}']
    )  # fmt: skip
    assert code == 0
    assert [f"{moment:%H:%M}" for moment in fired] == ["00:15", "00:30", "00:45"]
    assert fake.logs[-1] == "stopped: 3 execution(s) started, 0 tick(s) skipped"
    assert "tick at 2026-01-01T00:15:00+00:00: execution e SUCCEEDED" in fake.logs


def test_schedule_passes_the_input_to_every_execution(fake, monkeypatch):
    calls = _runs(monkeypatch, lambda _: "e SUCCEEDED")
    assert main(["schedule", "--max-executions", "2", "--input", '{"note": "n"}']) == 0
    assert calls == [{"note": "n"}, {"note": "n"}]


def test_schedule_defaults_to_the_terraform_schedule_expression(fake, monkeypatch):
    fired = []
    _runs(monkeypatch, lambda _: fired.append(fake.now) or "e SUCCEEDED")
    assert main(["schedule", "--max-executions", "2"]) == 0
    assert fake.logs[0] == "schedule rate(1 hour): Ctrl-C stops (finish the running execution)"
    assert fired == [START + timedelta(hours=1), START + timedelta(hours=2)]


def test_schedule_refuses_an_invalid_expression_with_the_reason(fake, monkeypatch, capsys):
    calls = _runs(monkeypatch, lambda _: "e SUCCEEDED")
    assert main(["schedule", "--expression", "cron(0 2 * * * *)"]) == 2
    assert calls == []
    error = capsys.readouterr().err
    assert error.startswith("error: invalid cron")
    assert "?" in error


def test_schedule_skips_and_logs_a_tick_while_an_execution_still_runs(fake, monkeypatch):
    release = threading.Event()
    logs = fake.logs

    def log(message):
        logs.append(message)
        if "skipped" in message:
            release.set()

    monkeypatch.setattr(command, "_logger", lambda: log)
    calls = _runs(monkeypatch, lambda _: "e SUCCEEDED" if release.wait(10) else "e TIMED OUT")
    assert main(["schedule", "--expression", "rate(15 minutes)", "--max-executions", "2"]) == 0
    assert len(calls) == 1
    assert "tick at 2026-01-01T00:30:30+00:00 skipped: an execution is still running" in logs
    assert logs[-1] == "stopped: 1 execution(s) started, 1 tick(s) skipped"


def test_schedule_with_allow_overlap_starts_a_tick_while_one_runs(fake, monkeypatch):
    both_running = threading.Barrier(2, timeout=10)
    calls = _runs(monkeypatch, lambda _: both_running.wait() is not None and "e SUCCEEDED")
    args = ["schedule", "--expression", "rate(15 minutes)", "--max-executions", "2"]
    assert main([*args, "--allow-overlap"]) == 0
    assert len(calls) == 2
    assert fake.logs[-1] == "stopped: 2 execution(s) started, 0 tick(s) skipped"


def test_schedule_logs_a_refused_execution_and_keeps_ticking(fake, monkeypatch):
    def refused(_):
        raise UserError("another execution is running on lake /l (pid 7, execution x)")

    calls = _runs(monkeypatch, refused)
    assert main(["schedule", "--expression", "rate(5 minutes)", "--max-executions", "2"]) == 0
    assert len(calls) == 2
    assert (
        "tick at 2026-01-01T00:05:30+00:00: execution refused: another execution is running on "
        "lake /l (pid 7, execution x)"
    ) in fake.logs


@pytest.mark.parametrize(
    ("on_stop", "finished", "last_log"),
    [
        ("finish", True, "waiting for 1 running execution(s) to finish"),
        (
            "abandon",
            False,
            "abandoning 1 running execution(s): their batches stay uncommitted and the next run "
            "picks their files up",
        ),
    ],
)
def test_ctrl_c_finishes_or_abandons_the_running_execution_as_chosen(
    fake, monkeypatch, on_stop, finished, last_log
):
    started, release, done = threading.Event(), threading.Event(), threading.Event()

    def execute(_):
        started.set()
        release.wait(10)
        done.set()
        return "e SUCCEEDED"

    _runs(monkeypatch, execute)

    def sleep(seconds):
        if started.is_set():
            if finished:
                threading.Timer(0.2, release.set).start()
            raise KeyboardInterrupt
        return FakeTime.sleep(fake, seconds)

    monkeypatch.setattr(command, "sleep", sleep)
    assert main(["schedule", "--expression", "rate(1 minute)", "--on-stop", on_stop]) == 0
    assert done.is_set() is finished
    logs = fake.logs
    assert logs.index("interrupted") == logs.index(last_log) - 1
    assert logs[-1] == "stopped: 1 execution(s) started, 0 tick(s) skipped"
    finished_log = "tick at 2026-01-01T00:01:30+00:00: execution e SUCCEEDED"
    assert (finished_log in logs) is finished
    release.set()


# -- watch ------------------------------------------------------------------------------------


def _land(lake: Lake, table: str, text: str = "1|x|\n") -> str:
    uri = lake.uri("raw", "tpch", table, "ingest_date=2025-01-01", f"{table}.tbl")
    lake.write_text(uri, text)
    return uri


def _committing_run(lake: Lake, fake: FakeTime, batches: list):
    """A fake execution that does what a successful one does to the bookmark."""

    def execute(_):
        batch = extract(lake)
        for dataset in batch["datasets"]:
            lake.write_json(lake.uri(dataset["commit"]["key"]), {"warehouse": [], "catalog": []})
        batches.append((fake.monotonic(), batch["file_count"]))
        return f"{batch['batch_id']} SUCCEEDED"

    return execute


def test_watch_starts_one_execution_for_a_burst_once_no_file_arrived_for_the_quiet_period(
    fake, monkeypatch, lake_root
):
    lake, batches = Lake(str(lake_root)), []
    _runs(monkeypatch, _committing_run(lake, fake, batches))
    _land(lake, "orders")
    fake.actions = {10: lambda: _land(lake, "lineitem"), 20: lambda: _land(lake, "customer")}
    args = ["watch", "--poll-seconds", "10", "--quiet-seconds", "30", "--max-executions", "1"]
    assert main(args) == 0
    # files at 0, 10 and 20 s; quiet from 20 s; the poll at 50 s sees 30 s of quiet.
    assert batches == [(50.0, 3)]
    assert fake.logs[-1] == "stopped: 1 execution(s) started"


def test_watch_starts_one_execution_for_a_burst_across_datasets(fake, monkeypatch, lake_root, tiny):
    lake, batches = Lake(str(lake_root)), []
    _runs(monkeypatch, _committing_run(lake, fake, batches))
    _land(lake, "orders")
    shops = lake.uri("raw", "tiny", "shops", "ingest_date=2025-01-01", "shops.csv")
    fake.actions = {10: lambda: lake.write_text(shops, "shop_id,name\n1,north\n")}
    args = ["watch", "--poll-seconds", "10", "--quiet-seconds", "30", "--max-executions", "1"]
    assert main(args) == 0
    # One execution takes both datasets' files: each dataset is a batch of its own in it.
    assert batches == [(40.0, 2)]
    assert not extract(lake)["has_work"]


def test_watch_retries_a_failed_batch_only_after_its_raw_files_change(fake, monkeypatch, lake_root):
    lake, batches, runs = Lake(str(lake_root)), [], []
    commit = _committing_run(lake, fake, batches)

    def fails_then_commits(execution_input):
        runs.append(fake.monotonic())
        if len(runs) == 1:
            extract(lake)  # a manifest, never committed: validation failed
            return "e1 FAILED"
        return commit(execution_input)

    _runs(monkeypatch, fails_then_commits)
    _land(lake, "orders", "bad|\n")
    fake.actions = {100: lambda: _land(lake, "orders", "1|fixed|\n")}
    args = ["watch", "--poll-seconds", "5", "--quiet-seconds", "10", "--max-executions", "2"]
    assert main(args) == 0
    assert runs == [10.0, 110.0]
    assert batches == [(110.0, 1)]
    assert (
        "1 raw file(s) still uncommitted: waiting for the raw files to change before the next "
        "execution"
    ) in fake.logs


def test_watch_with_nothing_uncommitted_starts_nothing(fake, monkeypatch, lake_root):
    lake = Lake(str(lake_root))
    _land(lake, "orders")
    (batch,) = extract(lake, batch_id="b0")["datasets"]
    lake.write_json(lake.uri(batch["commit"]["key"]), {"warehouse": [], "catalog": []})
    calls = _runs(monkeypatch, lambda _: "e SUCCEEDED")
    stop_at = {"polls": 0}

    def sleep(seconds):
        stop_at["polls"] += 1
        return stop_at["polls"] >= 20  # a stop request after 20 polls

    monkeypatch.setattr(command, "sleep", sleep)
    assert main(["watch", "--poll-seconds", "1", "--quiet-seconds", "0"]) == 0
    assert calls == []
    assert fake.logs[-1] == "stopped: 0 execution(s) started"
