"""orchestration.insight.cost: an execution priced from a history whose every duration is known,
and a real local execution of the definition (jobs faked, no Spark)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from orchestration.core.errors import UserError
from orchestration.core.lake import Lake
from orchestration.core.settings import Settings
from orchestration.engine import RunRequest, run_execution
from orchestration.insight.cost import execution_cost, executions_per_month
from orchestration.insight.prices import load_prices
from orchestration.insight.terraform_config import TerraformConfig
from tests.engine.fake_pipeline import FakePipeline

T0 = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)
LOAD = "arn:aws:lambda:us-east-1:000000000000:function:load"
EXTRACT = "arn:aws:lambda:us-east-1:000000000000:function:extract"
CONFIG = TerraformConfig(
    region="us-east-1",
    glue_worker_type="G.1X",
    glue_workers=2,
    glue_version="5.0",
    lambda_memory_mb=512,
    lambda_architecture="arm64",
    redshift_base_capacity=8,
    schedule_expression="rate(1 hour)",
    notification_emails=3,
    sources=("infra/variables.tf",),
)


class History:
    """Builds get-execution-history events; each task attempt is chained through
    previousEventId as the engine writes it, so attempts can interleave."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def _add(self, kind: str, at: float, previous: int | None, details: dict | None = None) -> int:
        event = {"id": len(self.events) + 1, "type": kind, "timestamp": _iso(at)}
        if previous is not None:
            event["previousEventId"] = previous
        if details is not None:
            key = kind[0].lower() + kind[1:] + "EventDetails"
            event[key] = details
        self.events.append(event)
        return event["id"]

    def entered(self, name: str, at: float = 0.0) -> int:
        return self._add("TaskStateEntered", at, None, {"name": name})

    def retry(self, name: str, at: float) -> None:
        self._add("RetryScheduled", at, None, {"name": name})

    def start(self, resource_type: str, action: str, parameters: dict, at: float) -> int:
        scheduled = self._add(
            "TaskScheduled",
            at,
            None,
            {
                "resourceType": resource_type,
                "resource": action,
                "parameters": json.dumps(parameters),
            },
        )
        return self._add("TaskStarted", at, scheduled, {"resource": action})

    def end(self, started: int, at: float, error: str | None = None) -> None:
        if error is None:
            self._add("TaskSucceeded", at, started, {"output": "{}"})
        else:
            self._add("TaskFailed", at, started, {"error": error, "cause": "..."})


