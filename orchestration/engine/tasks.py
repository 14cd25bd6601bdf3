"""Task resources on local handlers: the moto 5.2.5 hook points the local engine replaces.

- `lambda_eval_utils.execute_lambda_function_integration`: Lambda tasks, both resource styles;
- `StateTaskServiceGlue._eval_service_task` and `._eval_integration_pattern`: glue:startJobRun
  and its `.sync` wait (moto's own `.sync` crashes on a missing callback endpoint);
- `StateTaskServiceSns/Sqs/AwsSdk._eval_service_task`: sns:publish, sqs:sendMessage, aws-sdk:s3
  and aws-sdk:glue (the Data Catalog);
- `StateTaskServiceEvents._eval_service_task`: events:putEvents, into the outbox;
- `StateTaskServiceSfn._eval_service_task` and `._eval_integration_pattern`:
  states:startExecution runs the nested execution to its end (`.sync`, `.sync:2` or not);
- `retrier_decl.time`: the retrier's sleep, to record each retry and compress its delay.

Handler failures are raised in the shapes AWS reports them (a ClientError for service errors,
the function's error payload for Lambda, States.TaskFailed with the JobRun for Glue), so the
definition's Retry and Catch match the same error names as on AWS. Mocked states (Step Functions
Local mock configuration) never reach these functions: moto answers them first.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk,
    state_task_service_events,
    state_task_service_glue,
    state_task_service_sfn,
    state_task_service_sns,
    state_task_service_sqs,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
    ResourceCondition,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from orchestration.engine.handlers import LocalServices, ServiceError

_ORIGINAL_LAMBDA_INTEGRATION = lambda_eval_utils.execute_lambda_function_integration
_Glue = state_task_service_glue.StateTaskServiceGlue
_Sfn = state_task_service_sfn.StateTaskServiceSfn
_ORIGINAL_SFN_INTEGRATION_PATTERN = _Sfn._eval_integration_pattern
_active_lock = threading.Lock()
_active: _ActiveRun | None = None
_this_thread = threading.local()
"""`recorder`: the history that last recorded an event in this thread; `nested`: how deep this
thread is inside states:startExecution runs."""


class RetryRecorder(Protocol):
    def record_retry(self, delay_seconds: float, slept_seconds: float) -> None: ...


@dataclass(frozen=True)
class _ActiveRun:
    services: LocalServices
    time_scale: float


def install() -> None:
    """Replace the hook points; call once per process (interpreter.install does)."""
    retrier_decl.time = _RetryClock()
    lambda_eval_utils.execute_lambda_function_integration = _execute_lambda
    _Glue._eval_service_task = _glue_start_job_run
    _Glue._eval_integration_pattern = _glue_wait_for_job_run
    state_task_service_sns.StateTaskServiceSns._eval_service_task = _sns_task
    state_task_service_sqs.StateTaskServiceSqs._eval_service_task = _sqs_task
    aws_sdk = state_task_service_aws_sdk.StateTaskServiceAwsSdk
    aws_sdk._eval_service_task = _aws_sdk_task(aws_sdk._eval_service_task)
    state_task_service_events.StateTaskServiceEvents._eval_service_task = _put_events_task
    _Sfn._eval_service_task = _start_execution
    _Sfn._eval_integration_pattern = _wait_for_execution


@contextmanager
def active(services: LocalServices, retries: RetryRecorder, time_scale: float) -> Iterator[None]:
    """The handlers the Tasks of one execution run on; one execution per process at a time,
    with its nested executions (states:startExecution), which run on the same handlers."""
    global _active
    _this_thread.recorder = retries
    if getattr(_this_thread, "nested", 0):
        yield
        return
    with _active_lock:
        if _active is not None:
            raise RuntimeError("another execution is running in this process")
        _active = _ActiveRun(services, time_scale)
    try:
        yield
    finally:
        with _active_lock:
            _active = None


def recorded_in_this_thread(recorder: RetryRecorder) -> None:
    """Called for every history event: a retry sleeps in the thread that has just recorded its
    state's failure, so the retry belongs to that history (a nested execution's or its
    parent's)."""
    _this_thread.recorder = recorder


def time_scale() -> float:
    """What the running execution multiplies the delays it chooses by (retries, Wait states)."""
    return _run().time_scale


