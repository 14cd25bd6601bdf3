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
from typing import Any

from orchestration.core.lake import LOCAL_BUCKET, Lake

_MODULE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_ERROR_LINE = re.compile(r"^(error: |[A-Za-z_.]+(Error|Exception): )")


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


@dataclass
class LocalServices:
    """Lambda, Glue (jobs and the Data Catalog), SNS, SQS and S3 for one local execution."""

    lake: Lake
    outbox_dir: Path
    catalog_path: Path | None = None
    """The local Glue Data Catalog (a DuckDB file); None refuses catalog calls."""
    isolated: bool = False
    on_outbox: OutboxListener | None = None
    overrides: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    """`lambda:<name>` -> handler(event, context), `glue:<name>` -> main(argv), instead of the
    modules; for tests of the engine itself."""
    _outbox_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- Lambda ---------------------------------------------------------------------------

    def invoke_lambda(self, function: str, payload: bytes | None) -> dict[str, Any]:
        """lambda:Invoke -> `orchestration.lambdas.<name>.handler(event, context)`."""
        name = function.split(":function:")[-1].split(":")[0]
        module_name = f"orchestration.lambdas.{name}"
        override = self.overrides.get(f"lambda:{name}")
        if override is None and not _module_exists(module_name):
            raise ServiceError(
                "lambda", "ResourceNotFoundException", f"Function not found: {function}", 404
            )
        context = LambdaContext(function_name=name, invoked_function_arn=function)
        event = json.loads(payload) if payload else {}
        try:
            handler = override or importlib.import_module(module_name).handler
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
        """glue:StartJobRun to completion; returns the JobRun (JobRunState SUCCEEDED or FAILED)."""
        module_name = f"jobs.{job_name}"
        override = self.overrides.get(f"glue:{job_name}")
        if override is None and not _module_exists(module_name):
            raise ServiceError("glue", "EntityNotFoundException", f"Job {job_name} not found")
        argv = ["--JOB_NAME", job_name]
        if "--lake" not in arguments:
            argv += ["--lake", self.lake.root]
        for key, value in arguments.items():
            argv += [key, str(value)]
        started = datetime.now(UTC)
        if override is not None:
            error = _run_main(override, argv)
        elif self.isolated:
            error = spark_submit(str(importlib.util.find_spec(module_name).origin), argv)
        else:
            # pyspark is imported by the job module: an execution that never reaches a Glue
            # task never starts a JVM.
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

    # -- SNS and SQS: the outbox ----------------------------------------------------------

    def publish(self, execution_arn: str, request: dict[str, Any]) -> dict[str, Any]:
        message_id = str(uuid.uuid4())
        self._append("sns", execution_arn, message_id, request)
        return {"MessageId": message_id}

    def send_message(self, execution_arn: str, request: dict[str, Any]) -> dict[str, Any]:
        message_id = str(uuid.uuid4())
        self._append("sqs", execution_arn, message_id, request)
        body = str(request.get("MessageBody", ""))
        digest = hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest()
        return {"MessageId": message_id, "MD5OfMessageBody": digest}

    def _append(self, kind: str, execution_arn: str, message_id: str, request: dict) -> None:
        record = {
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "executionArn": execution_arn,
            "MessageId": message_id,
            **request,
        }
        with self._outbox_lock:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            with (self.outbox_dir / f"{kind}.jsonl").open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, sort_keys=True) + "\n")
        if self.on_outbox is not None:
            self.on_outbox(kind, record)

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


def spark_submit(script: str, argv: list[str]) -> str | None:
    """Runs a job script as Glue does, a fresh driver process per run; returns its error
    message, None on success."""
    launcher = str(Path(sys.executable).with_name("spark-submit"))
    # jobs/<name>.py imports its package siblings the way Glue's --extra-py-files provides them.
    project_root = str(Path(script).parents[1])
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [project_root, env.get("PYTHONPATH")]))
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


def _module_exists(module_name: str) -> bool:
    name = module_name.rsplit(".", 1)[-1]
    return bool(_MODULE_NAME.match(name)) and importlib.util.find_spec(module_name) is not None


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
