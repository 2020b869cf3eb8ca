"""Check submitted form data against its form's JSON Schema, field by field.

jsonschema is the authority. This module builds one validator per form version (building
one per call costs ~40x, see design/performance.md), turns its errors into
``{field_path: [plain messages]}`` for raters, and drops fields a form does not declare.

Errors are keyed by field paths and ``$ref`` is followed with the scope of
:mod:`engine.form_schema`, which the web forms share (its names are re-exported here).
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError
from jsonschema.validators import validator_for

from engine import computed
from engine.definitions.specs import FormSpec
from engine.errors import SubmissionInvalid
from engine.form_schema import (  # noqa: F401  (DRAFT7, parse_field_path: re-exported)
    DRAFT7,
    MAX_REF_DEPTH,
    SchemaScope,
    dialect_of,
    field_path,
    parse_field_path,
)
from engine.messages import N_, Joined, Nn_

#: Largest JSON payload (UTF-8 bytes) a submission may have; the environment variable
#: ``REVIEWFLOW_MAX_PAYLOAD_BYTES`` overrides the default of 256 KiB.
MAX_PAYLOAD_BYTES = int(os.environ.get("REVIEWFLOW_MAX_PAYLOAD_BYTES", 256 * 1024))

REQUIRED = N_("This field is required.")
FORBIDDEN = N_("Leave this field empty.")
NOT_A_NUMBER = N_("Enter a number.")
_CACHE_SIZE = 256

# --------------------------------------------------------------------------- validators

_validators: OrderedDict[tuple, Any] = OrderedDict()
_lock = threading.Lock()


def _form_key(form: FormSpec) -> tuple:
    # Forms built in code (tests, previews) may have no sha256; their content is the key.
    return (form.id, form.sha256 or json.dumps(form.schema, sort_keys=True, default=str))


_TIME_OF_DAY = re.compile(
    r"^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?$",
    re.IGNORECASE)


def _format_checker(cls) -> jsonschema.FormatChecker:
    """The dialect's format checker, but a ``time`` may leave out its offset: a time of day
    ("the 1:1 is at 09:30:00") is a clock reading, kept as typed, as RJSF (ajv-formats)
    does; RFC 3339's full-time would force a "Z" onto it."""
    checker = jsonschema.FormatChecker()
    checker.checkers = dict(cls.FORMAT_CHECKER.checkers)
    checker.checks("time")(lambda value: not isinstance(value, str)
                           or _TIME_OF_DAY.match(value) is not None)
    return checker


def validator_for_form(form: FormSpec):
    """The form's jsonschema validator (its dialect, formats checked), built once per version."""
    key = _form_key(form)
    with _lock:
        found = _validators.get(key)
        if found is not None:
            _validators.move_to_end(key)
            return found
    cls = validator_for({"$schema": dialect_of(form)}, default=jsonschema.Draft7Validator)
    validator = cls(form.schema, format_checker=_format_checker(cls))
    with _lock:
        _validators[key] = validator
        while len(_validators) > _CACHE_SIZE:
            _validators.popitem(last=False)
    return validator


# --------------------------------------------------------------------------- messages

_TYPE_WORDS = {
    "integer": N_("a whole number"),
    "number": N_("a number"),
    "string": N_("text"),
    "boolean": N_("yes or no"),
    "array": N_("a list"),
    "object": N_("a group of fields"),
    "null": N_("empty"),
}
_FORMAT_MESSAGES = {
    "email": N_("Enter a valid email address."),
    "idn-email": N_("Enter a valid email address."),
    "date": N_("Enter a valid date (YYYY-MM-DD)."),
    "date-time": N_("Enter a valid date and time."),
    "time": N_("Enter a valid time (HH:MM:SS)."),
    "uri": N_("Enter a valid web address (URL)."),
    "uri-reference": N_("Enter a valid web address (URL)."),
    "iri": N_("Enter a valid web address (URL)."),
    "hostname": N_("Enter a valid host name."),
    "ipv4": N_("Enter a valid IPv4 address."),
    "ipv6": N_("Enter a valid IPv6 address."),
    "uuid": N_("Enter a valid UUID."),
    "regex": N_("Enter a valid regular expression."),
    "duration": N_("Enter a valid duration (ISO 8601, e.g. P3D)."),
    "color": N_("Enter a valid colour."),
}


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value)


