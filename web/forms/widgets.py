"""The keyword -> WTForms table: which field and widget a leaf of a form becomes.

Each leaf node of a form version keeps its unbound field (built once, like the attributes
of a dynamically composed form class); each rendering binds them into one
``wtforms.form.BaseForm`` under the input names of the data's paths, since rows make the
set of inputs vary with the data.

WTForms renders the inputs (escaped, with ``maxlength``/``min``/``max`` taken from its
validators' ``field_flags``); jsonschema stays the authority on the server, so the
validators here exist for the HTML attributes they add, never to decide validity.
"""

from __future__ import annotations

import json
import re
from typing import Any

import wtforms
from markupsafe import Markup, escape
from wtforms import validators as v
from wtforms import widgets as w
from wtforms.form import BaseForm

from web.forms.builder import Node, encode

# ui:widget names from react-jsonschema-form (and its theme packages) -> ours
_ALIASES = {
    "TextWidget": "text", "TextareaWidget": "textarea", "PasswordWidget": "password",
    "EmailWidget": "email", "URLWidget": "url", "DateWidget": "date",
    "DateTimeWidget": "datetime", "TimeWidget": "time", "ColorWidget": "color",
    "FileWidget": "file", "HiddenWidget": "hidden", "UpDownWidget": "updown",
    "RangeWidget": "range", "SelectWidget": "select", "RadioWidget": "radio",
    "CheckboxWidget": "checkbox", "CheckboxesWidget": "checkboxes", "RatingWidget": "rating",
    "alt-date": "date", "alt-datetime": "datetime", "date-time": "datetime", "uri": "url",
    "toggle": "checkbox", "switch": "checkbox", "stars": "rating",
}
_FORMAT_WIDGETS = {
    "email": "email", "idn-email": "email", "uri": "url", "iri": "url", "date": "date",
    "date-time": "datetime", "time": "time", "data-url": "file", "color": "color",
}
_TEXT_WIDGETS = {"text", "textarea", "password", "email", "url", "date", "datetime", "time",
                 "color", "file", "hidden"}
_NUMBER_WIDGETS = {"number", "updown", "range", "rating", "hidden", "select", "radio", "text"}
_INPUT_TYPES = {"text": "text", "email": "email", "url": "url", "date": "date",
                "datetime": "datetime-local", "time": "time", "color": "color",
                "number": "number", "updown": "number", "range": "range"}
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def choose_widget(node: Node) -> str:
    """The widget for a leaf or multiple choice: ``ui:widget`` where it fits, else by schema."""
    asked = node.ui.get("ui:widget")
    asked = _ALIASES.get(asked, asked) if isinstance(asked, str) else None
    if node.kind == "multi":
        return "select" if asked == "select" else "checkboxes"
    if asked == "hidden":
        return "hidden"
    main = node.main_type
    if node.choices is not None and main != "boolean":
        return asked if asked in ("radio", "select") else (
            "rating" if asked == "rating" else "select")
    if main == "boolean":
        return asked if asked in ("radio", "select") else "checkbox"
    if main in ("integer", "number"):
        if asked in ("radio", "select"):  # a choice with no enum: the range is the choice
            return "rating" if _small_range(node) else "number"
        if asked in _NUMBER_WIDGETS:
            return asked
        return "rating" if _small_range(node) else "number"
    if asked in _TEXT_WIDGETS:
        return asked
    return _FORMAT_WIDGETS.get(node.schema.get("format"), "text")


def _small_range(node: Node) -> bool:
    low, high = node.schema.get("minimum"), node.schema.get("maximum")
    return (node.main_type == "integer" and isinstance(low, int) and isinstance(high, int)
            and 0 < high - low <= 10 and "multipleOf" not in node.schema)


def rating_scale(node: Node) -> list[tuple[str, Any, str]]:
    """``[(encoded, value, label)]`` for a rating scale: each whole number, labelled by
    ``ui:options.labels`` (a list from the minimum up, or a mapping) where given."""
    if node.choices is not None:
        return node.choices
    low, high = int(node.schema["minimum"]), int(node.schema["maximum"])
    labels = node.option("labels") or {}
    out = []
    for i, value in enumerate(range(low, high + 1)):
        if isinstance(labels, list):
            text = labels[i] if i < len(labels) else ""
        else:
            text = labels.get(str(value), "") if isinstance(labels, dict) else ""
        out.append((str(value), value, f"{value} – {text}" if text else str(value)))
    return out


# --------------------------------------------------------------------------- the table


def _length(node: Node) -> list:
    low, high = node.schema.get("minLength"), node.schema.get("maxLength")
    if isinstance(low, int) or isinstance(high, int):
        return [v.Length(min=low if isinstance(low, int) else -1,
                         max=high if isinstance(high, int) else -1)]
    return []


