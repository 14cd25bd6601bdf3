"""The picture of a definition (orchestration/insight/graph.py): DOT built for small
definitions, asserted line by line, and drawn by the real `dot`."""

from __future__ import annotations

import re

import pytest

from orchestration.core.errors import UserError
from orchestration.engine.definition import load_definition
from orchestration.insight.graph import build_graph, svg_markup, write
from orchestration.insight.paths import trace
from tests.insight.executions import CAUGHT_MAP_AND_PARALLEL, run_definition

WHITE = 'color="#37474f" fillcolor="#ffffff"'


def _lines(graph) -> list[str]:
    return graph.source.splitlines()


def test_a_map_is_a_cluster_of_its_state_its_iteration_and_a_join():
    source = build_graph(CAUGHT_MAP_AND_PARALLEL).source
    assert (
        '\tsubgraph "cluster Fan" {\n'
        '\t\tcolor="#78909c" label="" style="rounded,dashed"\n'
        f'\t\tFan [label="Fan\\nMap over $.items" {WHITE}]\n'
        f'\t\t"%join Fan" [label="" {WHITE} shape=point width=0.12]\n'
        "\t\tFan -> Boom\n"
        f'\t\tBoom [label="Boom\\nFail: Bad" {WHITE}]\n'
        '\t\tBoom -> "%join Fan"\n'
        "\t}\n"
    ) in source


def test_a_parallel_is_a_cluster_with_one_lane_per_branch():
    source = build_graph(CAUGHT_MAP_AND_PARALLEL).source
    assert (
        '\t\tsubgraph "cluster Both 0" {\n'
        '\t\t\tfontsize=9 label="branch 1" style="rounded,dotted"\n'
        f'\t\t\tBroken [label="Broken\\nFail: E2" {WHITE}]\n'
        "\t\t}\n"
    ) in source
    assert '\t\tsubgraph "cluster Both 1" {\n' in source
    # The Parallel's own node and join are in its cluster, in neither lane.
    lines = _lines(build_graph(CAUGHT_MAP_AND_PARALLEL))
    assert "\t\tBoth -> Broken" in lines and '\t\tFine -> "%join Both"' in lines


def test_next_and_catch_leave_from_the_join_the_catch_dashed_with_its_errors():
    lines = _lines(build_graph(CAUGHT_MAP_AND_PARALLEL))
    assert '\t"%join Fan" -> Both' in lines
    assert '\t"%join Fan" -> Both [label="States.ALL" style=dashed]' in lines
    assert '\t"%join Both" -> Big [label=E2 style=dashed]' in lines


def test_choice_edges_carry_their_rule_and_the_default():
    lines = _lines(build_graph(CAUGHT_MAP_AND_PARALLEL))
    assert '\tBig -> Never [label="$.items[0] > 5"]' in lines
    assert '\tBig -> "Give up" [label=default]' in lines
    assert '\t"Give up" -> "%end"' in lines and '\t"%start" -> Fan' in lines


def test_retry_is_written_on_the_state():
    document = {
        "StartAt": "Load",
        "States": {
            "Load": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:1:function:load"},
                "Retry": [{"ErrorEquals": ["Timeout"], "MaxAttempts": 5, "BackoffRate": 1.5}],
                "End": True,
            }
        },
    }
    assert (
        '\tLoad [label="Load\\nTask: lambda:invoke load\\nretry Timeout\\n5 attempts, 1s x1.5" '
        f"{WHITE}]"
    ) in _lines(build_graph(document))


def test_states_are_coloured_by_what_happened_and_the_path_is_bold(lake_root, tmp_path):
    result = run_definition(tmp_path, CAUGHT_MAP_AND_PARALLEL, {"items": [1]})
    lines = _lines(build_graph(CAUGHT_MAP_AND_PARALLEL, trace(result.events), "small: FAILED"))

    assert '\tfontsize=14 label="small: FAILED" labelloc=t' in lines
    caught = 'color="#e65100" fillcolor="#ffe0b2"'
    failed = 'color="#c62828" fillcolor="#f9d0d0"'
    assert f'\t\tFan [label="Fan\\nMap over $.items\\ncaught 1" {caught}]' in lines
    assert f'\t\tBoom [label="Boom\\nFail: Bad\\nfailed" {failed}]' in lines
    assert f'\t"Give up" [label="Give up\\nFail: Final\\nfailed" {failed}]' in lines
    assert (
        '\tNever [label="Never\\nSucceed\\nnot reached" color="#9e9e9e" fillcolor="#f2f2f2" '
        'fontcolor="#757575"]'
    ) in lines
    assert (
        '\t"%join Fan" -> Both [label="States.ALL" color="#1565c0" penwidth=2.5 style=dashed]'
        in lines
    )
    assert '\t"%join Fan" -> Both [color="#b0b0b0"]' in lines
    assert '\tBig -> "Give up" [label=default color="#1565c0" penwidth=2.5]' in lines
    assert '\tBig -> Never [label="$.items[0] > 5" color="#b0b0b0"]' in lines
    assert '\t"Give up" -> "%end" [color="#1565c0" penwidth=2.5]' in lines


NASTY = {
    "StartAt": "<script>alert(1)</script>",
    "States": {
        "<script>alert(1)</script>": {"Type": "Pass", "Next": 'a:b\\N "q"'},
        'a:b\\N "q"': {"Type": "Succeed"},
    },
}


def test_names_with_markup_colons_backslashes_and_quotes_are_drawn_literally():
    graph = build_graph(NASTY)
    assert '\t"<script>alert(1)</script>" -> "a%3Ab%5CN %22q%22"' in _lines(graph)

    svg = svg_markup(graph)
    assert svg.startswith("<svg")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts
    assert "a:b\\N &quot;q&quot;" in texts
    assert "<script" not in svg


def test_the_shipped_definition_draws_every_state_once():
    definition = load_definition()
    lines = _lines(build_graph(definition.document))
    declared = {
        m.group(1).strip('"')
        for line in lines
        if (m := re.match(r"\t+(\S+|\"[^\"]+\") \[label=\"(?!\")", line))
    }
    assert declared - {"%start", "%end"} == definition.state_names()


def test_svg_and_png_are_drawn_by_dot(tmp_path):
    graph = build_graph(CAUGHT_MAP_AND_PARALLEL)
    write(graph, tmp_path / "machine.svg")
    write(graph, tmp_path / "machine.png")
    write(graph, tmp_path / "machine.dot")

    svg = (tmp_path / "machine.svg").read_text()
    assert "<title>Give up</title>" in svg and 'class="cluster"' in svg
    assert (tmp_path / "machine.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "machine.dot").read_text() == graph.source


def test_an_unknown_picture_format_is_refused_naming_the_file(tmp_path):
    with pytest.raises(UserError, match=r"machine\.jpg: write \.svg, \.png or \.dot, not \.jpg"):
        write(build_graph(CAUGHT_MAP_AND_PARALLEL), tmp_path / "machine.jpg")
