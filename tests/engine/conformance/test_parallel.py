"""The Parallel state, as the developer guide's 'Parallel workflow state' page documents it."""

from __future__ import annotations

from tests.engine.conformance.runner import lambda_task, machine


def _branch(states: dict) -> dict:
    return {"StartAt": next(iter(states)), "States": states}


def test_a_parallel_state_outputs_an_array_of_its_branches_outputs_in_branch_order(run):
    # developer guide: 'Parallel workflow state' > 'Parallel State Output' (the [2, 0.5] example)
    branches = [
        _branch({"Add": lambda_task("add", End=True)}),
        _branch({"Subtract": lambda_task("subtract", End=True)}),
    ]
    definition = machine({"FunWithMath": {"Type": "Parallel", "Branches": branches, "End": True}})
    lambdas = {"add": lambda e, c: e[0] + e[1], "subtract": lambda e, c: e[0] - e[1]}
    assert run(definition, [3, 2], lambdas=lambdas).output == [5, 1]


def test_each_branch_gets_the_parallel_states_input(run):
    # developer guide: 'Parallel workflow state': every branch receives a copy of the input
    branches = [_branch({"A": {"Type": "Pass", "End": True}}),
                _branch({"B": {"Type": "Pass", "InputPath": "$.x", "End": True}})]  # fmt: skip
    definition = machine({"P": {"Type": "Parallel", "Branches": branches, "End": True}})
    assert run(definition, {"x": 1}).output == [{"x": 1}, 1]


def test_a_failed_branch_fails_the_parallel_state_and_its_catch_gets_the_error(run):
    # developer guide: 'Parallel workflow state' > 'Error Handling'
    branches = [_branch({"Ok": {"Type": "Pass", "End": True}}),
                _branch({"Boom": {"Type": "Fail", "Error": "Boom", "Cause": "b"}})]  # fmt: skip
    catch = [{"ErrorEquals": ["Boom"], "ResultPath": "$.error", "Next": "Caught"}]
    states = {"P": {"Type": "Parallel", "Branches": branches, "Catch": catch, "End": True},
              "Caught": {"Type": "Pass", "End": True}}  # fmt: skip
    result = run(machine(states), {"in": 1})
    assert result.output == {"in": 1, "error": {"Error": "Boom", "Cause": "b"}}


def test_result_selector_and_result_path_apply_to_the_branches_array(run):
    # developer guide: 'Parallel workflow state' > ResultSelector, ResultPath
    branches = [_branch({"A": {"Type": "Pass", "Result": 1, "End": True}}),
                _branch({"B": {"Type": "Pass", "Result": 2, "End": True}})]  # fmt: skip
    state = {"Type": "Parallel", "Branches": branches, "ResultSelector": {"second.$": "$[1]"},
             "ResultPath": "$.out", "End": True}  # fmt: skip
    assert run(machine({"P": state}), {"in": 0}).output == {"in": 0, "out": {"second": 2}}
