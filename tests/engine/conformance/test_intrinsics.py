"""Every intrinsic function, with the inputs and results of the developer guide's 'Intrinsic
functions for JSONPath states in Step Functions' page."""

from __future__ import annotations

import re

import pytest

from tests.engine.conformance.runner import machine

UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _evaluate(run, expression: str, execution_input: dict):
    state = {"Type": "Pass", "Parameters": {"value.$": expression}, "End": True}
    return run(machine({"P": state}), execution_input)


NINE = {"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}

DOCUMENTED = [
    # (section, expression, input, documented result)
    ("States.Format", "States.Format('Hello, my name is {}.', $.name)", {"name": "Arnav"},
     "Hello, my name is Arnav."),
    ("States.Format", "States.Format($.template, $.name)",
     {"name": "Arnav", "template": "Hello, my name is {}."}, "Hello, my name is Arnav."),
    ("States.StringToJson", "States.StringToJson($.escapedJsonString)",
     {"escapedJsonString": '{"foo": "bar"}'}, {"foo": "bar"}),
    ("States.JsonToString", "States.JsonToString($.unescapedJson)",
     {"unescapedJson": {"foo": "bar"}}, '{"foo":"bar"}'),
    ("States.Array", "States.Array($.Id)", {"Id": 123456}, [123456]),
    ("States.ArrayPartition", "States.ArrayPartition($.inputArray,4)", NINE,
     [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
    ("States.ArrayContains", "States.ArrayContains($.inputArray, $.lookingFor)",
     {**NINE, "lookingFor": 5}, True),
    ("States.ArrayRange", "States.ArrayRange(1, 9, 2)", {}, [1, 3, 5, 7, 9]),
    ("States.ArrayGetItem", "States.ArrayGetItem($.inputArray, $.index)",
     {**NINE, "index": 5}, 6),
    ("States.ArrayLength", "States.ArrayLength($.inputArray)", NINE, 9),
    ("States.ArrayUnique", "States.ArrayUnique($.inputArray)",
     {"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]}, [1, 2, 3, 4]),
    ("States.Base64Encode", "States.Base64Encode($.input)", {"input": "Data to encode"},
     "RGF0YSB0byBlbmNvZGU="),
    ("States.Base64Decode", "States.Base64Decode($.base64)", {"base64": "RGF0YSB0byBlbmNvZGU="},
     "Data to encode"),
    ("States.Hash", "States.Hash($.Data, $.Algorithm)",
     {"Data": "input data", "Algorithm": "SHA-1"}, "aaff4a450a104cd177d28d18d74485e8cae074b7"),
    ("States.JsonMerge", "States.JsonMerge($.json1, $.json2, false)",
     {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}},
     {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}),
    ("States.MathAdd", "States.MathAdd($.value1, $.step)", {"value1": 111, "step": -1}, 110),
    ("States.StringSplit", "States.StringSplit($.inputString, $.splitter)",
     {"inputString": "1,2,3,4,5", "splitter": ","}, ["1", "2", "3", "4", "5"]),
    ("States.StringSplit", "States.StringSplit($.inputString, $.splitter)",
     {"inputString": "This.is+a,test=string", "splitter": ".+,="},
     ["This", "is", "a", "test", "string"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("section", "expression", "execution_input", "expected"),
    DOCUMENTED,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(DOCUMENTED)],
)
def test_an_intrinsic_returns_the_documented_result(
    run, section, expression, execution_input, expected
):
    # developer guide: 'Intrinsic functions' > the section named in each case
    result = _evaluate(run, expression, execution_input)
    assert (result.status, result.output) == ("SUCCEEDED", {"value": expected})


def test_math_random_returns_an_integer_between_start_and_end(run):
    # developer guide: 'Intrinsic functions' > States.MathRandom (start 1, end 999)
    values = {_evaluate(run, "States.MathRandom($.start, $.end)", {"start": 1, "end": 3})
              .output["value"] for _ in range(20)}  # fmt: skip
    assert values <= {1, 2, 3} and all(isinstance(v, int) for v in values)


def test_uuid_returns_a_version_4_uuid(run):
    # developer guide: 'Intrinsic functions' > States.UUID
    assert UUID_V4.match(_evaluate(run, "States.UUID()", {}).output["value"])


def test_array_range_of_more_than_1000_items_is_states_runtime(run):
    # developer guide: 'Intrinsic functions' > States.ArrayRange: "limit of 1000 items"
    result = _evaluate(run, "States.ArrayRange(1, 2000, 1)", {})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")


def test_deviation_an_intrinsic_given_a_wrong_type_fails_as_states_runtime(run):
    # developer guide: 'Error names' > States.IntrinsicFailure; AWS raises that catchable error,
    # moto a States.Runtime (nothing catches it), with no hook point short of every function.
    state = {"Type": "Pass", "Parameters": {"value.$": "States.ArrayLength($.notArray)"},
             "Catch": [{"ErrorEquals": ["States.IntrinsicFailure"], "Next": "Caught"}],
             "End": True}  # fmt: skip
    result = run(machine({"P": state, "Caught": {"Type": "Pass", "End": True}}), {"notArray": 1})
    assert (result.entered(), result.error) == (["P"], "States.Runtime")  # AWS: ["P", "Caught"]


def test_deviation_escaped_braces_in_an_intrinsic_string_are_mangled(run):
    # developer guide: 'Intrinsic functions' > 'Reserved characters': '\\{' is a literal '{', so
    # AWS returns "{}=1"; moto's lexer keeps the backslashes and its str.format then fails.
    result = _evaluate(run, "States.Format('\\{\\}={}', $.x)", {"x": 1})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
