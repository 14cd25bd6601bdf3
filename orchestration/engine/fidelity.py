"""Patches that bring moto 5.2.5's ASL interpreter closer to AWS Step Functions, one documented
AWS behaviour each; interpreter.install() applies them once per process.

- a definite path (`$.x[0].ok`) yields the value it names, not a one-item list, so a Choice on it
  matches as on AWS (moto wraps any value under an array index in a list);
- `States.ALL` (and any other name) never matches States.Runtime or States.DataLimitExceeded:
  AWS documents both as terminal, neither retried nor caught;
- a distributed Map fails with States.ExceedToleratedFailureThreshold when more children fail
  than ToleratedFailureCount / ToleratedFailurePercentage allow (moto counts and ignores them);
- the JSONata functions Step Functions adds: `$hash`, `$uuid` and `$random([seed])` (moto answers
  the first two with a "not supported" string and lacks the seed), bound to each evaluation;
- a Choice with no matching rule and no Default fails with States.NoChoiceMatched (moto: a
  States.Runtime from a bare RuntimeError);
- a JSONata expression that fails to evaluate is States.QueryEvaluationError, which Catch can
  match (moto let the evaluator's exception become a States.Runtime);
- an integer ToleratedFailurePercentage is accepted (moto's grammar only takes a decimal).
tests/engine/conformance/ checks each against the developer guide.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import uuid
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.api import (
    EvaluationFailedEventDetails,
    ExecutionFailedEventDetails,
    HistoryEventType,
    MapRunFailedEventDetails,
)
from moto.stepfunctions.parser.asl.component.common.error_name import error_equals_decl
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
from moto.stepfunctions.parser.asl.component.common.string import string_expression
from moto.stepfunctions.parser.asl.component.intrinsic import jsonata as intrinsic_jsonata
from moto.stepfunctions.parser.asl.component.state.choice import state_choice
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    distributed_iteration_component,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException
from moto.stepfunctions.parser.asl.parse import asl_parser
from moto.stepfunctions.parser.asl.utils import json_path

_TERMINAL_ERRORS = frozenset(
    (StatesErrorNameType.StatesRuntime, StatesErrorNameType.StatesStatesDataLimitExceeded)
)
_DEFINITE_PATH = re.compile(r"^\$(?:\.[^.\[\]*?@,:()]+|\[\d+\]|\['[^']*'\])*$")
_HASH_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384",
                    "SHA-512": "sha512"}  # fmt: skip
THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"


def install() -> None:
    """Apply every patch; call once per process (interpreter.install does)."""
    _install_definite_paths()
    decl = error_equals_decl.ErrorEqualsDecl
    decl._eval_body = _terminal_errors_never_match(decl._eval_body)
    component = distributed_iteration_component.DistributedIterationComponent
    component._map_run = _fail_beyond_tolerance(component._map_run)
    jsonata_string = string_expression.StringJSONata
    jsonata_string._eval_body = _query_evaluation_error(jsonata_string._eval_body)
    choice = state_choice.StateChoice
    choice._eval_state = _no_choice_matched(choice._eval_state)
    for name in ("$hash", "$uuid"):
        # Dropped so the functions bound by bind_jsonata_functions are not shadowed.
        intrinsic_jsonata._DECLARATION_BY_VARIABLE_REFERENCE.pop(name, None)
    parser = asl_parser.AmazonStateLanguageParser
    parser.parse = staticmethod(_accepting_integer_percentages(parser.parse))


def _install_definite_paths() -> None:
    original = json_path.extract_json

    def extract_json(path: str, data: Any) -> Any:
        if _DEFINITE_PATH.match(path):
            matches = json_path.parse(path).find(data)
            if len(matches) == 1:
                return matches[0].value
        return original(path, data)

    # Modules took their own reference with `from ... import extract_json`.
    for module in list(sys.modules.values()):
        if module.__name__.startswith("moto.stepfunctions.parser") and (
            getattr(module, "extract_json", None) is original
        ):
            module.extract_json = extract_json


def _terminal_errors_never_match(original: Callable) -> Callable:
    def _eval_body(self, env) -> None:
        error_name = env.stack[-1]
        if isinstance(error_name, StatesErrorName) and error_name.typ in _TERMINAL_ERRORS:
            env.stack.pop()
            env.stack.append(False)
            return
        original(self, env)

    return _eval_body


def _states_failure(
    env, error: StatesErrorNameType, event_type: HistoryEventType, details: EventDetails
) -> FailureEventException:
    """The exception moto's states raise to fail with a States.* error and a history event."""
    return FailureEventException(
        FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=error),
            event_type=event_type,
            event_details=details,
        )
    )


