"""Texts people read, in several languages: ``title: {en: ..., da: ..., sv: ...}``.

Any text of a definition (titles, descriptions, state and task titles, button labels,
form and field titles, enum titles, ``ui:help``, placeholders) may be a plain string or a
mapping of language tags to strings. ``languages: [en, da, sv]`` at the top of a workflow
or form declares the languages it is written in; the first is shown to readers of any
other language. Without ``languages`` the definition's languages are the tags its texts
use (English first when it is among them).

This module finds the text positions of a document, checks them (a missing translation
of a declared language is a *warning*; ``reviewflow validate --strict`` makes it an
error) and writes the document out in one language as plain strings, so everything after
it (JSON Schema checks, specs, the web's forms) sees ordinary definitions.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator

from engine.source import Issue, did_you_mean

TAG = re.compile(r"^[a-z]{2,3}(-[A-Z][A-Za-z0-9]{1,7})?$")
# Country codes people write for a language; no language has these tags.
_COUNTRY_FOR_LANGUAGE = {"dk": "da", "gb": "en"}
LANGUAGE_NAMES = {"en": "English", "da": "Danish", "sv": "Swedish", "nb": "Norwegian",
                  "no": "Norwegian", "nn": "Norwegian", "fi": "Finnish", "de": "German",
                  "fr": "French", "is": "Icelandic", "nl": "Dutch", "es": "Spanish"}
WARNING = "warning"

_WORKFLOW_TEXTS = ("title", "description")
_STATE_TEXTS = ("title", "description")
_TASK_TEXTS = ("title", "anonymity_group")
_TRANSITION_TEXTS = ("title",)
_SCHEMA_TEXTS = ("title", "description")
_UI_TEXTS = ("ui:title", "ui:description", "ui:help", "ui:placeholder")
_UI_LISTS = ("ui:enumNames",)
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_SCHEMA_ONES = ("not", "if", "then", "else", "additionalProperties", "contains", "items",
                "additionalItems", "unevaluatedItems", "unevaluatedProperties")


def is_tag(key) -> bool:
    """True for a language tag as definitions write them: ``en``, ``da``, ``sv``, ``en-GB``."""
    return isinstance(key, str) and bool(TAG.match(key)) and key not in _COUNTRY_FOR_LANGUAGE


def is_translated(value) -> bool:
    """True for a mapping of texts by language (``{en: ..., da: ...}``)."""
    return isinstance(value, dict) and bool(value) and all(
        isinstance(k, str) and (TAG.match(k) or k in _COUNTRY_FOR_LANGUAGE) for k in value)


# ------------------------------------------------------------------ where the texts are


def workflow_text_paths(data) -> Iterator[tuple]:
    """Paths of every text of a workflow document."""
    if not isinstance(data, dict):
        return
    yield from _keys((), data, _WORKFLOW_TEXTS)
    if isinstance(data.get("parent"), dict):
        yield from _keys(("parent",), data["parent"], ("button",))
    states = data.get("states")
    for name, state in (states.items() if isinstance(states, dict) else ()):
        if not isinstance(state, dict):
            continue
        yield from _keys(("states", name), state, _STATE_TEXTS)
        tasks = state.get("tasks")
        for i, task in enumerate(tasks if isinstance(tasks, list) else ()):
            if isinstance(task, dict):
                yield from _keys(("states", name, "tasks", i), task, _TASK_TEXTS)
    dates = data.get("dates")
    for name, item in (dates.items() if isinstance(dates, dict) else ()):
        if isinstance(item, dict):
            yield from _keys(("dates", name), item, ("title",))
    scores = data.get("scores")
    for name, score in (scores.items() if isinstance(scores, dict) else ()):
        if not isinstance(score, dict):
            continue
        yield from _keys(("scores", name), score, ("title",))
        parts = score.get("parts")
        for i, part in enumerate(parts if isinstance(parts, list) else ()):
            if isinstance(part, dict):
                yield from _keys(("scores", name, "parts", i), part, ("title",))
    transitions = data.get("transitions")
    for i, transition in enumerate(transitions if isinstance(transitions, list) else ()):
        if isinstance(transition, dict):
            yield from _keys(("transitions", i), transition, _TRANSITION_TEXTS)
            yield from _refusal_texts(("transitions", i), transition)


def _refusal_texts(path: tuple, transition: dict) -> Iterator[tuple]:
    """``conditions``/``unless`` items written ``{when: ..., message: TEXT}``."""
    for key in ("conditions", "unless"):
        value = transition.get(key)
        if isinstance(value, dict) and "message" in value:
            yield path + (key, "message")
        for j, item in enumerate(value if isinstance(value, list) else ()):
            if isinstance(item, dict) and "message" in item:
                yield path + (key, j, "message")


def form_text_paths(data) -> Iterator[tuple]:
    """Paths of every text of a form document: its own title and description, the
    schema's titles, descriptions and ``enumNames``, and the uiSchema's help, titles and
    placeholders."""
    if not isinstance(data, dict):
        return
    yield from _keys((), data, ("title", "description"))
    if isinstance(data.get("schema"), dict):
        yield from _schema_texts(data["schema"], ("schema",))
    if isinstance(data.get("uiSchema"), dict):
        yield from _ui_texts(data["uiSchema"], ("uiSchema",))
    rules = data.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else ()):
        if isinstance(rule, dict):
            yield from _keys(("rules", i), rule, ("message",))


def _keys(path: tuple, node: dict, keys) -> Iterator[tuple]:
    for key in keys:
        if key in node:
            yield path + (key,)


def _schema_texts(schema, path: tuple) -> Iterator[tuple]:
    if not isinstance(schema, dict):
        return
    yield from _keys(path, schema, _SCHEMA_TEXTS)
    if isinstance(schema.get("enumNames"), list):
        yield from ((*path, "enumNames", i) for i in range(len(schema["enumNames"])))
    for key in _SCHEMA_MAPS:
        if isinstance(schema.get(key), dict):
            for name, sub in schema[key].items():
                yield from _schema_texts(sub, path + (key, name))
    for key in _SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            for i, sub in enumerate(schema[key]):
                yield from _schema_texts(sub, path + (key, i))
    for key in _SCHEMA_ONES:
        if isinstance(schema.get(key), dict):
            yield from _schema_texts(schema[key], path + (key,))


def _ui_texts(ui, path: tuple) -> Iterator[tuple]:
    if not isinstance(ui, dict):
        return
    for key, value in ui.items():
        if key in _UI_TEXTS:
            yield path + (key,)
        elif key in _UI_LISTS and isinstance(value, list):
            yield from ((*path, key, i) for i in range(len(value)))
        elif key == "ui:options" and isinstance(value, dict):
            # rjsf's `label: false` hides a field's label: a switch, not a text
            texts = {k: v for k, v in value.items() if not isinstance(v, bool)}
            yield from _keys(path + (key,), texts, ("label", "placeholder", "help"))
            labels = value.get("labels")  # the words of a rating scale's points
            if isinstance(labels, list):
                yield from ((*path, key, "labels", i) for i in range(len(labels)))
            elif isinstance(labels, dict):
                yield from ((*path, key, "labels", k) for k in labels)
        elif not key.startswith("ui:") and isinstance(value, dict):
            yield from _ui_texts(value, path + (key,))


def _get(data, path: tuple):
    for part in path:
        data = data[part]
    return data


# ------------------------------------------------------------------ languages, checks


def declared(data) -> tuple[str, ...] | None:
    """The ``languages`` a document declares (None when it declares none)."""
    value = data.get("languages") if isinstance(data, dict) else None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def languages_of(data, paths) -> tuple[str, ...]:
    """The document's languages, its default first: declared, else those its texts use
    (English first when used), else ``("en",)``."""
    found = declared(data)
    if found:
        return found
    used: list[str] = []
    for path in paths:
        value = _get(data, path)
        if is_translated(value):
            used += [k for k in value if k not in used and is_tag(k)]
    if "en" in used:
        used.remove("en")
        used.insert(0, "en")
    return tuple(used) or ("en",)


def text_issues(data, paths) -> tuple[list[Issue], list[Issue]]:
    """``(errors, warnings)`` of a document's texts and its ``languages`` list."""
    paths = list(paths)
    errors: list[Issue] = []
    warnings: list[Issue] = []
    explicit = declared(data)
    if isinstance(data, dict) and "languages" in data:
        errors += _declaration_issues(data["languages"])
    languages = languages_of(data, paths)
    for path in paths:
        value = _get(data, path)
        if isinstance(value, str):
            continue
        if not isinstance(value, dict) or not value:
            errors.append(Issue(path, "expected a text, or a mapping of languages to texts "
                                "(e.g. {en: Goals, da: Mål, sv: Mål})"))
            continue
        errors += _mapping_issues(value, path, explicit)
        for language in languages:
            if language not in value:
                warnings.append(Issue(path, f"no {_name(language)} ({language}) translation",
                                      f"add '{language}: ...' next to "
                                      f"'{next(iter(value))}'"))
    return errors, warnings


