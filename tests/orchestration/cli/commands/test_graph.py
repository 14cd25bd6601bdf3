"""`sfn-etl graph` (orchestration/cli/commands/graph.py)."""

from __future__ import annotations

import json

from orchestration.cli.main import main
from tests.insight.executions import CAUGHT_MAP_AND_PARALLEL, run_mixed


def test_graph_prints_the_shipped_definitions_dot_by_default(capsys):
    assert main(["graph"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digraph state_machine {")
    assert '\tAnythingNew -> ProcessDatasets [label="$.batch.has_work == true"]' in out.splitlines()


def test_graph_of_an_execution_writes_a_coloured_svg(capsys, lake_root, tmp_path):
    run_mixed(lake_root)
    output = tmp_path / "mixed.svg"

    assert main(["graph", "--execution", "mixed", "-o", str(output)]) == 0

    assert capsys.readouterr().out == f"wrote {output}\n"
    svg = output.read_text()
    assert "execution mixed: FAILED" in svg
    assert "entered 2x, retried 1x, caught 1 (States.TaskFailed)" in svg
    assert 'fill="#ffe0b2"' in svg  # Transform, caught


def test_graph_of_a_definition_file_writes_png(capsys, tmp_path):
    definition = tmp_path / "small.asl.json"
    definition.write_text(json.dumps(CAUGHT_MAP_AND_PARALLEL))
    output = tmp_path / "small.png"

    assert main(["graph", "--definition", str(definition), "--output", str(output)]) == 0
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_refuses_an_unknown_format_and_an_unknown_execution(capsys, lake_root, tmp_path):
    assert main(["graph", "-o", str(tmp_path / "g.jpg")]) == 2
    assert (
        f"error: {tmp_path / 'g.jpg'}: write .svg, .png or .dot, not .jpg"
        in capsys.readouterr().err
    )
    assert main(["graph", "--execution", "gone"]) == 2
    assert "error: no execution named 'gone'" in capsys.readouterr().err


def test_graph_warns_of_states_an_execution_ran_that_the_definition_lacks(
    capsys, lake_root, tmp_path
):
    run_mixed(lake_root)
    definition = tmp_path / "small.asl.json"
    definition.write_text(json.dumps(CAUGHT_MAP_AND_PARALLEL))

    assert main(["graph", "--execution", "mixed", "--definition", str(definition)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(
        "warning: execution mixed ran states this definition lacks: AnyDatasetFailed,"
    )
