"""Render a form's node tree, filled with data and errors, as HTML (fields only).

Input names are field paths (``goals[0].goal``), so what a browser posts maps straight back
to the data and errors map straight onto fields. Structural inputs the parser reads:

- ``__rows__:<path>``: how many rows an array shows (so rows left blank still count);
- ``__key__:<path>`` / ``__value__:<path>``: key/value rows of an object taking other keys;
- buttons ``__add__:<path>``, ``__remove__:<path>:<i>``, ``__up__:<path>:<i>``,
  ``__down__:<path>:<i>`` change rows without JavaScript.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import get_translations
from flask_babel import gettext as _
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from wtforms.form import BaseForm

from engine.form_schema import field_path
from web.forms import widgets
from web.forms.builder import MISSING, Node, encode
from web.i18n import translate

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ROOT_NAME = "__root__"

env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
)
# The forms' own words in the page's language (English outside a request: the CLI). Raw
# look-ups, as Flask-Babel installs them: Jinja fills the %(name)s placeholders once.
env.install_gettext_callables(
    gettext=lambda text: get_translations().ugettext(text),
    ngettext=lambda singular, plural, n: get_translations().ungettext(singular, plural, n),
    newstyle=True)


def macros():
    """The Jinja macros of ``forms/_macros.html`` (one field+errors macro, fieldsets, rows)."""
    return env.get_template("forms/_macros.html").module


def alternative_prefix(prefix: str, index: int) -> str:
    """The name prefix of the inputs of alternative ``index`` of a ``oneOf``/``anyOf``."""
    return f"{prefix}alt{index}~"


def input_name(prefix: str, path: tuple) -> str:
    """The HTML name of the input at ``path``."""
    return prefix + (field_path(path) or ROOT_NAME)


def control_name(prefix: str, kind: str, path: tuple, index: int | None = None) -> str:
    """Name of a structural input or button (``__rows__:goals``, ``__remove__:goals:1``)."""
    text = f"{prefix}__{kind}__:{field_path(path)}"
    return text if index is None else f"{text}:{index}"



def untouched_value(node: Node, widget: str) -> str | None:
    """What an untouched input posts although nobody answered: a range its starting
    position (we start it at the minimum), a colour black, an empty text its
    ``ui:emptyValue``; ``None`` when an untouched input posts nothing telling."""
    if widget == "color":
        return "#000000"
    if widget == "range":
        low = node.schema.get("minimum")
        return _text(low) if isinstance(low, int | float) and not isinstance(low, bool) else "0"
    return "" if node.empty_value is not MISSING else None


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_SHOWN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_TIME = re.compile(r"^(\d{2}:\d{2}(:\d{2}(\.\d+)?)?)(Z|[+-]\d{2}:\d{2})?$", re.IGNORECASE)
_OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)


def shown_datetime(value: str) -> str | None:
    """An RFC 3339 date-time as a ``datetime-local`` input shows it (on its own clock: the
    offset goes in :func:`offset_of`), or ``None``."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    text = moment.replace(tzinfo=None).isoformat()
    return text if _DATETIME_SHOWN.match(text) else None


def shown_time(value: str) -> str | None:
    """An RFC 3339 time as a ``time`` input shows it (its offset apart), or ``None``."""
    match = _TIME.match(value)
    return match.group(1) if match else None


def offset_of(value: Any) -> str:
    """The UTC offset a date-time or time was written with (``Z``, ``+02:00``), else ``""``."""
    match = _OFFSET.search(value) if isinstance(value, str) else None
    return match.group(1).upper() if match else ""


def _offset_text(offset: str) -> str:
    return "UTC" if offset in ("", "Z", "+00:00", "-00:00") else f"UTC{offset}"


