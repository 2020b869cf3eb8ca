"""``forms/<id>.json`` -> :class:`FormSpec`: structure, schema dialect, uiSchema keys.

A form is a JSON Schema plus an optional react-jsonschema-form ``uiSchema``. The schema's
dialect is the one its ``$schema`` names, draft-07 without one (the default of
react-jsonschema-form, whose examples HR designers copy). The schema must be valid in
that dialect, and every uiSchema key must name a property the schema can have.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import referencing
import referencing.exceptions
import referencing.jsonschema
from jsonschema.validators import validator_for
from jsonschema_specifications import REGISTRY as META_SCHEMAS

from engine.definitions import texts
from engine.definitions.computed_checks import computed_issues, mark_read_only
from engine.definitions.specs import FormSpec, RuleSpec, frozen_map
from engine.definitions.structure import structure_issues
from engine.definitions.ui_schema import ui_schema_issues
from engine.source import Issue, SourceDoc, did_you_mean, read_document, read_json

DEFAULT_DIALECT = "http://json-schema.org/draft-07/schema#"
DIALECTS = {
    cls.META_SCHEMA.get("$id", cls.META_SCHEMA.get("id", "")).rstrip("#"): cls
    for cls in (
        jsonschema.Draft4Validator,
        jsonschema.Draft6Validator,
        jsonschema.Draft7Validator,
        jsonschema.Draft201909Validator,
        jsonschema.Draft202012Validator,
    )
}


class FormDoc(SourceDoc):
    """A form file as read: its data, positions and the problems found so far."""

    def __init__(self, path: Path, text: str):
        super().__init__(path, text)
        self.id = self.stem

    @property
    def schema(self) -> dict | None:
        """The form's JSON Schema, if the file has a usable one."""
        data = self.data
        if isinstance(data, dict) and isinstance(data.get("schema"), dict):
            return data["schema"]
        return None


def read_form(path: Path) -> FormDoc:
    """Read and check one form file; its problems are in ``doc.issues``."""
    doc = read_document(path, FormDoc, read_json)
    if doc.broken:
        return doc
    doc.issues += structure_issues("form", doc.data, json_words=True)
    texts.split_languages(doc, texts.form_text_paths(doc.data))
    if isinstance(doc.data, dict) and isinstance(doc.data.get("schema"), dict):
        schema_issues = list(_schema_issues(doc.data["schema"]))
        doc.issues += schema_issues
        if not schema_issues:
            doc.warnings += list(unshown_issues(doc.data["schema"], ("schema",)))
        if not schema_issues:
            doc.issues += list(computed_issues(doc.data))
        ui = doc.data.get("uiSchema")
        if isinstance(ui, dict) and not schema_issues:
            doc.issues += [_prefix("uiSchema", i) for i in ui_schema_issues(ui, doc.data["schema"])]
    return doc


_SUBSCHEMA_LISTS = ("oneOf", "anyOf", "allOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions",
                   "dependentSchemas")
_SUBSCHEMAS = ("items", "additionalProperties", "additionalItems", "if", "then", "else")


def unshown_issues(schema, path: tuple) -> Iterator[Issue]:
    """Warnings for what the form renderer cannot show faithfully (it would turn answers
    into something else): a ``type`` list mixing ``object`` or ``array`` with other types
    (shown as one text box, an object would come back as text). Alternatives written as
    ``oneOf``/``anyOf`` are the way to offer such a choice."""
    if not isinstance(schema, dict):
        return
    types = schema.get("type")
    if isinstance(types, list):
        real = [t for t in types if t != "null"]
        if len(real) > 1 and any(t in ("object", "array") for t in real):
            yield Issue((*path, "type"),
                        f"the form cannot show a value that may be any of {', '.join(real)} "
                        "(it would be one text box, and an object or a list would come back "
                        "as text)",
                        hint="write the choices as oneOf alternatives, one per type")
    for key in _SUBSCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            for i, sub in enumerate(schema[key]):
                yield from unshown_issues(sub, (*path, key, i))
    for key in _SUBSCHEMA_MAPS:
        if isinstance(schema.get(key), dict):
            for name, sub in schema[key].items():
                yield from unshown_issues(sub, (*path, key, name))
    for key in _SUBSCHEMAS:
        if isinstance(schema.get(key), dict):
            yield from unshown_issues(schema[key], (*path, key))


