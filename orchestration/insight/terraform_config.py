"""What infra/ configures that an execution's cost depends on, read as Terraform would resolve
the variables: the defaults of infra/*.tf, then terraform.tfvars, terraform.tfvars.json and the
*.auto.tfvars / *.auto.tfvars.json files in lexical order, each overriding the one before.

Only literal values are read; a variable whose value is an expression is refused by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.core.errors import UserError
from orchestration.core.json_files import read_json_object


@dataclass(frozen=True)
class TerraformConfig:
    region: str
    glue_worker_type: str
    glue_workers: int
    glue_version: str
    lambda_memory_mb: int
    lambda_architecture: str
    redshift_base_capacity: int
    schedule_expression: str
    notification_emails: int
    """How many addresses the topic emails each notification to."""
    sources: tuple[str, ...]
    """The files the values came from, in the order they were applied."""


def read_terraform_config(infra: Path) -> TerraformConfig:
    """The configuration of `infra`; UserError names the file or variable that is missing."""
    tf_files = sorted(infra.glob("*.tf"))
    if not tf_files:
        raise UserError(f"no Terraform configuration (*.tf) in {infra}: pass --infra DIR")
    blocks = {path: _parse_hcl(path) for path in tf_files}
    values: dict[str, Any] = {}
    for parsed in blocks.values():
        for block in parsed.get("variable", []):
            for name, body in block.items():
                if "default" in body:
                    values[_unquote(name)] = _literal(body["default"])
    sources = [str(path) for path in tf_files]
    for path in _tfvars_files(infra):
        overrides = (
            read_json_object(path, "variables file") if path.suffix == ".json" else _parse_hcl(path)
        )
        values.update({name: _literal(value) for name, value in overrides.items()})
        sources.append(str(path))

    def variable(name: str, kind: type) -> Any:
        if name not in values:
            raise UserError(f"variable {name!r} has no default in {infra}/*.tf and no tfvars value")
        value = values[name]
        if isinstance(value, str) and value.startswith("${"):
            raise UserError(
                f"variable {name!r} in {infra} is an expression ({value}): need a literal"
            )
        if kind is int and isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise UserError(
                f"variable {name!r} in {infra} is {value!r}: expected a literal {kind.__name__}"
            )
        return value

    resources = _resources(blocks)
    return TerraformConfig(
        region=variable("aws_region", str),
        glue_worker_type=variable("glue_worker_type", str),
        glue_workers=variable("glue_number_of_workers", int),
        glue_version=_resource_literal(resources, "aws_glue_job", "glue_version", infra),
        lambda_memory_mb=variable("lambda_memory_mb", int),
        lambda_architecture=_lambda_architecture(resources, infra),
        redshift_base_capacity=variable("redshift_base_capacity", int),
        schedule_expression=variable("schedule_expression", str),
        notification_emails=len(variable("notification_emails", list)),
        sources=tuple(sources),
    )


def _tfvars_files(infra: Path) -> list[Path]:
    """Terraform's order: terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars(.json)."""
    fixed = [infra / "terraform.tfvars", infra / "terraform.tfvars.json"]
    auto = sorted([*infra.glob("*.auto.tfvars"), *infra.glob("*.auto.tfvars.json")])
    return [path for path in [*fixed, *auto] if path.is_file()]


def _parse_hcl(path: Path) -> dict[str, Any]:
    import hcl2

    try:
        return hcl2.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from exc
    except Exception as exc:  # noqa: BLE001 - python-hcl2 raises lark's errors, unrelated types
        raise UserError(f"{path} is not valid HCL: {exc}") from exc


def _resources(blocks: dict[Path, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Resource type -> the bodies of every resource of that type."""
    found: dict[str, list[dict[str, Any]]] = {}
    for parsed in blocks.values():
        for block in parsed.get("resource", []):
            for type_, named in block.items():
                found.setdefault(_unquote(type_), []).extend(named.values())
    return found


def _resource_literal(
    resources: dict[str, list[dict[str, Any]]], type_: str, attribute: str, infra: Path
) -> str:
    values = {_literal(body.get(attribute)) for body in resources.get(type_, [])}
    if len(values) != 1 or not isinstance(next(iter(values)), str):
        raise UserError(
            f"expected one literal {attribute} on the {type_} resources of {infra}, "
            f"found {sorted(map(str, values)) or 'none'}"
        )
    return next(iter(values))


def _lambda_architecture(resources: dict[str, list[dict[str, Any]]], infra: Path) -> str:
    # Lambda's default when a function names none.
    architectures = {
        tuple(_literal(body.get("architectures", ["x86_64"])))
        for body in resources.get("aws_lambda_function", [])
    }
    if len(architectures) != 1 or len(next(iter(architectures))) != 1:
        raise UserError(
            f"expected one architecture on the aws_lambda_function resources of {infra}, "
            f"found {sorted(architectures) or 'none'}"
        )
    return next(iter(architectures))[0]


def _literal(value: Any) -> Any:
    """python-hcl2 keeps string quotes and writes expressions as "${...}"; literals only."""
    if isinstance(value, list):
        return [_literal(item) for item in value]
    if isinstance(value, dict):
        return {_unquote(k): _literal(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, str):
        return _unquote(value)
    return value


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text
