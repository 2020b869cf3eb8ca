"""The meaning of a workflow: a table of small checkers, one per key of the language.

Each checker takes the check context, the key's value and the mapping holding it (the
task or the transition), and yields :class:`~engine.source.Issue` objects whose paths
are relative to the value. :func:`check_workflow` prepends the path of each key, the way
jsonschema's ``descend`` does, so checkers never deal with locations.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from typing import Any

from engine.definitions.roles_syntax import RoleSyntaxError, parse_role
from engine.definitions.workflow import as_list, expand_sources, final_states
from engine.durations import EXAMPLES, DurationError, parse_duration
from engine.expressions import expression_issues
from engine.source import Issue, did_you_mean

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
WORKFLOW_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Names the transitions library binds on a model, or that our runner object uses.
RESERVED_TRIGGERS = {"trigger", "state", "machine", "model", "may_trigger", "runner", "self"}
RESERVED_PREFIXES = ("to_", "may_", "is_")


class Context:
    """What checkers may look at: the workflow's data and the rest of the library."""

    def __init__(self, data: dict, stem: str, forms: dict, workflows: set):
        self.data = data
        self.stem = stem
        self.forms = forms  # form id -> schema dict (or None when the form file is broken)
        self.workflows = workflows
        self.states = data.get("states") if isinstance(data.get("states"), dict) else {}
        self.roles = data.get("roles") if isinstance(data.get("roles"), dict) else {}
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
        used = {t.get("form") for s in self.states.values() for t in _tasks(s)}
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


def _tasks(state) -> list[dict]:
    if not isinstance(state, dict):
        return []
    return [t for t in as_list(state.get("tasks")) if isinstance(t, dict)]


# ---------------------------------------------------------------- small checkers


def check_duration(ctx: Context, value, owner) -> Iterator[Issue]:
    try:
        parse_duration(value)
    except DurationError as exc:
        yield Issue((), str(exc), EXAMPLES)


def _needs_due(key: str, owner) -> Iterator[Issue]:
    """``remind`` and ``escalate`` count from ``due``; without it they never happen."""
    if owner.get("due") is None:
        yield Issue((), f"'{key}' without 'due' never happens",
                    "reminders and escalation count from the due date; add e.g. due: 7d")


def check_remind(ctx: Context, value, owner) -> Iterator[Issue]:
    yield from _needs_due("remind", owner)
    for i, item in enumerate(as_list(value)):
        for issue in check_duration(ctx, item, owner):
            yield Issue((i,) if isinstance(value, list) else (), issue.message, issue.hint)
    due = owner.get("due")
    try:
        due_delta = parse_duration(due) if due is not None else None
        for i, item in enumerate(as_list(value)):
            if due_delta is not None and parse_duration(item) >= due_delta:
                yield Issue((i,) if isinstance(value, list) else (),
                            f"reminder {item} before due is not shorter than due {due}",
                            "a reminder is sent this long before the task is due")
    except DurationError:
        return


def check_escalate(ctx: Context, value, owner) -> Iterator[Issue]:
    yield from check_assignee(ctx, value, owner)
    yield from _needs_due("escalate", owner)


def check_role_ref(ctx: Context, value, owner) -> Iterator[Issue]:
    if "roles" in ctx.data and not isinstance(ctx.data["roles"], dict):
        return  # the structure check reported the roles section itself
    if isinstance(value, str) and value not in ctx.roles:
        yield Issue((), f"unknown role '{value}'", _role_hint(ctx, value))


def check_assignee(ctx: Context, value, owner) -> Iterator[Issue]:
    yield from check_role_ref(ctx, value, owner)
    yield from _field_role_filled_before(ctx, value, owner)


def _field_role_filled_before(ctx: Context, role_name, task) -> Iterator[Issue]:
    """A ``field:`` role is known once its form is submitted: before the task is created."""
    text = ctx.roles.get(role_name) if isinstance(role_name, str) else None
    if not isinstance(text, str) or not text.strip().startswith("field:"):
        return
    try:
        form = parse_role(role_name, text).form
    except RoleSyntaxError:
        return
    state = task.get("\0state")
    if form in ctx.forms and state is not None and _reachable_without(ctx, form, state):
        yield Issue((), f"role '{role_name}' comes from form '{form}', which may not be "
                    "filled in before this state", f"fill in '{form}' in every path that "
                    "leads here")


def _reachable_without(ctx: Context, form: str, target: str) -> bool:
    """Can ``target`` be entered before anyone has submitted ``form``?"""
    initial = ctx.data.get("initial")
    if not _graph_known(ctx) or initial not in ctx.states:
        return False
    fillers = {name for name, state in ctx.states.items()
               if form in {t.get("form") for t in _tasks(state)}}
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


