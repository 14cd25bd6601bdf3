"""The one state machine definition: its ${Placeholders}, local rendering and validation.

Terraform fills the placeholders with templatefile(); the local engine fills them with local
resource names that its handlers map back to Python callables. A definition is checked before
anything runs, so a broken definition is refused with the offending state named instead of
failing halfway through an execution: statelint for the state graph (an unknown Next, StartAt or
Default, no terminal state, an unreachable state), the States.ALL rule, and the interpreter's
parser for the syntax. statelint predates JSONata and Variables and types some fields more
narrowly than AWS (an integer BackoffRate, Assign), so only its graph findings, which AWS raises
too, are kept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from orchestration.core.errors import UserError

ACCOUNT = "000000000000"
REGION = "us-east-1"
STATE_MACHINE_NAME = "sfn-etl"
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STATE_MACHINE_NAME}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{STATE_MACHINE_NAME}-states"


def state_machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


LOCAL_PLACEHOLDERS: dict[str, str] = {
    "ExtractFunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:extract",
    "LoadFunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:load",
    "TransformJobName": "transform",
    "ValidateJobName": "validate",
    "NotificationTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:{STATE_MACHINE_NAME}-notifications",
    "DeadLetterQueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{STATE_MACHINE_NAME}-dlq",
    "CatalogDatabasePrefix": "",
}
"""Every placeholder the definition may use; Terraform derives IAM from the same set."""

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")


class DefinitionError(UserError):
    """The definition is not valid ASL; the message names the state and the problem."""


@dataclass(frozen=True)
class Definition:
    text: str
    """Rendered: no placeholders left."""
    document: dict[str, Any]
    source: str
    program: Any = field(default=None, compare=False, repr=False)
    """The interpreter's parse of `text`, for one execution."""

    def state_names(self) -> set[str]:
        """Every state name, including the states of Map and Parallel branches."""
        names: set[str] = set()
        _collect_state_names(self.document, names)
        return names


def default_definition_path() -> Path:
    return Path(str(resources.files("orchestration") / "state_machine.asl.json"))


def placeholders_in(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))


def render(template: str, values: dict[str, str]) -> str:
    missing = sorted(placeholders_in(template) - values.keys())
    if missing:
        raise DefinitionError(f"no value for placeholder(s): {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def load_definition(path: Path | None = None, values: dict[str, str] | None = None) -> Definition:
    """Read, render with local names, lint and parse; raises DefinitionError before any run."""
    path = path or default_definition_path()
    try:
        template = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(f"cannot read the definition {path}: {exc.strerror}") from exc
    return validate(render(template, values or LOCAL_PLACEHOLDERS), source=str(path))


def validate(text: str, source: str = "<definition>") -> Definition:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"{source}: not JSON (line {exc.lineno}: {exc.msg})") from exc
    problems = lint(document)
    if problems:
        raise DefinitionError(f"{source} is not valid ASL:\n  " + "\n  ".join(problems))
    return Definition(text=text, document=document, source=source, program=_parse(text, source))


_GRAPH_FINDINGS = (
    "No state found named",
    "No terminal state found",
    "StartAt value",
    "No transition found to state",
)
"""The statelint findings AWS raises too (its other findings type fields AWS accepts)."""


def lint(document: dict[str, Any]) -> list[str]:
    """The problems AWS would refuse the definition for, beyond syntax, e.g.
    `No state found named "X", referenced at State Machine.States.Extract.Next`."""
    from statelint.config import Config
    from statelint.linter import Linter

    # A dict, not the text: given a string, statelint first tries it as a file path.
    findings = Linter.validate(document, Config())
    graph = [finding for finding in findings if finding.startswith(_GRAPH_FINDINGS)]
    return graph + _states_all_not_last(document, "State Machine")


def _states_all_not_last(node: dict[str, Any], where: str) -> list[str]:
    """AWS: States.ALL must appear alone and in the last retrier or catcher."""
    problems: list[str] = []
    states = node.get("States")
    for name, state in states.items() if isinstance(states, dict) else ():
        if not isinstance(state, dict):
            continue
        here = f"{where}.States.{name}"
        for field_name in ("Retry", "Catch"):
            rules = state.get(field_name)
            for index, rule in enumerate(rules if isinstance(rules, list) else ()):
                errors = rule.get("ErrorEquals", []) if isinstance(rule, dict) else []
                if "States.ALL" in errors and index != len(rules) - 1:
                    problems.append(
                        f"States.ALL must be in the last rule of {here}.{field_name}, "
                        f"found in {field_name}[{index}]"
                    )
        for index, branch in enumerate(state.get("Branches") or ()):
            problems += _states_all_not_last(branch, f"{here}.Branches[{index}]")
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                problems += _states_all_not_last(state[key], f"{here}.{key}")
    return problems


def _parse(text: str, source: str) -> Any:
    # The interpreter parses with its patches installed (an integer ToleratedFailurePercentage).
    from orchestration.engine import interpreter

    interpreter.install()
    try:
        return interpreter.parse(text)
    except Exception as exc:  # noqa: BLE001 - the parser raises bare ValueError/RecognitionException
        raise DefinitionError(f"{source}: the interpreter refuses it: {exc}") from exc


def _collect_state_names(node: dict[str, Any], names: set[str]) -> None:
    for name, state in node.get("States", {}).items():
        names.add(name)
        for branch in state.get("Branches", []):
            _collect_state_names(branch, names)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                _collect_state_names(state[key], names)
