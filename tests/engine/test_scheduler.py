import threading
from datetime import UTC, datetime, timedelta

from orchestration.engine.schedule import parse_schedule
from orchestration.engine.scheduler import OnStop, Scheduler


class FakeTime:
    """A clock that jumps forward by however long the scheduler asks to sleep."""

    def __init__(self, start: datetime):
        self.now = start

    def clock(self) -> datetime:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.now += timedelta(seconds=seconds)
        return False


START = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)


def test_each_tick_starts_one_execution_at_the_scheduled_time():
    time = FakeTime(START)
    fired, done = [], threading.Event()

    def execute(due):
        fired.append(due)
        done.set()

    scheduler = Scheduler(
        parse_schedule("cron(0/15 * * * ? *)"),
        execute,
        log=lambda _: None,
        clock=time.clock,
        wait=time.wait,
    )
    for _ in range(2):
        done.clear()
        scheduler.run(max_ticks=1)
        assert done.wait(5)
    assert [d.strftime("%H:%M") for d in fired] == ["00:15", "00:30"]


def test_a_tick_while_an_execution_runs_is_skipped_and_logged():
    time, logs = FakeTime(START), []
    release, started = threading.Event(), []

    def slow(due):
        started.append(due)
        release.wait(10)

    scheduler = Scheduler(
        parse_schedule("rate(1 minute)"), slow, log=logs.append, clock=time.clock, wait=time.wait
    )
    scheduler.run(max_ticks=3, on_stop=OnStop.abandon)
    release.set()
    assert (scheduler.started, scheduler.skipped) == (1, 2)
    assert sum("skipped: an execution is still running" in line for line in logs) == 2
    assert any(line.startswith("abandoning 1 running execution(s)") for line in logs)


def test_overlap_when_allowed_starts_every_tick():
    time, release = FakeTime(START), threading.Event()
    scheduler = Scheduler(
        parse_schedule("rate(1 minute)"),
        lambda due: release.wait(10),
        allow_overlap=True,
        log=lambda _: None,
        clock=time.clock,
        wait=time.wait,
    )
    scheduler.run(max_ticks=3, on_stop=OnStop.abandon)
    release.set()
    assert (scheduler.started, scheduler.skipped) == (3, 0)


def test_stop_with_finish_waits_for_the_running_execution():
    time, finished = FakeTime(START), []
    release = threading.Event()

    def execution(due):
        release.wait(10)
        finished.append(due)

    scheduler = Scheduler(
        parse_schedule("rate(1 minute)"),
        execution,
        log=lambda _: None,
        clock=time.clock,
        wait=time.wait,
    )
    threading.Timer(0.2, release.set).start()
    scheduler.run(max_ticks=1, on_stop=OnStop.finish)
    assert len(finished) == 1


def test_ctrl_c_while_waiting_stops_cleanly():
    logs = []

    def interrupted(_seconds):
        raise KeyboardInterrupt

    time = FakeTime(START)
    scheduler = Scheduler(
        parse_schedule("rate(1 hour)"),
        lambda due: None,
        log=logs.append,
        clock=time.clock,
        wait=interrupted,
    )
    scheduler.run()
    assert scheduler.started == 0
    assert logs[-1] == "interrupted"