def _number(value: Any):
    """A bound as a message parameter: numbers stay numbers (the web writes ``0,5``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    return _show(value)


def _choices(schemas: list) -> list[str] | None:
    """Titles of ``oneOf``/``anyOf`` options that are all ``const`` (an enum with labels)."""
    if not schemas or not all(isinstance(s, dict) and "const" in s for s in schemas):
        return None
    return [str(s.get("title", _show(s["const"]))) for s in schemas]


def _type_message(error: ValidationError) -> str:
    if error.instance is None:  # a blank row or a cleared field: nothing was given
        return REQUIRED
    types = error.validator_value if isinstance(error.validator_value, list) else [
        error.validator_value
    ]
    if types == ["integer"]:
        return N_("Enter a whole number.")
    if types == ["number"]:
        return NOT_A_NUMBER
    words = [_TYPE_WORDS.get(t, N_(str(t))) for t in types if t != "null"]
    if "null" in types:
        words.append(_TYPE_WORDS["null"])
    return N_("Must be %(kinds)s.", kinds=Joined(words, N_(" or ")))


def _bound_message(error: ValidationError) -> str:
    keyword, value, schema = error.validator, error.validator_value, error.schema
    if keyword == "minimum":
        if schema.get("exclusiveMinimum") is True:  # draft-04's boolean form
            return N_("Must be more than %(value)s.", value=_number(value))
        return N_("Must be at least %(value)s.", value=_number(value))
    if keyword == "maximum":
        if schema.get("exclusiveMaximum") is True:
            return N_("Must be less than %(value)s.", value=_number(value))
        return N_("Must be at most %(value)s.", value=_number(value))
    if keyword == "exclusiveMinimum":
        return N_("Must be more than %(value)s.", value=_number(value))
    return N_("Must be less than %(value)s.", value=_number(value))


def _length_message(error: ValidationError) -> str:
    n = error.validator_value
    if error.validator == "minLength":
        return REQUIRED if n == 1 else Nn_("Must be at least %(num)d character.",
                                           "Must be at least %(num)d characters.", n)
    return Nn_("Must be at most %(num)d character.", "Must be at most %(num)d characters.", n)


def _items_message(error: ValidationError) -> str:
    n = error.validator_value
    if error.validator == "minItems":
        return Nn_("Must have at least %(num)d item.", "Must have at least %(num)d items.", n)
    return Nn_("Must have at most %(num)d item.", "Must have at most %(num)d items.", n)


def _enum_message(error: ValidationError) -> str:
    return N_("Must be one of: %(choices)s.",
              choices=", ".join(_show(v) for v in error.validator_value))


def _const_message(value: Any) -> str:
    # "Must be true." for a box that must be ticked: tests/library pins these words.
    return N_("Must be %(value)s.", value=_number(value))


def _alternatives_message(error: ValidationError) -> str:
    titles = _choices(error.validator_value)
    if titles:
        return N_("Must be one of: %(choices)s.", choices=", ".join(titles))
    if error.validator == "oneOf" and not error.context:
        return N_("Matches more than one of the options; it must match exactly one.")
    return N_("Does not match any of the allowed options.")


_MESSAGES = {
    "type": _type_message,
    "minimum": _bound_message,
    "maximum": _bound_message,
    "exclusiveMinimum": _bound_message,
    "exclusiveMaximum": _bound_message,
    "minLength": _length_message,
    "maxLength": _length_message,
    "minItems": _items_message,
    "maxItems": _items_message,
    "enum": _enum_message,
    "oneOf": _alternatives_message,
    "anyOf": _alternatives_message,
    "multipleOf": lambda e: N_("Must be a multiple of %(value)s.",
                               value=_number(e.validator_value)),
    "const": lambda e: _const_message(e.validator_value),
    "pattern": lambda e: N_("Does not match the expected format."),
    "format": lambda e: _FORMAT_MESSAGES.get(
        e.validator_value, N_("Enter a valid %(format)s.", format=str(e.validator_value))
    ),
    "uniqueItems": lambda e: N_("Each item must be different."),
    "minProperties": lambda e: Nn_("Fill in at least %(num)d field.",
                                   "Fill in at least %(num)d fields.", e.validator_value),
    "maxProperties": lambda e: Nn_("Fill in at most %(num)d field.",
                                   "Fill in at most %(num)d fields.", e.validator_value),
    "contains": lambda e: N_("Must contain at least one matching item."),
    "minContains": lambda e: N_("Must contain more matching items."),
    "maxContains": lambda e: N_("Contains too many matching items."),
    "not": lambda e: N_("This value is not allowed."),
    "propertyNames": lambda e: N_("A field name is not allowed."),
    "additionalProperties": lambda e: N_("Contains fields this form does not have."),
    "unevaluatedProperties": lambda e: N_("Contains fields this form does not have."),
    "additionalItems": lambda e: N_("Has more items than allowed."),
    "unevaluatedItems": lambda e: N_("Has more items than allowed."),
    "items": lambda e: N_("Has more items than allowed."),  # 2020-12 `items: false`
    None: lambda e: N_("This field is not allowed."),  # a `false` schema
}


def message_for(error: ValidationError) -> str:
    """A rater-facing sentence for one jsonschema error (its raw message as a last resort)."""
    make = _MESSAGES.get(error.validator)
    if make is None:
        return error.message
    return make(error)


# --------------------------------------------------------------------------- error mapping


def _missing_names(error: ValidationError) -> list[str]:
    """For the name keywords, the names absent from the instance (the error sits on the parent)."""
    instance = error.instance if isinstance(error.instance, dict) else {}
    value = error.validator_value
    if error.validator == "required":
        return [n for n in value if n not in instance]
    missing: list[str] = []
    for name, needs in value.items():  # dependentRequired / dependencies (array form)
        if name in instance and isinstance(needs, list):
            missing += [n for n in needs if n not in instance and n not in missing]
    return missing


def _leaf_errors(error: ValidationError) -> Iterator[ValidationError]:
    """Follow an ``anyOf``/``oneOf`` failure into its most relevant branch, if it has one.

    A branch that failed only on its type says nothing useful ("must be a number" when
    text was allowed too), so then the failure is reported as a whole.
    """
    if error.validator in ("anyOf", "oneOf") and error.context:
        if _choices(error.validator_value) is None:
            here = list(error.absolute_path)
            telling = [e for e in error.context
                       if e.validator != "type" or list(e.absolute_path) != here]
            best = jsonschema.exceptions.best_match(telling)
            if best is not None:
                yield from _leaf_errors(best)
                return
    yield error


def _entries(error: ValidationError) -> Iterator[tuple[str, str]]:
    path = tuple(error.absolute_path)
    if error.validator in ("required", "dependentRequired", "dependencies"):
        names = _missing_names(error)
        if names:
            for name in names:
                yield field_path((*path, name)), REQUIRED
            return
    present = _forbidden_names(error)
    if present:
        for name in present:
            yield field_path((*path, name)), FORBIDDEN
        return
    yield field_path(path), message_for(error)


def _forbidden_names(error: ValidationError) -> list[str]:
    """``{"not": {"required": ["other"]}}`` (an ``else`` saying "leave 'other' out"):
    the names that were answered anyway, so the message sits on those fields."""
    value = error.validator_value
    if error.validator != "not" or not isinstance(value, dict) or set(value) != {"required"}:
        return []
    if not isinstance(error.instance, dict) or not isinstance(value["required"], list):
        return []
    return [n for n in value["required"] if isinstance(n, str) and n in error.instance]


def submission_errors(form: FormSpec, data: Any) -> dict[str, list[str]]:
    """``{field_path: [plain messages]}`` for ``data`` under ``form``; ``{}`` when valid."""
    size = payload_size(data)
    if size > MAX_PAYLOAD_BYTES:
        return {"": [too_large_message(size)]}
    errors: dict[str, list[str]] = {path: [NOT_A_NUMBER] for path in _non_finite(data, ())}
    if errors:  # NaN passes every minimum and maximum: refuse it before the schema is asked
        return errors
    for error in validator_for_form(form).iter_errors(data):
        for leaf in _leaf_errors(error):
            for path, message in _entries(leaf):
                found = errors.setdefault(path, [])
                if message not in found:
                    found.append(message)
    for path, messages in computed.rule_errors(form, data).items():  # the form's rules
        found = errors.setdefault(path, [])
        found.extend(m for m in messages if m not in found)
    return errors


def _non_finite(data: Any, parts: tuple) -> Iterator[str]:
    """Paths of NaN and infinite numbers (JSON has no such values; Python's reader allows them)."""
    if isinstance(data, float) and not math.isfinite(data):
        yield field_path(parts)
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _non_finite(value, (*parts, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _non_finite(value, (*parts, i))


def check_submission(form: FormSpec, data: Any) -> None:
    """Raise :class:`SubmissionInvalid` with per-field messages unless ``data`` is valid."""
    errors = submission_errors(form, data)
    if errors:
        raise SubmissionInvalid(errors)


def payload_size(data: Any) -> int:
    """Bytes of ``data`` as compact UTF-8 JSON: what is stored and what the limit counts."""
    return len(json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode())


def too_large_message(size: int) -> str:
    """The message for a submission of ``size`` bytes, over :data:`MAX_PAYLOAD_BYTES`."""
    return (
        f"This submission is too large ({size // 1024 + 1} KiB); "
        f"the limit is {MAX_PAYLOAD_BYTES // 1024} KiB."
    )


# --------------------------------------------------------------------------- unknown fields

_APPLICATORS = ("allOf", "anyOf", "oneOf")


def _branches(schema: Any, scope: SchemaScope, depth: int = 0) -> list[tuple[dict, SchemaScope]]:
    """Every schema applying to the same instance: itself, allOf/anyOf/oneOf, if/then/else,
    and the schema forms of ``dependencies``/``dependentSchemas``."""
    schema, scope = scope.deref(schema)
    if not isinstance(schema, dict) or depth > MAX_REF_DEPTH:
        return []
    found = [(schema, scope)]
    subs: list[Any] = []
    for key in _APPLICATORS:
        subs += schema.get(key, []) if isinstance(schema.get(key), list) else []
    subs += [schema[k] for k in ("if", "then", "else") if k in schema]
    for key in ("dependencies", "dependentSchemas"):
        deps = schema.get(key)
        if isinstance(deps, dict):
            subs += [d for d in deps.values() if isinstance(d, dict)]
    for sub in subs:
        found += _branches(sub, scope, depth + 1)
    return found


def _allows_extra(schema: dict) -> bool:
    extra = schema.get("additionalProperties", schema.get("unevaluatedProperties"))
    return extra is not None and extra is not False


def _strip(data: Any, pairs: list[tuple[Any, SchemaScope]], depth: int) -> Any:
    """Strip ``data`` against every (schema, scope) that applies to it."""
    if depth > 64 or not isinstance(data, dict | list):  # a value has no keys to drop
        return data
    branches = [b for schema, scope in pairs for b in _branches(schema, scope)]
    if not branches:
        return data
    if isinstance(data, dict):
        return _strip_object(data, branches, depth)
    if isinstance(data, list):
        return [_strip(item, _item_schemas(branches, i), depth + 1) for i, item in enumerate(data)]
    return data


def _item_schemas(branches: list, index: int) -> list[tuple[Any, SchemaScope]]:
    found = []
    for schema, scope in branches:
        prefix = schema.get("prefixItems")
        items = schema.get("items")
        if isinstance(prefix, list) and index < len(prefix):
            found.append((prefix[index], scope))
        elif isinstance(items, list):
            if index < len(items):
                found.append((items[index], scope))
            elif isinstance(schema.get("additionalItems"), dict):
                found.append((schema["additionalItems"], scope))
        elif isinstance(items, dict):
            found.append((items, scope))
    return found


def _strip_object(data: dict, branches: list, depth: int) -> dict:
    declares = any("properties" in s or "patternProperties" in s for s, _ in branches)
    # A free-form object, or one that says other keys are welcome, keeps everything.
    keep_all = not declares or any(_allows_extra(s) for s, _ in branches)
    out = {}
    if not data:
        return out
    # The branches' declarations, gathered once per object rather than once per key.
    declared = [(s["properties"], sc) for s, sc in branches
                if isinstance(s.get("properties"), dict)]
    patterns = [(pattern, sub, sc) for s, sc in branches
                for pattern, sub in (s.get("patternProperties") or {}).items()]
    for key, value in data.items():
        subs = [(props[key], sc) for props, sc in declared if key in props]
        if patterns:
            subs += [(sub, sc) for pattern, sub, sc in patterns if _matches(pattern, key)]
        if subs:  # a plain value has nothing to strip: kept as it is, no call
            out[key] = _strip(value, subs, depth + 1) if isinstance(value, dict | list) else value
        elif keep_all:
            out[key] = value
    return out


def _matches(pattern: str, key: str) -> bool:
    try:
        return re.search(pattern, key) is not None
    except re.error:
        return False


def strip_unknown(form: FormSpec, data: Any) -> Any:
    """``data`` without the object keys its form does not declare (at any depth).

    Declared means named in ``properties`` (of the schema or of any branch that may apply:
    ``allOf``/``anyOf``/``oneOf``, ``if``/``then``/``else``, ``dependencies``) or matching
    ``patternProperties``. Objects whose schema welcomes other keys (``additionalProperties``
    not false) or declares no keys at all keep everything.
    """
    return _strip(data, [(form.schema, SchemaScope.of(form))], 0)