def _range(node: Node) -> list:
    low = node.schema.get("minimum")
    high = node.schema.get("maximum")
    low = low if isinstance(low, int | float) and not isinstance(low, bool) else None
    high = high if isinstance(high, int | float) and not isinstance(high, bool) else None
    return [v.NumberRange(min=low, max=high)] if low is not None or high is not None else []


def _step(node: Node) -> str:
    step = node.schema.get("multipleOf")
    if isinstance(step, int | float) and not isinstance(step, bool):
        return json.dumps(step)
    return "1" if node.main_type == "integer" else "any"


def _choices(node: Node, options: list) -> list:
    disabled = {encode(x) for x in (node.ui.get("ui:enumDisabled") or [])}
    return [wtforms.SelectChoice(enc, label, {"disabled": True} if enc in disabled else {})
            for enc, _, label in options]


def unbound_field(node: Node):
    """The WTForms field (unbound) for a leaf or multiple-choice node, built by table."""
    cached = node.__dict__.get("_unbound")
    if cached is None:
        cached = node.__dict__["_unbound"] = _build(node)
    return cached


def _build(node: Node):
    kind = node.widget
    label = node.title
    if node.kind == "multi":
        choices = _choices(node, node.item_choices)
        if kind == "select":
            return wtforms.SelectMultipleField(label, choices=choices, validate_choice=False)
        return wtforms.SelectMultipleField(
            label, choices=choices, validate_choice=False,
            widget=w.ListWidget(prefix_label=False), option_widget=w.CheckboxInput())
    if kind in ("select", "radio", "rating"):
        options = rating_scale(node) if kind == "rating" else node.choices
        choices = _choices(node, options)
        if kind == "select":
            return wtforms.SelectField(label, choices=[wtforms.SelectChoice("", "")] + choices,
                                       validate_choice=False)
        return wtforms.RadioField(label, choices=choices, validate_choice=False,
                                  widget=w.ListWidget(prefix_label=False))
    if kind == "checkbox":
        return wtforms.StringField(label, widget=CheckboxWithFalse())
    if kind == "textarea":
        return wtforms.TextAreaField(label, validators=_length(node))
    if kind == "password":
        return wtforms.StringField(label, validators=_length(node),
                                   widget=w.PasswordInput(hide_value=False))
    if kind == "hidden":
        return wtforms.StringField(label, widget=w.HiddenInput())
    if kind == "file":
        return wtforms.StringField(label, widget=FileWithCurrent())
    if kind in ("number", "updown", "range"):
        widget = w.RangeInput(step=_step(node)) if kind == "range" else w.NumberInput(
            step=_step(node))
        return wtforms.StringField(label, validators=_range(node), widget=widget)
    input_type = node.option("inputType") or _INPUT_TYPES.get(kind, "text")
    widget = w.TextInput()
    widget.input_type = input_type
    return wtforms.StringField(label, validators=_length(node), widget=widget)


def bind(form: BaseForm, unbound, name: str, field_id: str, value: Any):
    """Bind ``unbound`` into ``form`` under the input name ``name``, holding ``value``
    (encoded as the widget shows it)."""
    form[name] = unbound
    field = form[name]
    field.id = field_id
    field.process(None, data=value)
    return field


class CheckboxWithFalse:
    """A checkbox posting ``true``; once the answer is a yes/no, a hidden ``false`` goes
    with it, so unticking says "no" while a question never answered stays unanswered."""

    def __call__(self, field, **kwargs):
        value = field.data
        hidden = ""
        if value in ("true", "false"):
            hidden = f'<input type="hidden" name="{escape(field.name)}" value="false">'
        attrs = {"type": "checkbox", "name": field.name, "id": field.id, "value": "true",
                 "checked": value == "true", **kwargs}
        return Markup(f"{hidden}<input {w.html_params(**attrs)}>")


class FileWithCurrent:
    """A file input; a file already given travels in a hidden input beside it."""

    def __call__(self, field, **kwargs):
        current = field.data or ""
        kept = ""
        if current:
            kept = Markup('<input type="hidden" name="{}" value="{}">').format(field.name, current)
        accept = kwargs.pop("accept", None)
        attrs = {"type": "file", "name": field.name, "id": field.id, **kwargs}
        if accept:
            attrs["accept"] = accept
        return Markup(f"{kept}<input {w.html_params(**attrs)}>")


def looks_numeric(text: str) -> bool:
    """Whether a number input can show ``text`` (else the raw text is shown as text)."""
    return bool(_NUMBER.match(text.strip()))
