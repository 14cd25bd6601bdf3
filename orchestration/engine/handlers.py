"""Local stand-ins for the AWS services the definition calls.

Each method takes the request the interpreter would have sent to AWS and returns the response
AWS would have returned, so the interpreter's own output handling (ResultSelector, ResultPath,
Retry, Catch) runs unchanged. Failures are raised as `ServiceError` carrying the AWS error code;
the interpreter adapter turns them into the error names Step Functions would report.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import re
import runpy
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.core.lake import LOCAL_BUCKET, Lake
from orchestration.engine.spark_progress import watch_spark_stages

if TYPE_CHECKING:
    from orchestration.engine.resources import ResourceMap

_MODULE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_ERROR_LINE = re.compile(r"^(error: |[A-Za-z_.]+(Error|Exception): )")
_SCRIPT_LOCK = threading.Lock()
"""A Glue script run in process reads sys.argv, which the whole process shares."""


class ServiceError(Exception):
    """An AWS API error: `code` is what AWS puts in Error.Code (e.g. EntityNotFoundException)."""

    def __init__(self, service: str, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.service = service
        self.code = code
        self.message = message
        self.status = status


@dataclass
class LambdaContext:
    """The attributes of the context object AWS passes to a Python handler."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    timeout_seconds: int = 900
    started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


OutboxListener = Callable[[str, dict[str, Any]], None]
NestedRunner = Callable[[Path, str, Any, "str | None"], dict[str, Any]]
"""Runs a nested execution to its end: (definition file, state machine name, input, execution
name or None) -> its record in the shape of describe-execution."""