class Renderer:
    """One rendering of one form: data, errors, read-only or not, a name prefix."""

    def __init__(self, errors: dict | None, *, readonly: bool = False, prefix: str = "",
                 people_list: str | None = None):
        self.errors = {k: list(v) for k, v in (errors or {}).items()}
        self.readonly = readonly
        self.prefix = prefix
        self.people_list = people_list  # id of a <datalist> of the directory, for emails
        self.placed: set[str] = set()
        self.ids: set[str] = set()
        # One WTForms form per rendering: every input is a field bound to it, by path.
        self.wtform = BaseForm([])
        self.m = macros()

    # ------------------------------------------------------------------ helpers

    def id_for(self, path: tuple) -> str:
        base = "rf-" + re.sub(r"[^A-Za-z0-9_-]+", "-", self.prefix + field_path(path)).strip("-")
        candidate, n = base or "rf-root", 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}-{n}"
        self.ids.add(candidate)
        return candidate

    def errors_at(self, path: tuple) -> list[str]:
        key = field_path(path)
        self.placed.add(key)
        return [translate(m) for m in self.errors.get(key, [])]

    def common(self, node: Node, path: tuple, fid: str) -> dict:
        conditions = list(node.conditions)
        conditions += [_("Part of “%(option)s”.", option=o) for o in node.options_used]
        return {
            "id": fid, "path": field_path(path), "label": node.title,
            "errors": self.errors_at(path), "required": node.required,
            "description": node.description, "help": node.help,
            "conditions": conditions, "show_label": node.show_label,
        }

    # ------------------------------------------------------------------ walking

    def render(self, node: Node, path: tuple, value: Any, present: bool) -> Markup:
        """HTML of ``node`` at ``path`` holding ``value`` (``MISSING`` for no answer)."""
        if node.kind == "object":
            return self.render_object(node, path, value, present)
        if node.kind == "array":
            return self.render_array(node, path, value)
        if node.kind == "note":
            return self.m.note(self.id_for(path), node.title, node.description)
        if node.kind == "alternatives":
            return self.render_alternatives(node, path, value, present)
        return self.render_leaf(node, path, value, present)

    def render_alternatives(self, node: Node, path: tuple, value: Any, present: bool) -> Markup:
        """``oneOf``/``anyOf`` as react-jsonschema-form shows it: a choice of alternative,
        then its fields. Every alternative's fields are on the page (their inputs named
        apart: ``alt<i>~<path>``), the radio says which one is the answer; with JavaScript
        only the chosen one shows."""
        fid = self.id_for(path)
        info = self.common(node, path, fid)
        chosen = node.choose(value)
        editable = not (self.readonly or node.readonly)
        parts = []
        for i, (title, alt) in enumerate(node.alternatives):
            if i != chosen and not editable:
                continue
            sub = copy.copy(self)
            sub.prefix = alternative_prefix(self.prefix, i)
            if i != chosen:
                sub.errors = {}
            body = sub.render(alt, path, value if i == chosen else MISSING,
                              present and i == chosen)
            if editable:
                choice = Markup('<label class="rf-alternative-choice"><input type="radio" '
                                'name="{}" value="{}"{}> {}</label>').format(
                    control_name(self.prefix, "alt", path), i,
                    Markup(" checked") if i == chosen else "", title)
            else:
                choice = Markup('<input type="hidden" name="{}" value="{}">').format(
                    control_name(self.prefix, "alt", path), i)
            parts.append(Markup('<div class="rf-alternative" data-alternative="{}">{}{}'
                                '</div>').format(i, choice, body))
        return self.m.fieldset(body=Markup("\n").join(parts), **{k: info[k] for k in (
            "id", "path", "label", "errors", "required", "description", "help", "conditions",
            "show_label")})

    def render_root(self, node: Node, value: Any) -> Markup:
        """The whole form: form-level errors first, the form's ``ui:description`` (a
        rating scale's "1 = rarely ... 5 = consistently"), then the fields."""
        if node.kind == "object":
            body = self.object_body(node, (), value, True)
            scale = node.ui.get("ui:description")
            if isinstance(scale, str) and scale.strip():
                body = Markup('<p class="rf-description rf-form-description">{}</p>\n').format(
                    scale) + body
        else:
            body = self.render(node, (), value, True)
        top = [translate(m) for m in self.errors.get("", [])]
        # Errors on paths no field shows (an unknown key, a too-deep branch) go on top.
        for key, messages in self.errors.items():
            if key and key not in self.placed:
                top += [f"{key}: {translate(m)}" for m in messages]
        head = self.m.error_list(top, "rf-form-errors") if top else Markup("")
        return Markup(head) + body

    def object_body(self, node: Node, path: tuple, value: Any, present: bool) -> Markup:
        value = value if isinstance(value, dict) else {}
        parts = []
        for name, child in node.fields:
            child_present = present and child.required
            parts.append(self.render(child, (*path, name), value.get(name, MISSING),
                                     child_present))
        if node.extra is not None:
            parts.append(self.render_pairs(node, path, value))
        return Markup("\n").join(parts)

    def render_object(self, node: Node, path: tuple, value: Any, present: bool) -> Markup:
        fid = self.id_for(path)
        info = self.common(node, path, fid)
        body = self.object_body(node, path, value, present)
        return self.m.fieldset(body=body, **{k: info[k] for k in (
            "id", "path", "label", "errors", "required", "description", "help", "conditions",
            "show_label")})

    def render_array(self, node: Node, path: tuple, value: Any) -> Markup:
        items = value if isinstance(value, list) else []
        fid = self.id_for(path)
        info = self.common(node, path, fid)
        rows = []
        editable = not (self.readonly or node.readonly)
        for i, item in enumerate(items):
            child = node.item(i)
            body = self.render(child, (*path, i), item, True)
            rows.append({"body": body, "buttons": self.row_buttons(node, path, i, len(items),
                                                                   fid)
                         if editable else ""})
        marker = Markup('<input type="hidden" name="{}" value="{}">').format(
            control_name(self.prefix, "rows", path), len(items))
        add = ""
        if editable and node.addable and (node.max_items is None or len(items) < node.max_items):
            add = self.m.button(control_name(self.prefix, "add", path),
                                _singular(node), "rf-add", anchor=f"{fid}-row-{len(items)}")
        return self.m.array(rows=rows, marker=marker, add_button=add, **{k: info[k] for k in (
            "id", "path", "label", "errors", "required", "description", "help", "conditions",
            "show_label")})

    def row_buttons(self, node: Node, path: tuple, i: int, count: int,
                    fid: str | None = None) -> Markup:
        out = []
        anchors = {"up": f"{fid}-row-{i - 1}", "down": f"{fid}-row-{i + 1}",
                   "remove": f"{fid}-row-{i - 1}" if i else fid} if fid else {}
        fixed = i < node.fixed_count
        where = _("row %(num)d of %(list)s", num=i + 1, list=node.title) if node.title \
            else _("row %(num)d", num=i + 1)
        for kind, text, shown in (
            ("up", _("Move up"), node.orderable and not fixed and i > node.fixed_count),
            ("down", _("Move down"), node.orderable and not fixed and i < count - 1),
            ("remove", _("Remove"), node.removable and not fixed),
        ):
            if shown:
                out.append(self.m.button(control_name(self.prefix, kind, path, i), text,
                                         f"rf-{kind}", f"{text} {where}",
                                         anchor=anchors.get(kind)))
        return Markup(" ").join(out)

    def render_pairs(self, node: Node, path: tuple, value: dict) -> Markup:
        declared = {name for name, _ in node.fields}
        extra = node.extra
        parts = []
        editable = not (self.readonly or node.readonly)
        keys = [k for k in value if k not in declared]
        for i, key in enumerate(keys):
            control = Markup(
                '<input type="text" name="{}" value="{}" aria-label="{}"{}>').format(
                control_name(self.prefix, "value", path), _text(value[key]), _("Value"),
                Markup(" readonly") if not editable else "")
            remove = self.m.button(control_name(self.prefix, "remove", path, i), _("Remove"),
                                   "rf-remove") if editable else ""
            parts.append(self.m.pair(control_name(self.prefix, "key", path), key, control,
                                     remove, self.errors_at((*path, key))))
        if editable:
            parts.append(self.m.button(control_name(self.prefix, "add", path),
                                       _("Add %(what)s", what=extra.title) if extra.title
                                       else _("Add another field"), "rf-add"))
        return Markup('<div class="rf-pairs">') + Markup("\n").join(parts) + Markup("</div>")

    # ------------------------------------------------------------------ leaves

    def render_leaf(self, node: Node, path: tuple, value: Any, present: bool) -> Markup:
        fid = self.id_for(path)
        info = self.common(node, path, fid)
        name = input_name(self.prefix, path)
        widget = node.widget
        if node.kind == "leaf" and widget == "checkbox" and value is not MISSING and \
                value is not None and not isinstance(value, bool):
            widget = "text"  # a non-yes/no answer stays visible and editable as text
        control = self.leaf_control(node, widget, name, fid, value, present, info)
        untouched = untouched_value(node, widget)
        if value is MISSING and untouched is not None and not (self.readonly or node.readonly):
            # What an untouched input posts anyway (a range its position, a colour black,
            # an empty text its `ui:emptyValue`) still means "no answer".
            control += Markup('<input type="hidden" name="{}" value="{}">').format(
                control_name(self.prefix, "unanswered", path), untouched)
            if widget == "range":
                # A slider starts at its lowest value, which is also a value to give: a
                # box says "this is my answer" (JavaScript ticks it when the slider is
                # touched, and hides it).
                control += Markup(
                    '<label class="rf-range-answered"><input type="checkbox" name="{}" '
                    'value="1"> {}</label>').format(
                    control_name(self.prefix, "answered", path),
                    _("Give this value (%(value)s)", value=untouched))
        offset = offset_of(value)
        if (widget == "datetime" or offset) and not (self.readonly or node.readonly):
            # The clock the answer is on: kept from the answer (posted back with it), UTC for
            # a new date-time; said next to the input either way. A new time of day has none.
            if offset:
                control += Markup('<input type="hidden" name="{}" value="{}">').format(
                    control_name(self.prefix, "offset", path), offset)
            control += Markup(' <span class="rf-offset">{}</span>').format(
                _offset_text(offset))
        group = widget in ("radio", "rating", "checkboxes")
        return self.m.field(control=control, widget=widget, group=group, **{k: info[k] for k in (
            "id", "path", "label", "errors", "required", "description", "help", "conditions",
            "show_label")})

    def leaf_control(self, node: Node, widget: str, name: str, fid: str, value: Any,
                     present: bool, info: dict) -> Markup:
        readonly = self.readonly or node.readonly
        shown, attrs = self.shown_value(node, widget, value)
        unbound = widgets.unbound_field(node)
        if widget == "text" and node.widget == "checkbox":
            unbound = widgets.wtforms.StringField(node.title)
        field = widgets.bind(self.wtform, unbound, name, fid, shown)
        self.add_unknown_choice(node, widget, field, value)
        attrs.update(self.leaf_attrs(node, widget, fid, info, present, readonly))
        if readonly and widget in ("select", "radio", "rating", "checkbox", "checkboxes"):
            return self.frozen_choice(field, attrs, shown, name)
        return Markup(field(**attrs)) + self.datalist(node, fid)

    def leaf_attrs(self, node, widget, fid, info, present, readonly) -> dict:
        attrs: dict[str, Any] = {}
        described = [f"{fid}-description" if info["description"] else "",
                     f"{fid}-help" if info["help"] else "",
                     f"{fid}-errors" if info["errors"] else ""]
        if any(described):
            attrs["aria-describedby"] = " ".join(d for d in described if d)
        if info["errors"]:
            attrs["aria-invalid"] = "true"
        if node.placeholder and widget not in ("select", "radio", "rating", "checkbox",
                                               "checkboxes", "hidden"):
            attrs["placeholder"] = node.placeholder
        if widget == "textarea":
            attrs["rows"] = node.option("rows", 5)
        if readonly and widget not in ("hidden",):
            attrs["readonly"] = True
        if (present and node.required and not readonly
                and widget not in ("checkbox", "checkboxes", "hidden", "file")):
            attrs["required"] = True
        if isinstance(node.ui.get("ui:autocomplete"), str):
            attrs["autocomplete"] = node.ui["ui:autocomplete"]
        if widget == "range":
            attrs["data-unrated"] = _("not rated")
        if widget == "file" and node.option("accept"):
            attrs["accept"] = node.option("accept")
        if node.schema.get("examples") and widget in ("text", "email", "url", "number"):
            attrs["list"] = f"{fid}-examples"
        elif widget == "email" and self.people_list and not readonly:
            attrs["list"] = self.people_list  # a people picker: the directory by name
            attrs["autocomplete"] = "off"
        if widget == "checkboxes" or widget in ("radio", "rating"):
            attrs["class"] = "rf-choices" + (" rf-inline" if node.option("inline") else "")
            attrs.pop("required", None)
        return attrs

    def shown_value(self, node: Node, widget: str, value: Any) -> tuple[Any, dict]:
        """The encoded value the control shows, and attributes that showing it needs."""
        if node.kind == "multi":
            items = value if isinstance(value, list) else []
            return [encode(x) for x in items], {}
        if value is MISSING or value is None:
            if widget == "range":
                return untouched_value(node, widget), {}
            return ("" if widget not in ("checkbox",) else None), {}
        if widget in ("select", "radio", "rating", "checkbox") and not (
                widget == "checkbox" and not isinstance(value, bool)):
            return encode(value), {}
        text = _text(value)
        if widget == "date" and not _DATE.match(text):
            return text, {"type": "text"}  # a date input would blank it
        if widget in ("number", "updown", "range") and not widgets.looks_numeric(text):
            return text, {"type": "text"}  # keep what was typed visible, e.g. "abc"
        if widget == "datetime":
            shown = shown_datetime(text)
            return (shown, {"step": 1}) if shown else (text, {"type": "text"})
        if widget == "time":
            shown = shown_time(text)
            return (shown, {"step": 1}) if shown else (text, {"type": "text"})
        return text, {}

    def add_unknown_choice(self, node: Node, widget: str, field, value: Any) -> None:
        """A value that is not one of the options is still shown (and posted back)."""
        if widget not in ("select", "radio", "rating", "checkboxes") or value is MISSING \
                or value is None:
            return
        known = {c.value for c in (field.choices or [])}
        values = value if node.kind == "multi" and isinstance(value, list) else [value]
        for item in values:
            enc = encode(item)
            if enc not in known:
                field.choices = list(field.choices) + [
                    widgets.wtforms.SelectChoice(
                        enc, _("%(value)s (not an option)", value=_text(item)))]
                known.add(enc)

    def frozen_choice(self, field, attrs: dict, shown: Any, name: str) -> Markup:
        """Read-only choices: shown disabled, with the value posted by hidden inputs."""
        attrs = {k: v for k, v in attrs.items() if k not in ("readonly", "required")}
        attrs["disabled"] = True
        values = shown if isinstance(shown, list) else ([] if shown in (None, "") else [shown])
        hidden = Markup("").join(
            Markup('<input type="hidden" name="{}" value="{}">').format(name, v) for v in values)
        return Markup(field(**attrs)) + hidden

    def datalist(self, node: Node, fid: str) -> Markup:
        examples = node.schema.get("examples")
        if not isinstance(examples, list) or not examples:
            return Markup("")
        options = Markup("").join(
            Markup('<option value="{}">').format(_text(x)) for x in examples)
        return Markup('<datalist id="{}">{}</datalist>').format(f"{fid}-examples", options)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def _singular(node: Node) -> str:
    """The Add button's words: the rows' title ("Add Goal"), else "Add row"."""
    item = node.item(node.fixed_count) if node.rest_allowed else None
    title = item.schema.get("title") if item is not None else None
    return _("Add %(what)s", what=str(title)) if title else _("Add row")
