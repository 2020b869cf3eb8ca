"""Structural check of a document against one of our meta-schemas, in plain words.

jsonschema finds the errors; this module rewrites the common ones (unknown key, missing
key, wrong type, not in a list of choices, below a minimum) into the wording HR people
read, with a "did you mean" hint, and points unknown keys at the key itself.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import date
from importlib import resources

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.source import Issue, did_you_mean

_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "nothing",
}


@functools.cache
def meta_schema(name: str) -> dict:
    """One of ``engine/schemas/*.schema.json``, parsed."""
    text = resources.files("engine").joinpath("schemas", f"{name}.schema.json").read_text()
    return json.loads(text)


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    schema = meta_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def structure_issues(name: str, data, json_words: bool = False) -> list[Issue]:
    """Every structural problem of ``data`` against meta-schema ``name``."""
    errors = sorted(_validator(name).iter_errors(data), key=lambda e: list(e.absolute_path))
    out: list[Issue] = []
    for error in errors:
        out.extend(_issues(error, json_words))
    return out


def _issues(error: ValidationError, json_words: bool) -> Iterator[Issue]:
    path = tuple(error.absolute_path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = list(error.schema.get("properties", {}))
        for key in instance:
            if key not in known:
                yield Issue(path + (key,), f"unknown key '{key}'",
                            did_you_mean(key, known) or _choices(known), at="key")
    elif kind == "required" and isinstance(instance, dict):
        for key in value:
            if key not in instance:
                yield Issue(path, f"missing required key '{key}'")
    elif kind == "type":
        expected, got = _types(value, json_words), _describe(instance, json_words)
        hint = None
        if not json_words and "string" in value and not isinstance(instance, dict | list):
            hint = "put it in quotes: YAML reads yes, no, on, off and numbers otherwise"
            if _is_duration(path) and isinstance(instance, int) and not isinstance(
                    instance, bool):
                hint = f"add a unit: {instance}d (m, h, d, w, mo or y)"
            if _is_duration(path) and isinstance(instance, date):
                hint = ("a definition serves every cycle: give the date at launch (--due "
                        "STATE=YYYY-MM-DD), or count from a date: {after: 2w, from: NAME}")
        yield Issue(path, f"expected {expected}, got {got}", hint)
    elif kind == "enum":
        yield Issue(path, f"must be one of {', '.join(map(repr, value))}, got {instance!r}",
                    did_you_mean(instance, value))
    elif kind == "minimum":
        yield Issue(path, f"must be at least {value}, got {instance!r}")
    elif kind == "maximum":
        yield Issue(path, f"must be at most {value}, got {instance!r}")
    elif kind == "exclusiveMinimum":
        yield Issue(path, f"must be above {value}, got {instance!r}")
    elif kind == "minProperties":
        yield Issue(path, "must not be empty")
    else:
        yield Issue(path, error.message)


def _choices(known: list[str]) -> str | None:
    return "allowed keys: " + ", ".join(known) if known else None


_DURATION_KEYS = ("due", "after", "before", "repeat", "remind")


def _is_duration(path: tuple) -> bool:
    """``due: 7`` or ``remind: [3, 1]``: a number where a duration belongs."""
    keys = [p for p in path if isinstance(p, str)]
    return bool(keys) and keys[-1] in _DURATION_KEYS


def _types(value, json_words: bool) -> str:
    names = value if isinstance(value, list) else [value]
    return " or ".join(_type_word(n, json_words) for n in names)


def _type_word(name: str, json_words: bool) -> str:
    if json_words and name == "object":
        return "an object"
    if json_words and name == "array":
        return "an array"
    return _TYPE_WORDS.get(name, name)


def _describe(instance, json_words: bool) -> str:
    if isinstance(instance, bool):
        return "true" if instance else "false"
    if instance is None:
        return "null" if json_words else "nothing"
    if isinstance(instance, dict):
        return "an object" if json_words else "a mapping"
    if isinstance(instance, list):
        return "an array" if json_words else "a list"
    if isinstance(instance, date):  # YAML reads 2027-01-31 as a date, not a text
        return f"the date {instance.isoformat()}"
    return repr(instance)
