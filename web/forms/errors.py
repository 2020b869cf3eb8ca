"""Per-field errors of a form: jsonschema's verdict in plain words, plus parse errors.

The mapping itself (``required`` on the parent -> the missing child, raw messages -> words
for raters) lives in :mod:`engine.submissions`, where the engine checks every submission;
this module joins it with the type errors found while parsing a posted form.
"""

from __future__ import annotations

from typing import Any

from engine.definitions.specs import FormSpec
from engine.form_schema import field_path
from engine.submissions import submission_errors


def merge_errors(*maps: dict) -> dict[str, list[str]]:
    """Several ``{field_path: [messages]}`` maps in one, messages de-duplicated per field."""
    out: dict[str, list[str]] = {}
    for errors in maps:
        for key, messages in (errors or {}).items():
            found = out.setdefault(key, [])
            found += [m for m in messages if m not in found]
    return out


def form_errors(form: FormSpec, data: Any, parse_errors: dict | None = None) -> dict:
    """Type errors from parsing, then jsonschema's, keyed by field path."""
    return merge_errors(parse_errors or {}, submission_errors(form, data))


def errors_under(errors: dict, path: tuple) -> dict[str, list[str]]:
    """The errors of the field at ``path`` and of everything inside it."""
    key = field_path(path)
    return {k: v for k, v in errors.items()
            if not key or k == key or k.startswith(key + ".") or k.startswith(key + "[")}
