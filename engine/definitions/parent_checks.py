"""Checks of ``parent:`` and of ``revise`` keys naming a parent's form (``parent.FORM``).

A workflow with ``parent: quarterly-goals`` is started from a running instance of that
workflow about the same subject (a proposed change to the quarter's goals); its
``revise: {parent.okr-plan: goal-change}`` writes the parent's plan. What the parent
workflow has (its states, its forms) is known when the whole library is checked; a file
checked alone names the parent by id only, and those checks wait for the library.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from engine.definitions.context import Context, field_names, listing, tasks_of
from engine.definitions.specs import PARENT_PREFIX
from engine.definitions.workflow import as_list
from engine.source import Issue, did_you_mean


@dataclass(frozen=True)
class Outline:
    """What other workflows may check against: a workflow's states and forms."""

    states: tuple[str, ...]
    forms: frozenset[str]


def outline(data) -> Outline | None:
    """The states and forms of a workflow document (None: not a mapping)."""
    if not isinstance(data, dict):
        return None
    states = data.get("states") if isinstance(data.get("states"), dict) else {}
    lines = [t for s in states.values() for t in tasks_of(s)]
    lines += [t for t in as_list(data.get("transitions")) if isinstance(t, dict)]
    forms = frozenset(t["form"] for t in lines if isinstance(t.get("form"), str))
    return Outline(tuple(n for n in states if isinstance(n, str)), forms)


def parent_id(ctx: Context) -> str | None:
    """The workflow ``parent:`` names, in either shape."""
    value = ctx.data.get("parent")
    if isinstance(value, dict):
        value = value.get("workflow")
    return value if isinstance(value, str) else None


def _parent_outline(ctx: Context) -> Outline | None:
    found = ctx.workflows.get(parent_id(ctx)) if isinstance(ctx.workflows, dict) else None
    return found if isinstance(found, Outline) else None


def check_parent(ctx: Context) -> Iterator[Issue]:
    """``parent`` names another workflow of the library, ``after`` one of its states."""
    value = ctx.data.get("parent")
    name = parent_id(ctx)
    if name is None:
        return
    path = ("parent", "workflow") if isinstance(value, dict) else ("parent",)
    if name not in ctx.workflows:
        yield Issue(path, f"unknown workflow '{name}'",
                    did_you_mean(name, ctx.workflows) or f"add workflows/{name}.yaml")
        return
    if name in (ctx.data.get("workflow"), ctx.stem):
        yield Issue(path, "a workflow cannot be its own parent",
                    "name the workflow whose running instance this one changes")
        return
    after = value.get("after") if isinstance(value, dict) else None
    parent = _parent_outline(ctx)
    if isinstance(after, str) and parent is not None and after not in parent.states:
        yield Issue(("parent", "after"), f"workflow '{name}' has no state '{after}'",
                    did_you_mean(after, parent.states)
                    or listing(f"states of {name}", parent.states, ordered=True))


def check_parent_revise(ctx: Context, target: str, source) -> Iterator[Issue]:
    """``revise: {parent.FORM: SOURCE}``: a ``parent`` declared, FORM one of its forms,
    sharing fields with SOURCE (the form the proposal is written in)."""
    form = target[len(PARENT_PREFIX):]
    if parent_id(ctx) is None:
        yield Issue((target,), f"'{target}' names a form of the parent instance, but the "
                    "workflow has no parent", "add 'parent: WORKFLOW', the workflow whose "
                    "running instance this one changes", at="key")
        return
    parent = _parent_outline(ctx)
    if parent is None:
        return  # the parent's file is not checked with this one: known by name only
    if form not in parent.forms:
        yield Issue((target,), f"workflow '{parent_id(ctx)}' has no form '{form}'",
                    did_you_mean(form, parent.forms)
                    or listing(f"forms of {parent_id(ctx)}", parent.forms), at="key")
        return
    mine, theirs = field_names(ctx, form), field_names(ctx, source)
    if mine is not None and theirs is not None and not set(mine) & set(theirs):
        yield Issue((target,), f"form '{source}' has no field of form '{form}', so "
                    "nothing would be revised", "give the proposal the fields it changes")
