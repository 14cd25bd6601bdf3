"""InputPath, Parameters, ResultSelector, ResultPath, OutputPath and the context object, as the
developer guide's 'Processing input and output in Step Functions' pages document them."""

from __future__ import annotations

from tests.engine.conformance.runner import lambda_task, machine


def _pass(**fields) -> dict:
    return machine({"P": {"Type": "Pass", "End": True, **fields}})


def test_input_path_selects_the_part_of_the_input_the_state_works_on(run):
    # developer guide: 'Processing input and output' > 'InputPath'
    result = run(
        _pass(InputPath="$.dataset2"),
        {
            "comment": "Example for InputPath.",
            "dataset1": {"val1": 1, "val2": 2, "val3": 3},
            "dataset2": {"val1": "a", "val2": "b", "val3": "c"},
        },
    )
    assert result.output == {"val1": "a", "val2": "b", "val3": "c"}


def test_an_input_path_can_yield_a_slice_of_an_array(run):
    # developer guide: 'Paths' > 'InputPath' note: $.a[0:2] on {"a": [1, 2, 3, 4]}
    assert run(_pass(InputPath="$.a[0:2]"), {"a": [1, 2, 3, 4]}).output == [1, 2]


def test_a_null_input_path_gives_the_state_an_empty_object(run):
    # developer guide: 'Paths' > 'InputPath': "If you use null, ... receives ... {}"
    assert run(_pass(InputPath=None), {"a": 1}).output == {}


def test_parameters_build_a_new_input_from_paths_and_static_values(run):
    # developer guide: 'Manipulate parameters in Step Functions workflows' > Parameters
    product = {
        "details": {"color": "blue", "size": "small", "material": "cotton"},
        "availability": "in stock",
        "sku": "2317",
        "cost": "$23",
    }
    parameters = {
        "comment": "Selecting what I care about.",
        "MyDetails": {
            "size.$": "$.product.details.size",
            "exists.$": "$.product.availability",
            "StaticValue": "foo",
        },
    }
    result = run(
        _pass(Parameters=parameters), {"comment": "Example for Parameters.", "product": product}
    )
    assert result.output == {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"},
    }


def test_reference_paths_identify_one_node_each(run):
    # developer guide: 'Reference paths': $.foo => 123, $.bar => [...], $.car.cdr => true
    parameters = {"foo.$": "$.foo", "bar.$": "$.bar", "cdr.$": "$.car.cdr"}
    result = run(
        _pass(Parameters=parameters), {"foo": 123, "bar": ["a", "b", "c"], "car": {"cdr": True}}
    )
    assert result.output == {"foo": 123, "bar": ["a", "b", "c"], "cdr": True}


def test_the_context_object_is_read_with_a_double_dollar(run):
    # developer guide: 'Accessing execution data from the Context object'
    parameters = {"name.$": "$$.Execution.Name", "state.$": "$$.State.Name"}
    assert run(_pass(Parameters=parameters)).output == {"name": "conformance", "state": "P"}


def test_result_selector_keeps_only_the_chosen_fields_of_a_task_result(run):
    # developer guide: 'Filtering state output' > ResultSelector (the EMR createCluster example)
    emr = {
        "resourceType": "elasticmapreduce",
        "resource": "createCluster.sync",
        "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"},
    }
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "emr", "Payload.$": "$"},
        "ResultSelector": {
            "ClusterId.$": "$.Payload.output.ClusterId",
            "ResourceType.$": "$.Payload.resourceType",
        },
        "ResultPath": "$.EMROutput",
        "End": True,
    }
    result = run(
        machine({"T": task}),
        {"OtherDataFromInput": {}},
        lambdas={"emr": lambda event, context: emr},
    )
    assert result.output == {
        "OtherDataFromInput": {},
        "EMROutput": {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce"},
    }


HELLO_INPUT = {
    "comment": "This is a test of the input and output of a Task state.",
    "details": "Default example",
    "who": "AWS Step Functions",
}


def _hello(event, context):
    return f"Hello, {event['who']}!"


def test_result_path_dollar_replaces_the_input_with_the_result(run):
    # developer guide: 'Specifying state output using ResultPath' > replace input with result
    result = run(
        machine({"T": lambda_task("hello", ResultPath="$", End=True)}),
        HELLO_INPUT,
        lambdas={"hello": _hello},
    )
    assert result.output == "Hello, AWS Step Functions!"


def test_a_result_path_adds_the_result_to_the_input(run):
    # developer guide: 'Specifying state output using ResultPath' > include result with input
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "hello", "Payload.$": "$"},
        "ResultSelector": {"greeting.$": "$.Payload"},
        "ResultPath": "$.taskresult",
        "End": True,
    }
    result = run(machine({"T": task}), HELLO_INPUT, lambdas={"hello": _hello})
    assert result.output == {
        **HELLO_INPUT,
        "taskresult": {"greeting": "Hello, AWS Step Functions!"},
    }


def test_a_result_path_into_a_nested_node_updates_that_node(run):
    # developer guide: 'Specifying state output using ResultPath' > update a node in input
    state = {
        "Type": "Pass",
        "Result": "Hello, AWS Step Functions!",
        "ResultPath": "$.strings.lambdaresult",
        "End": True,
    }
    result = run(machine({"P": state}), {"comment": "An input comment.", "strings": {"a": 1}})
    assert result.output == {
        "comment": "An input comment.",
        "strings": {"a": 1, "lambdaresult": "Hello, AWS Step Functions!"},
    }


def test_a_null_result_path_discards_the_result_and_keeps_the_input(run):
    # developer guide: 'Specifying state output using ResultPath' > discard result, keep input
    result = run(
        machine({"T": lambda_task("hello", ResultPath=None, OutputPath="$", End=True)}),
        HELLO_INPUT,
        lambdas={"hello": _hello},
    )
    assert result.output == HELLO_INPUT


def test_input_path_result_path_and_output_path_together(run):
    # developer guide: 'Paths in InputPath, ResultPath, and OutputPath fields' (Numbers to add)
    def add(event, context):
        return event["val1"] + event["val2"]

    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "InputPath": "$.numbers",
        "Parameters": {"FunctionName": "add", "Payload.$": "$"},
        "ResultSelector": {"v.$": "$.Payload"},
        "ResultPath": "$.sum",
        "End": True,
    }
    numbers = {"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}}
    whole = run(machine({"T": task}), numbers, lambdas={"add": add})
    assert whole.output == {**numbers, "sum": {"v": 7}}
    only_sum = run(machine({"T": {**task, "OutputPath": "$.sum.v"}}), numbers, lambdas={"add": add})
    assert only_sum.output == 7


def test_a_null_output_path_sends_an_empty_object(run):
    # developer guide: 'Paths' > 'OutputPath': "If the OutputPath is null, ... {}"
    assert run(_pass(OutputPath=None), {"a": 1}).output == {}


def test_an_output_path_matching_nothing_fails_the_execution_as_states_runtime(run):
    # developer guide: 'Paths' > 'OutputPath': a path that matches nothing raises an exception
    result = run(_pass(OutputPath="$.absent"), {"a": 1})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")


def test_a_pass_state_result_goes_through_result_path(run):
    # developer guide: 'Pass workflow state' > the georefOf example
    state = {
        "Type": "Pass",
        "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355},
        "ResultPath": "$.coords",
        "End": True,
    }
    result = run(machine({"P": state}), {"georefOf": "Home"})
    assert result.output == {
        "georefOf": "Home",
        "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355},
    }