def check_role_list(ctx: Context, value, owner) -> Iterator[Issue]:
    for i, role in enumerate(as_list(value)):
        for issue in check_role_ref(ctx, role, owner):
            yield Issue((i,) if isinstance(value, list) else (), issue.message, issue.hint)


def _role_hint(ctx: Context, value) -> str | None:
    hint = did_you_mean(value, ctx.roles)
    if hint:
        return hint
    return "declared roles: " + ", ".join(ctx.roles) if ctx.roles else "declare it under roles:"


def check_form_ref(ctx: Context, value, owner) -> Iterator[Issue]:
    if isinstance(value, str) and value not in ctx.forms:
        yield Issue((), f"unknown form '{value}'",
                    did_you_mean(value, ctx.forms) or f"add forms/{value}.json")


def check_state_ref(ctx: Context, value, owner) -> Iterator[Issue]:
    if isinstance(value, str) and value not in ctx.states:
        yield Issue((), f"unknown state '{value}'", _state_hint(ctx, value))


def _state_hint(ctx: Context, name) -> str | None:
    return did_you_mean(name, ctx.states) or _listing("states", ctx.states, ordered=True)


def check_source(ctx: Context, value, owner) -> Iterator[Issue]:
    for i, source in enumerate(as_list(value)):
        sub = (i,) if isinstance(value, list) else ()
        if source == "*":
            continue
        if isinstance(source, str) and source not in ctx.states:
            yield Issue(sub, f"unknown state '{source}'", _state_hint(ctx, source))
        elif source in ctx.finals:
            yield Issue(sub, f"transition out of final state '{source}'",
                        "a final state ends the process; remove 'final: true' or this source")


def check_trigger(ctx: Context, value, owner) -> Iterator[Issue]:
    if not isinstance(value, str):
        return
    if not SLUG.match(value):
        suggestion = re.sub(r"[^a-z0-9_]+", "_", value.lower()).strip("_") or "submit"
        yield Issue((), f"trigger '{value}' is not a lowercase name",
                    f"write it like '{suggestion}': a-z, 0-9 and _")
    elif (value in RESERVED_TRIGGERS or value.startswith(RESERVED_PREFIXES)
          or keyword.iskeyword(value)):
        yield Issue((), f"trigger '{value}' clashes with a name the state machine uses",
                    "avoid trigger, state, machine, Python keywords and names starting "
                    "with to_, may_ or is_")


def check_expressions(ctx: Context, value, owner) -> Iterator[Issue]:
    known = ctx.workflow_forms()
    for i, text in enumerate(as_list(value)):
        sub = (i,) if isinstance(value, list) else ()
        for message, hint in expression_issues(text, known):
            yield Issue(sub, message, hint)


def check_start(ctx: Context, value, owner) -> Iterator[Issue]:
    if isinstance(value, str) and value not in ctx.workflows:
        yield Issue((), f"unknown workflow '{value}'",
                    did_you_mean(value, ctx.workflows) or f"add workflows/{value}.yaml")


def check_show(ctx: Context, value, owner) -> Iterator[Issue]:
    earlier = _forms_before(ctx, owner)
    for i, form in enumerate(as_list(value)):
        sub = (i,) if isinstance(value, list) else ()
        if not isinstance(form, str):
            continue
        if form not in ctx.forms:
            yield Issue(sub, f"unknown form '{form}'", did_you_mean(form, ctx.forms))
        elif earlier is not None and form not in earlier:
            yield Issue(sub, f"form '{form}' is not filled in before this state",
                        did_you_mean(form, earlier) or _listing("forms filled in before", earlier))


def _forms_before(ctx: Context, task: dict) -> set | None:
    """Forms that may be filled in by the time the task's state is left."""
    state = task.get("\0state")
    if state is None or not _graph_known(ctx):  # a broken transition: no safe answer
        return None
    upstream = ctx.upstream(state)
    forms = {t.get("form") for s in upstream for t in _tasks(ctx.states.get(s))}
    forms |= {t.get("form") for t in ctx.transitions if t.get("dest") in upstream}
    return {f for f in forms if isinstance(f, str)}


def _listing(what: str, names, ordered: bool = False) -> str | None:
    if not names:
        return None
    return f"{what}: " + ", ".join(names if ordered else sorted(names))