def _iso(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


@pytest.fixture
def prices():
    return load_prices("us-east-1")


@pytest.fixture
def history() -> History:
    h = History()
    for state in ("Extract", "Transform", "Validate", "LoadTable", "LoadTable", "Notify"):
        h.entered(state)
    h.retry("Transform", 5.0)
    extract = h.start("lambda", "invoke", {"FunctionName": EXTRACT}, 0.0)
    h.end(extract, 1.235)  # 1235 ms
    refused = h.start("glue", "startJobRun.sync", {"JobName": "transform"}, 2.0)
    h.end(refused, 2.1, error="Glue.ConcurrentRunsExceededException")
    transform = h.start("glue", "startJobRun.sync", {"JobName": "transform"}, 10.0)
    h.end(transform, 100.2)  # 90.2 s: 91 s billed
    validate = h.start("glue", "startJobRun.sync", {"JobName": "validate"}, 101.0)
    h.end(validate, 121.0)  # 20 s: the 60 s minimum
    # Loads A and B overlap (one busy period of 200-204 s), C runs alone later.
    load_a = h.start("lambda", "invoke", {"FunctionName": LOAD}, 200.0)
    load_b = h.start("lambda", "invoke", {"FunctionName": LOAD}, 201.0)
    h.end(load_a, 202.0)  # 2000 ms
    h.end(load_b, 204.0)  # 3000 ms
    load_c = h.start("lambda", "invoke", {"FunctionName": LOAD}, 500.0)
    h.end(load_c, 590.5)  # 90500 ms
    throttled = h.start("lambda", "invoke", {"FunctionName": LOAD}, 600.0)
    h.end(throttled, 600.1, error="Lambda.TooManyRequestsException")
    publish = h.start("sns", "publish", {"TopicArn": "t", "Message": "x" * 70_000}, 700.0)
    h.end(publish, 700.1)
    send = h.start("sqs", "sendMessage", {"QueueUrl": "q", "MessageBody": {"a": 1}}, 701.0)
    h.end(send, 701.1)
    get = h.start("aws-sdk:s3", "getObject", {"Bucket": "b", "Key": "k"}, 702.0)
    h.end(get, 702.1)
    for at in (703.0, 704.0):
        put = h.start("aws-sdk:s3", "putObject", {"Bucket": "b", "Key": "k"}, at)
        h.end(put, at + 0.1)
    failed_put = h.start("aws-sdk:s3", "putObject", {"Bucket": "b", "Key": "k"}, 705.0)
    h.end(failed_put, 705.1, error="S3.SlowDownException")
    for at in (706.0, 707.0):
        register = h.start("aws-sdk:glue", "batchCreatePartition", {"TableName": "t"}, at)
        h.end(register, at + 0.1)
    return h


def _costs(cost) -> dict[str, Decimal]:
    return {item.service: item.cost for item in cost.items}


def test_each_service_is_priced_from_the_attempts_durations_as_aws_bills_it(history, prices):
    cost = execution_cost("e1", history.events, CONFIG, prices)

    assert _costs(cost) == {
        # 6 states entered + 1 retry = 7 transitions x $0.025 / 1000
        "Step Functions": Decimal("0.000175"),
        # refused start not billed; (91 s + 60 s minimum) x 2 workers x 1 DPU = 302 DPU-s;
        # 302 x $0.44 / 3600 = 0.036911111...
        "Glue": Decimal("0.0369111111"),
        # 4 invoked (the throttled one was not): 1235 + 2000 + 3000 + 90500 = 96735 ms;
        # 4 x $0.0000002 + 0.5 GB x 96.735 s x $0.0000133334 = 0.0000008 + 0.00064490322...
        "Lambda": Decimal("0.0006457032"),
        # busy 200-204 s (60 s minimum) and 500-590.5 s (91 s): 151 s x 8 RPU = 1208 RPU-s;
        # 1208 x $0.375 / 3600 = 0.12583333...
        "Redshift Serverless": Decimal("0.1258333333"),
        # 70,000 bytes = 2 requests of 64 KB; 1 publish x 3 addresses = 3 emails;
        # 2 x $0.0000005 + 3 x $0.00002
        "SNS": Decimal("0.000061"),
        # 1 request x $0.0000004
        "SQS": Decimal("0.0000004"),
        # 1 GET x $0.0000004 + 2 PUT x $0.000005 (the failed PUT not counted)
        "S3": Decimal("0.0000104"),
        # 2 requests x $0.000001
        "Glue Data Catalog": Decimal("0.000002"),
    }
    # 0.000175 + 0.0369111111 + 0.0006457032 + 0.1258333333 + 0.000061 + 0.0000004 + 0.0000104
    # + 0.000002
    assert cost.total == Decimal("0.1636389476")
    assert (cost.region, cost.prices_date) == ("us-east-1", "2026-12-02")


def test_the_usage_lines_say_what_was_counted(history, prices):
    usage = {
        item.service: item.usage
        for item in execution_cost("e1", history.events, CONFIG, prices).items
    }

    assert usage["Step Functions"] == "7 state transitions (6 states entered + 1 retries)"
    assert usage["Glue"] == (
        "2 job runs, 151 s billed (at least 60 s each) x 2 x G.1X = 302 DPU-seconds; "
        "1 refused starts not billed"
    )
    assert usage["Redshift Serverless"] == (
        "3 loads in 2 busy periods, 151 s billed (at least 60 s each) x 8 RPU = 1208 RPU-seconds"
    )


def test_a_task_with_no_price_and_a_task_with_no_end_are_reported_not_counted(prices):
    h = History()
    batch = h.start("aws-sdk:dynamodb", "putItem", {"TableName": "t"}, 0.0)
    h.end(batch, 1.0)
    h.start("lambda", "invoke", {"FunctionName": EXTRACT}, 2.0)

    cost = execution_cost("e2", h.events, CONFIG, prices)

    assert cost.not_counted[:2] == [
        "aws-sdk:dynamodb: 1 task attempts with no price",
        "1 task attempts with no end in the history",
    ]
    assert [item.service for item in cost.items] == ["Step Functions"]


def test_a_worker_type_the_prices_do_not_size_is_refused_by_name(history, prices):
    config = TerraformConfig(**{**CONFIG.__dict__, "glue_worker_type": "Z.9X"})

    with pytest.raises(UserError, match="worker type 'Z.9X' of infra has no DPU size"):
        execution_cost("e1", history.events, config, prices)


def test_monthly_multiplies_by_the_executions_of_the_configured_rate(history, prices):
    cost = execution_cost("e1", history.events, CONFIG, prices, monthly_from=T0)

    assert cost.executions_per_month == Decimal(720)  # rate(1 hour): 24 x 30
    # 0.1636389476 x 720
    assert cost.monthly_total == Decimal("117.8200422720")


def test_a_rate_in_days_gives_a_fractional_month():
    assert executions_per_month("rate(7 days)", T0) == Decimal(30) / Decimal(7)


def test_a_weekday_cron_counts_the_weekdays_of_the_30_days_after_today():
    # Wednesday 2026-12-02: the days are 3 Dec to 1 Jan. Weekdays: 3-4, 7-11, 14-18, 21-25,
    # 28-31 Dec and 1 Jan = 2 + 5 + 5 + 5 + 4 + 1.
    wednesday = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)

    assert executions_per_month("cron(0 6 ? * MON-FRI *)", wednesday) == Decimal(22)