def _fail_beyond_tolerance(original: Callable) -> Callable:
    def _map_run(self, env, eval_input) -> None:
        original(self, env, eval_input)
        record = eval_input.map_run_record
        counter = record.item_counter
        failed = counter.failed.get() + counter.timed_out.get() + counter.aborted.get()
        total = counter.total.get()
        percentage = 100.0 * failed / total if total else 0.0
        if _exceeds(failed, percentage, record.tolerated_failure_count,
                    record.tolerated_failure_percentage):  # fmt: skip
            error = StatesErrorNameType.StatesExceedToleratedFailureThreshold.to_name()
            details = MapRunFailedEventDetails(error=error, cause=THRESHOLD_CAUSE)
            raise _states_failure(
                env,
                StatesErrorNameType.StatesExceedToleratedFailureThreshold,
                HistoryEventType.MapRunFailed,
                EventDetails(mapRunFailedEventDetails=details),
            )

    return _map_run


def _exceeds(failed: int, percentage: float, count_limit: int, percentage_limit: float) -> bool:
    """AWS fails the Map run when either declared threshold is exceeded. moto keeps 0 for an
    undeclared one, so a 0 only counts when the other threshold is 0 too (both undeclared)."""
    if count_limit and not percentage_limit:
        return failed > count_limit
    if percentage_limit and not count_limit:
        return percentage > percentage_limit
    return failed > count_limit or percentage > percentage_limit


def _no_choice_matched(original: Callable) -> Callable:
    def _eval_state(self, env) -> None:
        try:
            original(self, env)
        except RuntimeError as exc:
            if self.default_state is not None or not str(exc.args[0]).startswith("No branching"):
                raise
            error = StatesErrorNameType.StatesNoChoiceMatched.to_name()
            details = ExecutionFailedEventDetails(
                error=error, cause=f"No Choice rule matched and state {self.name} has no Default"
            )
            raise _states_failure(
                env,
                StatesErrorNameType.StatesNoChoiceMatched,
                HistoryEventType.ExecutionFailed,
                EventDetails(executionFailedEventDetails=details),
            ) from exc

    return _eval_state


def _query_evaluation_error(original: Callable) -> Callable:
    def _eval_body(self, env) -> None:
        try:
            original(self, env)
        except JSONataException as exc:
            error = StatesErrorNameType.StatesQueryEvaluationError.to_name()
            details = EvaluationFailedEventDetails(
                error=error,
                cause=f"The JSONata expression '{self.expression}' failed: {exc.details}",
            )
            raise _states_failure(
                env,
                StatesErrorNameType.StatesQueryEvaluationError,
                HistoryEventType.EvaluationFailed,
                EventDetails(evaluationFailedEventDetails=details),
            ) from exc

    return _eval_body


def _accepting_integer_percentages(original: Callable) -> Callable:
    def parse(definition: str):
        return original(_with_decimal_percentages(definition))

    return parse


def _with_decimal_percentages(definition: str) -> str:
    try:
        document = json.loads(definition)
    except ValueError:
        return definition  # the parser words the refusal
    if not _decimalize(document):
        return definition
    return json.dumps(document)


def _decimalize(node: Any) -> bool:
    changed = False
    if isinstance(node, dict):
        value = node.get("ToleratedFailurePercentage")
        if isinstance(value, int) and not isinstance(value, bool):
            node["ToleratedFailurePercentage"] = float(value)
            changed = True
        for child in node.values():
            changed = _decimalize(child) or changed
    elif isinstance(node, list):
        for child in node:
            changed = _decimalize(child) or changed
    return changed


def bind_jsonata_functions(expression: Any) -> None:
    """Bind the functions Step Functions adds to JSONata on one jsonata.Jsonata expression."""
    expression.register_lambda("hash", _hash)
    expression.register_lambda("uuid", lambda: str(uuid.uuid4()))
    expression.register_lambda("random", _random)


def _hash(value: Any, algorithm: str) -> str:
    name = _HASH_ALGORITHMS.get(algorithm)
    if name is None:
        raise ValueError(
            f"$hash: unknown algorithm {algorithm!r}, expected one of {sorted(_HASH_ALGORITHMS)}"
        )
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return hashlib.new(name, text.encode()).hexdigest()


def _random(seed: Any = None) -> float:
    return random.random() if seed is None else random.Random(seed).random()