def check_readers(ctx: Context, value, owner) -> Iterator[Issue]:
    if not isinstance(value, dict):
        return
    for role, when in value.items():
        if role not in ctx.roles:
            yield Issue((role,), f"unknown role '{role}'", _role_hint(ctx, role), at="key")
        if not isinstance(when, str):
            continue
        words = when.split()
        if words == ["always"]:
            continue
        if len(words) == 2 and words[0] == "after":
            if words[1] not in ctx.states:
                yield Issue((role,), f"unknown state '{words[1]}'",
                            _state_hint(ctx, words[1]))
        else:
            yield Issue((role,), f"bad reader rule '{when}'", "write 'always' or 'after STATE'")


def check_private(ctx: Context, value, owner) -> Iterator[Issue]:
    names = _field_names(ctx, owner.get("form"))
    if names is None:
        return
    for i, field in enumerate(as_list(value)):
        sub = (i,) if isinstance(value, list) else ()
        if isinstance(field, str) and field not in names:
            yield Issue(sub, f"form '{owner.get('form')}' has no field '{field}'",
                        did_you_mean(field, names) or _listing("fields", names))


def _field_names(ctx: Context, form) -> dict | None:
    schema = ctx.forms.get(form) if isinstance(form, str) else None
    if not isinstance(schema, dict):
        return None
    props = schema.get("properties")
    return props if isinstance(props, dict) else {}


def check_quorum(ctx: Context, value, owner) -> Iterator[Issue]:
    role = ctx.roles.get(owner.get("assignee"))
    if isinstance(value, int) and value > 1 and isinstance(role, str):
        if not role.strip().startswith(("group:", "field:")):
            yield Issue((), f"quorum {value} for role '{owner.get('assignee')}', "
                        "which is one person",
                        "quorum counts the tasks of a role of several people")


TASK_CHECKERS = {
    "form": check_form_ref,
    "assignee": check_assignee,
    "escalate": check_escalate,
    "due": check_duration,
    "remind": check_remind,
    "repeat": check_duration,
    "quorum": check_quorum,
    "show": check_show,
    "readers": check_readers,
    "private": check_private,
}

TRANSITION_CHECKERS = {
    "trigger": check_trigger,
    "source": check_source,
    "dest": check_state_ref,
    "allowed": check_role_list,
    "form": check_form_ref,
    "after": check_duration,
    "conditions": check_expressions,
    "unless": check_expressions,
    "start": check_start,
}


# ---------------------------------------------------------------- whole-document checks


def check_id(ctx: Context) -> Iterator[Issue]:
    value = ctx.data.get("workflow")
    if not isinstance(value, str):
        return
    if not WORKFLOW_ID.match(value):
        yield Issue(("workflow",), f"workflow id '{value}' is not a lowercase slug",
                    "use a-z, 0-9, - and _, e.g. annual-review")
    elif value != ctx.stem:
        yield Issue(("workflow",), f"workflow id '{value}' differs from the file name "
                    f"'{ctx.stem}'", f"rename the file to {value}.yaml or write "
                    f"'workflow: {ctx.stem}'")


def check_roles(ctx: Context) -> Iterator[Issue]:
    for name, text in ctx.roles.items():
        try:
            role = parse_role(name, text)
        except RoleSyntaxError as exc:
            yield Issue(("roles", name), exc.message, exc.hint)
            continue
        if role.kind == "field":
            yield from _check_field_role(ctx, role)


def _check_field_role(ctx: Context, role) -> Iterator[Issue]:
    path = ("roles", role.name)
    if role.form not in ctx.forms:
        yield Issue(path, f"unknown form '{role.form}'", did_you_mean(role.form, ctx.forms))
        return
    names = _field_names(ctx, role.form)
    if names is None:
        return
    if role.field not in names:
        yield Issue(path, f"form '{role.form}' has no field '{role.field}'",
                    did_you_mean(role.field, names) or _listing("fields", names))
    elif not _holds_emails(names[role.field]):
        yield Issue(path, f"field '{role.field}' of form '{role.form}' does not hold people",
                    "a field: role needs emails: a string, a list of strings or a list "
                    "of objects with an 'email'")


