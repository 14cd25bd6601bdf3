"""Reading AWS Step Functions Local mock configuration files."""

from __future__ import annotations

import json

import pytest
from moto.stepfunctions.parser.mocking.mock_config import MockedResponseReturn, MockedResponseThrow

from orchestration.engine.definition import load_definition
from orchestration.engine.mock_config import MockConfigError, load_test_case, parse_test_case

STATES = {"Extract", "Transform", "Validate"}
CONFIG = {
    "StateMachines": {
        "sfn-etl": {"TestCases": {"TransformFlaky": {"Transform": "FailTwiceThenOk"}}}
    },
    "MockedResponses": {
        "FailTwiceThenOk": {
            "0-1": {"Throw": {"Error": "Glue.AWSGlueException", "Cause": "transient"}},
            "2": {"Return": {"JobRunState": "SUCCEEDED"}},
        }
    },
}


def _with(test_case: dict, responses: dict) -> dict:
    return {
        "StateMachines": {"sfn-etl": {"TestCases": {"Case": test_case}}},
        "MockedResponses": responses,
    }


def test_a_test_case_mocks_only_its_states_by_invocation_number(tmp_path):
    path = tmp_path / "mocks.json"
    path.write_text(json.dumps(CONFIG))
    case = load_test_case(path, "TransformFlaky", "sfn-etl", STATES)
    assert list(case.state_mocked_responses) == ["Transform"]
    responses = case.state_mocked_responses["Transform"].mocked_responses
    assert [type(r) for r in responses] == [
        MockedResponseThrow,
        MockedResponseThrow,
        MockedResponseReturn,
    ]
    assert (responses[0].error, responses[0].cause) == ("Glue.AWSGlueException", "transient")
    assert responses[2].payload == {"JobRunState": "SUCCEEDED"}


def test_an_unknown_test_case_is_refused_listing_the_known_ones():
    with pytest.raises(MockConfigError, match=r"no test case 'Nope' \(has: TransformFlaky\)"):
        parse_test_case(CONFIG, "Nope", "sfn-etl", STATES)


def test_an_unknown_state_machine_is_refused_listing_the_known_ones():
    with pytest.raises(MockConfigError, match=r"no StateMachines.other \(has: sfn-etl\)"):
        parse_test_case(CONFIG, "TransformFlaky", "other", STATES)


def test_mocking_a_state_the_definition_lacks_is_refused():
    config = _with({"Transfrom": "R"}, {"R": {"0": {"Return": {}}}})
    with pytest.raises(
        MockConfigError, match="mocks state 'Transfrom', which the definition lacks"
    ):
        parse_test_case(config, "Case", "sfn-etl", STATES)


def test_a_missing_mocked_response_is_refused():
    with pytest.raises(MockConfigError, match="no MockedResponses.R for 'Transform'"):
        parse_test_case(_with({"Transform": "R"}, {}), "Case", "sfn-etl", STATES)


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        ({"0": {"Return": {}, "Throw": {"Error": "E"}}}, "exactly one of Return or Throw"),
        ({"first": {"Return": {}}}, "invocation key 'first' is not N or N-M"),
        ({"2-1": {"Return": {}}}, "invocation range '2-1' ends before it starts"),
        ({"0": {"Throw": {"Cause": "no error"}}}, "expected {'Error': str, 'Cause': str}"),
        ({"1": {"Return": {}}}, "Mock responses must be consecutively numbered"),
    ],
)
def test_a_malformed_mocked_response_is_refused_with_the_reason(responses, message):
    with pytest.raises(MockConfigError, match=message.replace("(", r"\(").replace("{", r"\{")):
        parse_test_case(_with({"Transform": "R"}, {"R": responses}), "Case", "sfn-etl", STATES)


def test_a_file_that_is_not_json_is_refused_with_the_line(tmp_path):
    path = tmp_path / "mocks.json"
    path.write_text("{\n nope")
    with pytest.raises(MockConfigError, match=r"mocks.json: not JSON \(line 2: "):
        load_test_case(path, "Case", "sfn-etl", STATES)


def test_states_inside_the_datasets_map_and_its_parallel_branches_can_be_mocked():
    responses = {"R": {"0": {"Return": {"Errors": []}}}}
    config = _with({"Transform": "R", "LoadTable": "R", "RegisterPartition": "R"}, responses)
    case = parse_test_case(config, "Case", "sfn-etl", load_definition().state_names())
    assert sorted(case.state_mocked_responses) == ["LoadTable", "RegisterPartition", "Transform"]


def test_a_state_machine_of_another_name_is_refused_saying_how_to_name_it():
    with pytest.raises(MockConfigError) as refused:
        parse_test_case(CONFIG, "TransformFlaky", "pricing", STATES)
    assert str(refused.value) == (
        "mock config: no StateMachines.pricing (has: sfn-etl); the state machine is named with "
        "--state-machine, by default after its definition file"
    )


def test_a_state_machine_named_other_than_sfn_etl_is_read_by_its_name():
    config = {"StateMachines": {"pricing": CONFIG["StateMachines"]["sfn-etl"]},
              "MockedResponses": CONFIG["MockedResponses"]}  # fmt: skip
    case = parse_test_case(config, "TransformFlaky", "pricing", STATES)
    assert (case.state_machine_name, case.test_case_name) == ("pricing", "TransformFlaky")
