"""The declared mapping from a definition's resources to local code, and the check that every
Task state of a definition has a local handler before anything runs.

The mapping is `[tool.sfn-etl.resources]` in the nearest pyproject.toml above the definition
(else above the working directory), or a file given with `--resources` (TOML or JSON, the same
table at its top level):

```toml
[tool.sfn-etl.resources]
"arn:aws:lambda:us-east-1:123456789012:function:enrich" = "shop.handlers:enrich"  # Lambda
orders-job = "glue/orders.py"   # Glue job -> script (ends in .py or has a /): run as __main__
report-job = "shop.jobs.report" # Glue job -> module: its main(argv) runs
"arn:aws:states:us-east-1:123456789012:stateMachine:child" = "child.asl.json"
```

Keys are what the definition names: a Lambda function ARN or name, a Glue job name, a state
machine ARN or name. Relative paths and modules resolve from the declaring file's folder, which
is put on sys.path as the Lambda runtime puts the function's root on it. The pipeline's own
Lambdas (orchestration.lambdas) and Glue jobs (jobs/) need no entry.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.core.errors import UserError
from orchestration.engine.definition import Definition, load_definition
from orchestration.engine.handlers import builtin_glue_job, builtin_lambda

_HANDLER = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_LAMBDA_ARN = re.compile(r"^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$")
_INTEGRATION = re.compile(
    r"^arn:aws[\w-]*:states:::(?P<service>[\w-]+):(?P<action>[\w:-]+?)"
    r"(\.sync(:2)?|\.waitForTaskToken)?$"
)
_LOCAL_SERVICES = frozenset(
    {
        "sns:publish",
        "sqs:sendMessage",
        "events:putEvents",
        "aws-sdk:s3:getObject",
        "aws-sdk:s3:putObject",
        "aws-sdk:glue:batchCreatePartition",
    }
)
"""Integrations the engine itself answers (handlers.py), whatever the definition."""
_MAPPED = frozenset({"lambda:invoke", "glue:startJobRun", "states:startExecution"})
"""Integrations answered by the pipeline's own code or what the mapping declares."""


class ResourceMapError(UserError):
    """The mapping file is malformed, or a Task's resource has no local handler."""


@dataclass(frozen=True)
class ResourceMap:
    entries: dict[str, str] = field(default_factory=dict)
    root: Path = field(default_factory=Path.cwd)
    """Where relative script paths, definition files and modules resolve from."""
    source: Path | None = None
    """The file the entries were read from; None when nothing declares any."""

    def lambda_handler(self, function: str) -> str | None:
        """The "module:function" declared for a FunctionName (name, ARN or partial ARN)."""
        return self._lookup(function, function_name(function))

    def glue_job(self, job_name: str) -> str | None:
        """The script path or module declared for a Glue job."""
        return self.entries.get(job_name)

    def glue_script(self, job_name: str) -> Path | None:
        """The declared job's script file, None when it is declared as a module."""
        target = self.glue_job(job_name)
        if target is None or not (target.endswith(".py") or "/" in target):
            return None
        return self.root / target

    def state_machine(self, arn_or_name: str) -> Path | None:
        """The definition file declared for a state machine ARN or name."""
        target = self._lookup(arn_or_name, state_machine_name(arn_or_name))
        return None if target is None else self.root / target

    def make_importable(self) -> None:
        """Put the declaring folder on sys.path, so its modules import as declared."""
        if self.entries and str(self.root) not in sys.path:
            sys.path.insert(0, str(self.root))

    def _lookup(self, key: str, name: str) -> str | None:
        if key in self.entries:
            return self.entries[key]
        by_name = [v for k, v in self.entries.items() if k == name or _last_part(k) == name]
        return by_name[0] if by_name else None


def function_name(function: str) -> str:
    """`enrich` of `arn:aws:lambda:r:a:function:enrich:live`, `a:function:enrich` or `enrich`."""
    return function.split(":function:")[-1].split(":")[0]


def state_machine_name(arn_or_name: str) -> str:
    return arn_or_name.split(":stateMachine:")[-1].split(":")[0]


def _last_part(key: str) -> str:
    if ":function:" in key:
        return function_name(key)
    return state_machine_name(key)


def load_resource_map(
    explicit: Path | None, definition_path: Path | None, cwd: Path | None = None
) -> ResourceMap:
    """The `--resources` file, else the nearest pyproject.toml's table (above the definition,
    then above the working directory), else an empty mapping."""
    if explicit is not None:
        return _read(Path(explicit), required=True)
    starts = [definition_path.resolve().parent] if definition_path is not None else []
    for start in [*starts, (cwd or Path.cwd()).resolve()]:
        pyproject = next(
            (
                d / "pyproject.toml"
                for d in (start, *start.parents)
                if (d / "pyproject.toml").is_file()
            ),
            None,
        )
        if pyproject is not None:
            found = _read(pyproject, required=False)
            if found.source is not None:
                return found
    return ResourceMap()