def _declaration_issues(value) -> list[Issue]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return [Issue(("languages",), "expected a list of language tags, e.g. [en, da, sv]")]
    out = []
    for i, tag in enumerate(value):
        if not is_tag(tag):
            out.append(Issue(("languages", i), f"{tag!r} is not a language tag",
                             _tag_hint(tag)))
    if len(set(value)) != len(value):
        out.append(Issue(("languages",), "a language is listed twice"))
    return out


def _mapping_issues(value: dict, path: tuple, explicit) -> list[Issue]:
    out = []
    for key, text in value.items():
        if not is_tag(key):
            out.append(Issue(path + (key,), f"{key!r} is not a language tag", _tag_hint(key),
                             at="key"))
        elif explicit and key not in explicit:
            out.append(Issue(path + (key,), f"'{key}' is not one of this definition's "
                             f"languages ({', '.join(explicit)})",
                             did_you_mean(key, explicit) or "add it to 'languages'", at="key"))
        if not isinstance(text, str):
            out.append(Issue(path + (key,), "a translation must be a text"))
    return out


def _tag_hint(tag) -> str:
    common = {**_COUNTRY_FOR_LANGUAGE, "se": "sv", "uk": "en"}
    if isinstance(tag, str) and tag.lower() in common:
        return f"the tag for {_name(common[tag.lower()])} is '{common[tag.lower()]}'"
    return "use a lower-case ISO 639 code such as en, da or sv (optionally en-GB)"


