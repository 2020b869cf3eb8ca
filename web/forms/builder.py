"""A form definition (JSON Schema + uiSchema) -> a tree of nodes, built once per form version.

Each node knows what it shows: an object (a fieldset of named children), an array
(repeatable rows), a multiple choice (checkboxes), a leaf (one input whose WTForms field
comes from the table in :mod:`web.forms.widgets`), or a note (a ``null`` field). Children
are built on first use, so a recursive ``$ref`` only unfolds as deep as the data goes,
and never deeper than :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from functools import cached_property
from typing import Any

from flask_babel import gettext as _

from engine.definitions.specs import FormSpec
from engine.form_schema import SchemaScope, dialect_of
from web.forms import refs

MAX_DEPTH = 12
MISSING = object()  # "no answer": the key is absent from the submitted data

_SCALARS = ("string", "integer", "number", "boolean", "null")
_RATING_MAX_STEPS = 10


def encode(value: Any) -> str:
    """How a choice's value travels in HTML: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _types(schema: dict) -> list[str]:
    value = schema.get("type")
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str)]
    if isinstance(value, str):
        return [value]
    values = schema.get("enum") or [s.get("const") for s in _const_options(schema) or []]
    if "const" in schema:
        values = [schema["const"]]
    inferred = []
    for v in values:
        t = _json_type(v)
        if t not in inferred:
            inferred.append(t)
    if inferred:
        return inferred
    if "properties" in schema or "additionalProperties" in schema or "patternProperties" in schema:
        return ["object"]
    if "items" in schema or "prefixItems" in schema:
        return ["array"]
    return []


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _const_options(schema: dict) -> list[dict] | None:
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list) and options and all(
            isinstance(o, dict) and ("const" in o or (isinstance(o.get("enum"), list)
                                                      and len(o["enum"]) == 1))
            for o in options
        ):
            return [o if "const" in o else {**o, "const": o["enum"][0]} for o in options]
    return None


