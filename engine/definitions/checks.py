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

from engine.definitions.calibration_checks import check_calibration
from engine.definitions.context import (
    Context,
    field_names,
    forms_before,
    listing,
    reachable_without,
    state_hint,
    tasks_of,
)
from engine.definitions.date_checks import check_dates, check_due
from engine.definitions.document_checks import DOCUMENT_CHECKERS
from engine.definitions.parent_checks import check_parent, check_parent_revise
from engine.definitions.specs import PARENT_PREFIX
from engine.definitions.workflow import as_list
from engine.durations import EXAMPLES, DurationError, parse_duration
from engine.expressions import expression_issues
from engine.source import Issue, did_you_mean

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
# Names the transitions library binds on a model, or that our runner object uses.
RESERVED_TRIGGERS = {"trigger", "state", "machine", "model", "may_trigger", "runner", "self"}
RESERVED_PREFIXES = ("to_", "may_", "is_")


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
    if due is None or isinstance(due, dict):
        return  # counted from a date: how long the task has is known only at launch
    try:
        due_delta = parse_duration(due)
        for i, item in enumerate(as_list(value)):
            shorter = parse_duration(item).shorter_than(due_delta)
            where = (i,) if isinstance(value, list) else ()
            if shorter is False:
                yield Issue(where, f"reminder {item} before due is not shorter than due {due}",
                            "a reminder is sent this long before the task is due")
            elif shorter is None:
                yield Issue(where, f"reminder {item} before due may be longer than due "
                            f"{due}: a month is 28 to 31 days",
                            "count both in months, or make the reminder clearly shorter")
    except DurationError:
        return


def check_escalate(ctx: Context, value, owner) -> Iterator[Issue]:
    yield from check_assignee(ctx, value, owner)
    yield from _needs_due("escalate", owner)
    if owner.get("anonymous") is True:
        yield Issue((), "an anonymous task line cannot be escalated: the escalation target "
                    "would see who the raters are", "remove 'escalate', or 'anonymous: true'")


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
    role = ctx.role_specs.get(role_name) if isinstance(role_name, str) else None
    if role is None or not role.named:
        return
    form = role.form
    state = task.get("\0state")
    if form in ctx.forms and state is not None and reachable_without(ctx, form, state):
        yield Issue((), f"role '{role_name}' comes from form '{form}', which may not be "
                    "filled in before this state", f"fill in '{form}' in every path that "
                    "leads here")


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
        yield Issue((), f"unknown state '{value}'", state_hint(ctx, value))


def check_source(ctx: Context, value, owner) -> Iterator[Issue]:
    for i, source in enumerate(as_list(value)):
        sub = (i,) if isinstance(value, list) else ()
        if source == "*":
            continue
        if isinstance(source, str) and source not in ctx.states:
            yield Issue(sub, f"unknown state '{source}'", state_hint(ctx, source))
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
    for i, item in enumerate([value] if isinstance(value, dict) else as_list(value)):
        sub = (i,) if isinstance(value, list) else ()
        if isinstance(item, dict):  # {when: EXPRESSION, message: TEXT}
            item, sub = item.get("when"), sub + ("when",)
            if item is None:
                continue  # the structure check reported the missing 'when'
        for message, hint in expression_issues(item, known):
            yield Issue(sub, message, hint)


def check_start(ctx: Context, value, owner) -> Iterator[Issue]:
    if isinstance(value, str) and value not in ctx.workflows:
        yield Issue((), f"unknown workflow '{value}'",
                    did_you_mean(value, ctx.workflows) or f"add workflows/{value}.yaml")


def check_show(ctx: Context, value, owner) -> Iterator[Issue]:
    earlier = forms_before(ctx, owner)
    for i, form in enumerate(as_list(value)):
        sub = (i,) if isinstance(value, list) else ()
        if not isinstance(form, str):
            continue
        if form not in ctx.forms:
            yield Issue(sub, f"unknown form '{form}'", did_you_mean(form, ctx.forms))
        elif earlier is not None and form not in earlier:
            yield Issue(sub, f"form '{form}' is not filled in before this state",
                        did_you_mean(form, earlier) or listing("forms filled in before", earlier))


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
                            state_hint(ctx, words[1]))
        else:
            yield Issue((role,), f"bad reader rule '{when}'", "write 'always' or 'after STATE'")


def check_private(ctx: Context, value, owner) -> Iterator[Issue]:
    names = field_names(ctx, owner.get("form"))
    if names is None:
        return
    for i, field in enumerate(as_list(value)):
        sub = (i,) if isinstance(value, list) else ()
        if isinstance(field, str) and field not in names:
            yield Issue(sub, f"form '{owner.get('form')}' has no field '{field}'",
                        did_you_mean(field, names) or listing("fields", names))


def check_quorum(ctx: Context, value, owner) -> Iterator[Issue]:
    role = ctx.role_specs.get(owner.get("assignee"))
    if isinstance(value, int) and value > 1 and role is not None:
        if not role.multi:
            yield Issue((), f"quorum {value} for role '{owner.get('assignee')}', "
                        "which is one person",
                        "quorum counts the tasks of a role of several people")


def check_prefill(ctx: Context, value, owner) -> Iterator[Issue]:
    """Each key a top-level field of the task's form; each value an expression."""
    names = field_names(ctx, owner.get("form"))
    for field, text in value.items() if isinstance(value, dict) else ():
        if names is not None and field not in names:
            yield Issue((field,), f"form '{owner.get('form')}' has no field '{field}'",
                        did_you_mean(field, names) or listing("fields", names), at="key")
        for issue in check_expressions(ctx, text, owner):
            yield Issue((field,), issue.message, issue.hint)