@dataclass
class LocalServices:
    """Lambda, Glue (jobs and the Data Catalog), SNS, SQS, EventBridge, S3 and nested Step
    Functions executions for one local execution."""

    lake: Lake
    outbox_dir: Path
    catalog_path: Path | None = None
    """The local Glue Data Catalog (a DuckDB file); None refuses catalog calls."""
    isolated: bool = False
    on_outbox: OutboxListener | None = None
    overrides: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    """`lambda:<name>` -> handler(event, context), `glue:<name>` -> main(argv), instead of the
    modules; for tests of the engine itself."""
    task_tokens_dir: Path | None = None
    """The mailbox .waitForTaskToken tasks are answered through (task_tokens.py); None leaves
    their wait to moto, in process only."""
    resources: ResourceMap | None = None
    """The declared Lambda, Glue job and state machine mapping (resources.py)."""
    run_nested: NestedRunner | None = None
    """Runs states:startExecution; None refuses it."""
    _outbox_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- Lambda ---------------------------------------------------------------------------

    def invoke_lambda(self, function: str, payload: bytes | None) -> dict[str, Any]:
        """lambda:Invoke -> the declared "module:function", else
        `orchestration.lambdas.<name>.handler(event, context)`."""
        name = function.split(":function:")[-1].split(":")[0]
        declared = self.resources.lambda_handler(function) if self.resources else None
        override = self.overrides.get(f"lambda:{name}")
        if override is None and declared is None and not builtin_lambda(name):
            raise ServiceError(
                "lambda", "ResourceNotFoundException", f"Function not found: {function}", 404
            )
        context = LambdaContext(function_name=name, invoked_function_arn=function)
        event = json.loads(payload) if payload else {}
        try:
            builtin = f"orchestration.lambdas.{name}:handler"
            handler = override or _lambda_handler(declared or builtin)
            result = handler(event, context)
            body = json.loads(json.dumps(result))
        except Exception as exc:  # noqa: BLE001 - every handler error is the function's error
            return {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "ExecutedVersion": "$LATEST",
                "Payload": _lambda_error_payload(exc, context.aws_request_id),
            }
        return {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": body}

    # -- Glue -----------------------------------------------------------------------------

    def run_glue_job(self, job_name: str, arguments: dict[str, str], run_id: str) -> dict[str, Any]:
        """glue:StartJobRun to completion; returns the JobRun (JobRunState SUCCEEDED or FAILED).

        The job is the declared script (run as `__main__` with the arguments in sys.argv, as Glue
        runs a script) or module, else `jobs.<name>`; its main(argv) runs in this process, or
        spark-submit runs the script in its own (isolated)."""
        script = self.resources.glue_script(job_name) if self.resources else None
        module_name = (self.resources.glue_job(job_name) if self.resources else None) or (
            f"jobs.{job_name}"
        )
        override = self.overrides.get(f"glue:{job_name}")
        if override is None and script is None and not _module_exists(module_name):
            raise ServiceError("glue", "EntityNotFoundException", f"Job {job_name} not found")
        argv = ["--JOB_NAME", job_name]
        if "--lake" not in arguments:
            argv += ["--lake", self.lake.root]
        for key, value in arguments.items():
            argv += [key, str(value)]
        started = datetime.now(UTC)
        declared_root = self.resources.root if self.resources else None
        if override is not None:
            error = _run_main(override, argv)
        elif script is not None and self.isolated:
            error = spark_submit(str(script), argv, declared_root)
        elif script is not None:
            with watch_spark_stages():
                error = _run_main(lambda args: _run_script(script, args), argv)
        elif self.isolated:
            origin = str(importlib.util.find_spec(module_name).origin)
            error = spark_submit(origin, argv, declared_root)
        else:
            # pyspark is imported by the job module: an execution that never reaches a Glue
            # task never starts a JVM.
            with watch_spark_stages():
                error = _run_main(importlib.import_module(module_name).main, argv)
        completed = datetime.now(UTC)
        job_run = {
            "Id": run_id,
            "Attempt": 0,
            "JobName": job_name,
            "JobMode": "SCRIPT",
            "Arguments": dict(arguments),
            "StartedOn": _epoch_millis(started),
            "LastModifiedOn": _epoch_millis(completed),
            "CompletedOn": _epoch_millis(completed),
            "JobRunState": "FAILED" if error else "SUCCEEDED",
            "ExecutionTime": round((completed - started).total_seconds()),
            "GlueVersion": "5.0",
        }
        if error:
            job_run["ErrorMessage"] = error
        return job_run

    # -- SNS, SQS and EventBridge: the outbox ---------------------------------------------

    def publish(self, execution_arn: str, request: dict[str, Any]) -> dict[str, Any]:
        message_id = str(uuid.uuid4())
        self._append("sns", execution_arn, {"MessageId": message_id, **request})
        return {"MessageId": message_id}

    def send_message(self, execution_arn: str, request: dict[str, Any]) -> dict[str, Any]:
        message_id = str(uuid.uuid4())
        self._append("sqs", execution_arn, {"MessageId": message_id, **request})
        body = str(request.get("MessageBody", ""))
        digest = hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest()
        return {"MessageId": message_id, "MD5OfMessageBody": digest}

    def put_events(self, execution_arn: str, request: dict[str, Any]) -> dict[str, Any]:
        """events:PutEvents: one outbox record per entry, on the default bus unless named."""
        entries = []
        for entry in request.get("Entries") or []:
            event_id = str(uuid.uuid4())
            self._append(
                "events", execution_arn, {"EventId": event_id, "EventBusName": "default", **entry}
            )
            entries.append({"EventId": event_id})
        return {"Entries": entries, "FailedEntryCount": 0}

    def _append(self, kind: str, execution_arn: str, fields: dict[str, Any]) -> None:
        record = {
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "executionArn": execution_arn,
            **fields,
        }
        with self._outbox_lock:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            with (self.outbox_dir / f"{kind}.jsonl").open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, sort_keys=True) + "\n")
        if self.on_outbox is not None:
            self.on_outbox(kind, record)

    # -- Step Functions: nested executions ------------------------------------------------

    def start_execution(
        self, state_machine_arn: str, execution_input: Any, name: str | None
    ) -> dict[str, Any]:
        """states:StartExecution of a declared state machine, run to its end; its record."""
        from orchestration.engine.resources import state_machine_name

        definition = self.resources.state_machine(state_machine_arn) if self.resources else None
        if definition is None or self.run_nested is None:
            raise ServiceError(
                "states",
                "StateMachineDoesNotExist",
                f"State Machine Does Not Exist: '{state_machine_arn}'",
            )
        return self.run_nested(
            definition, state_machine_name(state_machine_arn), execution_input, name
        )

    # -- Glue Data Catalog ----------------------------------------------------------------

    def glue(self, action: str, request: dict[str, Any]) -> dict[str, Any]:
        """aws-sdk:glue:batchCreatePartition on the local catalog (DuckDB views)."""
        if action != "batchCreatePartition":
            raise ServiceError("glue", "InvalidInputException", f"glue:{action} is not local")
        if self.catalog_path is None:
            raise ServiceError("glue", "EntityNotFoundException", "no local catalog configured")
        from orchestration.engine.catalog import CatalogError, LocalCatalog

        try:
            return LocalCatalog(self.catalog_path).batch_create_partition(request)
        except CatalogError as exc:
            raise ServiceError("glue", exc.code, str(exc)) from exc

    # -- S3 -------------------------------------------------------------------------------

    def s3(self, action: str, request: dict[str, Any]) -> dict[str, Any]:
        """aws-sdk:s3:getObject / putObject; bucket `local-lake` is the local lake root."""
        if action not in ("getObject", "putObject"):
            raise ServiceError("s3", "NotImplemented", f"s3:{action} is not available locally")
        bucket, key = request.get("Bucket"), request.get("Key")
        if not bucket or not key:
            raise ServiceError("s3", "InvalidRequest", "Bucket and Key are required")
        if bucket != LOCAL_BUCKET:
            return _s3_remote(action, request)
        path = Path(self.lake.root) / key
        if action == "getObject":
            try:
                data = path.read_bytes()
            except FileNotFoundError as exc:
                raise ServiceError(
                    "s3", "NoSuchKey", "The specified key does not exist.", 404
                ) from exc
            return {
                "Body": data.decode("utf-8"),
                "ContentLength": len(data),
                "ETag": f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"',
                "LastModified": datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(),
            }
        body = request.get("Body", "")
        data = body if isinstance(body, bytes) else str(body).encode("utf-8")
        self.lake.write_text(str(path), data.decode("utf-8"))
        return {"ETag": f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'}


def _s3_remote(action: str, request: dict[str, Any]) -> dict[str, Any]:
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client("s3")
    try:
        if action == "getObject":
            response = client.get_object(Bucket=request["Bucket"], Key=request["Key"])
            data = response["Body"].read()
            return {
                "Body": data.decode("utf-8"),
                "ContentLength": len(data),
                "ETag": response["ETag"],
                "LastModified": response["LastModified"].isoformat(),
            }
        body = request.get("Body", "")
        response = client.put_object(Bucket=request["Bucket"], Key=request["Key"], Body=body)
        return {"ETag": response["ETag"]}
    except ClientError as exc:
        error = exc.response["Error"]
        status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        raise ServiceError("s3", error["Code"], error.get("Message", ""), status) from exc


def spark_submit(script: str, argv: list[str], declared_root: Path | None = None) -> str | None:
    """Runs a job script as Glue does, a fresh driver process per run; returns its error
    message, None on success. `declared_root` (the folder of the resources mapping) is on the
    driver's path too, for a user's script importing its own modules."""
    launcher = str(Path(sys.executable).with_name("spark-submit"))
    # jobs/<name>.py imports its package siblings the way Glue's --extra-py-files provides them.
    project_root = str(Path(script).parents[1])
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    paths = [project_root, str(declared_root or ""), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    # Spark merges the Python driver's stderr into its stdout: read both, as one stream.
    with subprocess.Popen(
        [launcher, script, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    ) as process:
        tail: deque[str] = deque(maxlen=200)
        for line in process.stdout:
            sys.stderr.write(line)
            if line.strip():
                tail.append(line.strip())
    if process.returncode == 0:
        return None
    message = next((line for line in reversed(tail) if _ERROR_LINE.match(line)), None)
    fallback = tail[-1] if tail else "no output"
    return f"{message or fallback} (spark-submit exited with code {process.returncode})"


def builtin_lambda(name: str) -> bool:
    """The pipeline's own Lambda, `orchestration.lambdas.<name>`, exists."""
    return _module_exists(f"orchestration.lambdas.{name}")


def builtin_glue_job(name: str) -> bool:
    """The pipeline's own Glue job, `jobs.<name>`, exists."""
    return _module_exists(f"jobs.{name}")


def _module_exists(module_name: str) -> bool:
    name = module_name.rsplit(".", 1)[-1]
    try:
        return bool(_MODULE_NAME.match(name)) and importlib.util.find_spec(module_name) is not None
    except ImportError:  # a parent package that is not there
        return False


def _lambda_handler(target: str) -> Callable[[Any, LambdaContext], Any]:
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)


def _run_script(script: Path, argv: list[str]) -> None:
    with _SCRIPT_LOCK:
        saved = sys.argv
        sys.argv = [str(script), *argv]
        try:
            runpy.run_path(str(script), run_name="__main__")
        finally:
            sys.argv = saved


def _run_main(main: Callable[[list[str]], Any], argv: list[str]) -> str | None:
    """Runs a job's main(argv) in this process; returns its error message, None on success."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    except ServiceError:
        raise  # Glue itself failed (e.g. throttled), not the job: Retry may take it
    except Exception as exc:  # noqa: BLE001 - a failed job run, reported as Glue would
        return f"{type(exc).__name__}: {exc}"
    if code not in (0, None):
        return f"main exited with code {code}"
    return None


def _lambda_error_payload(exc: BaseException, request_id: str) -> dict[str, Any]:
    """The payload AWS Lambda's Python runtime returns for an unhandled exception."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": [line.rstrip("\n") for line in traceback.format_tb(exc.__traceback__)],
    }


def _epoch_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
