"""Small helpers for form tests: build a FormSpec, find an element in rendered HTML."""

from __future__ import annotations

import re

from engine.definitions.specs import FormSpec


def make_form(schema: dict, ui: dict | None = None, form_id: str = "test-form") -> FormSpec:
    """A FormSpec built in code, as a library would load it."""
    return FormSpec(id=form_id, schema=schema, ui_schema=ui or {})


def element(html: str, tag: str, name: str) -> str:
    """The start tag of the ``tag`` element named ``name`` (fails when absent)."""
    pattern = rf'<{tag}\b[^>]*\bname="{re.escape(name)}"[^>]*>'
    found = re.search(pattern, str(html))
    assert found, f"no <{tag} name={name!r}> in:\n{html}"
    return found.group(0)


def block(html: str, path: str) -> str:
    """The HTML of the field block whose data-path is ``path`` (up to the next block)."""
    html = str(html)
    start = html.index(f'data-path="{path}"')
    following = html.find("data-path=", start + 10)
    return html[start: following if following != -1 else len(html)]
