"""Draw a workflow as a state diagram with the transitions library's GraphMachine.

States show their tasks and assignees; final states have a double border; edges are
labelled with the trigger and who may fire it, automatic ones ``auto`` (dashed) and
timers ``after 21d`` (dotted). ``diagram_svg(spec, highlight_state=...)`` marks the
current state of an instance for the web page.

Nothing from a definition is ever bound on an object: the machine gets generated state
ids (``s0``, ``s1``...) and trigger ids (``t0``...) and the definition's words only as
labels, so no name can resolve to a callback or shadow an attribute.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

from transitions import State
from transitions.extensions import diagrams_graphviz, diagrams_mermaid
from transitions.extensions.diagrams import GraphMachine

from engine.definitions.specs import TransitionSpec, WorkflowSpec
from engine.durations import format_duration

FORMATS = {"svg": "graphviz", "png": "graphviz", "dot": "graphviz", "mmd": "mermaid"}


@dataclass(frozen=True)
class DiagramWords:
    """The diagram's own words, each a ``%``-format with ``%(…)s`` placeholders. English
    here (the CLI's); the web passes them in the reader's language."""

    end: str = "%(state)s (end)"
    quorum: str = "%(role)s, quorum %(num)s"
    due: str = ", due %(duration)s"
    due_after: str = ", due %(duration)s after %(date)s"
    due_before: str = ", due %(duration)s before %(date)s"
    due_on: str = ", due on %(date)s"
    after: str = "%(name)s (after %(duration)s)"
    auto: str = "%(name)s (auto)"
    by: str = "%(name)s (%(who)s)"
    nobody: str = "nobody"
    condition: str = "%(label)s if %(conditions)s"
    conjunction: str = " and "
    negation: str = "not (%(condition)s)"
    starts: str = "%(label)s, starts %(workflow)s"


ENGLISH = DiagramWords()
ALIASES = {"mermaid": "mmd", "graphviz": "dot", "gv": "dot"}


class _LabelledState(State):
    """A state that carries the text drawn in its box."""

    def __init__(self, *args, label: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.label = label


class _EdgePerTransition:
    """Draw one edge per transition (GraphMachine merges them per pair of states), so each
    keeps its own style: a dashed automatic one beside a plain manual one."""

    def _add_edges(self, transitions, container):
        kinds = self.machine.edge_kinds
        for t in transitions:
            self._edge(container, t["source"], t["dest"], t.get("label", t["trigger"]),
                       kinds.get(t["trigger"], "default"))


class _GraphvizGraph(_EdgePerTransition, diagrams_graphviz.Graph):
    def _edge(self, container, src, dst, label, kind):
        styles = self.machine.style_attributes["edge"]
        container.edge(src, dst, label=label, **styles.get(kind, {}))


class _MermaidGraph(_EdgePerTransition, diagrams_mermaid.Graph):
    def _edge(self, container, src, dst, label, kind):
        container.append(f"{src} --> {dst}: {label}")


class _DiagramMachine(GraphMachine):
    """GraphMachine with our edge and node styles (auto, timer, final, current)."""

    state_cls = _LabelledState
    machine_attributes = {**GraphMachine.machine_attributes, "rankdir": "TB"}

    def __init__(self, *args, edge_kinds: dict, **kwargs):
        self.edge_kinds = edge_kinds  # trigger id -> "auto" | "timer" | "default"
        super().__init__(*args, **kwargs)

    def _init_graphviz_engine(self, graph_engine):
        return _GraphvizGraph if graph_engine == "graphviz" else _MermaidGraph

    style_attributes = {
        "node": {
            **GraphMachine.style_attributes["node"],
            "final": {"fillcolor": "lightgrey", "color": "black", "peripheries": "2"},
            "active": {"color": "red", "fillcolor": "darksalmon", "peripheries": "1",
                       "penwidth": "3"},
            "active_final": {"color": "red", "fillcolor": "darksalmon", "peripheries": "2",
                             "penwidth": "3"},
        },
        "edge": {
            **GraphMachine.style_attributes["edge"],
            "auto": {"color": "darkgreen", "style": "dashed"},
            "timer": {"color": "darkorange", "style": "dotted"},
        },
        "graph": GraphMachine.style_attributes["graph"],
    }


class _Blank:
    """The model the machine binds its generated ids on; never used otherwise."""


def diagram_source(spec: WorkflowSpec, fmt: str = "mmd",
                   highlight_state: str | None = None,
                   words: DiagramWords = ENGLISH) -> str | bytes:
    """The diagram in ``fmt``: ``mmd`` (Mermaid text), ``dot`` (text), ``svg`` (text) or
    ``png`` (bytes)."""
    fmt = ALIASES.get(fmt, fmt)
    if fmt not in FORMATS:
        raise ValueError(f"unknown diagram format {fmt!r}; use one of {', '.join(FORMATS)}")
    graph = _graph(spec, FORMATS[fmt], highlight_state, words)
    if fmt == "mmd":
        ends = [f"  s{i} --> [*]" for i, s in enumerate(spec.states.values()) if s.final]
        return "\n".join([graph.source, *ends]) + "\n"
    if fmt == "dot":
        return graph.source
    data = graph.pipe(format=fmt)
    return data.decode("utf-8") if fmt == "svg" else data


def diagram_svg(spec: WorkflowSpec, highlight_state: str | None = None,
                words: DiagramWords = ENGLISH) -> str:
    """An ``<svg>`` element of the workflow, ready to embed in a page, with
    ``highlight_state`` (an instance's current state) drawn in red."""
    svg = diagram_source(spec, "svg", highlight_state, words)
    return svg[svg.index("<svg"):]


def render_diagram(spec: WorkflowSpec, path: str | Path) -> Path:
    """Write the diagram to ``path``; its suffix (.svg, .png, .dot, .mmd) picks the format."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"cannot draw to '{path.name}'; use a .svg, .png, .dot or .mmd file")
    data = diagram_source(spec, fmt)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def _graph(spec: WorkflowSpec, engine: str, highlight_state: str | None,
           words: DiagramWords = ENGLISH):
    ids = {name: f"s{i}" for i, name in enumerate(spec.states)}
    newline = r"\l" if engine == "graphviz" else r"\n"
    states = [{"name": ids[name], "label": _state_label(spec, name, newline, engine, words)}
              for name in spec.states]
    transitions = [
        {"trigger": f"t{t.index}", "source": ids[source], "dest": ids[t.dest],
         "label": _transition_label(spec, t, engine, words)}
        for t in spec.transitions for source in t.sources
    ]
    model = _Blank()
    machine = _DiagramMachine(
        model=model, states=states, transitions=transitions, initial=ids[spec.initial],
        auto_transitions=False, graph_engine=engine,
        title=_not_html(_clean(spec.title, engine), engine),
        show_conditions=False,
        edge_kinds={f"t{t.index}": _kind(t) for t in spec.transitions},
    )
    graph = machine.model_graphs[id(model)]
    graph.reset_styling()  # the machine marks the model's state; we mark what we mean
    _style(spec, graph, ids, highlight_state)
    return machine.get_graph(force_new=False)


def _style(spec: WorkflowSpec, graph, ids: dict, highlight_state: str | None) -> None:
    for name, state in spec.states.items():
        current = name == highlight_state
        style = {(True, True): "active_final", (True, False): "active",
                 (False, True): "final"}.get((current, state.final))
        if style:
            graph.set_node_style(ids[name], style)


def _kind(t: TransitionSpec) -> str:
    if t.after is not None:
        return "timer"
    return "auto" if t.auto else "default"


def _state_label(spec: WorkflowSpec, name: str, newline: str, engine: str,
                 words: DiagramWords = ENGLISH) -> str:
    state = spec.states[name]
    lines = [state.title or name]
    if state.final:
        lines[0] = words.end % {"state": lines[0]}
    for task in state.tasks:
        who = task.role
        if task.quorum:
            who = words.quorum % {"role": who, "num": task.quorum}
        extra = due_text(spec, task, words)
        lines.append(f"- {task.title or task.form}: {who}{extra}")
    return _not_html(newline.join(_clean(line, engine) for line in lines), engine)


def due_text(spec: WorkflowSpec, task, words: DiagramWords = ENGLISH) -> str:
    """When a task line is due, in words: ``, due 2w``, ``, due 6mo after Start date``,
    ``, due on End of the review period``; empty without a due."""
    if task.due_from is None:
        return words.due % {"duration": format_duration(task.due)} if task.due else ""
    named = spec.dates.get(task.due_from)
    when = {"date": (named.title if named else None) or task.due_from,
            "duration": format_duration(task.due)}
    if not task.due:
        return words.due_on % when
    return (words.due_before if task.due_before else words.due_after) % when


def _transition_label(spec: WorkflowSpec, t: TransitionSpec, engine: str,
                      words: DiagramWords = ENGLISH) -> str:
    name = t.title or t.trigger
    if t.after is not None:
        label = words.after % {"name": name, "duration": format_duration(t.after)}
    elif t.auto:
        label = words.auto % {"name": name}
    else:
        label = words.by % {"name": name,
                            "who": ", ".join(t.allowed) if t.allowed else words.nobody}
    if t.conditions or t.unless:
        parts = list(t.conditions) + [words.negation % {"condition": u} for u in t.unless]
        label = words.condition % {"label": label,
                                   "conditions": words.conjunction.join(parts)}
    if t.start:
        label = words.starts % {"label": label, "workflow": t.start}
    if engine == "graphviz":  # Graphviz wraps nothing itself; Mermaid labels stay one line
        return _not_html("\n".join(textwrap.wrap(_clean(label, engine), 36,
                                                  break_on_hyphens=False)), engine)
    return _clean(label, engine)


def _not_html(text: str, engine: str) -> str:
    """Graphviz reads a label written ``<...>`` as HTML (``<b>bold</b>`` then fails the
    whole drawing): a zero-width space in front keeps it the text it is."""
    return "\u200b" + text if engine == "graphviz" and text.startswith("<") else text


def _clean(text: str, engine: str) -> str:
    """Keep labels inside their quotes: Mermaid has no escape for ``"``, Graphviz no ``\\``."""
    text = str(text).replace("\\", "/")
    if engine == "mermaid":
        text = text.replace('"', "'").replace(":", " -").replace("\n", " ")
    return text
