"""Checks of a whole workflow: its id, roles, initial state, state graph and triggers.

Each yields :class:`~engine.source.Issue` objects with full document paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from engine.definitions.context import (
    Context,
    field_names,
    graph_known,
    listing,
    state_hint,
    tasks_of,
)
from engine.definitions.roles_syntax import RoleSyntaxError, parse_role
from engine.definitions.workflow import as_list
from engine.source import Issue, did_you_mean

WORKFLOW_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Names the transitions library binds on a model, or that our runner object uses.


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
        if role.named:
            yield from _check_field_role(ctx, role)


def _check_field_role(ctx: Context, role) -> Iterator[Issue]:
    path = ("roles", role.name)
    if role.form not in ctx.forms:
        yield Issue(path, f"unknown form '{role.form}'", did_you_mean(role.form, ctx.forms))
        return
    names = field_names(ctx, role.form)
    if names is None:
        return
    if role.field not in names:
        yield Issue(path, f"form '{role.form}' has no field '{role.field}'",
                    did_you_mean(role.field, names) or listing("fields", names))
    elif not _holds_emails(names[role.field]):
        yield Issue(path, f"field '{role.field}' of form '{role.form}' does not hold people",
                    "a field: role needs emails: a string, a list of strings or a list "
                    "of objects with an 'email'")
    elif role.kind == "external" and not _languages_are_text(names, names[role.field]):
        yield Issue(path, f"the 'language' of form '{role.form}' gives its external raters "
                    "their language, but is not text",
                    "make it a string with the language tags: enum [en, da, sv]")


def _languages_are_text(names: dict, field: Any) -> bool:
    """The nomination's ``language`` (top-level, or in the named rows) is a string."""
    items = field.get("items") if isinstance(field, dict) else None
    row = (items.get("properties") or {}) if isinstance(items, dict) else {}
    for schema in (names.get("language"), row.get("language") if isinstance(row, dict) else None):
        types = as_list(schema.get("type")) if isinstance(schema, dict) else []
        if types and "string" not in types:
            return False
    return True


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
        yield Issue(("initial",), f"unknown state '{value}'", state_hint(ctx, value))
    elif value in ctx.finals:
        yield Issue(("initial",), f"the initial state '{value}' is final",
                    "a process must start in a state that has work to do")


def check_graph(ctx: Context) -> Iterator[Issue]:
    """Reachability from ``initial``, dead ends, final states with tasks."""
    if not graph_known(ctx):
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
        if tasks_of(ctx.states[name]):
            yield Issue(("states", name, "tasks"), f"final state '{name}' has tasks",
                        "tasks of a final state would never be done", at="key")


def check_started_by(ctx: Context) -> Iterator[Issue]:
    """``started_by`` names declared roles known before anything is answered."""
    value = ctx.data.get("started_by")
    if value is None or not isinstance(ctx.data.get("roles", {}), dict):
        return
    for i, name in enumerate(as_list(value)):
        path = ("started_by", i) if isinstance(value, list) else ("started_by",)
        if not isinstance(name, str):
            continue
        if name not in ctx.roles:
            yield Issue(path, f"unknown role '{name}'", did_you_mean(name, ctx.roles)
                        or listing("declared roles", list(ctx.roles)))
        elif name in ctx.role_specs and ctx.role_specs[name].named:
            yield Issue(path, f"role '{name}' is a {ctx.role_specs[name].kind}: role, which "
                        "names nobody "
                        "before the instance exists",
                        "name a subject, manager, group: or person: role")


DOCUMENT_CHECKERS = (check_id, check_roles, check_initial, check_graph, check_trigger_kinds,
                     check_started_by)
