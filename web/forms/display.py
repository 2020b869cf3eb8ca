"""Showing submissions to people other than their author.

- :func:`display_submission`: a read-only view of one submission; fields the viewer may
  not see (``private`` ones, or any the caller names) are removed before anything is
  rendered, so not even their titles appear.
- :func:`aggregate_anonymous`: answers of an anonymous task summarised (counts, means,
  distributions, free text without names in random order), and only once at least
  ``threshold`` answers exist (never fewer than 2).
"""

from __future__ import annotations

import copy
import random
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup

from engine.anonymity import Aggregate, QuestionSummary, withhold_below
from engine.definitions.specs import FormSpec
from engine.form_schema import field_path, parse_field_path
from web.forms import widgets
from web.forms.builder import Node, encode, root_node

MIN_THRESHOLD = 2
NOT_ANSWERED = "—"
# People named in the answers being shown (set by display_submission for one call).
_PEOPLE: ContextVar[dict[str, str]] = ContextVar("rf_display_people", default={})  # noqa: B039
# The same written dates as the rest of the site (web.helpers.when / day).
DATE_FORMAT = "%d %b %Y"
DATETIME_FORMAT = "%d %b %Y, %H:%M UTC"


# --------------------------------------------------------------------------- hiding fields


def _as_path(path: str | tuple) -> tuple:
    return tuple(path) if isinstance(path, tuple | list) else parse_field_path(path)


def remove_fields(data: Any, paths) -> Any:
    """A copy of ``data`` without the fields at ``paths`` (``"note_to_hr"``, ``"a.b"``;
    a name also matches inside every row of a list: ``"goals.private"``)."""
    out = copy.deepcopy(data)
    for path in paths:
        _remove(out, _as_path(path))
    return out


def _remove(value: Any, path: tuple) -> None:
    if not path:
        return
    head, rest = path[0], path[1:]
    if isinstance(value, list) and not isinstance(head, int):
        for item in value:  # a name under a list means that name in every row
            _remove(item, path)
        return
    if isinstance(value, dict) and head in value:
        if rest:
            _remove(value[head], rest)
        else:
            del value[head]
    elif isinstance(value, list) and isinstance(head, int) and 0 <= head < len(value):
        if rest:
            _remove(value[head], rest)


def visible_fields(hide_fields=(), private_fields=(), viewer_may_see_private=True) -> list:
    """The paths a viewer must not see."""
    hidden = list(hide_fields)
    if not viewer_may_see_private:
        hidden += list(private_fields)
    return hidden


# --------------------------------------------------------------------------- one submission


def _label_of(node: Node, value: Any) -> str:
    """``value`` as a reader would say it: the option's title, the scale point's label,
    Yes/No, a written-out date; anything unknown as it is."""
    options = node.choices
    if node.widget == "rating":
        options = widgets.rating_scale(node)
    for enc, option, label in options or []:
        if enc == encode(value) or _same_number(option, value):
            return label
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float):
        return _scale_label(node, value) or _number(value)
    if isinstance(value, str):
        return _written_date(node.schema.get("format"), value)
    return encode(value)


def _same_number(option: Any, value: Any) -> bool:
    """``4`` answers the option ``4.0`` (JSON does not tell them apart); booleans never
    match numbers."""
    numbers = (int, float)
    return (isinstance(option, numbers) and isinstance(value, numbers)
            and not isinstance(option, bool) and not isinstance(value, bool)
            and option == value)


def _scale_label(node: Node, value: int | float) -> str:
    """``4 – Exceeds`` when ``ui:options.labels`` names this point of the scale, whatever
    widget showed it (a slider, radios, a number box); else ``""``."""
    labels = node.option("labels")
    text = None
    if isinstance(labels, dict):
        text = labels.get(encode(value))
    elif isinstance(labels, list) and isinstance(node.schema.get("minimum"), int | float):
        index = value - node.schema["minimum"]
        if float(index).is_integer() and 0 <= index < len(labels):
            text = labels[int(index)]
    return f"{encode(value)} – {text}" if text else ""


