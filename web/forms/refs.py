"""Resolve ``$ref`` and fold the branches of a schema into what one form shows.

A form shows every field that may apply: fields of ``allOf`` branches, of each
``anyOf``/``oneOf`` option, of ``if``/``then``/``else`` and of ``dependencies``. This module
collects them, merges a field declared in several branches into one schema, and says in
words when a field is only conditionally required. ``$ref`` chains are bounded by
:class:`engine.form_schema.SchemaScope`; recursive schemas are expanded lazily by the builder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from engine.form_schema import SchemaScope

MAX_BRANCH_DEPTH = 8


_KEPT_APART = ("if", "then", "else")
_ONE_OF_A_KIND = ("anyOf", "oneOf", "dependencies", "dependentSchemas", "dependentRequired")


def resolve(schema: Any, scope: SchemaScope) -> tuple[dict, SchemaScope]:
    """``schema`` with its ``$ref`` followed and ``allOf`` folded in; ``True``/``{}`` alike.

    Parts of an ``allOf`` that carry their own ``if``/``then``/``else`` (or a second
    ``anyOf``...) stay listed under ``allOf`` so the object walker still sees each branch.
    """
    schema, scope = scope.deref(schema)
    if schema is True or not isinstance(schema, dict):
        return ({} if schema is True else {"not": {}}), scope
    if not isinstance(schema.get("allOf"), list):
        return schema, scope
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    apart = []
    for sub in schema["allOf"]:
        part, _ = resolve(sub, scope)
        branchy = {k: v for k, v in part.items() if k in _KEPT_APART}
        for key in _ONE_OF_A_KIND:
            if key in part and key in merged:
                branchy[key] = part[key]
        if branchy:
            apart.append(branchy)
        plain = {k: v for k, v in part.items() if k not in branchy}
        merged = merge(merged, plain, narrowing=True)
    if apart:
        merged["allOf"] = apart
    return merged, scope


def _types(value: Any) -> list | None:
    if value is None:
        return None
    return list(value) if isinstance(value, list) else [value]


def merge(first: dict, second: dict, *, narrowing: bool) -> dict:
    """Combine two schemas for one field.

    ``narrowing`` (``allOf``): types intersect, ``required`` adds up, later keywords refine.
    Otherwise (alternative branches): choices of ``enum`` add up, the first keyword wins.
    """
    out = dict(first)
    for key, value in second.items():
        if key == "allOf":
            out[key] = list(out.get(key, [])) + list(value)
        elif key not in out:
            out[key] = value
        elif key == "type":
            a, b = _types(out[key]), _types(value)
            both = [t for t in a if t in b] if narrowing else a + [t for t in b if t not in a]
            out[key] = (both[0] if len(both) == 1 else both) if both else out[key]
        elif key == "enum" and not narrowing:
            out[key] = list(out[key]) + [v for v in value if v not in out[key]]
        elif key == "required":
            out[key] = list(out[key]) + [v for v in value if v not in out[key]]
        elif key == "properties" and isinstance(value, dict):
            props = dict(out[key])
            for name, sub in value.items():
                props[name] = (
                    {"allOf": [props[name], sub]} if name in props and narrowing else
                    props.get(name, sub)
                )
            out[key] = props
        elif narrowing:
            out[key] = value
    return out


@dataclass
class FieldSource:
    """A property as declared by one or more branches of an object schema."""

    name: str
    schemas: list = field(default_factory=list)  # [(schema, scope)]
    required: bool = False
    conditions: list[str] = field(default_factory=list)  # "Required when ..." sentences
    options: list[str] = field(default_factory=list)  # titles of anyOf/oneOf options using it


@dataclass
class ObjectShape:
    """What an object schema shows: its fields in declaration order, and its extras."""

    fields: dict[str, FieldSource]
    extra: tuple | None  # (schema, scope) of additionalProperties / patternProperties values


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def describe_condition(cond: Any, titles: dict | None = None,
                       choices: dict | None = None) -> str:
    """``{"properties": {"animal": {"const": "Cat"}}}`` -> ``Animal is Cat`` (fields by
    title; values by the title of their option, when ``choices`` has one)."""
    if not isinstance(cond, dict):
        return _("a condition holds")
    titles, choices = titles or {}, choices or {}
    parts = []
    for name, sub in (cond.get("properties") or {}).items():
        shown = titles.get(name, name)
        labels = choices.get(name) or {}

        def value(v, labels=labels):
            return labels.get(json.dumps(v, sort_keys=True)) or _show(v)

        if isinstance(sub, dict) and "const" in sub:
            parts.append(_("%(field)s is %(value)s", field=shown, value=value(sub["const"])))
        elif isinstance(sub, dict) and isinstance(sub.get("enum"), list):
            parts.append(_("%(field)s is %(value)s", field=shown,
                           value=_(" or ").join(value(v) for v in sub["enum"])))
    parts += [_("%(field)s is filled in", field=titles.get(name, name))
              for name in cond.get("required", []) if name not in (cond.get("properties") or {})]
    return _(" and ").join(parts) or _("a condition holds")


class _Collector:
    def __init__(self, titles: dict | None = None, choices: dict | None = None):
        self.fields: dict[str, FieldSource] = {}
        self.extra: tuple | None = None
        self.titles = titles or {}
        self.choices = choices or {}

    def source(self, name: str) -> FieldSource:
        return self.fields.setdefault(name, FieldSource(name))

    def add(self, schema: dict, scope: SchemaScope, *, when: str | None, option: str | None,
            depth: int) -> None:
        if depth > MAX_BRANCH_DEPTH:
            return
        for name, sub in (schema.get("properties") or {}).items():
            src = self.source(name)
            src.schemas.append((sub, scope))
            if option and option not in src.options:
                src.options.append(option)
        for name in schema.get("required", []) if isinstance(schema.get("required"), list) else []:
            src = self.source(name)
            if when is None and option is None:
                src.required = True
            else:
                text = _("Required when %(when)s.", when=when) if when else \
                    _("Required for “%(option)s”.", option=option)
                if text not in src.conditions:
                    src.conditions.append(text)
        self._extra(schema, scope)
        self._branches(schema, scope, when, option, depth)

    def _extra(self, schema: dict, scope: SchemaScope) -> None:
        extra = schema.get("additionalProperties")
        if self.extra is None and extra is not None and extra is not False:
            self.extra = ({} if extra is True else extra, scope)
        patterns = schema.get("patternProperties")
        if self.extra is None and isinstance(patterns, dict) and patterns:
            self.extra = (next(iter(patterns.values())), scope)

    def _branches(self, schema, scope, when, option, depth) -> None:
        for sub in schema.get("allOf") or []:
            part, sc = resolve(sub, scope)
            self.add(part, sc, when=when, option=option, depth=depth + 1)
        for key in ("anyOf", "oneOf"):
            for i, sub in enumerate(schema.get(key) or []):
                part, sc = resolve(sub, scope)
                title = part.get("title") or _("Option %(num)d", num=i + 1)
                self.add(part, sc, when=when, option=option or title, depth=depth + 1)
        if "if" in schema:
            cond = describe_condition(resolve(schema["if"], scope)[0], self.titles,
                                      self.choices)
            for key, text in (("then", cond), ("else", _("not (%(condition)s)", condition=cond))):
                if key in schema:
                    part, sc = resolve(schema[key], scope)
                    self.add(part, sc, when=text, option=option, depth=depth + 1)
        for key in ("dependencies", "dependentRequired", "dependentSchemas"):
            for name, dep in (schema.get(key) or {}).items():
                self._dependency(name, dep, scope, option, depth)

    def _dependency(self, name, dep, scope, option, depth) -> None:
        when = _("%(field)s is filled in", field=self.titles.get(name, name))
        if isinstance(dep, list):
            for needed in dep:
                text = _("Required when %(when)s.", when=when)
                src = self.source(needed)
                if text not in src.conditions:
                    src.conditions.append(text)
            return
        part, sc = resolve(dep, scope)
        plain = {k: v for k, v in part.items() if k not in ("oneOf", "anyOf")}
        self.add(plain, sc, when=when, option=option, depth=depth + 1)
        for alt_key in ("oneOf", "anyOf"):
            # The usual rjsf idiom: oneOf branches keyed by the value of the property.
            for sub in part.get(alt_key) or []:
                branch, bsc = resolve(sub, sc)
                when = describe_condition(branch, self.titles, self.choices)
                self.add(branch, bsc, when=when, option=None, depth=depth + 2)


def _titles(fields: dict[str, FieldSource], ui: dict) -> dict[str, str]:
    titles = {}
    for name, src in fields.items():
        field_ui = ui.get(name) if isinstance(ui.get(name), dict) else {}
        schema = field_schema(src)[0] if src.schemas else {}
        titles[name] = str(field_ui.get("ui:title") or schema.get("title") or name)
    return titles


def _choices(fields: dict[str, FieldSource], ui: dict) -> dict[str, dict[str, str]]:
    """Field name -> {JSON of a value: its title} from ``oneOf``/``anyOf`` consts with a
    title, or ``enum`` with ``ui:enumNames``: conditions then say "Level is People manager"."""
    out = {}
    for name, src in fields.items():
        schema = field_schema(src)[0] if src.schemas else {}
        labels = {}
        for key in ("oneOf", "anyOf"):
            for option in schema.get(key) or []:
                if isinstance(option, dict) and "const" in option and option.get("title"):
                    labels[json.dumps(option["const"], sort_keys=True)] = str(option["title"])
        field_ui = ui.get(name) if isinstance(ui.get(name), dict) else {}
        names = field_ui.get("ui:enumNames") or schema.get("enumNames")
        if isinstance(schema.get("enum"), list) and isinstance(names, list):
            for v, title in zip(schema["enum"], names, strict=False):
                labels[json.dumps(v, sort_keys=True)] = str(title)
        if labels:
            out[name] = labels
    return out


def object_shape(schema: dict, scope: SchemaScope, ui: dict | None = None) -> ObjectShape:
    """The fields an object schema shows, with required marks and conditions (which name
    the fields they depend on by their titles)."""
    first = _Collector()
    first.add(schema, scope, when=None, option=None, depth=0)
    ui = ui if isinstance(ui, dict) else {}
    collector = _Collector(_titles(first.fields, ui), _choices(first.fields, ui))
    collector.add(schema, scope, when=None, option=None, depth=0)
    for src in collector.fields.values():
        if src.required:
            src.conditions = []
    return ObjectShape(collector.fields, collector.extra)


def field_schema(src: FieldSource) -> tuple[dict, SchemaScope | None]:
    """One schema for a field declared in several branches (see :func:`merge`)."""
    if not src.schemas:
        return {}, None
    merged, scope = resolve(*src.schemas[0])
    for sub, sc in src.schemas[1:]:
        part, _ = resolve(sub, sc)
        merged = merge(merged, part, narrowing=False)
    return merged, scope
