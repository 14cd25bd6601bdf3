"""Fault injection in the format of AWS Step Functions Local's mock configuration file.

```json
{"StateMachines": {"sfn-etl": {"TestCases": {"TransformFlaky": {"Transform": "FailTwice"}}}},
 "MockedResponses": {"FailTwice": {
   "0-1": {"Throw": {"Error": "Glue.AWSGlueException", "Cause": "transient"}},
   "2":   {"Return": {"JobRunState": "SUCCEEDED"}}}}}
```

`StateMachines` is keyed by the state machine's name: `sfn-etl` for the pipeline's definition,
for another the definition file's name up to its first dot, or `--state-machine NAME`.
A test case names the Task states to replace; every other state runs for real. Keys of a mocked
response are invocation numbers ("0") or ranges ("0-1"), consecutive from 0; the interpreter
counts them per entry into the state (attempt 0, then its retries), so each Map iteration of a
mocked state starts again at "0". As in Step Functions Local, a mocked Lambda task returns the
whole Invoke response (`{"Payload": ...}`) and a mocked `.sync` task returns the final output
(the JobRun for Glue).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from moto.stepfunctions.parser.mocking.mock_config import (
    MockedResponse,
    MockedResponseReturn,
    MockedResponseThrow,
    MockTestCase,
    StateMockedResponses,
)

from orchestration.core.errors import UserError


class MockConfigError(UserError):
    """The mock configuration file is malformed or does not fit the definition."""


def load_test_case(
    path: Path, test_case: str, state_machine: str, state_names: set[str]
) -> MockTestCase:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise MockConfigError(f"cannot read the mock config {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise MockConfigError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from exc
    return parse_test_case(document, test_case, state_machine, state_names, source=str(path))


def parse_test_case(
    document: Any,
    test_case: str,
    state_machine: str,
    state_names: set[str],
    source: str = "mock config",
) -> MockTestCase:
    machines = _object(document, "StateMachines", source)
    if state_machine not in machines:
        raise MockConfigError(
            f"{source}: no StateMachines.{state_machine} (has: {_names(machines)}); the state "
            "machine is named with --state-machine, by default after its definition file"
        )
    cases = _object(
        machines[state_machine], "TestCases", f"{source}: StateMachines.{state_machine}"
    )
    if test_case not in cases:
        raise MockConfigError(f"{source}: no test case {test_case!r} (has: {_names(cases)})")
    responses = _object(document, "MockedResponses", source)
    mocked_states = []
    for state, response_name in dict(cases[test_case]).items():
        where = f"{source}: test case {test_case!r}"
        if state not in state_names:
            raise MockConfigError(f"{where} mocks state {state!r}, which the definition lacks")
        if response_name not in responses:
            raise MockConfigError(f"{where}: no MockedResponses.{response_name} for {state!r}")
        entries = _mocked_responses(responses[response_name], f"{source}: {response_name}")
        try:
            mocked_states.append(StateMockedResponses(state, response_name, entries))
        except (RuntimeError, ValueError) as exc:
            raise MockConfigError(f"{source}: {response_name}: {exc}") from exc
    return MockTestCase(state_machine, test_case, mocked_states)


def _mocked_responses(raw: Any, where: str) -> list[MockedResponse]:
    if not isinstance(raw, dict) or not raw:
        raise MockConfigError(f"{where}: expected an object of invocation numbers")
    entries: list[MockedResponse] = []
    for key, response in raw.items():
        start, end = _invocation_range(key, where)
        if not isinstance(response, dict) or len(response.keys() & {"Return", "Throw"}) != 1:
            raise MockConfigError(f"{where}.{key}: expected exactly one of Return or Throw")
        if "Return" in response:
            entries.append(MockedResponseReturn(start, end, response["Return"]))
            continue
        throw = response["Throw"]
        if not isinstance(throw, dict) or not isinstance(throw.get("Error"), str):
            raise MockConfigError(f"{where}.{key}.Throw: expected {{'Error': str, 'Cause': str}}")
        entries.append(MockedResponseThrow(start, end, throw["Error"], str(throw.get("Cause", ""))))
    return entries


def _invocation_range(key: str, where: str) -> tuple[int, int]:
    parts = key.split("-")
    if len(parts) > 2 or not all(part.strip().isdigit() for part in parts):
        raise MockConfigError(f"{where}: invocation key {key!r} is not N or N-M")
    start, end = int(parts[0]), int(parts[-1])
    if end < start:
        raise MockConfigError(f"{where}: invocation range {key!r} ends before it starts")
    return start, end


def _object(parent: Any, key: str, where: str) -> dict[str, Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(value, dict):
        raise MockConfigError(f"{where}: expected an object at {key}")
    return value


def _names(mapping: dict[str, Any]) -> str:
    return ", ".join(sorted(mapping)) or "nothing"