def _written_date(fmt: Any, text: str) -> str:
    """``27 Oct 2026`` for a ``date``, ``27 Oct 2026, 14:05 UTC`` for a ``date-time``
    (converted to UTC; one without an offset is taken as UTC, as the form reads it);
    text that is not such a date is shown as it is."""
    from flask import has_request_context

    from web import helpers

    local = has_request_context()  # on a page: the page's language and the org's zone
    try:
        if fmt == "date":
            day = date.fromisoformat(text)
            return helpers.day(day) if local else day.strftime(DATE_FORMAT)
        if fmt == "date-time":
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC).replace(tzinfo=None)
            return helpers.when(moment) if local else moment.strftime(DATETIME_FORMAT)
    except ValueError:
        pass
    return text


def _number(value: int | float) -> str:
    from flask import has_request_context

    if not has_request_context():
        return encode(value)
    from web.helpers import number

    return number(value)


def _show(node: Node, value: Any, path: tuple) -> Markup:
    if value is None or value == "" or value == [] or value == {}:
        return Markup('<span class="rf-unanswered">{}</span>').format(NOT_ANSWERED)
    if node.kind == "alternatives":
        return _show(node.alternatives[node.choose(value)][1], value, path)
    if node.kind == "object" and isinstance(value, dict):
        return _show_object(node, value, path)
    if node.kind == "array" and isinstance(value, list):
        rows = Markup("").join(
            Markup("<li>{}</li>").format(_show(node.item(i), item, (*path, i)))
            for i, item in enumerate(value))
        return Markup('<ol class="rf-display-rows">{}</ol>').format(rows)
    if node.kind == "multi" and isinstance(value, list):
        lookup = {enc: label for enc, _, label in node.item_choices}
        items = Markup("").join(Markup("<li>{}</li>").format(lookup.get(encode(v), encode(v)))
                                for v in value)
        return Markup('<ul class="rf-display-choices">{}</ul>').format(items)
    people = _PEOPLE.get()
    if people and isinstance(value, str) and value.strip().lower() in people:
        return Markup('<span class="rf-value rf-person">{} <span class="muted small">{}'
                      '</span></span>').format(people[value.strip().lower()], value)
    return Markup('<span class="rf-value">{}</span>').format(_label_of(node, value))


def _show_object(node: Node, value: dict, path: tuple) -> Markup:
    parts = []
    declared = set()
    for name, child in node.fields:
        declared.add(name)
        if child.hidden or child.kind == "note" or name not in value:
            continue
        parts.append(Markup('<dt>{}</dt><dd data-path="{}">{}</dd>').format(
            child.title or name, field_path((*path, name)),
            _show(child, value[name], (*path, name))))
    for name, extra in value.items():
        if name not in declared and node.extra is not None:
            parts.append(Markup('<dt>{}</dt><dd data-path="{}">{}</dd>').format(
                name, field_path((*path, name)), _show(node.extra, extra, (*path, name))))
    return Markup('<dl class="rf-display">{}</dl>').format(Markup("").join(parts))


def display_submission(form: FormSpec, data: Any, *, hide_fields=(), private_fields=(),
                       viewer_may_see_private: bool = True,
                       people: dict[str, str] | None = None) -> Markup:
    """A read-only view of ``data``: titles and answers (option labels, Yes/No), escaped.

    Fields in ``hide_fields`` are always left out; ``private_fields`` are left out unless
    ``viewer_may_see_private`` (the author and HR). ``people`` (lower-cased email -> "Name
    (title, department)") shows the people a text names by name, their email after."""
    shown = remove_fields(data, visible_fields(hide_fields, private_fields,
                                               viewer_may_see_private))
    root = root_node(form)
    token = _PEOPLE.set(people or {})
    try:
        return _show(root, shown, ())
    finally:
        _PEOPLE.reset(token)


