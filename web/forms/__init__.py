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

import threading
from collections import OrderedDict
from typing import Any

from flask import has_app_context
from flask_babel import get_locale, get_translations
from markupsafe import Markup

from engine.definitions.specs import FormSpec
from web.forms.builder import MISSING, Node, root_node
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
    if data is None and not errors:
        return _fresh_form(root, bool(readonly), prefix, people_list)
    return _render(root, data, errors, readonly, prefix, people_list)


def _render(root: Node, data: Any, errors: dict | None, readonly: bool, prefix: str,
            people_list: str | None) -> Markup:
    value = initial_data(root) if data is None else data
    if value is MISSING:
        value = None
    return Renderer(errors, readonly=readonly, prefix=prefix,
                    people_list=people_list).render_root(root, value)


# A form nobody has typed into yet (a new task) comes out the same for everyone opening it
# in one language: its node tree (one per form version and language, see root_node), its
# defaults (deep copies of the schema's), the page's words and the name prefix decide it;
# no user, clock or counter does. Rendering it was 40% of a task page's time, so it is
# done once per tree, options and language. The key holds the tree itself (hashed by
# identity, kept alive, so never mistaken for a newer one), not the spec: a spec without
# a sha256 gets a new tree when its content changes. The words come from the request's
# translations object, which is one per locale and Flask-Babel instance (a bare Flask
# app's Babel, as some tests make, finds none of ours for "da"), so it is in the key too.
_fresh: OrderedDict[tuple, Markup] = OrderedDict()
_fresh_lock = threading.Lock()
_FRESH_SIZE = 256


def _fresh_form(root: Node, readonly: bool, prefix: str, people_list: str | None) -> Markup:
    """:func:`render_form` of a blank form (no data, no errors), rendered once per key."""
    if has_app_context():
        locale, words = str(get_locale()), get_translations()
    else:  # no app: English words, and a new NullTranslations on every call
        locale = words = None
    key = (root, readonly, prefix, people_list, locale, words)
    with _fresh_lock:
        found = _fresh.get(key)
        if found is not None:
            _fresh.move_to_end(key)
            return found
    html = _render(root, None, None, readonly, prefix, people_list)
    with _fresh_lock:
        _fresh[key] = html
        while len(_fresh) > _FRESH_SIZE:
            _fresh.popitem(last=False)
    return html


def render_page(form: FormSpec, data: Any = None, errors: dict | None = None) -> str:
    """A complete standalone HTML page of the form (what ``reviewflow form render`` prints)."""
    schema = form.schema if isinstance(form.schema, dict) else {}
    return env.get_template("forms/form_page.html").render(
        title=form.title or schema.get("title") or form.id,
        description=schema.get("description") or "",
        fields=render_form(form, data, errors),
        error_count=sum(len(v) for v in (errors or {}).values()),
    )
