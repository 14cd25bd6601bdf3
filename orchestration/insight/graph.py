"""The picture of a definition, in Graphviz: every state a box, Map and Parallel states clusters,
Choice edges labelled with their rule, Catch edges dashed and labelled with their errors, Retry
written on the state. Given an execution's path (paths.py), each state is coloured by what
happened to it and the transitions taken are drawn bold.

A Map or Parallel is a cluster holding the state itself (where edges arrive), its iteration's
or branches' states, and a join point (where its Next and Catch edges leave).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import graphviz

from orchestration.core.errors import UserError
from orchestration.insight.labels import catch_label, kind_line, retry_lines, rule_text
from orchestration.insight.paths import (
    CAUGHT,
    FAILED,
    NOT_REACHED,
    RETRIED,
    RUNNING,
    SUCCEEDED,
    ExecutionPath,
)

START = "%start"
END = "%end"
"""Node ids are state names with `%`, `:`, `\\` and `"` written %25, %3A, %5C and %22: an edge
reads `a:b` as node a, port b, and a DOT id cannot escape a backslash. The picture's own nodes
start with a `%` no state's id has, so never clash with a state."""
_ID_ESCAPES = str.maketrans({"%": "%25", ":": "%3A", "\\": "%5C", '"': "%22"})

STATUS_COLOURS = {
    SUCCEEDED: ("#d7f0db", "#2e7d32"),
    RETRIED: ("#fff4c2", "#b08800"),
    CAUGHT: ("#ffe0b2", "#e65100"),
    FAILED: ("#f9d0d0", "#c62828"),
    RUNNING: ("#d6e6ff", "#1565c0"),
    NOT_REACHED: ("#f2f2f2", "#9e9e9e"),
}
"""(fill, outline) by what happened to a state."""
PLAIN = ("#ffffff", "#37474f")
TAKEN = {"color": "#1565c0", "penwidth": "2.5"}
NOT_TAKEN = {"color": "#b0b0b0"}
FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot"}


def node_id(state_name: str) -> str:
    # nohtml: an id like `<b>x</b>` is otherwise written unquoted, as an HTML-like id.
    return graphviz.nohtml(state_name.translate(_ID_ESCAPES))


def join_id(state_name: str) -> str:
    return graphviz.nohtml(f"%join {node_id(state_name)}")


def build_graph(
    document: dict[str, Any], path: ExecutionPath | None = None, title: str | None = None
) -> graphviz.Digraph:
    """The graph of a definition document, coloured by `path` when given."""
    graph = graphviz.Digraph(
        "state_machine",
        graph_attr={"rankdir": "TB", "fontname": "Helvetica", "nodesep": "0.3", "ranksep": "0.4"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
                   "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.7"},
    )  # fmt: skip
    if title:
        graph.attr(label=_text([title]), labelloc="t", fontsize="14")
    graph.node(START, "Start", shape="oval", **_fill(None))
    graph.node(END, "End", shape="oval", **_fill(None))
    _Drawing(graph, path).scope(graph, document, START, END)
    return graph


def render(graph: graphviz.Digraph, fmt: str) -> bytes:
    """The picture as SVG or PNG bytes, drawn by Graphviz's `dot`."""
    try:
        return graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound as exc:
        raise UserError(
            "Graphviz's dot is not installed: apt-get install graphviz (setup.sh does)"
        ) from exc


def svg_markup(graph: graphviz.Digraph) -> str:
    """The SVG element alone, to put inside an HTML page (no XML prolog or DOCTYPE)."""
    svg = render(graph, "svg").decode("utf-8")
    return svg[svg.index("<svg") :]


def write(graph: graphviz.Digraph, output: Path) -> None:
    """Write the picture in the format the file's suffix names: .svg, .png, or .dot/.gv."""
    fmt = FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise UserError(f"{output}: write .svg, .png or .dot, not {output.suffix or 'no suffix'}")
    data = graph.source.encode("utf-8") if fmt == "dot" else render(graph, fmt)
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror or exc}") from exc