def test_a_cron_firing_every_15_minutes_fires_96_times_a_day():
    assert executions_per_month("cron(0/15 * * * ? *)", T0) == Decimal(96 * 30)


def test_a_one_time_schedule_has_no_monthly_rate(history, prices):
    config = TerraformConfig(
        **{**CONFIG.__dict__, "schedule_expression": "at(2026-01-01T00:00:00)"}
    )

    with pytest.raises(UserError, match="the schedule_expression of infra/: invalid schedule"):
        execution_cost("e1", history.events, config, prices, monthly_from=T0)


def test_a_real_local_execution_counts_every_state_entered_and_the_retry(lake_root, prices):
    pipeline = FakePipeline(
        Lake(str(lake_root)),
        {"tpch": ("warehouse", "catalog")},
        tables=("dim_a", "dim_b"),
        timed_out_load={"dim_a": 1},
    )
    result = run_execution(
        Settings.from_env(),
        RunRequest(name="costed", time_scale=0.0),
        overrides=pipeline.overrides(),
    )

    costs = _costs(execution_cost("costed", result.events, CONFIG, prices))

    # ApplyDefaults MergeInput Extract AnythingNew ProcessDatasets (5); in the iteration:
    # Transform Validate ReadValidationSummary ValidationPassed Deliver ToWarehouse LoadTables
    # LoadTable x2 ToCatalog RegisterPartitions RegisterPartition x2 Commit DatasetCommitted (15);
    # Tally CountFailures AnyDatasetFailed NotifySuccess Done (5): 25 + 1 retry of dim_a's load.
    assert costs["Step Functions"] == Decimal(26) * Decimal("0.000025")
    # The faked jobs take milliseconds: 2 runs x 60 s minimum x 2 workers x 1 DPU = 240 DPU-s.
    assert costs["Glue"] == Decimal("0.0293333333")
    # NotifySuccess: one small publish, 3 addresses emailed.
    assert costs["SNS"] == Decimal("0.0000005") + 3 * Decimal("0.00002")
    # ReadValidationSummary GET, Commit PUT.
    assert costs["S3"] == Decimal("0.0000004") + Decimal("0.000005")
    assert costs["Glue Data Catalog"] == Decimal("0.000002")