def emails_in(value: Any) -> set[str]:
    """Every text of ``value`` (nested) that looks like an email, lower-cased."""
    if isinstance(value, str):
        text = value.strip().lower()
        return {text} if "@" in text and " " not in text else set()
    if isinstance(value, dict):
        return set().union(*(emails_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(emails_in(v) for v in value)) if value else set()
    return set()


# --------------------------------------------------------------------------- anonymous


#: A question's summary and the aggregate are the engine's one class (engine.anonymity).
FieldSummary = QuestionSummary


def _leaves(node: Node, path: tuple, hidden: set[str]):
    """(path, node) of every question, rows written as ``[]``; hidden ones left out."""
    if field_path(path) in hidden:
        return
    if node.kind == "object":
        for name, child in node.fields:
            yield from _leaves(child, (*path, name), hidden)
    elif node.kind == "array":
        yield from _leaves(node.item(node.fixed_count), (*path, "[]"), hidden)
    elif node.kind in ("leaf", "multi") and not node.hidden:
        yield path, node


def _values(data: Any, path: tuple) -> list:
    if not path:
        return [data]
    head, rest = path[0], path[1:]
    if head == "[]":
        return [v for item in (data if isinstance(data, list) else []) for v in _values(item,
                                                                                          rest)]
    if isinstance(data, dict) and head in data:
        return _values(data[head], rest)
    return []


def _summary(path: tuple, node: Node, values: list) -> FieldSummary:
    shown = field_path(path).replace('["[]"]', "[]")
    answered = [v for v in values if v is not None and v != "" and v != []]
    summary = QuestionSummary(shown, node.title or shown, "text", answered=len(answered))
    if node.kind == "multi":
        summary.kind = "choice"
        flat = [encode(x) for v in answered if isinstance(v, list) for x in v]
        summary.distribution = [(label, flat.count(enc)) for enc, _, label in node.item_choices]
        return summary
    options = widgets.rating_scale(node) if node.widget == "rating" else node.choices
    numeric = [v for v in answered if isinstance(v, int | float) and not isinstance(v, bool)]
    if node.main_type in ("integer", "number") and numeric:
        summary.kind = "number"
        summary.mean = sum(numeric) / len(numeric)
        top = node.schema.get("maximum")
        if isinstance(top, int | float) and not isinstance(top, bool):
            summary.out_of = encode(top)
    if options:
        summary.kind = summary.kind if summary.kind == "number" else "choice"
        encoded = [encode(v) for v in answered]
        summary.distribution = [(label, encoded.count(enc)) for enc, _, label in options]
    elif summary.kind == "number":
        summary.distribution = [(encode(v), numeric.count(v)) for v in sorted(set(numeric))]
    else:
        summary.texts = [_label_of(node, v) for v in answered]
        random.shuffle(summary.texts)  # order would tell who wrote what
    return summary


def aggregate_anonymous(form: FormSpec, submissions: list[dict], threshold: int, *,
                        hide_fields=()) -> Aggregate | None:
    """Summaries of anonymous answers, or ``None`` while fewer than ``threshold`` exist."""
    threshold = max(int(threshold), MIN_THRESHOLD)
    if len(submissions) < threshold:
        return None
    hidden = {field_path(_as_path(p)) for p in hide_fields}
    fields = []
    for path, node in _leaves(root_node(form), (), hidden):
        per_person = [[v for v in _values(data, path) if v is not None and v != "" and v != []]
                      for data in submissions]
        summary = _summary(path, node, [v for values in per_person for v in values])
        # per question, counted in people (one person's rows are one answer)
        fields.append(withhold_below(summary, threshold, sum(1 for v in per_person if v)))
    return Aggregate(form.id, len(submissions), fields, threshold)


def render_aggregate(form: FormSpec, aggregate: Aggregate | None) -> Markup:
    """HTML of an :class:`Aggregate` (or a note that too few answers exist yet)."""
    from web.forms.render import env

    withheld = None if aggregate is None else _(
        "Fewer than %(num)d people answered this question, so its answers are not shown.",
        num=aggregate.threshold)
    return Markup(env.get_template("forms/aggregate.html").render(
        aggregate=aggregate, form_title=form.title or form.id, withheld_text=withheld,
        mean_text=mean_text))


def mean_text(value: float) -> str:
    """An average with two decimals, written the page's way (``3.50``, ``3,50``)."""
    return format_decimal(value, format="0.00")
