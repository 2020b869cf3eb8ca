"""Check a react-jsonschema-form ``uiSchema`` against its JSON Schema.

A uiSchema mirrors the schema: at each object level its keys are property names (their
values are the uiSchema of that property) or ``ui:`` options; under an array, ``items``
holds the items' uiSchema. A key naming no property is almost always a typo that would
silently do nothing, so it is reported. Properties are collected through ``$ref`` (local
references), ``allOf``/``anyOf``/``oneOf``, ``if``/``then``/``else`` and schema
dependencies; where the schema cannot be followed (a remote ``$ref``), nothing is
reported rather than something wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from engine.source import Issue, did_you_mean

# The rjsf vocabulary (options are ``ui:`` keys; a few non-prefixed keys are structural).
# An unknown ``ui:`` key is accepted (renderers add their own) unless it is a near miss
# of one of these, which is then most likely a typo that would silently do nothing.
UI_OPTIONS = (
    "ui:widget", "ui:order", "ui:help", "ui:placeholder", "ui:readonly", "ui:options",
    "ui:title", "ui:description", "ui:disabled", "ui:autofocus", "ui:classNames",
    "ui:className", "ui:enumDisabled", "ui:enumNames", "ui:emptyValue", "ui:label",
    "ui:field", "ui:rows", "ui:inline", "ui:hideError", "ui:autocomplete", "ui:style",
    "ui:filePreview", "ui:submitButtonOptions", "ui:globalOptions", "ui:addable",
    "ui:orderable", "ui:removable", "ui:copyable", "ui:inputType", "ui:layoutGrid",
    "ui:fieldReplacesAnyOrOneOf", "ui:enableMarkdownInDescription",
    "ui:enableMarkdownInHelp", "ui:duplicateKeySuffixSeparator", "ui:rootFieldId",
    "ui:accept", "ui:col", "ui:row", "ui:columns", "ui:condition",
)
STRUCTURAL = ("items", "additionalItems", "additionalProperties")
_BRANCHES = ("allOf", "anyOf", "oneOf")
_UNKNOWN = object()  # the schema cannot be followed here


def ui_schema_issues(ui: dict, schema: dict) -> list[Issue]:
    """Every uiSchema key that names no property, with paths relative to the uiSchema."""
    return list(_walk(ui, schema, schema, (), 0))


def _walk(ui: dict, schema, root: dict, path: tuple, depth: int) -> Iterator[Issue]:
    if depth > 32:  # a recursive $ref; the schema validator reports real cycles
        return
    props = _properties(schema, root, set())
    items = _items(schema, root, set())
    for key, value in ui.items():
        if isinstance(key, str) and key.startswith("ui:"):
            yield from _option(key, value, props, path)
            continue
        if not isinstance(key, str):
            continue
        if key in STRUCTURAL:
            sub = items if key == "items" else _additional(schema, root, key)
            yield from _descend(value, sub, root, path + (key,), depth)
        elif props is _UNKNOWN:
            continue
        elif key in props["names"]:
            yield from _descend(value, props["names"][key], root, path + (key,), depth)
        elif not any(_matches(p, key) for p in props["patterns"]):
            hint = did_you_mean(key, props["names"])
            if not hint and props["names"]:
                hint = "properties: " + ", ".join(props["names"])
            yield Issue(path + (key,), f"uiSchema key '{key}' names no property of the schema",
                        hint, at="key")


def _option(key: str, value, props, path: tuple) -> Iterator[Issue]:
    if key not in UI_OPTIONS:
        hint = did_you_mean(key, UI_OPTIONS)
        if hint:
            yield Issue(path + (key,), f"unknown uiSchema option '{key}'", hint, at="key")
        return
    if key == "ui:order" and isinstance(value, list) and props is not _UNKNOWN:
        for i, name in enumerate(value):
            if name != "*" and name not in props["names"] and not any(
                    _matches(p, name) for p in props["patterns"]):
                yield Issue(path + (key, i), f"ui:order names '{name}', which is no property",
                            did_you_mean(name, props["names"]) or "use '*' for the rest")


def _matches(pattern: str, key: str) -> bool:
    try:
        return re.search(pattern, key) is not None
    except (re.error, TypeError):  # a bad pattern is the schema check's to report
        return True


def _descend(value, sub, root, path, depth) -> Iterator[Issue]:
    if isinstance(value, dict) and isinstance(sub, list):  # one uiSchema for tuple items
        sub = {"anyOf": sub}
    if isinstance(value, dict) and sub is not _UNKNOWN:
        yield from _walk(value, sub if sub is not None else {}, root, path, depth + 1)
    elif isinstance(value, list) and isinstance(sub, list):
        for i, (ui_item, item_schema) in enumerate(zip(value, sub, strict=False)):
            if isinstance(ui_item, dict):
                yield from _walk(ui_item, item_schema, root, path + (i,), depth + 1)


def _resolve(schema, root: dict, seen: set):
    """Follow a local ``$ref``; return ``_UNKNOWN`` for one we cannot follow."""
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if ref in seen or not ref.startswith("#"):
            return _UNKNOWN if not ref.startswith("#") else {}
        seen = seen | {ref}
        target = root
        for part in ref[1:].lstrip("/").split("/") if ref != "#" else []:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and part in target:
                target = target[part]
            elif (isinstance(target, list) and part.isascii() and part.isdigit()
                  and int(part) < len(target)):
                target = target[int(part)]
            else:
                return _UNKNOWN
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {"allOf": [target, rest]} if rest else target
    return schema


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _subschemas(schema: dict) -> Iterator:
    for key in _BRANCHES:
        subs = schema.get(key)
        for sub in subs if isinstance(subs, list) else []:
            yield sub
    for key in ("if", "then", "else"):
        if key in schema:
            yield schema[key]
    for deps in (schema.get("dependencies"), schema.get("dependentSchemas")):
        if isinstance(deps, dict):
            for sub in deps.values():
                if isinstance(sub, dict):
                    yield sub


def _properties(schema, root: dict, seen: set):
    """``{"names": name -> schema, "patterns": [...]}`` of an object schema, or _UNKNOWN."""
    schema = _resolve(schema, root, seen)
    if schema is _UNKNOWN:
        return _UNKNOWN
    out = {"names": {}, "patterns": []}
    if not isinstance(schema, dict):
        return out
    for name, sub in _dict(schema.get("properties")).items():
        out["names"].setdefault(name, sub)
    out["patterns"] += list(_dict(schema.get("patternProperties")).keys())
    for sub in _subschemas(schema):
        inner = _properties(sub, root, seen)
        if inner is _UNKNOWN:
            return _UNKNOWN
        for name, s in inner["names"].items():
            out["names"].setdefault(name, s)
        out["patterns"] += inner["patterns"]
    return out


def _items(schema, root: dict, seen: set):
    schema = _resolve(schema, root, seen)
    if not isinstance(schema, dict):
        return _UNKNOWN if schema is _UNKNOWN else None
    if "prefixItems" in schema:
        return schema["prefixItems"]
    if "items" in schema:
        return schema["items"]
    for sub in _subschemas(schema):
        found = _items(sub, root, seen)
        if found is not None:
            return found
    return None


def _additional(schema, root, key: str):
    """The schema of ``additionalProperties`` / ``additionalItems``."""
    schema = _resolve(schema, root, set())
    if schema is _UNKNOWN:
        return _UNKNOWN
    if isinstance(schema, dict) and isinstance(schema.get(key), dict):
        return schema[key]
    return {}
