"""Forms: a JSON Schema (+ uiSchema) becomes HTML, and what a browser posts becomes typed JSON.

The web pages and the ``reviewflow form`` commands share this package; it needs WTForms
and Jinja2, never a Flask app. The public API (see docs/forms.md):

- :func:`render_form` -> the fields as HTML (no ``<form>`` tag, no CSRF: the page adds them);
- :func:`parse_form` -> :class:`ParseResult` (typed data, per-field errors, row action);
- :func:`render_page` -> a complete standalone HTML page of one form;
- :func:`display_submission` -> a read-only view, private fields left out;
- :func:`aggregate_anonymous` / :func:`render_aggregate` -> anonymous answers, summarised.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from engine.definitions.specs import FormSpec
from web.forms.builder import MISSING, root_node
from web.forms.defaults import initial_data
from web.forms.display import (
    Aggregate,
    aggregate_anonymous,
    display_submission,
    remove_fields,
    render_aggregate,
)
from web.forms.parse import ParseResult, parse_form
from web.forms.render import Renderer, env

__all__ = [
    "Aggregate",
    "ParseResult",
    "aggregate_anonymous",
    "display_submission",
    "parse_form",
    "remove_fields",
    "render_aggregate",
    "render_form",
    "render_page",
]


def render_form(form: FormSpec, data: Any = None, errors: dict | None = None, *,
                readonly: bool = False, prefix: str = "",
                people_list: str | None = None) -> Markup:
    """The form's fields as HTML, filled with ``data`` (defaults when ``None``), errors shown
    at their fields. No ``<form>`` tag and no CSRF token: the caller wraps it."""
    root = root_node(form)
    value = initial_data(root) if data is None else data
    if value is MISSING:
        value = None
    return Renderer(errors, readonly=readonly, prefix=prefix,
                    people_list=people_list).render_root(root, value)


def render_page(form: FormSpec, data: Any = None, errors: dict | None = None) -> str:
    """A complete standalone HTML page of the form (what ``reviewflow form render`` prints)."""
    schema = form.schema if isinstance(form.schema, dict) else {}
    return env.get_template("forms/form_page.html").render(
        title=form.title or schema.get("title") or form.id,
        description=schema.get("description") or "",
        fields=render_form(form, data, errors),
        error_count=sum(len(v) for v in (errors or {}).values()),
    )