class _Drawing:
    def __init__(self, graph: graphviz.Digraph, path: ExecutionPath | None):
        self.graph = graph
        self.path = path

    def scope(
        self,
        container: graphviz.Digraph,
        machine: dict[str, Any],
        entry: str,
        exit: str,
        outer: graphviz.Digraph | None = None,
    ) -> None:
        """The states of a machine or branch, between the node that starts it and the one its
        terminal states lead to. Edges from `entry` and to `exit` are drawn in `outer` (by
        default the container): Graphviz puts a node in every subgraph that mentions it, and a
        Parallel's own node and join belong to no one branch."""
        outer = outer if outer is not None else container
        start_at = machine["StartAt"]
        outer.edge(entry, node_id(start_at), **self._taken(self._entered(start_at)))
        for name, state in machine["States"].items():
            if state.get("Type") in ("Map", "Parallel"):
                self._nested(container, name, state)
                source = join_id(name)
            else:
                container.node(node_id(name), **self._state_node(name, state))
                source = node_id(name)
            self._transitions(container, name, state, source)
            if state.get("End") or state.get("Type") in ("Succeed", "Fail"):
                outer.edge(source, exit, **self._taken(self._ended(name, state)))

    def _nested(self, container: graphviz.Digraph, name: str, state: dict[str, Any]) -> None:
        style = "rounded,dashed" if state["Type"] == "Map" else "rounded"
        with container.subgraph(name=f"cluster {node_id(name)}") as cluster:
            cluster.attr(label="", style=style, color="#78909c")
            cluster.node(node_id(name), **self._state_node(name, state))
            cluster.node(join_id(name), "", shape="point", width="0.12", **_fill(None))
            if state["Type"] == "Map":
                processor = state.get("ItemProcessor") or state["Iterator"]
                self.scope(cluster, processor, node_id(name), join_id(name))
                return
            for index, branch in enumerate(state["Branches"]):
                with cluster.subgraph(name=f"cluster {node_id(name)} {index}") as lane:
                    lane.attr(label=f"branch {index + 1}", style="rounded,dotted", fontsize="9")
                    self.scope(lane, branch, node_id(name), join_id(name), outer=cluster)

    def _transitions(self, container, name: str, state: dict[str, Any], source: str) -> None:
        for rule in state.get("Choices", []):
            self._edge(container, source, name, rule["Next"], label=rule_text(rule))
        if "Default" in state:
            self._edge(container, source, name, state["Default"], label="default")
        if "Next" in state:
            self._edge(container, source, name, state["Next"])
        for catcher in state.get("Catch", []):
            self._edge(container, source, name, catcher["Next"], label=catch_label(catcher),
                       caught=True, style="dashed")  # fmt: skip

    def _edge(self, container, source: str, name: str, target: str, caught=False, **attrs):
        taken = self.path is not None and (name, target, caught) in self.path.transitions
        container.edge(source, node_id(target), **attrs, **self._taken(taken))

    def _state_node(self, name: str, state: dict[str, Any]) -> dict[str, str]:
        lines = [name, kind_line(state), *retry_lines(state.get("Retry", []))]
        status = None
        if self.path is not None:
            run = self.path.run(name)
            status = run.status
            lines.append(run.describe())
        return {"label": _text(lines), **_fill(status)}

    def _ended(self, name: str, state: dict[str, Any]) -> bool:
        """Whether the state ended its machine or branch: a Fail by being entered."""
        if self.path is None:
            return False
        run = self.path.run(name)
        return bool(run.entries if state["Type"] == "Fail" else run.count(SUCCEEDED))

    def _entered(self, name: str) -> bool:
        return self.path is not None and bool(self.path.run(name).entries)

    def _taken(self, taken: bool) -> dict[str, str]:
        if self.path is None:
            return {}
        return TAKEN if taken else NOT_TAKEN


def _fill(status: str | None) -> dict[str, str]:
    fill, outline = STATUS_COLOURS[status] if status else PLAIN
    attrs = {"fillcolor": fill, "color": outline}
    if status == NOT_REACHED:
        attrs["fontcolor"] = "#757575"
    return attrs


def _text(lines: list[str]) -> str:
    """Lines as one Graphviz label: its backslash escapes (\\N, \\G...) and HTML-like labels
    are for the picture's author, so a backslash or `<...>` in a state name stays literal."""
    return graphviz.nohtml("\\n".join(line.replace("\\", "\\\\") for line in lines))
