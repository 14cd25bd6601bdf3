"""The one state machine definition: its ${Placeholders}, local rendering and validation.

Terraform fills the placeholders with templatefile(); the local engine fills them with local
resource names that its handlers map back to Python callables. A definition is validated with
statelint and parsed by the interpreter before anything runs, so a broken definition is refused
with the offending state named instead of failing halfway through an execution.
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


def lint(document: dict[str, Any]) -> list[str]:
    """statelint's problems, e.g. `State Machine.States.Extract.Next is "X" but should be ...`."""
    from statelint.config import Config
    from statelint.linter import Linter

    # A dict, not the text: given a string, statelint first tries it as a file path.
    return Linter.validate(document, Config())


def _parse(text: str, source: str) -> Any:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    try:
        return AmazonStateLanguageParser.parse(text)[0]
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
