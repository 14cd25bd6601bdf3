"""What one execution would cost on AWS, priced from its history and the Terraform configuration.

State transitions are counted from the history's events, and each Task attempt (attempts.py) is
priced as AWS bills the service it calls. The local durations stand in for AWS's: a Glue job run
locally is priced for as long as it took here, not as long as it would take on Glue workers.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from orchestration.core.errors import UserError
from orchestration.engine.definition import LOCAL_PLACEHOLDERS
from orchestration.engine.interpreter import RETRY_EVENT
from orchestration.engine.schedule import Cron, parse_schedule
from orchestration.insight.attempts import TaskAttempt, task_attempts, unfinished_attempts
from orchestration.insight.prices import Prices
from orchestration.insight.terraform_config import TerraformConfig

PRECISION = Decimal("0.0000000001")
"""Costs are kept to 1e-10 dollars: one Lambda request costs $0.0000002."""
MONTH_DAYS = 30
_LOAD_FUNCTION = LOCAL_PLACEHOLDERS["LoadFunctionArn"]
ALWAYS_NOT_COUNTED = (
    "S3, Glue Data Catalog and Redshift Data API requests made inside the Lambdas and Glue "
    "jobs (listing raw files, reading manifests, reading and writing Parquet): the history does "
    "not record them",
    "Redshift Serverless capacity above the base, and its managed storage",
    "CloudWatch Logs and metrics, X-Ray traces, KMS requests, EventBridge Scheduler, data transfer",
    "free tiers (4,000 state transitions, 1M Lambda requests a month, ...): not subtracted",
)


@dataclass(frozen=True)
class LineItem:
    service: str
    usage: str
    cost: Decimal


@dataclass
class ExecutionCost:
    execution: str
    region: str
    prices_date: str
    prices_source: str
    items: list[LineItem]
    not_counted: list[str]
    notes: list[str]
    executions_per_month: Decimal | None = None
    schedule: str | None = None

    @property
    def total(self) -> Decimal:
        return sum((item.cost for item in self.items), Decimal(0))

    @property
    def monthly_total(self) -> Decimal | None:
        if self.executions_per_month is None:
            return None
        return _dollars(self.total * self.executions_per_month)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "execution": self.execution,
            "prices": {"date": self.prices_date, "region": self.region, "file": self.prices_source},
            "currency": "USD",
            "items": [
                {"service": i.service, "usage": i.usage, "cost": float(i.cost)} for i in self.items
            ],
            "total": float(self.total),
            "not_counted": self.not_counted,
            "notes": self.notes,
        }
        if self.executions_per_month is not None:
            document["monthly"] = {
                "schedule": self.schedule,
                "executions": float(self.executions_per_month),
                "days": MONTH_DAYS,
                "total": float(self.monthly_total),
            }
        return document


def execution_cost(
    name: str,
    events: list[dict[str, Any]],
    config: TerraformConfig,
    prices: Prices,
    monthly_from: datetime | None = None,
) -> ExecutionCost:
    """The cost of one execution; with `monthly_from`, also of a month of the configured
    schedule counted from then."""
    attempts = task_attempts(events)
    by_service: dict[str, list[TaskAttempt]] = {}
    for attempt in attempts:
        by_service.setdefault(_service_of(attempt), []).append(attempt)
    items = [
        _step_functions(events, prices),
        _glue(by_service.pop("glue", []), config, prices),
        _lambda(lambdas := by_service.pop("lambda", []), config, prices),
        _redshift(lambdas, config, prices),
        *_requests(by_service, config, prices),
    ]
    not_counted = [
        f"{service}: {len(found)} task attempts with no price"
        for service, found in sorted(by_service.items())
    ]
    unfinished = unfinished_attempts(events, attempts)
    if unfinished:
        not_counted.append(f"{unfinished} task attempts with no end in the history")
    notes = [
        "local durations stand in for AWS's: each Glue job and Lambda is priced for as long as "
        "it ran here",
        f"Glue: {config.glue_workers} x {config.glue_worker_type} workers, Glue "
        f"{config.glue_version}; Lambda: {config.lambda_memory_mb} MB "
        f"{config.lambda_architecture}; Redshift Serverless: {config.redshift_base_capacity} "
        "RPU base capacity",
    ]
    cost = ExecutionCost(
        execution=name,
        region=prices.region,
        prices_date=prices.date,
        prices_source=prices.source,
        items=[item for item in items if item is not None],
        not_counted=[*not_counted, *ALWAYS_NOT_COUNTED],
        notes=notes,
    )
    if monthly_from is not None:
        try:
            cost.executions_per_month = executions_per_month(
                config.schedule_expression, monthly_from
            )
        except UserError as exc:
            raise UserError(f"the schedule_expression of infra/: {exc}") from exc
        cost.schedule = config.schedule_expression
    return cost


def executions_per_month(expression: str, now: datetime) -> Decimal:
    """Executions the schedule starts in MONTH_DAYS days: rate() exactly, cron() counted over the
    MONTH_DAYS whole UTC days from the next midnight after `now`."""
    schedule = parse_schedule(expression)
    if not isinstance(schedule, Cron):
        return Decimal(MONTH_DAYS * 86400) / Decimal(schedule.seconds)
    first_day = now.astimezone(UTC).date() + timedelta(days=1)
    firings = 0
    for offset in range(MONTH_DAYS):
        day = first_day + timedelta(days=offset)
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        try:
            fires_on = schedule.next_after(midnight - timedelta(minutes=1)).date()
        except UserError:
            break  # the schedule has no firing left
        if fires_on == day:
            firings += len(schedule.hours) * len(schedule.minutes)
    return Decimal(firings)


def _service_of(attempt: TaskAttempt) -> str:
    if attempt.resource_type == "glue" and attempt.action.startswith("startJobRun"):
        return "glue"
    return attempt.resource_type


def _step_functions(events: list[dict[str, Any]], prices: Prices) -> LineItem:
    entered = sum(1 for event in events if event["type"].endswith("StateEntered"))
    retries = sum(1 for event in events if event["type"] == RETRY_EVENT)
    transitions = entered + retries
    return LineItem(
        "Step Functions",
        f"{transitions} state transitions ({entered} states entered + {retries} retries)",
        _dollars(transitions * prices.per_state_transition),
    )


def _glue(attempts: list[TaskAttempt], config: TerraformConfig, prices: Prices) -> LineItem | None:
    # A run Glue refused to start (Glue.ConcurrentRunsExceededException, ...) never ran; a run
    # that started and failed is reported as States.TaskFailed and is billed like any run.
    runs = [a for a in attempts if a.outcome != "failed" or a.error == "States.TaskFailed"]
    if not attempts:
        return None
    if _version(config.glue_version) < _version(prices.glue_minimum_from_version):
        raise UserError(
            f"infra configures Glue {config.glue_version}; the prices file {prices.source} has "
            f"the minimum of Glue {prices.glue_minimum_from_version} and later"
        )
    dpu = prices.glue_dpu_per_worker.get(config.glue_worker_type)
    if dpu is None:
        raise UserError(
            f"worker type {config.glue_worker_type!r} of infra has no DPU size in the prices "
            f"file {prices.source} (known: {', '.join(prices.glue_dpu_per_worker)})"
        )
    billed = [max(prices.glue_minimum_seconds, _ceil(run.microseconds, 10**6)) for run in runs]
    dpu_seconds = sum(billed) * config.glue_workers * dpu
    refused = len(attempts) - len(runs)
    return LineItem(
        "Glue",
        f"{len(runs)} job runs, {sum(billed)} s billed (at least "
        f"{prices.glue_minimum_seconds} s each) x {config.glue_workers} x "
        f"{config.glue_worker_type} = {dpu_seconds} DPU-seconds"
        + (f"; {refused} refused starts not billed" if refused else ""),
        _dollars(dpu_seconds * prices.glue_per_dpu_hour / 3600),
    )


def _invoked(attempts: list[TaskAttempt]) -> list[TaskAttempt]:
    """Attempts that ran the function: Lambda.*Exception is Lambda refusing the invocation."""
    return [
        a
        for a in attempts
        if not (a.error and a.error.startswith("Lambda.") and a.error.endswith("Exception"))
    ]


def _lambda(
    attempts: list[TaskAttempt], config: TerraformConfig, prices: Prices
) -> LineItem | None:
    invoked = _invoked(attempts)
    if not attempts:
        return None
    rate = prices.lambda_per_gb_second.get(config.lambda_architecture)
    if rate is None:
        raise UserError(
            f"architecture {config.lambda_architecture!r} of infra/lambda.tf has no duration "
            f"price in {prices.source} (known: {', '.join(prices.lambda_per_gb_second)})"
        )
    billed_ms = sum(max(1, _ceil(a.microseconds, 1000)) for a in invoked)
    gb_seconds = Decimal(config.lambda_memory_mb) / 1024 * Decimal(billed_ms) / 1000
    return LineItem(
        "Lambda",
        f"{len(invoked)} requests, {billed_ms} ms billed x {config.lambda_memory_mb} MB = "
        f"{gb_seconds.normalize():f} GB-seconds",
        _dollars(len(invoked) * prices.lambda_per_request + gb_seconds * rate),
    )


def _redshift(
    lambdas: list[TaskAttempt], config: TerraformConfig, prices: Prices
) -> LineItem | None:
    loads = sorted(
        (a for a in _invoked(lambdas) if a.parameters.get("FunctionName") == _LOAD_FUNCTION),
        key=lambda a: a.started,
    )
    if not loads:
        return None
    periods: list[list[datetime]] = []
    for load in loads:
        if periods and load.started <= periods[-1][1]:
            periods[-1][1] = max(periods[-1][1], load.ended)
        else:
            periods.append([load.started, load.ended])
    billed = sum(
        max(
            prices.redshift_minimum_seconds,
            _ceil((end - start) // timedelta(microseconds=1), 10**6),
        )
        for start, end in periods
    )
    rpu_seconds = billed * config.redshift_base_capacity
    return LineItem(
        "Redshift Serverless",
        f"{len(loads)} loads in {len(periods)} busy periods, {billed} s billed (at least "
        f"{prices.redshift_minimum_seconds} s each) x {config.redshift_base_capacity} RPU = "
        f"{rpu_seconds} RPU-seconds",
        _dollars(rpu_seconds * prices.redshift_per_rpu_hour / 3600),
    )


def _requests(
    by_service: dict[str, list[TaskAttempt]], config: TerraformConfig, prices: Prices
) -> list[LineItem]:
    """SNS, SQS, S3 and the Data Catalog: priced per succeeded request; removes what it prices."""
    items = []
    publishes = [a for a in by_service.pop("sns", []) if a.outcome == "succeeded"]
    if publishes:
        requests = sum(
            _chunks(a.parameters.get("Message"), prices.sns_request_bytes) for a in publishes
        )
        emails = len(publishes) * config.notification_emails
        items.append(
            LineItem(
                "SNS",
                f"{len(publishes)} publishes = {requests} requests (64 KB each), {emails} email "
                f"deliveries ({config.notification_emails} subscribed addresses)",
                _dollars(requests * prices.sns_per_request + emails * prices.sns_per_email),
            )
        )
    sends = [a for a in by_service.pop("sqs", []) if a.outcome == "succeeded"]
    if sends:
        requests = sum(
            _chunks(a.parameters.get("MessageBody"), prices.sqs_request_bytes) for a in sends
        )
        items.append(
            LineItem(
                "SQS",
                f"{len(sends)} messages sent = {requests} requests (64 KB each)",
                _dollars(requests * prices.sqs_per_request),
            )
        )
    s3_calls = Counter(
        a.action for a in by_service.pop("aws-sdk:s3", []) if a.outcome == "succeeded"
    )
    if s3_calls:
        gets, puts = s3_calls.pop("getObject", 0), s3_calls.pop("putObject", 0)
        if s3_calls:
            raise UserError(f"no S3 price for {', '.join(sorted(s3_calls))} in {prices.source}")
        items.append(
            LineItem(
                "S3",
                f"{gets} GET and {puts} PUT requests",
                _dollars(gets * prices.s3_per_get + puts * prices.s3_per_put),
            )
        )
    catalog = [a for a in by_service.pop("aws-sdk:glue", []) if a.outcome == "succeeded"]
    if catalog:
        items.append(
            LineItem(
                "Glue Data Catalog",
                f"{len(catalog)} requests",
                _dollars(len(catalog) * prices.catalog_per_request),
            )
        )
    return items


def _chunks(payload: Any, chunk_bytes: int) -> int:
    text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return max(1, math.ceil(len(text.encode("utf-8")) / chunk_bytes))


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError as exc:
        raise UserError(f"Glue version {text!r} is not a version number") from exc


def _ceil(amount: int, unit: int) -> int:
    return -(-amount // unit)


def _dollars(amount: Decimal | int) -> Decimal:
    return Decimal(amount).quantize(PRECISION)
