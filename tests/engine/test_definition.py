"""Rendering placeholders and refusing invalid definitions before anything runs."""

from __future__ import annotations

import json

import pytest

from orchestration.engine.definition import (
    LOCAL_PLACEHOLDERS,
    DefinitionError,
    load_definition,
    render,
    validate,
)

PASS_THEN_END = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def test_local_rendering_fills_every_placeholder_with_local_names():
    definition = load_definition()
    assert "${" not in definition.text
    extract = definition.document["States"]["Extract"]["Parameters"]["FunctionName"]
    assert extract == "arn:aws:lambda:us-east-1:000000000000:function:extract"
    iteration = definition.document["States"]["ProcessDatasets"]["ItemProcessor"]["States"]
    assert iteration["Transform"]["Parameters"]["JobName"] == "transform"
    # No prefix locally: a dataset's catalog database is named after the dataset.
    register = iteration["Deliver"]["Branches"][1]["States"]["RegisterPartitions"]
    assert register["ItemSelector"]["database.$"] == (
        "States.Format('{}', $$.Map.Item.Value.dataset)"
    )


def test_state_names_include_the_states_inside_maps_and_parallel_branches():
    names = load_definition().state_names()
    assert {"Extract", "ProcessDatasets", "Failed"} <= names
    assert {"Transform", "Deliver", "DatasetFailed"} <= names  # in the datasets' Map
    assert {"LoadTables", "LoadTable", "RegisterPartition"} <= names  # in Deliver's branches


def test_rendering_with_a_catalog_database_prefix_puts_it_before_the_dataset():
    values = {**LOCAL_PLACEHOLDERS, "CatalogDatabasePrefix": "prod_"}
    document = load_definition(values=values).document
    iteration = document["States"]["ProcessDatasets"]["ItemProcessor"]["States"]
    register = iteration["Deliver"]["Branches"][1]["States"]["RegisterPartitions"]
    assert register["ItemSelector"]["database.$"] == (
        "States.Format('prod_{}', $$.Map.Item.Value.dataset)"
    )


def test_a_placeholder_without_a_value_is_refused_by_name():
    with pytest.raises(DefinitionError, match=r"no value for placeholder\(s\): Nope"):
        render('{"x": "${Nope}", "y": "${TransformJobName}"}', LOCAL_PLACEHOLDERS)


def test_a_next_to_a_missing_state_is_refused_naming_the_state():
    document = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}}
    with pytest.raises(DefinitionError) as raised:
        validate(json.dumps(document), source="broken.asl.json")
    assert str(raised.value) == (
        "broken.asl.json is not valid ASL:\n"
        '  No state found named "Missing", referenced at State Machine.States.A.Next\n'
        "  No terminal state found in machine at State Machine.States"
    )


def test_text_that_is_not_json_is_refused_with_the_line():
    with pytest.raises(DefinitionError, match=r"x.json: not JSON \(line 2: "):
        validate('{"StartAt": "A",\n oops}', source="x.json")


def test_asl_the_interpreter_cannot_run_is_refused_before_running():
    document = {"StartAt": "A", "States": {"A": {"Type": "Bogus", "End": True}}}
    with pytest.raises(DefinitionError, match="the interpreter refuses it"):
        validate(json.dumps(document))


def _accepted(document: dict) -> None:
    assert validate(json.dumps(document)).program is not None


def test_definitions_aws_accepts_that_statelint_refuses_are_accepted():
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "BackoffRate": 2}]
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Retry": retry}
    _accepted({"StartAt": "T", "States": {"T": {**task, "End": True}}})  # an integer BackoffRate
    assign = {"Type": "Pass", "Assign": {"x.$": "$.a"}, "End": True}
    _accepted({"StartAt": "A", "States": {"A": assign}})  # Assign in a JSONPath state
    jsonata = {"Type": "Pass", "Output": {"a": "{% 1 + 1 %}"}, "End": True}
    _accepted({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": jsonata}})


def test_an_integer_tolerated_failure_percentage_is_accepted():
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        **PASS_THEN_END,
    }
    state = {"Type": "Map", "ToleratedFailurePercentage": 10, "ItemProcessor": processor}
    _accepted({"StartAt": "M", "States": {"M": {**state, "End": True}}})


def test_a_start_at_naming_no_state_is_refused():
    document = {"StartAt": "Z", "States": {"A": {"Type": "Pass", "End": True}}}
    with pytest.raises(DefinitionError) as raised:
        validate(json.dumps(document), source="d.json")
    assert "StartAt value Z not found in States field at State Machine" in str(raised.value)


def test_an_unreachable_state_is_refused_naming_it():
    states = {"A": {"Type": "Pass", "End": True}, "B": {"Type": "Pass", "End": True}}
    with pytest.raises(DefinitionError) as raised:
        validate(json.dumps({"StartAt": "A", "States": states}), source="d.json")
    assert str(raised.value) == (
        "d.json is not valid ASL:\n  No transition found to state State Machine.B"
    )


def test_states_all_before_another_retrier_is_refused_naming_the_state():
    retry = [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["Custom"]}]
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Retry": retry}
    with pytest.raises(DefinitionError) as raised:
        validate(json.dumps({"StartAt": "T", "States": {"T": {**task, "End": True}}}), "d.json")
    assert str(raised.value) == (
        "d.json is not valid ASL:\n  States.ALL must be in the last rule of "
        "State Machine.States.T.Retry, found in Retry[0]"
    )


def test_a_missing_definition_file_is_a_user_error(tmp_path):
    with pytest.raises(DefinitionError, match="cannot read the definition"):
        load_definition(tmp_path / "absent.json")