class Node:
    """What one place of a form shows; see the module docstring for the kinds."""

    #: Might any place of the form be read-only? (set on a form's root by :func:`root_node`)
    any_read_only = True

    def __init__(self, schema: Any, scope: SchemaScope, ui: Any, *, name: str | int | None,
                 depth: int, required: bool = False, conditions: tuple = (),
                 options: tuple = ()):
        self.schema, self.scope = refs.resolve(schema, scope)
        self.ui = ui if isinstance(ui, dict) else {}
        self.name = name
        self.depth = depth
        self.required = required
        self.conditions = list(conditions)
        self.options_used = list(options)
        self.types = _types(self.schema)
        self.kind = self._kind()

    # ----------------------------------------------------------------- what it is

    def _kind(self) -> str:
        if self.depth > MAX_DEPTH:
            return "note"
        if self._alternative_schemas() is not None:
            return "alternatives"  # a choice of alternative, then its fields (as rjsf)
        main = self.main_type
        if isinstance(self.schema.get("enum"), list) or _const_options(self.schema):
            return "leaf"  # a choice, even among objects or lists
        if main == "object":
            return "object"
        if main == "array":
            return "multi" if self._item_choices() is not None else "array"
        if main == "null" and self.ui.get("ui:emptyValue", MISSING) is MISSING:
            return "note"
        return "leaf"

    def _alternative_schemas(self) -> list[dict] | None:
        """``oneOf``/``anyOf`` alternatives of objects or of types (not a list of constant
        choices) at a place that says nothing else about its type: each alternative merged
        with the rest of the schema; None when this is no such place."""
        schema = self.schema
        if any(k in schema for k in ("type", "properties", "items", "enum", "const",
                                     "additionalProperties", "patternProperties")):
            return None
        if _const_options(schema) is not None:
            return None
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and len(options) > 1 and all(
                    isinstance(o, dict) for o in options):
                rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf", "title",
                                                                     "description")}
                return [{**rest, **o} for o in options]
        return None

    @cached_property
    def alternatives(self) -> list[tuple[str, Node]]:
        """``(title, node)`` of each alternative of an ``alternatives`` node."""
        out = []
        ui_alts = self.ui.get("ui:alternatives") if isinstance(self.ui, dict) else None
        for i, schema in enumerate(self._alternative_schemas() or []):
            ui = {k: v for k, v in self.ui.items() if k not in ("ui:title", "ui:description")}
            if isinstance(ui_alts, list) and i < len(ui_alts) and isinstance(ui_alts[i], dict):
                ui = {**ui, **ui_alts[i]}
            node = Node(schema, self.scope, ui, name=self.name, depth=self.depth + 1,
                        required=self.required)
            title = schema.get("title") or _("Option %(num)d", num=i + 1)
            out.append((str(title), node))
        return out

    def choose(self, value: Any) -> int:
        """The alternative that ``value`` is an answer of (as rjsf's getMatchingOption): the
        one whose type fits and that names most of its keys; the first one for no answer."""
        if value is MISSING or value is None:
            return 0
        kind = _json_type(value)
        best, best_score = 0, -1
        for i, (_title, node) in enumerate(self.alternatives):
            types = node.types or [node.main_type]
            fits = kind in types or (kind == "integer" and "number" in types)
            if not fits:
                continue
            score = 1
            if isinstance(value, dict) and node.kind == "object":
                names = {name for name, _child in node.fields}
                score += len(names & set(value)) * 2 - len(set(value) - names)
            if score > best_score:
                best, best_score = i, score
        return best

    @property
    def main_type(self) -> str:
        """The type the widget is chosen for (``null`` only if nothing else is allowed)."""
        real = [t for t in self.types if t != "null"]
        if not real:
            return "null" if self.types else "string"
        if "object" in real and len(real) == 1:
            return "object"
        if "array" in real and len(real) == 1:
            return "array"
        for t in ("boolean", "integer", "number", "string"):
            if t in real:
                # a value that is text or a number is typed as text and a number is kept
                return "string" if "string" in real and t != "string" else t
        return real[0]

    @property
    def nullable(self) -> bool:
        return "null" in self.types

    def option(self, key: str, default: Any = None) -> Any:
        """A ``ui:options`` entry, or the same key written as ``ui:<key>``."""
        opts = self.ui.get("ui:options")
        if isinstance(opts, dict) and key in opts:
            return opts[key]
        return self.ui.get(f"ui:{key}", default)

    @property
    def title(self) -> str:
        title = self.ui.get("ui:title") or self.schema.get("title")
        if title:
            return str(title)
        return "" if self.name is None or isinstance(self.name, int) else str(self.name)

    @property
    def description(self) -> str:
        return str(self.ui.get("ui:description") or self.schema.get("description") or "")

    @property
    def help(self) -> str:
        return str(self.ui.get("ui:help") or "")

    @property
    def placeholder(self) -> str:
        return str(self.ui.get("ui:placeholder") or "")

    @property
    def readonly(self) -> bool:
        return bool(self.schema.get("readOnly") or self.option("readonly")
                    or self.option("disabled"))

    @property
    def hidden(self) -> bool:
        return self.ui.get("ui:widget") == "hidden"

    @property
    def show_label(self) -> bool:
        return self.option("label", True) is not False

    @property
    def empty_value(self) -> Any:
        """What an empty input means: ``ui:emptyValue`` if given, else no answer."""
        return self.ui.get("ui:emptyValue", MISSING)

    # ----------------------------------------------------------------- choices

    @cached_property
    def choices(self) -> list[tuple[str, Any, str]] | None:
        """``[(encoded, value, label)]`` for a single choice, else ``None``."""
        return _choices_of(self.schema, self.ui, self.main_type)

    def _item_choices(self):
        items = self.schema.get("items")
        if not isinstance(items, dict | bool) or self.schema.get("prefixItems"):
            return None
        item, _ = refs.resolve(items, self.scope)
        item_ui = self.ui.get("items") if isinstance(self.ui.get("items"), dict) else {}
        found = _choices_of(item, {**item_ui, **{k: v for k, v in self.ui.items()
                                                  if k == "ui:enumNames"}}, None)
        return found if found and (item.get("enum") is not None or _const_options(item)) else None

    @cached_property
    def item_choices(self) -> list[tuple[str, Any, str]]:
        """The options of a multiple-choice array (checkboxes)."""
        return self._item_choices() or []

    @cached_property
    def widget(self) -> str:
        """The widget name from ``ui:widget`` and the schema (see :mod:`web.forms.widgets`)."""
        from web.forms.widgets import choose_widget

        return choose_widget(self)

    # ----------------------------------------------------------------- children

    @cached_property
    def shape(self) -> refs.ObjectShape:
        return refs.object_shape(self.schema, self.scope, self.ui)

    @cached_property
    def fields(self) -> list[tuple[str, Node]]:
        """An object's children in ``ui:order`` (``*`` standing for the rest)."""
        shape = self.shape
        out = []
        for name in _ordered(list(shape.fields), self.ui.get("ui:order")):
            src = shape.fields[name]
            schema, scope = refs.field_schema(src)
            out.append((name, Node(schema, scope or self.scope, self.ui.get(name), name=name,
                                   depth=self.depth + 1, required=src.required,
                                   conditions=tuple(src.conditions),
                                   options=tuple(src.options))))
        return out

    @cached_property
    def extra(self) -> Node | None:
        """The value node of an object that takes other keys (key/value rows), if any."""
        if self.shape.extra is None:
            return None
        schema, scope = self.shape.extra
        return Node(schema, scope, self.ui.get("additionalProperties"), name=None,
                    depth=self.depth + 1)

    def item(self, index: int) -> Node:
        """The node of row ``index`` of an array (tuple positions, then the rest)."""
        cache = self.__dict__.setdefault("_items", {})
        key = min(index, self.fixed_count)
        if key not in cache:
            cache[key] = self._make_item(index)
        return cache[key]

    def _make_item(self, index: int) -> Node:
        prefix = self._prefix()
        ui_items = self.ui.get("items")
        if index < len(prefix):
            ui = ui_items[index] if isinstance(ui_items, list) and index < len(ui_items) else (
                ui_items if isinstance(ui_items, dict) else {})
            return Node(prefix[index], self.scope, ui, name=index, depth=self.depth + 1)
        rest = self._rest()
        ui = self.ui.get("additionalItems") if prefix else ui_items
        return Node(rest, self.scope, ui, name=index, depth=self.depth + 1)

    def _prefix(self) -> list:
        if isinstance(self.schema.get("prefixItems"), list):
            return self.schema["prefixItems"]
        items = self.schema.get("items")
        return items if isinstance(items, list) else []

    def _rest(self) -> Any:
        if isinstance(self.schema.get("prefixItems"), list):
            return self.schema.get("items", True)
        if isinstance(self.schema.get("items"), list):
            return self.schema.get("additionalItems", True)
        return self.schema.get("items", True)

    @property
    def fixed_count(self) -> int:
        return len(self._prefix())

    @property
    def rest_allowed(self) -> bool:
        return self._rest() is not False

    @property
    def min_items(self) -> int:
        return int(self.schema.get("minItems") or 0)

    @property
    def max_items(self) -> int | None:
        if not self.rest_allowed:
            return self.fixed_count
        value = self.schema.get("maxItems")
        return int(value) if isinstance(value, int) else None

    @property
    def addable(self) -> bool:
        return self.option("addable", True) is not False and self.rest_allowed

    @property
    def removable(self) -> bool:
        return self.option("removable", True) is not False

    @property
    def orderable(self) -> bool:
        return self.option("orderable", True) is not False


