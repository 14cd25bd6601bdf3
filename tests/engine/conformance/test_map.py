"""Inline and distributed Map, as the developer guide's 'Map workflow state' pages document
them: ItemsPath, ItemSelector, the result order, failures and their tolerance."""

from __future__ import annotations

from tests.engine.conformance.runner import lambda_task, machine

ITEMS = {"detail": {"shipped": [{"prod": "R31", "quantity": 1}, {"prod": "S39", "quantity": 2},
                                {"prod": "R15", "quantity": 3}]}}  # fmt: skip


def _map(processor_states: dict, mode: str | None = None, **fields) -> dict:
    processor = {"StartAt": next(iter(processor_states)), "States": processor_states}
    if mode:
        processor["ProcessorConfig"] = {"Mode": mode, "ExecutionType": "STANDARD"}
    return machine({"M": {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}})


def _quantity_or_fail(event, context):
    if event["quantity"] == 2:
        raise RuntimeError("out of stock")
    return event["quantity"]


def test_an_inline_map_returns_each_iterations_output_in_item_order(run):
    # developer guide: 'Map state in inline mode' > the "shipped" example with ItemsPath
    definition = _map({"Q": {"Type": "Pass", "InputPath": "$.quantity", "End": True}},
                      ItemsPath="$.detail.shipped", MaxConcurrency=0)  # fmt: skip
    assert run(definition, ITEMS).output == [1, 2, 3]


def test_item_selector_builds_each_item_with_the_map_context(run):
    # developer guide: 'ItemSelector (Map)': $$.Map.Item.Index and $$.Map.Item.Value
    selector = {"index.$": "$$.Map.Item.Index", "prod.$": "$$.Map.Item.Value.prod",
                "delivery.$": "$.delivery"}  # fmt: skip
    definition = _map({"P": {"Type": "Pass", "End": True}}, ItemsPath="$.detail.shipped",
                      ItemSelector=selector)  # fmt: skip
    result = run(definition, {**ITEMS, "delivery": "fast"})
    assert result.output == [
        {"index": 0, "prod": "R31", "delivery": "fast"},
        {"index": 1, "prod": "S39", "delivery": "fast"},
        {"index": 2, "prod": "R15", "delivery": "fast"},
    ]


def test_one_failed_iteration_fails_an_inline_map_with_its_error(run):
    # developer guide: 'Map state in inline mode': an iteration's failure fails the Map
    definition = _map({"Q": lambda_task("quantity", End=True)}, ItemsPath="$.detail.shipped")
    result = run(definition, ITEMS, lambdas={"quantity": _quantity_or_fail})
    assert (result.status, result.error) == ("FAILED", "RuntimeError")


def test_a_distributed_map_without_tolerance_fails_on_one_failed_child(run):
    # developer guide: 'Setting failure thresholds for Distributed Map states': the default
    # threshold is 0, so one failed item fails the Map with States.ExceedToleratedFailureThreshold
    definition = _map({"Q": lambda_task("quantity", End=True)}, mode="DISTRIBUTED",
                      ItemsPath="$.detail.shipped")  # fmt: skip
    result = run(definition, ITEMS, lambdas={"quantity": _quantity_or_fail})
    assert (result.status, result.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")


def test_a_distributed_map_tolerating_one_failure_count_succeeds(run):
    # developer guide: 'Setting failure thresholds' > ToleratedFailureCount
    definition = _map({"Q": lambda_task("quantity", End=True)}, mode="DISTRIBUTED",
                      ItemsPath="$.detail.shipped", ToleratedFailureCount=1)  # fmt: skip
    result = run(definition, ITEMS, lambdas={"quantity": _quantity_or_fail})
    assert result.status == "SUCCEEDED"


def test_a_distributed_map_with_an_integer_failure_percentage_is_accepted_and_applied(run):
    # developer guide: 'Setting failure thresholds' > ToleratedFailurePercentage: 1 of 3 items is
    # 33.3 %, within 40 and beyond 30
    for percentage, status in ((40, "SUCCEEDED"), (30, "FAILED")):
        definition = _map(
            {"Q": lambda_task("quantity", End=True)},
            mode="DISTRIBUTED",
            ItemsPath="$.detail.shipped",
            ToleratedFailurePercentage=percentage,
        )
        result = run(definition, ITEMS, lambdas={"quantity": _quantity_or_fail})
        assert result.status == status, percentage


def test_a_distributed_map_records_its_map_run_in_the_history(run):
    # API reference: 'HistoryEvent' > MapRunStarted, MapRunSucceeded
    definition = _map({"P": {"Type": "Pass", "End": True}}, mode="DISTRIBUTED",
                      ItemsPath="$.detail.shipped")  # fmt: skip
    result = run(definition, ITEMS)
    assert [t for t in result.types() if t.startswith("MapRun")] == [
        "MapRunStarted", "MapRunSucceeded"]  # fmt: skip
    assert result.output == ITEMS["detail"]["shipped"]


def test_an_exceeded_threshold_is_caught_by_its_name(run):
    # developer guide: 'Error names' > States.ExceedToleratedFailureThreshold
    definition = _map({"Q": lambda_task("quantity", End=True)}, mode="DISTRIBUTED",
                      ItemsPath="$.detail.shipped",
                      Catch=[{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"],
                              "ResultPath": "$.error", "Next": "Caught"}])  # fmt: skip
    definition["States"]["M"].pop("End")
    definition["States"]["M"]["Next"] = "Caught"
    definition["States"]["Caught"] = {"Type": "Pass", "OutputPath": "$.error.Error", "End": True}
    result = run(definition, ITEMS, lambdas={"quantity": _quantity_or_fail})
    assert result.output == "States.ExceedToleratedFailureThreshold"