def _read(path: Path, required: bool) -> ResourceMap:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ResourceMapError(f"cannot read the resources file {path}: {exc.strerror}") from exc
    try:
        document = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ResourceMapError(
            f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}"
        ) from exc
    where = str(path)
    if path.name == "pyproject.toml":
        table = document.get("tool", {}).get("sfn-etl", {}).get("resources")
        where = f"{path} [tool.sfn-etl.resources]"
        if table is None:
            if required:
                raise ResourceMapError(f"{path} has no [tool.sfn-etl.resources] table")
            return ResourceMap(root=path.parent)
    else:
        table = document
    if not isinstance(table, dict):
        raise ResourceMapError(f"{where}: expected a table of resource -> local target")
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ResourceMapError(
                f"{where}: {key!r} must map to a string (module:function, a script path, a "
                f"module or a definition file), got {value!r}"
            )
    return ResourceMap(entries=dict(table), root=path.parent.resolve(), source=path)


# -- the check before a run ---------------------------------------------------------------


def check_resources(
    definition: Definition, resources: ResourceMap, overrides: Collection[str] = ()
) -> list[Definition]:
    """Refuse, naming each state and resource, a Task no local handler answers; returns the
    nested definitions (states:startExecution), each checked the same way, in discovery order.

    `overrides` are LocalServices.overrides keys (`lambda:<name>`, `glue:<name>`)."""
    problems: list[str] = []
    nested: list[Definition] = []
    seen = {Path(definition.source).resolve()}
    pending = [definition]
    while pending:
        current = pending.pop(0)
        for state, task in _tasks(current.document):
            problem, child = _check_task(task, resources, overrides)
            if problem:
                problems.append(f"{current.source}: state {state!r}: {problem}")
            if child is not None and child.resolve() not in seen:
                seen.add(child.resolve())
                loaded = load_definition(child)
                nested.append(loaded)
                pending.append(loaded)
    if problems:
        declared = resources.source or "[tool.sfn-etl.resources] in your pyproject.toml"
        raise ResourceMapError(
            f"{len(problems)} Task state(s) have no local handler (declare them in {declared} "
            "or a --resources file):\n  " + "\n  ".join(problems)
        )
    return nested


def _tasks(node: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    """(state path, state) of every Task, including those inside Map and Parallel states."""
    found = []
    for name, state in node.get("States", {}).items():
        path = f"{prefix}{name}"
        if state.get("Type") == "Task":
            found.append((path, state))
        for index, branch in enumerate(state.get("Branches", [])):
            found += _tasks(branch, f"{path}.Branches[{index}].")
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                found += _tasks(state[key], f"{path}.{key}.")
    return found


def _check_task(
    task: dict[str, Any], resources: ResourceMap, overrides: Collection[str]
) -> tuple[str | None, Path | None]:
    resource = task.get("Resource", "")
    if _LAMBDA_ARN.match(resource):
        return _check_lambda(resource, resources, overrides), None
    match = _INTEGRATION.match(resource)
    if match is None:
        return (
            f"resource {resource!r} has no local handler (what runs locally: Lambda "
            f"functions, {', '.join(sorted(_MAPPED | _LOCAL_SERVICES))})",
            None,
        )
    integration = f"{match['service']}:{match['action']}"
    arguments = task.get("Parameters") or task.get("Arguments") or {}
    if integration in _LOCAL_SERVICES:
        return None, None
    if integration == "lambda:invoke":
        function = arguments.get("FunctionName")
        return (None if function is None else _check_lambda(function, resources, overrides)), None
    if integration == "glue:startJobRun":
        job = arguments.get("JobName")
        return (None if job is None else _check_glue_job(job, resources, overrides)), None
    if integration == "states:startExecution":
        machine = arguments.get("StateMachineArn")
        return (None, None) if machine is None else _check_state_machine(machine, resources)
    return (
        f"resource {resource!r}: {integration} has no local handler (what runs locally: "
        f"Lambda functions, {', '.join(sorted(_MAPPED | _LOCAL_SERVICES))})",
        None,
    )


def _check_lambda(function: str, resources: ResourceMap, overrides: Collection[str]) -> str | None:
    name = function_name(function)
    target = resources.lambda_handler(function)
    if target is None:
        if f"lambda:{name}" in overrides or builtin_lambda(name):
            return None
        return f'Lambda function {function!r} is not mapped (map it to "module:function")'
    if not _HANDLER.match(target):
        return f'Lambda function {function!r} maps to {target!r}, which is not "module:function"'
    module = target.split(":")[0]
    if not _module_found(module):
        return (
            f"Lambda function {function!r} maps to {target!r}, but no module {module} is "
            f"importable from {resources.root}"
        )
    return None


def _check_glue_job(job: str, resources: ResourceMap, overrides: Collection[str]) -> str | None:
    target = resources.glue_job(job)
    if target is None:
        if f"glue:{job}" in overrides or builtin_glue_job(job):
            return None
        return f"Glue job {job!r} is not mapped (map it to a script path or a module)"
    script = resources.glue_script(job)
    if script is None:
        if not _module_found(target):
            return (
                f"Glue job {job!r} maps to module {target}, which is not importable from "
                f"{resources.root}"
            )
        return None
    if not script.is_file():
        return f"Glue job {job!r} maps to {script}, which does not exist"
    return None


def _check_state_machine(machine: str, resources: ResourceMap) -> tuple[str | None, Path | None]:
    path = resources.state_machine(machine)
    if path is None:
        return f"state machine {machine!r} is not mapped (map it to its definition file)", None
    if not path.is_file():
        return f"state machine {machine!r} maps to {path}, which does not exist", None
    return None, path


def _module_found(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