def active_services() -> LocalServices | None:
    """The services of the execution running in this process, None between executions."""
    run = _active
    return None if run is None else run.services


def _run() -> _ActiveRun:
    if _active is None:
        raise RuntimeError("a Task ran outside orchestration.engine.tasks.active")
    return _active


def _execution_arn(env: Environment) -> str:
    return env.states.context_object.context_object_data["Execution"]["Id"]


class _RetryClock:
    """Stands in for the `time` module inside retrier_decl, whose only use is sleep()."""

    @staticmethod
    def sleep(seconds: float) -> None:
        slept = seconds * time_scale()
        _this_thread.recorder.record_retry(seconds, slept)
        time.sleep(slept)


def _client_error(exc: ServiceError, operation: str) -> Exception:
    from botocore.exceptions import ClientError

    metadata = {"HTTPStatusCode": exc.status, "RequestId": str(uuid.uuid4())}
    response = {"Error": {"Code": exc.code, "Message": exc.message}, "ResponseMetadata": metadata}
    return ClientError(response, operation)


def _task_failed(task: Any, env: Environment, error: str, cause: str) -> FailureEventException:
    error_name = (
        StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed)
        if error == StatesErrorNameType.StatesTaskFailed.to_name()
        else CustomErrorName(error)
    )
    details = TaskFailedEventDetails(
        resource=task._get_sfn_resource(),
        resourceType=task._get_sfn_resource_type(),
        error=error,
        cause=cause,
    )
    return FailureEventException(
        FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(taskFailedEventDetails=details),
        )
    )


def _execute_lambda(env: Environment, parameters: dict, region: str, state_credentials) -> None:
    if env.is_mocked_mode():
        _ORIGINAL_LAMBDA_INTEGRATION(env, parameters, region, state_credentials)
        return
    try:
        response = _run().services.invoke_lambda(
            parameters["FunctionName"], parameters.get("Payload")
        )
    except ServiceError as exc:
        raise _client_error(exc, "Invoke") from exc
    if response.get("FunctionError"):
        raise lambda_eval_utils.LambdaFunctionErrorException(
            response["FunctionError"], json.dumps(response["Payload"], separators=(",", ":"))
        )
    env.stack.append(response)


def _glue_start_job_run(self, env, resource_runtime_part, normalised_parameters, state_credentials):
    started = {"JobRunId": f"jr_{uuid.uuid4().hex}", "JobName": normalised_parameters["JobName"]}
    if self.resource.condition is None:
        # Without .sync AWS returns once the run starts; locally it completes first and, as on
        # AWS, its outcome does not fail the task.
        _run_glue_job(normalised_parameters, started["JobRunId"])
    env.stack.append(started)


def _glue_wait_for_job_run(
    self, env, resource_runtime_part, normalised_parameters, state_credentials
):
    started = env.stack.pop()
    job_run = _run_glue_job(normalised_parameters, started["JobRunId"])
    if job_run["JobRunState"] != "SUCCEEDED":
        raise _task_failed(self, env, "States.TaskFailed", to_json_str(job_run))
    env.stack.append(job_run)


def _run_glue_job(parameters: dict, job_run_id: str) -> dict:
    try:
        return _run().services.run_glue_job(
            parameters["JobName"], parameters.get("Arguments") or {}, job_run_id
        )
    except ServiceError as exc:
        raise _client_error(exc, "StartJobRun") from exc


def _sns_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
    if self.resource.api_action.lower() != "publish":
        raise _client_error(ServiceError("sns", "InvalidAction", "only publish runs locally"), "")
    request = dict(normalised_parameters)
    if not isinstance(request.get("Message"), str):
        request["Message"] = to_json_str(request.get("Message"))
    env.stack.append(_run().services.publish(_execution_arn(env), request))


def _sqs_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
    if self.resource.api_action.lower() != "sendmessage":
        raise _client_error(
            ServiceError("sqs", "InvalidAction", "only sendMessage runs locally"), ""
        )
    request = dict(normalised_parameters)
    if not isinstance(request.get("MessageBody"), str):
        request["MessageBody"] = to_json_str(request.get("MessageBody"))
    env.stack.append(_run().services.send_message(_execution_arn(env), request))