def _choices_of(schema: dict, ui: dict, main_type: str | None):
    names = ui.get("ui:enumNames") or schema.get("enumNames")
    if isinstance(schema.get("enum"), list):
        values = list(schema["enum"])
        labels = [
            str(names[i]) if isinstance(names, list) and i < len(names) else _label(v)
            for i, v in enumerate(values)
        ]
    elif (options := _const_options(schema)) is not None:
        values = [o["const"] for o in options]
        labels = [str(o.get("title", _label(o["const"]))) for o in options]
    elif main_type == "boolean":
        values, labels = [True, False], [_("Yes"), _("No")]
    else:
        return None
    return [(encode(v), v, label) for v, label in zip(values, labels, strict=True)]


def _label(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _ordered(names: list[str], order: Any) -> list[str]:
    if not isinstance(order, list):
        return names
    listed = [n for n in order if n in names]
    rest = [n for n in names if n not in listed]
    if "*" in order:
        at = order.index("*")
        before = [n for n in order[:at] if n in names]
        after = [n for n in order[at + 1:] if n in names]
        return before + rest + after
    return listed + rest


# --------------------------------------------------------------------------- the cache

_roots: OrderedDict[tuple, Node] = OrderedDict()
_lock = threading.Lock()
_CACHE_SIZE = 128


def form_key(form: FormSpec) -> tuple:
    """Identity of one form version in one language (content-hashed when the spec has no
    sha256): the tree holds the form's texts and the page's words ("Yes", "Required when")."""
    return (form.id, form.sha256 or json.dumps([form.schema, form.ui_schema], sort_keys=True,
                                              default=str), form.language, _page_language())


def _page_language() -> str:
    from flask import has_request_context

    if not has_request_context():
        return ""
    from flask_babel import get_locale

    return str(get_locale() or "")


#: The keys that make a place read-only (:attr:`Node.readonly`), anywhere in a schema or
#: uiSchema (``ui:options`` holds the last two without their prefix).
_READ_ONLY_KEYS = {"readOnly", "ui:readonly", "ui:disabled", "readonly", "disabled"}


def _says_read_only(value: Any) -> bool:
    """Does any place of ``value`` (a schema or uiSchema, ``$defs`` and conditions too)
    name one of :data:`_READ_ONLY_KEYS` with a true value? When none does, no node of
    the form is read-only, whatever the answers make of its conditions."""
    if isinstance(value, dict):
        return any((k in _READ_ONLY_KEYS and bool(v)) or _says_read_only(v)
                   for k, v in value.items())
    if isinstance(value, list):
        return any(_says_read_only(v) for v in value)
    return False


def root_node(form: FormSpec) -> Node:
    """The form's node tree, built once per form version and shared by every request."""
    key = form_key(form)
    with _lock:
        if key in _roots:
            _roots.move_to_end(key)
            return _roots[key]
    scope = SchemaScope(form.schema, dialect_of(form))
    node = Node(form.schema, scope, form.ui_schema or {}, name=None, depth=0)
    if not node.types:  # `{}` as a whole form: an object that takes anything
        node.kind = "object"
    node.any_read_only = _says_read_only(form.schema) or _says_read_only(form.ui_schema)
    with _lock:
        _roots[key] = node
        while len(_roots) > _CACHE_SIZE:
            _roots.popitem(last=False)
    return node