def check_anonymity_key(ctx: Context, value, owner) -> Iterator[Issue]:
    """``anonymity_group`` and its companions mean something on an anonymous line only."""
    if owner.get("anonymous") is not True:
        yield Issue((), "only an anonymous task line is summarised by group",
                    "add 'anonymous: true', or remove this key")


def check_anonymity_companion(ctx: Context, value, owner) -> Iterator[Issue]:
    yield from check_anonymity_key(ctx, value, owner)
    if owner.get("anonymous") is True and "anonymity_group" not in owner:
        yield Issue((), "a threshold or below_threshold of its own needs an "
                    "anonymity_group", "add 'anonymity_group: Peers' (the raters' "
                    "relationship to the subject)")


TASK_CHECKERS = {
    "prefill": check_prefill,
    "form": check_form_ref,
    "assignee": check_assignee,
    "escalate": check_escalate,
    "due": check_due,
    "remind": check_remind,
    "repeat": check_duration,
    "quorum": check_quorum,
    "show": check_show,
    "readers": check_readers,
    "private": check_private,
    "anonymity_group": check_anonymity_key,
    "anonymity_threshold": check_anonymity_companion,
    "below_threshold": check_anonymity_companion,
}


def check_decision_remind(ctx: Context, value, owner) -> Iterator[Issue]:
    """A transition's ``remind`` reminds whoever may fire it by hand: only a manual one
    has such people."""
    if owner.get("auto") or owner.get("after") is not None:
        yield Issue((), "'remind' on a transition that fires by itself reminds nobody",
                    "put remind on a manual transition, a decision someone makes; a "
                    "task's reminders go on the task, with its due")
    for i, item in enumerate(as_list(value)):
        for issue in check_duration(ctx, item, owner):
            yield Issue((i,) if isinstance(value, list) else (), issue.message, issue.hint)


def check_revise(ctx: Context, value, owner) -> Iterator[Issue]:
    """``revise: {okr-plan: okr-checkin}``: both forms of the workflow, sharing fields."""
    used = ctx.workflow_forms()
    for target, source in value.items() if isinstance(value, dict) else ():
        of_parent = isinstance(target, str) and target.startswith(PARENT_PREFIX)
        mine_to_check = ((source, "value"),) if of_parent else ((target, "key"), (source, "value"))
        for form, at in mine_to_check:
            if isinstance(form, str) and form not in used:
                yield Issue((target,), f"unknown form '{form}'",
                            did_you_mean(form, used) or listing("forms of this workflow", used),
                            at=at)
        if of_parent:  # a form of the instance this one was started from
            yield from check_parent_revise(ctx, target, source)
            continue
        mine, theirs = field_names(ctx, target), field_names(ctx, source)
        if mine is not None and theirs is not None and not set(mine) & set(theirs):
            yield Issue((target,), f"form '{source}' has no field of form '{target}', so "
                        "nothing would be revised", "give the proposal the fields it changes")


TRANSITION_CHECKERS = {
    "revise": check_revise,
    "trigger": check_trigger,
    "source": check_source,
    "dest": check_state_ref,
    "allowed": check_role_list,
    "form": check_form_ref,
    "after": check_duration,
    "conditions": check_expressions,
    "unless": check_expressions,
    "start": check_start,
    "remind": check_decision_remind,
}


#: Keys of a state itself (its tasks have their own table above).
STATE_CHECKERS = {
    "calibration": check_calibration,
}


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


def check_workflow(data: dict, stem: str, forms: dict, workflows) -> list[Issue]:
    """Every meaning problem of a structurally read workflow (``workflows``: the library's
    workflow ids, a dict of id -> :class:`~engine.definitions.parent_checks.Outline`
    where known)."""
    ctx = Context(data, stem, forms, workflows)
    issues: list[Issue] = []
    for checker in (*DOCUMENT_CHECKERS, check_dates, check_parent):
        issues.extend(_run(checker, ctx))
    for name, state in ctx.states.items():
        if isinstance(state, dict) and state.get("calibration") is not None:
            owner = dict(state, **{"\0state": name})
            issues.extend(_descend(ctx, STATE_CHECKERS, state, owner, ("states", name)))
        for i, task in enumerate(tasks_of(state)):
            owner = dict(task, **{"\0state": name})
            issues.extend(_descend(ctx, TASK_CHECKERS, task, owner, ("states", name, "tasks", i)))
    for i, item in enumerate(as_list(data.get("transitions"))):
        if isinstance(item, dict):
            issues.extend(_descend(ctx, TRANSITION_CHECKERS, item, item, ("transitions", i)))
    scores = data.get("scores")
    for name, score in (scores.items() if isinstance(scores, dict) else ()):
        if isinstance(score, dict):
            issues.extend(_descend(ctx, SCORE_CHECKERS, score, score, ("scores", name)))
    return issues


def check_score_parts(ctx: Context, value, owner) -> Iterator[Issue]:
    for i, part in enumerate(value if isinstance(value, list) else ()):
        if isinstance(part, dict) and isinstance(part.get("value"), str):
            for issue in check_expressions(ctx, part["value"], part):
                yield Issue((i, "value"), issue.message, issue.hint)


SCORE_CHECKERS = {
    "parts": check_score_parts,
    "readers": check_readers,
}


def _descend(ctx, table, mapping, owner, path) -> Iterator[Issue]:
    for key, checker in table.items():
        if key in mapping and mapping[key] is not None:
            for issue in _run(checker, ctx, mapping[key], owner):
                yield Issue(path + (key,) + tuple(issue.path), issue.message, issue.hint,
                            issue.at, issue.pos)
