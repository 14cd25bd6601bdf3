"""The declared resources mapping: where it is found, what it says, and the check that refuses
a Task with no local handler before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.engine.definition import load_definition
from orchestration.engine.resources import (
    ResourceMap,
    ResourceMapError,
    check_resources,
    load_resource_map,
)

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
LAMBDA = "arn:aws:states:::lambda:invoke"


def _task(resource: str, **parameters: str) -> dict:
    state = {"Type": "Task", "Resource": resource, "End": True}
    if parameters:
        state["Parameters"] = parameters
    return state


def _write(path: Path, document: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def _pyproject(folder: Path, table: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text('[project]\nname = "shop"\n\n' + table)
    return path


def test_the_nearest_pyproject_above_the_definition_declares_the_resources(tmp_path):
    pyproject = _pyproject(
        tmp_path / "shop",
        '[tool.sfn-etl.resources]\nenrich = "shop.handlers:enrich"\n',
    )
    definition = _write(tmp_path / "shop" / "flows" / "orders.asl.json", {})
    found = load_resource_map(None, definition, cwd=tmp_path)
    assert (found.source, found.entries, found.root) == (
        pyproject,
        {"enrich": "shop.handlers:enrich"},
        (tmp_path / "shop").resolve(),
    )


def test_a_pyproject_without_the_table_falls_back_to_the_working_directorys(tmp_path):
    _pyproject(tmp_path / "flows", "")
    definition = _write(tmp_path / "flows" / "orders.asl.json", {})
    declared = _pyproject(tmp_path / "work", '[tool.sfn-etl.resources]\njob = "job.py"\n')
    found = load_resource_map(None, definition, cwd=tmp_path / "work")
    assert (found.source, found.entries) == (declared, {"job": "job.py"})


def test_nothing_declared_is_an_empty_mapping(tmp_path):
    definition = _write(tmp_path / "orders.asl.json", {})
    assert load_resource_map(None, definition, cwd=tmp_path).entries == {}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("resources.json", '{"enrich": "shop.handlers:enrich"}'),
        ("resources.toml", 'enrich = "shop.handlers:enrich"\n'),
    ],
)
def test_a_resources_file_is_json_or_toml_with_the_table_at_its_top(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    found = load_resource_map(path, None)
    assert (found.entries, found.root) == ({"enrich": "shop.handlers:enrich"}, tmp_path)


def test_a_value_that_is_not_a_string_is_refused_naming_the_file_and_key(tmp_path):
    path = tmp_path / "resources.json"
    path.write_text('{"enrich": 3}')
    with pytest.raises(ResourceMapError, match=r"resources.json: 'enrich' must map to a string"):
        load_resource_map(path, None)


def test_a_resources_file_that_does_not_parse_is_refused_naming_it(tmp_path):
    path = tmp_path / "resources.toml"
    path.write_text("enrich = \n")
    with pytest.raises(ResourceMapError, match=r"resources.toml: not valid toml"):
        load_resource_map(path, None)


def test_a_missing_resources_file_is_refused_naming_it(tmp_path):
    with pytest.raises(ResourceMapError, match=r"cannot read the resources file .*nope.json"):
        load_resource_map(tmp_path / "nope.json", None)


def test_a_function_is_found_by_its_arn_its_name_or_a_qualified_arn():
    mapping = ResourceMap(
        entries={f"{ARN}:enrich": "shop.handlers:enrich", "score": "shop.handlers:score"}
    )
    assert mapping.lambda_handler(f"{ARN}:enrich") == "shop.handlers:enrich"
    assert mapping.lambda_handler("enrich") == "shop.handlers:enrich"
    assert mapping.lambda_handler(f"{ARN}:score:live") == "shop.handlers:score"
    assert mapping.lambda_handler("123456789012:function:score") == "shop.handlers:score"
    assert mapping.lambda_handler("other") is None


def test_a_glue_job_maps_to_a_script_under_the_declaring_folder_or_to_a_module(tmp_path):
    mapping = ResourceMap(
        entries={"orders": "glue/orders.py", "report": "shop.jobs.report"}, root=tmp_path
    )
    assert mapping.glue_script("orders") == tmp_path / "glue" / "orders.py"
    assert (mapping.glue_script("report"), mapping.glue_job("report")) == (
        None,
        "shop.jobs.report",
    )


def test_the_pipelines_own_definition_needs_no_mapping():
    assert check_resources(load_definition(), ResourceMap()) == []


def test_every_unmapped_task_is_refused_naming_its_state_inside_map_and_parallel(tmp_path):
    inner = {"StartAt": "Score", "States": {"Score": _task(f"{ARN}:score")}}
    document = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Enrich", "States": {"Enrich": _task(LAMBDA, FunctionName="e")}}
                ],
                "Next": "Each",
            },
            "Each": {"Type": "Map", "ItemProcessor": inner, "Next": "Store"},
            "Store": _task("arn:aws:states:::dynamodb:putItem", TableName="t"),
        },
    }
    definition = load_definition(_write(tmp_path / "flow.asl.json", document))
    with pytest.raises(ResourceMapError) as refused:
        check_resources(definition, ResourceMap())
    lines = str(refused.value).splitlines()
    assert lines[0].startswith("3 Task state(s) have no local handler")
    assert lines[1:3] == [
        f"  {definition.source}: state 'Fan.Branches[0].Enrich': Lambda function 'e' is not "
        'mapped (map it to "module:function")',
        f"  {definition.source}: state 'Each.ItemProcessor.Score': Lambda function "
        f"'{ARN}:score' is not mapped (map it to \"module:function\")",
    ]
    assert lines[3].startswith(
        f"  {definition.source}: state 'Store': resource 'arn:aws:states:::dynamodb:putItem': "
        "dynamodb:putItem has no local handler (what runs locally: Lambda functions, "
        "aws-sdk:glue:batchCreatePartition, aws-sdk:s3:getObject"
    )


def test_a_mapped_lambda_whose_module_cannot_be_imported_is_refused(tmp_path):
    document = {"StartAt": "A", "States": {"A": _task(LAMBDA, FunctionName="enrich")}}
    definition = load_definition(_write(tmp_path / "flow.asl.json", document))
    mapping = ResourceMap(entries={"enrich": "nowhere_module:enrich"}, root=tmp_path)
    with pytest.raises(ResourceMapError, match="no module nowhere_module is importable"):
        check_resources(definition, mapping)


def test_a_lambda_value_that_is_not_module_function_is_refused(tmp_path):
    document = {"StartAt": "A", "States": {"A": _task(LAMBDA, FunctionName="enrich")}}
    definition = load_definition(_write(tmp_path / "flow.asl.json", document))
    with pytest.raises(ResourceMapError, match='which is not "module:function"'):
        check_resources(definition, ResourceMap(entries={"enrich": "handlers.py"}))


def test_a_glue_script_that_does_not_exist_is_refused(tmp_path):
    task = _task("arn:aws:states:::glue:startJobRun.sync", JobName="orders")
    definition = load_definition(
        _write(tmp_path / "flow.asl.json", {"StartAt": "A", "States": {"A": task}})
    )
    mapping = ResourceMap(entries={"orders": "glue/orders.py"}, root=tmp_path)
    with pytest.raises(ResourceMapError, match=r"Glue job 'orders' maps to .*glue/orders.py, "):
        check_resources(definition, mapping)


def test_mapped_handlers_and_the_engines_own_services_pass(tmp_path):
    states = {
        "A": _task(LAMBDA, FunctionName="double"),
        "B": _task("arn:aws:states:::glue:startJobRun.sync", JobName="orders"),
        "C": _task("arn:aws:states:::events:putEvents"),
        "D": _task("arn:aws:states:::sns:publish"),
        "E": _task(f"{ARN}:double"),
    }
    for first, second in zip("ABCD", "BCDE", strict=True):
        states[first] = {**states[first], "Next": second}
        del states[first]["End"]
    (tmp_path / "orders.py").write_text("")
    definition = load_definition(
        _write(tmp_path / "flow.asl.json", {"StartAt": "A", "States": states})
    )
    mapping = ResourceMap(
        entries={"double": "tests.engine.user_handlers:double", "orders": "orders.py"},
        root=tmp_path,
    )
    assert check_resources(definition, mapping) == []


def test_engine_test_overrides_count_as_handlers(tmp_path):
    document = {"StartAt": "A", "States": {"A": _task(LAMBDA, FunctionName="fake")}}
    definition = load_definition(_write(tmp_path / "flow.asl.json", document))
    assert check_resources(definition, ResourceMap(), {"lambda:fake"}) == []


def test_a_nested_state_machines_definition_is_checked_before_anything_runs(tmp_path):
    child = _write(
        tmp_path / "child.asl.json",
        {"StartAt": "C", "States": {"C": _task(LAMBDA, FunctionName="unmapped")}},
    )
    start = _task(
        "arn:aws:states:::states:startExecution.sync:2",
        StateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:child",
    )
    parent = load_definition(
        _write(tmp_path / "parent.asl.json", {"StartAt": "P", "States": {"P": start}})
    )
    mapping = ResourceMap(entries={"child": "child.asl.json"}, root=tmp_path)
    with pytest.raises(ResourceMapError, match=rf"{child}: state 'C': Lambda function 'unmapped'"):
        check_resources(parent, mapping)


def test_an_unmapped_state_machine_is_refused(tmp_path):
    start = _task("arn:aws:states:::states:startExecution", StateMachineArn="child")
    parent = load_definition(
        _write(tmp_path / "parent.asl.json", {"StartAt": "P", "States": {"P": start}})
    )
    with pytest.raises(ResourceMapError, match="state machine 'child' is not mapped"):
        check_resources(parent, ResourceMap())