def dialect_of(schema: dict) -> tuple[str, type | None]:
    """The dialect URI a schema is written in, and its validator class (None: unknown)."""
    uri = schema.get("$schema", DEFAULT_DIALECT) if isinstance(schema, dict) else DEFAULT_DIALECT
    if not isinstance(uri, str):
        return str(uri), None
    cls = DIALECTS.get(uri.rstrip("#"))
    if cls is None:
        return uri, None
    return uri, validator_for({"$schema": uri}, default=jsonschema.Draft7Validator)


def _schema_issues(schema: dict) -> Iterator[Issue]:
    uri, cls = dialect_of(schema)
    if cls is None:
        yield Issue(("schema", "$schema"), f"unknown JSON Schema dialect {uri!r}",
                    did_you_mean(uri, DIALECTS) or "known: " + ", ".join(sorted(DIALECTS)))
        return
    meta = validator_for(cls.META_SCHEMA, default=cls)
    checker = meta(cls.META_SCHEMA, format_checker=meta.FORMAT_CHECKER)
    errors = sorted(checker.iter_errors(schema), key=lambda e: list(e.absolute_path))
    for error in errors:
        yield Issue(("schema",) + tuple(error.absolute_path), *_schema_message(error, cls))
    if not errors:
        yield from _ignored_keywords(schema, _dialect_name(cls), ("schema",))
        yield from _ref_issues(schema, uri)


def _schema_message(error, cls) -> tuple[str, str | None]:
    dialect = _dialect_name(cls)
    path = list(error.absolute_path)
    if path and path[-1] == "type" and isinstance(error.instance, str):
        return f"unknown type {error.instance!r} in {dialect}", did_you_mean(
            error.instance, ("string", "integer", "number", "boolean", "array", "object", "null"))
    if error.validator == "type":
        words = _TYPE_WORDS
        expected = " or ".join(words.get(t, t) for t in as_list(error.validator_value))
        hint = None
        if path and path[-1] == "items" and isinstance(error.instance, list):
            hint = f"in {dialect} a list of item schemas is written 'prefixItems'"
        got = _kind(error.instance)
        return f"not a valid {dialect} schema: expected {expected}, got {got}", hint
    return f"not a valid {dialect} schema: {error.message}", None


_TYPE_WORDS = {"object": "an object", "boolean": "true/false", "array": "an array",
               "string": "a string", "integer": "an integer", "number": "a number",
               "null": "null"}


def _kind(value) -> str:
    for kind, cls in (("an object", dict), ("an array", list), ("a string", str)):
        if isinstance(value, cls):
            return kind
    return repr(value)


def as_list(value) -> list:
    """``x`` -> ``[x]``; a list stays a list."""
    return list(value) if isinstance(value, list) else [value]


# Keywords a later dialect no longer knows: they would be ignored without a word.
_DROPPED = {
    "dependencies": (("draft 2019-09", "draft 2020-12"),
                     "write 'dependentRequired' or 'dependentSchemas', or remove $schema "
                     "to write draft-07"),
    "additionalItems": (("draft 2020-12",),
                        "in draft 2020-12 'items' next to 'prefixItems' holds the extra items"),
}
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_SCHEMA_ONES = ("not", "if", "then", "else", "additionalProperties", "contains",
                "propertyNames", "unevaluatedItems", "unevaluatedProperties", "items",
                "additionalItems")


def _ignored_keywords(schema, dialect: str, path: tuple) -> Iterator[Issue]:
    """Keywords that mean nothing in ``dialect`` (``dependencies`` under 2020-12)."""
    if not isinstance(schema, dict):
        return
    for keyword, (dialects, hint) in _DROPPED.items():
        if keyword in schema and dialect in dialects:
            yield Issue(path + (keyword,), f"'{keyword}' means nothing in {dialect}", hint,
                        at="key")
    for key in _SCHEMA_MAPS:
        if isinstance(schema.get(key), dict):
            for name, sub in schema[key].items():
                yield from _ignored_keywords(sub, dialect, path + (key, name))
    for key in _SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            for i, sub in enumerate(schema[key]):
                yield from _ignored_keywords(sub, dialect, path + (key, i))
    for key in _SCHEMA_ONES:
        if isinstance(schema.get(key), dict):
            yield from _ignored_keywords(schema[key], dialect, path + (key,))