def _name(tag: str) -> str:
    return LANGUAGE_NAMES.get(tag.split("-")[0], tag)


# ------------------------------------------------------------------ one language out


def pick(value, language: str, languages: tuple[str, ...]):
    """The text of ``value`` for ``language``: itself when a plain string, else that
    language's entry, else the base language's (``sv`` for ``sv-FI``), else the first
    declared language's, else the first entry."""
    if not is_translated(value):
        return value
    base = language.split("-")[0]
    for tag in (language, base, *languages):
        if tag in value and isinstance(value[tag], str):
            return value[tag]
    return next((v for v in value.values() if isinstance(v, str)), "")


def localize(data, paths, language: str, languages: tuple[str, ...]):
    """A copy of ``data`` with every text in ``language`` as a plain string (and no
    ``languages`` key), or ``data`` itself when it has nothing to translate."""
    paths = [p for p in paths if is_translated(_get(data, p))]
    if not paths and not (isinstance(data, dict) and "languages" in data):
        return data
    out = copy.deepcopy(data)
    out.pop("languages", None)
    for path in paths:
        parent = _get(out, path[:-1])
        parent[path[-1]] = pick(parent[path[-1]], language, languages)
    return out


def split_languages(doc, paths) -> None:
    """Check a read document's texts and put it in its default language: ``doc.raw``
    keeps what was written, ``doc.data`` gets plain strings, errors go to ``doc.issues``
    and missing translations to ``doc.warnings``."""
    doc.raw = doc.data
    doc.text_paths = list(paths)
    errors, warnings = text_issues(doc.raw, doc.text_paths)
    doc.issues += errors
    doc.warnings += warnings
    doc.languages = languages_of(doc.raw, doc.text_paths)
    doc.data = localize(doc.raw, doc.text_paths, doc.languages[0], doc.languages)
