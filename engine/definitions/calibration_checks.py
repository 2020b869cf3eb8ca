"""Checks of a state's ``calibration:`` key (instances wait there for a calibration session).

``calibration: {fields: [manager-review.rating, manager-review.potential]}`` names the
numeric answers a session may change. Each must be ``FORM.FIELD`` of a form that one
person (not anonymous, not several people) fills in before the state, not a ``private``
field (the calibrators read it), and the field must
have a short scale of possible values (choices, or a minimum and maximum), so a session
can chart it and propose a value from it. The state must have an ``auto`` transition out:
closing the session is what sets it off.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.definitions.context import (
    Context,
    field_names,
    forms_before,
    listing,
    tasks_of,
)
from engine.definitions.workflow import as_list
from engine.source import Issue, did_you_mean

NUMBER_TYPES = ("integer", "number")
#: A field with more possible values than this cannot be charted nor put in a 9-box.
MAX_VALUES = 11


def check_calibration(ctx: Context, value, owner) -> Iterator[Issue]:
    """The ``calibration`` key of state ``owner['\\0state']``."""
    state = owner.get("\0state")
    if owner.get("final") is True:
        yield Issue((), f"final state '{state}' cannot wait for calibration",
                    "a final state ends the process; calibrate in a state before it")
        return
    if not any(t.get("auto") is True for t in ctx.transitions
               if state in as_list(t.get("source")) or t.get("source") == "*"):
        yield Issue((), f"nothing moves state '{state}' on when its calibration session "
                    "closes", f"add a transition with 'source: {state}' and 'auto: true'")
    if not isinstance(value, dict):
        return
    earlier = forms_before(ctx, owner)
    for i, ref in enumerate(as_list(value.get("fields"))):
        for issue in _check_field(ctx, ref, earlier, state):
            yield Issue(("fields", i), issue.message, issue.hint)


def _check_field(ctx: Context, ref, earlier, state) -> Iterator[Issue]:
    if not isinstance(ref, str):
        return
    form, _, name = ref.partition(".")
    if not form or not name:
        yield Issue((), f"'{ref}' does not name a field", "write FORM.FIELD, e.g. "
                    "manager-review.rating")
        return
    if form not in ctx.forms:
        yield Issue((), f"unknown form '{form}'", did_you_mean(form, ctx.forms))
        return
    names = field_names(ctx, form)
    if names is None:
        return
    if name not in names:
        yield Issue((), f"form '{form}' has no field '{name}'",
                    did_you_mean(name, names) or listing("fields", names))
        return
    yield from _check_scale(form, name, names[name])
    lines = [t for s in ctx.states.values() for t in tasks_of(s) if t.get("form") == form]
    if not lines or (earlier is not None and form not in earlier):
        yield Issue((), f"form '{form}' is not filled in before state '{state}'",
                    listing("forms filled in before", earlier or ()))
    elif any(t.get("anonymous") is True for t in lines):
        yield Issue((), f"form '{form}' is answered anonymously and cannot be calibrated",
                    "calibrate a field of a form with a named author")
    elif any(name in as_list(t.get("private")) for t in lines):
        yield Issue((), f"field '{form}.{name}' is private and cannot be calibrated: the "
                    "calibrators would read it", f"remove '{name}' from the line's 'private', "
                    "or calibrate another field")
    elif any(_many(ctx, t) for t in lines):
        yield Issue((), f"form '{form}' is filled in by several people; a calibrated "
                    "rating must have one author", "calibrate the manager's rating, or a "
                    "form one person fills in")


def _many(ctx: Context, line: dict) -> bool:
    role = ctx.role_specs.get(line.get("assignee"))
    return bool(line.get("quorum") or line.get("repeat") or (role is not None and role.multi))


def _check_scale(form: str, name: str, prop) -> Iterator[Issue]:
    if not isinstance(prop, dict) or prop.get("type") not in NUMBER_TYPES:
        yield Issue((), f"field '{form}.{name}' is not a number",
                    "calibrate an integer or number field, such as a rating")
        return
    if not scale_of(prop):
        yield Issue((), f"field '{form}.{name}' has no short scale of values",
                    f"give it oneOf choices or a minimum and maximum at most {MAX_VALUES} "
                    "apart")


def scale_of(prop: dict) -> list:
    """The possible values of a calibrated field, lowest first ([] when not a short scale)."""
    values: list = []
    alternatives = prop.get("oneOf") or prop.get("anyOf")
    if isinstance(prop.get("enum"), list):
        values = list(prop["enum"])
    elif isinstance(alternatives, list) and all(isinstance(a, dict) and "const" in a
                                                for a in alternatives):
        values = [a["const"] for a in alternatives]
    elif isinstance(prop.get("minimum"), int) and isinstance(prop.get("maximum"), int):
        low, high = prop["minimum"], prop["maximum"]
        values = list(range(low, high + 1)) if 0 < high - low + 1 <= MAX_VALUES else []
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers or len(numbers) != len(values) or len(numbers) > MAX_VALUES:
        return []
    return sorted(numbers)