# Keywords whose value is data, not a schema: a "$ref" inside them is no reference.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "example"})
# Keywords whose value maps names to schemas: any name may appear there.
_NAMED_SCHEMAS = frozenset({"properties", "patternProperties", "$defs", "definitions",
                            "dependentSchemas", "dependencies"})


def _ref_issues(schema: dict, uri: str) -> Iterator[Issue]:
    """``$ref``s that lead nowhere: jsonschema would fail on every submission."""
    spec = referencing.jsonschema.specification_with(uri, default=referencing.jsonschema.DRAFT7)
    resource = spec.create_resource(schema)
    base = resource.id() or ""
    registry = META_SCHEMAS.with_resource(base, resource).crawl()
    yield from _walk_refs(schema, registry.resolver(base_uri=base), spec, ("schema",), schema)


def _walk_refs(node, resolver, spec, path: tuple, root: dict) -> Iterator[Issue]:
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk_refs(item, resolver, spec, path + (i,), root)
        return
    if not isinstance(node, dict):
        return
    if len(path) > 1 and isinstance(spec.id_of(node), str):
        resolver = resolver.in_subresource(spec.create_resource(node))
    ref = node.get("$ref")
    if isinstance(ref, str):
        try:
            resolver.lookup(ref)
        except referencing.exceptions.Unresolvable:
            yield Issue(path + ("$ref",), f"$ref {ref!r} leads nowhere", _ref_hint(ref, root))
    for key, value in node.items():
        if key in _DATA_KEYWORDS and path[-1] not in _NAMED_SCHEMAS:
            continue
        yield from _walk_refs(value, resolver, spec, path + (key,), root)


def _ref_hint(ref: str, root: dict) -> str:
    """A "did you mean" among the definitions of the form, else how to write a ref."""
    parts = ref.split("/")
    if len(parts) == 3 and parts[0] == "#" and isinstance(root.get(parts[1]), dict):
        close = did_you_mean(parts[2], root[parts[1]])
        if close:
            return close
    names = [f"#/{k}/{n}" for k in ("$defs", "definitions") if isinstance(root.get(k), dict)
             for n in root[k]]
    return ("known: " + ", ".join(names)) if names else (
        "write '#/$defs/NAME' and define NAME under '$defs' in this form")


def _dialect_name(cls) -> str:
    uri = cls.META_SCHEMA.get("$id", cls.META_SCHEMA.get("id", ""))
    for part in ("draft-04", "draft-06", "draft-07", "2019-09", "2020-12"):
        if part in uri:
            return part if part.startswith("draft") else f"draft {part}"
    return uri


def _prefix(key, issue: Issue) -> Issue:
    return Issue((key,) + tuple(issue.path), issue.message, issue.hint, issue.at, issue.pos)


def build_form(doc: FormDoc, file: str) -> FormSpec:
    """The :class:`FormSpec` of a form file that has no problems, in its default language,
    with one spec per other language it is written in (``translations``)."""
    others = {lang: _build_form(doc, file, texts.localize(
        doc.raw, doc.text_paths, lang, doc.languages), language=lang)
        for lang in doc.languages[1:]}
    return _build_form(doc, file, doc.data, frozen_map(others), doc.languages[0])


def _build_form(doc: FormDoc, file: str, data: dict, translations=None,
                language: str = "en") -> FormSpec:
    computed = tuple((data.get("computed") or {}).items())
    schema = mark_read_only(data["schema"], computed)
    uri, _cls = dialect_of(schema)
    title = data.get("title") or schema.get("title") or data.get("name") or doc.id
    return FormSpec(
        id=doc.id,
        schema=schema,
        ui_schema=data.get("uiSchema") or {},
        title=title,
        file=file,
        source_text=doc.text,
        sha256=hashlib.sha256(doc.text.encode("utf-8")).hexdigest(),
        dialect=uri,
        description=data.get("description") or schema.get("description"),
        form_data=data.get("formData"),
        languages=doc.languages,
        translations=translations if translations is not None else frozen_map({}),
        language=language,
        computed=computed,
        rules=tuple(RuleSpec(r["field"], r["check"], r["message"])
                    for r in data.get("rules") or ()),
    )