def _holds_emails(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return True
    types = as_list(schema.get("type"))
    if not types:
        return True
    if "string" in types:
        return True
    if "array" in types:
        items = schema.get("items")
        if not isinstance(items, dict) or not items.get("type"):
            return True
        item_types = as_list(items.get("type"))
        with_email = "email" in (items.get("properties") or {})
        return "string" in item_types or ("object" in item_types and with_email)
    return False


def check_initial(ctx: Context) -> Iterator[Issue]:
    value = ctx.data.get("initial")
    if not isinstance(value, str):
        return
    if value not in ctx.states:
        yield Issue(("initial",), f"unknown state '{value}'", _state_hint(ctx, value))
    elif value in ctx.finals:
        yield Issue(("initial",), f"the initial state '{value}' is final",
                    "a process must start in a state that has work to do")


def _graph_known(ctx: Context) -> bool:
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


def check_graph(ctx: Context) -> Iterator[Issue]:
    """Reachability from ``initial``, dead ends, final states with tasks."""
    if not _graph_known(ctx):
        yield from _final_tasks(ctx)
        return
    initial = ctx.data.get("initial")
    reached = set()
    if initial in ctx.finals:  # reported by check_initial; nothing is reachable from an end
        initial = None
    if initial in ctx.states:
        reached, todo = {initial}, [initial]
        while todo:
            for dest in ctx.edges.get(todo.pop(), ()):
                if dest not in reached:
                    reached.add(dest)
                    todo.append(dest)
    for name in ctx.states:
        path = ("states", name)
        if name == "*":
            yield Issue(path, "'*' is not a state name", "in a source, '*' means every state",
                        at="key")
            continue
        if initial in ctx.states and name not in reached:
            yield Issue(path, f"state '{name}' cannot be reached from '{initial}'",
                        "add a transition into it or remove it", at="key")
        if name not in ctx.finals and not ctx.edges.get(name):
            yield Issue(path, f"state '{name}' is a dead end: no transition leaves it",
                        "add a transition from it or mark it 'final: true'", at="key")
    yield from _final_tasks(ctx)


def check_trigger_kinds(ctx: Context) -> Iterator[Issue]:
    """A trigger is automatic (``auto``/``after``) or manual, never both."""
    kinds: dict[str, tuple[str, int]] = {}
    for i, item in enumerate(as_list(ctx.data.get("transitions"))):
        if not isinstance(item, dict) or not isinstance(item.get("trigger"), str):
            continue
        path = ("transitions", i)
        automatic = item.get("auto") is True or item.get("after") is not None
        if item.get("auto") is True and item.get("after") is not None:
            yield Issue(path + ("after",), "a transition is either 'auto' or 'after', not both",
                        "auto fires when the tasks are done; after fires on a timer")
        if automatic and item.get("allowed"):
            yield Issue(path + ("allowed",), "'allowed' on an automatic transition",
                        "nobody fires it by hand; add a separate manual transition")
        if automatic and item.get("form"):
            yield Issue(path + ("form",), "'form' on an automatic transition",
                        "only a person firing a transition by hand fills in its form")
        kind = "automatic" if automatic else "manual"
        first = kinds.setdefault(item["trigger"], (kind, i))
        if first[0] != kind:
            yield Issue(path + ("trigger",), f"trigger '{item['trigger']}' is {kind} here but "
                        f"{first[0]} in transitions[{first[1]}]",
                        "give automatic and manual transitions different trigger names")


def _final_tasks(ctx: Context) -> Iterator[Issue]:
    for name in ctx.finals:
        if _tasks(ctx.states[name]):
            yield Issue(("states", name, "tasks"), f"final state '{name}' has tasks",
                        "tasks of a final state would never be done", at="key")


DOCUMENT_CHECKERS = (check_id, check_roles, check_initial, check_graph, check_trigger_kinds)


STRICT = False  # tests set it to find checkers that trip over shapes the meta-schema refused


def _run(checker, *args) -> list[Issue]:
    """A checker's issues; one that trips over a shape the structure check already
    reported yields nothing rather than hiding every other checker's findings."""
    try:
        return list(checker(*args))
    except (TypeError, AttributeError, KeyError, ValueError):
        if STRICT:
            raise
        return []


def check_workflow(data: dict, stem: str, forms: dict, workflows: set) -> list[Issue]:
    """Every meaning problem of a structurally read workflow."""
    ctx = Context(data, stem, forms, workflows)
    issues: list[Issue] = []
    for checker in DOCUMENT_CHECKERS:
        issues.extend(_run(checker, ctx))
    for name, state in ctx.states.items():
        for i, task in enumerate(_tasks(state)):
            owner = dict(task, **{"\0state": name})
            issues.extend(_descend(ctx, TASK_CHECKERS, task, owner, ("states", name, "tasks", i)))
    for i, item in enumerate(as_list(data.get("transitions"))):
        if isinstance(item, dict):
            issues.extend(_descend(ctx, TRANSITION_CHECKERS, item, item, ("transitions", i)))
    return issues


def _descend(ctx, table, mapping, owner, path) -> Iterator[Issue]:
    for key, checker in table.items():
        if key in mapping and mapping[key] is not None:
            for issue in _run(checker, ctx, mapping[key], owner):
                yield Issue(path + (key,) + tuple(issue.path), issue.message, issue.hint,
                            issue.at, issue.pos)
