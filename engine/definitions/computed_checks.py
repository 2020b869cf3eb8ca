"""The meaning of a form's ``computed`` values and ``rules`` (see :mod:`engine.computed`).

Each computed path and rule field must name a property of the schema (``score``, or
``objectives[].achievement`` through a list's ``items``); each expression must compile in
the sandbox and name only the form's top-level fields, ``data``, ``row`` (in a ``[]``
path) and the formula functions; a message's ``{name}`` must be a value it can show.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator

from engine.computed import EACH, split_path
from engine.expressions import formula_issues
from engine.source import Issue, did_you_mean

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def property_at(schema, parts: tuple) -> dict | None:
    """The subschema at ``parts`` (names through ``properties``, ``[]`` through
    ``items``), or None when the schema has no such property."""
    node = schema
    for part in parts:
        if not isinstance(node, dict):
            return None
        if part == EACH:
            node = node.get("items")
        else:
            props = node.get("properties")
            node = props.get(part) if isinstance(props, dict) else None
    return node if isinstance(node, dict) else None


def _siblings(schema, parts: tuple) -> list[str]:
    parent = property_at(schema, parts[:-1]) if len(parts) > 1 else schema
    props = parent.get("properties") if isinstance(parent, dict) else None
    return list(props) if isinstance(props, dict) else []


def _path_issue(schema, path: str, what: str) -> str | None:
    """Why ``path`` names no property of the schema (None when it does)."""
    parts = split_path(path) if isinstance(path, str) else ()
    if not parts or parts[-1] == EACH or parts[0] == EACH:
        return f"{what} '{path}' is not a field path (write 'score' or 'objectives[].achievement')"
    if property_at(schema, parts) is None:
        return f"{what} '{path}' names no property of the schema"
    return None


def field_names(schema, parts: tuple) -> list[str]:
    """The names a formula at ``parts`` may read: top-level fields, ``data``, ``row``."""
    top = _siblings(schema, ("x",))
    names = [n for n in top if _NAME.match(n)] + ["data"]
    if EACH in parts:
        names.append("row")
    return names


def computed_issues(data: dict) -> Iterator[Issue]:
    """Every problem of the form's ``computed`` and ``rules``."""
    schema = data.get("schema")
    computed = data.get("computed")
    if isinstance(computed, dict):
        for path, text in computed.items():
            yield from _formula(schema, path, text, ("computed", path), "computed value")
    rules = data.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else ()):
        if isinstance(rule, dict) and isinstance(rule.get("field"), str):
            yield from _rule(schema, rule, ("rules", i))


def _formula(schema, path, text, where: tuple, what: str) -> Iterator[Issue]:
    problem = _path_issue(schema, path, what)
    if problem:
        parts = split_path(path)
        hint = did_you_mean(parts[-1], _siblings(schema, parts)) if parts else None
        yield Issue(where, problem, hint, at="key")
        return
    if isinstance(text, str):
        for message, hint in formula_issues(text, field_names(schema, split_path(path))):
            yield Issue(where, message, hint)


def _rule(schema, rule: dict, where: tuple) -> Iterator[Issue]:
    path = rule["field"]
    problem = _path_issue(schema, path, "rule field")
    if problem:
        parts = split_path(path)
        hint = did_you_mean(parts[-1], _siblings(schema, parts)) if parts else None
        yield Issue(where + ("field",), problem, hint)
        return
    names = field_names(schema, split_path(path))
    if isinstance(rule.get("check"), str):
        for message, hint in formula_issues(rule["check"], names):
            yield Issue(where + ("check",), message, hint)
    row = property_at(schema, _row_parts(split_path(path)))
    shown = set(names) | set(_siblings(schema, ("x",)))
    if row is not None and isinstance(row.get("properties"), dict):
        shown |= set(row["properties"])
    message = rule.get("message")
    for name in _PLACEHOLDER.findall(message) if isinstance(message, str) else ():
        if name not in shown or name in ("data", "row"):
            yield Issue(where + ("message",), f"'{{{name}}}' in the message names no field "
                        "of the form or the row", did_you_mean(name, sorted(shown)))


def _row_parts(parts: tuple) -> tuple:
    """The path of the row a ``[]`` path is in (``objectives[]``), or ()."""
    if EACH not in parts:
        return ()
    cut = len(parts) - 1 - parts[::-1].index(EACH)
    return parts[: cut + 1]


def mark_read_only(schema: dict, computed) -> dict:
    """The schema with ``readOnly: true`` on every computed property (a copy): the form
    shows them as values, and a posted value for them is never kept."""
    if not computed:
        return schema
    out = copy.deepcopy(schema)
    for path, _text in computed:
        node = property_at(out, split_path(path))
        if node is not None:
            node["readOnly"] = True
    return out
