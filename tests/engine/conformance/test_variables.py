"""Variables and Assign in both query languages, as the developer guide's 'Passing data between
states with variables' page documents them."""

from __future__ import annotations

from tests.engine.conformance.runner import machine


def test_assign_in_a_jsonpath_state_and_read_with_a_dollar_name(run):
    # developer guide: 'Passing data between states with variables' > JSONPath: "x.$" in Assign,
    # "$x" in Parameters
    states = {
        "A": {"Type": "Pass", "Assign": {"productName.$": "$.name", "count": 3}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"p.$": "$productName", "c.$": "$count"},
              "End": True},
    }  # fmt: skip
    assert run(machine(states), {"name": "Widget"}).output == {"p": "Widget", "c": 3}


def test_assignments_of_one_state_see_the_values_from_before_the_state(run):
    # developer guide: 'Variables' > 'Assign' evaluation: all expressions in one Assign use the
    # variable values as they were when the state was entered
    states = {
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"x": "{% $x + 10 %}", "y": "{% $x %}"}, "Next": "C"},
        "C": {"Type": "Pass", "Output": {"x": "{% $x %}", "y": "{% $y %}"}, "End": True},
    }
    assert run(machine(states, QueryLanguage="JSONata")).output == {"x": 11, "y": 1}


def test_assign_reads_the_task_result_in_jsonata(run):
    # developer guide: 'Variables' > Assign with $states.result
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": "f", "Payload": {}},
            "Assign": {"answer": "{% $states.result.Payload.v %}"}, "Next": "Out"}  # fmt: skip
    states = {"T": task, "Out": {"Type": "Pass", "Output": "{% $answer %}", "End": True}}
    result = run(machine(states, QueryLanguage="JSONata"),
                 lambdas={"f": lambda event, context: {"v": 42}})  # fmt: skip
    assert result.output == 42


def test_a_map_iteration_reads_an_outer_variable(run):
    # developer guide: 'Variables' > 'Variable scope': inner scopes read outer variables
    processor = {
        "StartAt": "Add",
        "States": {"Add": {"Type": "Pass", "Output": "{% $states.input + $offset %}", "End": True}},
    }
    states = {
        "Set": {"Type": "Pass", "Assign": {"offset": 100}, "Next": "M"},
        "M": {"Type": "Map", "Items": [1, 2], "ItemProcessor": processor, "End": True},
    }
    assert run(machine(states, QueryLanguage="JSONata")).output == [101, 102]


def test_assign_in_a_catcher_keeps_the_error(run):
    # developer guide: 'Variables' > Assign in Catch with $states.errorOutput
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Out",
              "Assign": {"failure": "{% $states.errorOutput.Error %}"}}]  # fmt: skip
    states = {
        "F": {
            "Type": "Parallel",
            "Catch": catch,
            "End": True,
            "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Fail", "Error": "Oops"}}}],
        },
        "Out": {"Type": "Pass", "Output": "{% $failure %}", "End": True},
    }
    assert run(machine(states, QueryLanguage="JSONata")).output == "Oops"


def test_deviation_a_variable_never_assigned_reads_as_null(run):
    # developer guide: 'Variables': a reference to a variable no state assigned is an error (AWS
    # refuses the definition); moto reads it as null and the execution succeeds.
    states = {"P": {"Type": "Pass", "Parameters": {"v.$": "$never"}, "End": True}}
    result = run(machine(states))
    assert (result.status, result.output) == ("SUCCEEDED", {"v": None})