_AWS_SDK_SERVICES = {"s3": "S3", "glue": "Glue"}
"""aws-sdk services with a local handler (LocalServices.<api name>), and the prefix AWS gives
their error names."""


def _aws_sdk_task(original: Callable) -> Callable:
    def _eval_service_task(
        self, env, resource_runtime_part, normalised_parameters, state_credentials
    ):
        service = _AWS_SDK_SERVICES.get(self.resource.api_name)
        if service is None:
            return original(
                self, env, resource_runtime_part, normalised_parameters, state_credentials
            )
        handler = getattr(_run().services, self.resource.api_name)
        try:
            response = handler(self.resource.api_action, normalised_parameters)
        except ServiceError as exc:
            # AWS names aws-sdk errors S3.<Code>Exception; moto would say s3.s3Exception.
            code = exc.code if exc.code.endswith("Exception") else f"{exc.code}Exception"
            cause = (
                f"{exc.message} (Service: {service}, Status Code: {exc.status}, "
                f"Error Code: {exc.code})"
            )
            raise _task_failed(self, env, f"{service}.{code}", cause) from exc
        env.stack.append(response)

    return _eval_service_task


def _put_events_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
    # moto's own: Detail as a JSON string, the state machine and execution ARNs in Resources.
    self._normalised_request_parameters(env=env, parameters=normalised_parameters)
    env.stack.append(_run().services.put_events(_execution_arn(env), normalised_parameters))


def _start_execution(self, env, resource_runtime_part, normalised_parameters, state_credentials):
    if self.resource.api_action.lower() != "startexecution":
        raise _client_error(
            ServiceError("states", "InvalidAction", "only startExecution runs locally"), ""
        )
    if self.resource.condition is None:
        # Without .sync AWS returns once the execution starts; locally it completes first and,
        # as on AWS, its outcome does not fail the task.
        record = _run_nested(normalised_parameters)
        started = _epoch_millis(record["startDate"])
        env.stack.append({"ExecutionArn": record["executionArn"], "StartDate": started})
        return
    env.stack.append(normalised_parameters)


def _wait_for_execution(self, env, resource_runtime_part, normalised_parameters, state_credentials):
    if self.resource.condition == ResourceCondition.WaitForTaskToken:
        _ORIGINAL_SFN_INTEGRATION_PATTERN(
            self, env, resource_runtime_part, normalised_parameters, state_credentials
        )
        return
    record = _run_nested(env.stack.pop())
    parsed = self.resource.condition == ResourceCondition.Sync2
    output = _describe_execution_output(record, parsed)
    if record["status"] != "SUCCEEDED":
        raise _task_failed(self, env, "States.TaskFailed", to_json_str(output))
    env.stack.append(output)


def _run_nested(parameters: dict) -> dict:
    execution_input = json.loads(parameters.get("Input") or "{}")
    _this_thread.nested = getattr(_this_thread, "nested", 0) + 1
    try:
        return _run().services.start_execution(
            parameters["StateMachineArn"], execution_input, parameters.get("Name")
        )
    except ServiceError as exc:
        raise _client_error(exc, "StartExecution") from exc
    finally:
        _this_thread.nested -= 1


def _describe_execution_output(record: dict, parsed: bool) -> dict:
    """The .sync output: DescribeExecution's response in the Task's casing, dates in epoch
    milliseconds; .sync:2 has Input and Output as JSON values instead of JSON strings."""
    output = {
        "ExecutionArn": record["executionArn"],
        "StateMachineArn": record["stateMachineArn"],
        "Name": record["name"],
        "Status": record["status"],
        "StartDate": _epoch_millis(record["startDate"]),
        "StopDate": _epoch_millis(record["stopDate"]),
        "Input": json.loads(record["input"]) if parsed else record["input"],
        "InputDetails": {"Included": True},
    }
    if "output" in record:
        output["Output"] = json.loads(record["output"]) if parsed else record["output"]
        output["OutputDetails"] = {"Included": True}
    for key in ("error", "cause"):
        if key in record:
            output[key.capitalize()] = record[key]
    return output


def _epoch_millis(iso_timestamp: str) -> int:
    return int(datetime.fromisoformat(iso_timestamp).timestamp() * 1000)
