"""orchestration.engine.spark_progress: the lines a terminal and a log get, from snapshots with a
fake clock, and from a real Spark job of known stages on the session's SparkSession."""

from __future__ import annotations

import io
import re
import time
from operator import add

from orchestration.engine.spark_progress import (
    SparkStageWatcher,
    StageReporter,
    StageSnapshot,
    watch_spark_stages,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _stage(completed: int, total: int = 8, stage_id: int = 3) -> StageSnapshot:
    return StageSnapshot(stage_id, "parquet at transform.py:88", completed, total)


def test_a_log_gets_a_stage_line_after_10_s_then_at_most_every_10_s_and_one_when_it_ends():
    clock, log = Clock(), io.StringIO()
    reporter = StageReporter(log, live=False, clock=clock)
    for now, completed in ((0, 0), (2, 1), (10, 3), (12, 4), (18, 5), (20, 6)):
        clock.now = now
        reporter.update([_stage(completed)], [])
    clock.now = 22
    reporter.update([], [_stage(8)])

    assert log.getvalue().splitlines() == [
        "stage 3: 3/8 tasks (parquet at transform.py:88)",
        "stage 3: 6/8 tasks (parquet at transform.py:88)",
        "stage 3: 8/8 tasks (parquet at transform.py:88)",
    ]


def test_a_log_gets_nothing_for_a_stage_shorter_than_10_s():
    clock, log = Clock(), io.StringIO()
    reporter = StageReporter(log, live=False, clock=clock)
    reporter.update([_stage(0)], [])
    clock.now = 9.5
    reporter.update([], [_stage(8)])

    assert log.getvalue() == ""


def test_a_terminal_gets_one_live_line_of_the_active_stages_redrawn_in_place():
    terminal = Terminal()
    reporter = StageReporter(terminal, live=True, clock=Clock())
    reporter.update([_stage(1, 4, 3), _stage(0, 2, 5)], [])
    reporter.update([_stage(2, 2, 5)], [_stage(4, 4, 3)])
    reporter.erase()
    reporter.erase()  # nothing drawn: nothing to erase

    assert terminal.getvalue() == (
        "\r\x1b[2K⚙ stage 3: 1/4 tasks (parquet at transform.py:88)"
        " · stage 5: 0/2 tasks (parquet at transform.py:88)"
        "\r\x1b[2K⚙ stage 5: 2/2 tasks (parquet at transform.py:88)"
        "\r\x1b[2K"
    )


def _slow(value: int) -> int:
    time.sleep(0.3)
    return value


def test_a_spark_job_of_a_4_task_and_a_2_task_stage_reports_both_to_completion(spark):
    context = spark.sparkContext
    log = io.StringIO()
    watcher = SparkStageWatcher(
        StageReporter(log, live=False, plain_line_seconds=0), interval=0.05, context=lambda: context
    )
    context.setJobGroup("spark-progress-test", "two stages")
    watcher.start()
    try:
        pairs = context.parallelize(range(8), 4).map(_slow).map(lambda v: (v % 2, v))
        assert sorted(pairs.reduceByKey(add, 2).mapValues(_slow).collect()) == [(0, 12), (1, 16)]
    finally:
        watcher.stop()
        context.setLocalProperty("spark.jobGroup.id", None)
    (job_id,) = context.statusTracker().getJobIdsForGroup("spark-progress-test")
    map_stage, reduce_stage = sorted(context.statusTracker().getJobInfo(job_id).stageIds)

    lines = log.getvalue().splitlines()
    counts = [re.match(r"stage (\d+): (\d+)/(\d+) tasks \(", line).groups() for line in lines]
    last_per_stage = {stage: (done, total) for stage, done, total in counts}
    assert last_per_stage == {str(map_stage): ("4", "4"), str(reduce_stage): ("2", "2")}
    # Seen while running, not only at the end.
    assert any(stage == str(map_stage) and done != "4" for stage, done, _ in counts)


def test_watching_writes_to_stderr_only(spark, capsys):
    context = spark.sparkContext
    with watch_spark_stages():
        assert context.parallelize(range(4), 2).map(_slow).count() == 4

    assert capsys.readouterr().out == ""
