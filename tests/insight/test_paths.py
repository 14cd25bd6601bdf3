"""What happened to each state, read from real histories (orchestration/insight/paths.py)."""

from __future__ import annotations

from orchestration.insight.paths import trace
from tests.insight.executions import CAUGHT_MAP_AND_PARALLEL, run_definition, run_mixed


def test_a_retried_then_caught_task_inside_a_map_sums_its_iterations(lake_root):
    path = trace(run_mixed(lake_root).events)

    transform = path.run("Transform")
    assert transform.status == "caught"
    assert transform.describe() == "entered 2x, retried 1x, caught 1 (States.TaskFailed)"
    assert sorted((e.scope, e.outcome, e.retries, e.error or "") for e in transform.entries) == [
        ((("ProcessDatasets", 0),), "succeeded", 1, ""),
        ((("ProcessDatasets", 1),), "caught", 0, "States.TaskFailed"),
    ]
    assert ("Transform", "RecordDatasetFailure", True) in path.transitions
    assert ("Transform", "Validate", False) in path.transitions


def test_states_in_nested_maps_and_parallels_get_their_iteration_and_branch(lake_root):
    path = trace(run_mixed(lake_root).events)

    assert sorted(e.scope for e in path.run("LoadTable").entries) == [
        (("ProcessDatasets", 0), ("Deliver", None), ("LoadTables", 0)),
        (("ProcessDatasets", 0), ("Deliver", None), ("LoadTables", 1)),
    ]
    assert path.run("LoadTable").describe() == "entered 2x"
    assert path.run("Deliver").status == "succeeded"
    assert path.run("NotifySuccess").status == "not reached"
    assert path.run("Failed").status == "failed"
    assert path.finished


def test_a_retried_state_that_succeeds_is_coloured_retried(lake_root):
    path = trace(run_mixed(lake_root, failing_transform=frozenset()).events)

    assert path.run("Transform").status == "retried"
    assert path.run("Transform").describe() == "entered 2x, retried 1x"


def test_caught_maps_and_parallels_and_failing_states(lake_root, tmp_path):
    result = run_definition(tmp_path, CAUGHT_MAP_AND_PARALLEL, {"items": [1]})
    path = trace(result.events)

    statuses = {name: path.run(name).status for name in CAUGHT_MAP_AND_PARALLEL["States"]}
    assert statuses == {
        "Fan": "caught",
        "Both": "caught",
        "Big": "succeeded",
        "Never": "not reached",
        "Give up": "failed",
    }
    assert [(e.scope, e.outcome) for e in path.run("Boom").entries] == [((("Fan", 0),), "failed")]
    assert path.run("Broken").status == "failed"
    # Fine, the other branch, races Broken: AWS too stops a Parallel's branches when one fails.
    assert path.transitions == {
        ("Fan", "Both", True),
        ("Both", "Big", True),
        ("Big", "Give up", False),
    }


def test_an_unfinished_history_leaves_the_open_state_running(lake_root):
    events = run_mixed(lake_root).events
    validate_entered = next(
        e for e in events if e.get("stateEnteredEventDetails", {}).get("name") == "Validate"
    )
    path = trace([e for e in events if e["id"] <= validate_entered["id"]])

    assert not path.finished
    assert path.run("Validate").status == "running"
    assert path.run("ProcessDatasets").describe() == "running"
    assert path.run("Extract").status == "succeeded"


def test_an_empty_history_reaches_nothing():
    path = trace([])
    assert (path.entries, path.started_at, path.finished) == ([], None, False)
    assert path.run("Extract").describe() == "not reached"


QUEUED_ITERATIONS = {
    "StartAt": "Both",
    "States": {
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Each",
                    "States": {
                        "Each": {
                            "Type": "Map",
                            "ItemsPath": "$.items",
                            "MaxConcurrency": 1,
                            "ItemProcessor": {
                                "ProcessorConfig": {"Mode": "INLINE"},
                                "StartAt": "Step",
                                "States": {"Step": {"Type": "Pass", "End": True}},
                            },
                            "End": True,
                        }
                    },
                },
                {"StartAt": "Other", "States": {"Other": {"Type": "Pass", "End": True}}},
            ],
            "Next": "After",
        },
        "After": {"Type": "Succeed"},
    },
}


def test_iterations_queued_behind_one_another_each_get_their_own_scope(lake_root, tmp_path):
    # One worker runs the four iterations in turn: each MapIterationStarted follows the event
    # the iteration before it ended on, and the Map's exit follows the last iteration's.
    result = run_definition(tmp_path, QUEUED_ITERATIONS, {"items": [1, 2, 3, 4]})
    path = trace(result.events)

    assert result.status == "SUCCEEDED"
    assert [(e.scope, e.outcome) for e in path.run("Step").entries] == [
        ((("Both", None), ("Each", index)), "succeeded") for index in range(4)
    ]
    assert {name: path.run(name).status for name in ("Both", "Each", "Other", "After")} == {
        "Both": "succeeded",
        "Each": "succeeded",
        "Other": "succeeded",
        "After": "succeeded",
    }
