"""Computed values and rules of a form: worked out by the engine, never typed in.

A form may declare (docs/definitions.md, "Computed values and rules")::

    "computed": {
      "objectives[].achievement": "min(row.actual / row.target * 100, 120)",
      "objectives[].weighted": "row.weight * row.achievement / 100",
      "weight_total": "objectives | sum(attribute='weight')",
      "score": "objectives | sum(attribute='weighted')"
    },
    "rules": [
      {"field": "objectives", "check": "weight_total == 100",
       "message": "The weights add up to {weight_total}; they must add up to 100."},
      {"field": "objectives[].target", "check": "row.target > 0",
       "message": "A target must be above zero."}
    ]

A computed path names a property of the schema: ``score`` at the top, or
``objectives[].achievement`` in every row of the list ``objectives``. Values are worked
out in the order written (a later one may use an earlier one), in the expression sandbox
with its cost bound, whenever a submission is checked or stored: what a browser posts
for them is replaced. A value whose inputs are missing (an empty field, a division by
zero) is left out rather than guessed. A rule whose ``check`` does not hold puts its
``message`` at its field (at each row's field for a ``[]`` path); a check that cannot be
worked out (its inputs are missing) says nothing: the schema reports missing answers.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterator
from typing import Any

from engine.definitions.specs import FormSpec
from engine.expressions import ExpressionError, compile_formula, evaluate_formula
from engine.form_schema import field_path

#: Computed numbers are stored rounded to this many decimals (0.1 + 0.2 is 0.3, not
#: 0.30000000000000004, in exports and on the page).
DECIMALS = 4
EACH = "[]"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def split_path(path: str) -> tuple[str, ...]:
    """``objectives[].achievement`` -> ``("objectives", "[]", "achievement")``."""
    parts: list[str] = []
    for piece in path.split("."):
        while piece.endswith(EACH):
            piece = piece[: -len(EACH)]
            parts.extend([piece, EACH] if piece else [EACH])
            piece = ""
        if piece:
            parts.append(piece)
    return tuple(p for p in parts if p)


def tidy(value: Any) -> Any:
    """A computed value as stored: floats rounded, whole floats as ints, NaN left out."""
    if isinstance(value, bool) or not isinstance(value, float):
        return value
    if not math.isfinite(value):
        return None
    value = round(value, DECIMALS)
    return int(value) if value.is_integer() else value


def names_of(data: dict, row: dict | None = None) -> dict:
    """What a formula reads: the form's top-level fields by name, ``data`` (all of it),
    and ``row`` (the current row of a ``[]`` path)."""
    names = {k: v for k, v in data.items() if isinstance(k, str)}
    names["data"] = data
    if row is not None:
        names["row"] = row
    return names


def apply(form: FormSpec, data: Any) -> Any:
    """``data`` with the form's computed values worked out (a copy; ``data`` untouched)."""
    if not form.computed or not isinstance(data, dict):
        return data
    out = copy.deepcopy(data)
    for path, text in form.computed:
        _compute(out, split_path(path), compile_formula(text))
    return out


def _compute(data: dict, parts: tuple[str, ...], formula) -> None:
    for container, row, name in _targets(data, data, parts):
        try:
            value = tidy(evaluate_formula(formula, names_of(data, row)))
        except ExpressionError:
            value = None
        if value is None:
            container.pop(name, None)
        else:
            container[name] = value


def _targets(data: dict, node: Any, parts: tuple, row: dict | None = None) -> Iterator:
    """(the mapping holding the value, the row it is in, the value's name) of a path."""
    if not isinstance(node, dict) or not parts:
        return
    head, rest = parts[0], parts[1:]
    if not rest:
        yield node, row, head
    elif rest[0] == EACH:
        items = node.get(head)
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                if len(rest) == 1:
                    continue  # a path ends at a field of the row, never at the row itself
                yield from _targets(data, item, rest[1:], item)
    else:
        yield from _targets(data, node.get(head), rest, row)


def shown(form: FormSpec, data: Any) -> dict[str, Any]:
    """``{field path: value}`` of every computed value in ``data`` (worked out first), rows
    included (``objectives[1].achievement``); ``""`` for one left out."""
    data = apply(form, data) if isinstance(data, dict) else {}
    out: dict[str, Any] = {}
    for path, _text in form.computed:
        for where in _paths(data, split_path(path), ()):
            value = _get(data, where)
            out[field_path(where)] = "" if value is None else value
    return out


def _paths(node: Any, parts: tuple, done: tuple) -> Iterator[tuple]:
    if not parts:
        yield done
        return
    head, rest = parts[0], parts[1:]
    if head == EACH:
        for i, item in enumerate(node if isinstance(node, list) else ()):
            yield from _paths(item, rest, (*done, i))
    elif isinstance(node, dict):
        yield from _paths(node.get(head), rest, (*done, head))


def _get(data: Any, where: tuple) -> Any:
    for part in where:
        if isinstance(part, int):
            data = data[part] if isinstance(data, list) and part < len(data) else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
    return data


def rule_errors(form: FormSpec, data: Any) -> dict[str, list[str]]:
    """``{field_path: [message]}`` of the form's rules that do not hold for ``data``
    (computed values worked out first)."""
    if not form.rules or not isinstance(data, dict):
        return {}
    data = apply(form, data)
    errors: dict[str, list[str]] = {}
    for rule in form.rules:
        formula = compile_formula(rule.check)
        for where, names in _places(data, split_path(rule.field)):
            try:
                holds = evaluate_formula(formula, names)
            except ExpressionError:
                continue  # inputs missing: the schema says what is missing
            if not holds:
                message = fill(rule.message, names)
                found = errors.setdefault(field_path(where), [])
                if message not in found:
                    found.append(message)
    return errors


def _places(data: dict, parts: tuple) -> Iterator[tuple[tuple, dict]]:
    """(the field's document path, the names a rule there reads) for a rule's field."""
    if EACH not in parts:
        yield parts, names_of(data)
        return
    cut = parts.index(EACH)
    rows = data
    for name in parts[:cut]:
        rows = rows.get(name) if isinstance(rows, dict) else None
    for i, row in enumerate(rows if isinstance(rows, list) else ()):
        if isinstance(row, dict):
            yield (*parts[:cut], i, *parts[cut + 1:]), names_of(data, row)


def fill(message: str, names: dict) -> str:
    """``{name}`` in a rule's message replaced by that value of the row, then of the form
    (numbers written plainly: 90, 92.5); an unknown name stays as written."""
    row = names.get("row") if isinstance(names.get("row"), dict) else {}

    def value(match: re.Match) -> str:
        name = match.group(1)
        found = row.get(name, names.get(name, match.group(0)))
        return str(tidy(float(found))) if isinstance(found, float) else str(found)

    return _PLACEHOLDER.sub(value, message)
