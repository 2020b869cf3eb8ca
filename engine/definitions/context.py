"""What the workflow checkers look at: one workflow's data, its state graph, the library.

The graph questions (what is reachable, which forms are filled in before a state) are
answered here once, so the checkers in :mod:`engine.definitions.checks` and
:mod:`engine.definitions.document_checks` stay small.
"""

from __future__ import annotations

from engine.definitions.workflow import as_list, expand_sources, final_states, parse_roles
from engine.source import did_you_mean


class Context:
    """What checkers may look at: the workflow's data and the rest of the library."""

    def __init__(self, data: dict, stem: str, forms: dict, workflows: set):
        self.data = data
        self.stem = stem
        self.forms = forms  # form id -> schema dict (or None when the form file is broken)
        self.workflows = workflows
        self.states = data.get("states") if isinstance(data.get("states"), dict) else {}
        self.roles = data.get("roles") if isinstance(data.get("roles"), dict) else {}
        self.role_specs = parse_roles({"roles": self.roles})  # the roles that parse
        self.transitions = [t for t in as_list(data.get("transitions")) if isinstance(t, dict)]
        self.finals = final_states(data)
        self.edges = self._edges()

    def _edges(self) -> dict[str, set]:
        edges: dict[str, set] = {name: set() for name in self.states}
        for item in self.transitions:
            dest = item.get("dest")
            for source in expand_sources(item.get("source"), self.data):
                if source in edges and isinstance(dest, str) and dest in self.states:
                    edges[source].add(dest)
        return edges

    def workflow_forms(self) -> set[str]:
        """Every form the workflow uses: task forms and transition forms."""
        used = {t.get("form") for s in self.states.values() for t in tasks_of(s)}
        used |= {t.get("form") for t in self.transitions}
        return {f for f in used if isinstance(f, str)}

    def upstream(self, state: str) -> set[str]:
        """States from which ``state`` can be reached (itself only on a cycle), and itself."""
        reverse: dict[str, set] = {}
        for source, dests in self.edges.items():
            for dest in dests:
                reverse.setdefault(dest, set()).add(source)
        seen, todo = {state}, [state]
        while todo:
            for prev in reverse.get(todo.pop(), ()):
                if prev not in seen:
                    seen.add(prev)
                    todo.append(prev)
        return seen


def tasks_of(state) -> list[dict]:
    """The task mappings of a state, whatever shape the state has."""
    if not isinstance(state, dict):
        return []
    return [t for t in as_list(state.get("tasks")) if isinstance(t, dict)]


def graph_known(ctx: Context) -> bool:
    """Every transition names existing states, so the graph says what the author meant."""
    for item in ctx.transitions:
        sources = as_list(item.get("source"))
        if not isinstance(item.get("dest"), str) or item["dest"] not in ctx.states:
            return False
        if not sources or any(not isinstance(s, str) for s in sources):
            return False
        if any(s != "*" and s not in ctx.states for s in sources):
            return False
    return len(ctx.transitions) == len(as_list(ctx.data.get("transitions")))


def reachable_without(ctx: Context, form: str, target: str) -> bool:
    """Can ``target`` be entered before anyone has submitted ``form``?"""
    initial = ctx.data.get("initial")
    if not graph_known(ctx) or initial not in ctx.states:
        return False
    fillers = {name for name, state in ctx.states.items()
               if form in {t.get("form") for t in tasks_of(state)}}
    seen, todo = {initial}, [initial]
    while todo:
        state = todo.pop()
        if state == target:
            return True
        if state in fillers:  # leaving it means the form was filled in
            continue
        for item in ctx.transitions:
            dest = item.get("dest")
            if item.get("form") != form and state in expand_sources(item.get("source"),
                                                                   ctx.data):
                if dest not in seen:
                    seen.add(dest)
                    todo.append(dest)
    return False


def forms_before(ctx: Context, task: dict) -> set | None:
    """Forms that may be filled in by the time the task's state is left."""
    state = task.get("\0state")
    if state is None or not graph_known(ctx):  # a broken transition: no safe answer
        return None
    upstream = ctx.upstream(state)
    forms = {t.get("form") for s in upstream for t in tasks_of(ctx.states.get(s))}
    forms |= {t.get("form") for t in ctx.transitions if t.get("dest") in upstream}
    return {f for f in forms if isinstance(f, str)}


def listing(what: str, names, ordered: bool = False) -> str | None:
    """A hint listing ``names``: ``states: a, b``."""
    if not names:
        return None
    return f"{what}: " + ", ".join(names if ordered else sorted(names))


def field_names(ctx: Context, form) -> dict | None:
    """Top-level properties of ``form`` (None: the form is unknown or broken)."""
    schema = ctx.forms.get(form) if isinstance(form, str) else None
    if not isinstance(schema, dict):
        return None
    props = schema.get("properties")
    return props if isinstance(props, dict) else {}


def state_hint(ctx: Context, name) -> str | None:
    """A did-you-mean for a state, else the list of states."""
    return did_you_mean(name, ctx.states) or listing("states", ctx.states, ordered=True)
