"""A blank form is rendered once per language and options, and comes out as if rendered
anew; a draft, errors, another language or other options each get their own HTML."""

import pytest
from flask import Flask
from flask_babel import Babel

import web.forms
from tests.forms.helpers import make_form
from web.forms import render_form
from web.forms.builder import root_node
from web.i18n import TRANSLATIONS

SCHEMA = {
    "type": "object", "required": ["summary"],
    "properties": {
        "summary": {"type": "string", "title": "Summary", "default": "So far so good"},
        "again": {"type": "boolean", "title": "Again?"},
        "goals": {"type": "array", "title": "Goals", "minItems": 1,
                  "items": {"type": "object", "properties": {"goal": {"type": "string"}}}},
        "colleague": {"type": "string", "format": "email"},
    },
}


@pytest.fixture
def page():
    """A request in a language of our choosing, with reviewflow's catalogues."""
    app = Flask(__name__)
    chosen = {"language": "en"}
    Babel(app, locale_selector=lambda: chosen["language"],
          default_translation_directories=str(TRANSLATIONS))
    web.forms._fresh.clear()

    def in_language(language):
        chosen["language"] = language
        return app.test_request_context()

    return in_language


def uncached(form, **options):
    return web.forms._render(root_node(form), None, None, options.get("readonly", False),
                             options.get("prefix", ""), options.get("people_list"))


def test_a_blank_form_is_rendered_once_and_the_same_as_rendered_anew(page):
    form = make_form(SCHEMA)
    with page("en"):
        first = render_form(form)
        assert render_form(form) is first  # from the cache
        assert render_form(form, errors={}) is first  # no errors is no errors
        assert first == uncached(form)
        assert 'value="So far so good"' in first and "Add row" in first


def test_another_language_gets_its_own_html(page):
    form = make_form(SCHEMA)
    with page("en"):
        english = render_form(form)
    with page("da"):
        danish = render_form(form)
        assert danish == uncached(form)
        assert render_form(form) is danish
    assert "Tilføj række" in danish and "Tilføj række" not in english
    with page("en"):
        assert render_form(form) is english


def test_a_draft_or_errors_are_rendered_as_given_and_leave_the_blank_form_alone(page):
    form = make_form(SCHEMA)
    with page("en"):
        blank = render_form(form)
        draft = render_form(form, {"summary": "Typed in a draft"})
        assert 'value="Typed in a draft"' in draft and "So far so good" not in draft
        wrong = render_form(form, None, {"summary": ["This field is required."]})
        assert "This field is required." in wrong and wrong != blank
        assert render_form(form) is blank and blank == uncached(form)


def test_each_option_and_each_form_content_gets_its_own_html(page):
    form = make_form(SCHEMA)
    options = [{}, {"readonly": True}, {"prefix": "t-approve-"},
               {"people_list": "rf-people"}]
    with page("en"):
        shown = [render_form(form, **o) for o in options]
        assert len(set(shown)) == len(options)
        assert shown == [uncached(form, **o) for o in options]
        changed = make_form({**SCHEMA, "properties": {"other": {"type": "string"}}})
        assert 'name="other"' in render_form(changed)  # same id, new content


def test_the_cache_keeps_only_its_size(page, monkeypatch):
    monkeypatch.setattr(web.forms, "_FRESH_SIZE", 3)
    form = make_form(SCHEMA)
    with page("en"):
        for i in range(5):
            render_form(form, prefix=f"p{i}-")
    assert len(web.forms._fresh) == 3
