"""The same round trip in Debian's Chromium: what a real browser posts parses back.

The page is served through Playwright's request routing (no server needed), the Submit or
a row button is clicked, and the intercepted POST body is parsed. This checks what
tests/forms/browser.py assumes about browsers (value sanitising, textarea newlines,
checkboxes, colour and range inputs that always post a value).
"""

import json
import os
from urllib.parse import parse_qsl

import pytest
from werkzeug.datastructures import MultiDict

from engine.definitions.specs import FormSpec
from tests.forms.helpers import make_form
from tests.forms.test_conformance import FILES, NOT_REPRESENTABLE, _expected, _form
from web.forms import parse_form, render_page

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
URL = "http://forms.test/"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no browser at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page()
        browser.close()


def submit(page, form: FormSpec, data, button: str = "Submit") -> MultiDict:
    """Show ``form`` filled with ``data``, click ``button``, return what was posted."""
    html = render_page(form, data)
    posted = {}

    def serve(route):
        request = route.request
        if request.method == "POST":
            posted["body"] = request.post_data or ""
            route.fulfill(status=200, content_type="text/plain", body="ok")
        else:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

    page.route(URL, serve)
    try:
        page.goto(URL)
        if button == "Submit":
            page.click("button:text('Submit')")
        else:
            page.click(f"button[name='{button}']")
        page.wait_for_load_state()
    finally:
        page.unroute(URL)
    return MultiDict(parse_qsl(posted["body"], keep_blank_values=True))


EVERYTHING = make_form({
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "story": {"type": "string"},
        "age": {"type": "integer"},
        "score": {"type": "number"},
        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "level": {"type": "integer", "minimum": 0, "maximum": 100},
        "colour": {"type": "string"},
        "untouched_colour": {"type": "string"},
        "untouched_level": {"type": "integer", "minimum": 10, "maximum": 20},
        "day": {"type": "string", "format": "date"},
        "when": {"type": "string", "format": "date-time"},
        "at": {"type": "string", "format": "time"},
        "mail": {"type": "string", "format": "email"},
        "agree": {"type": "boolean"},
        "never": {"type": "boolean"},
        "flag": {"type": "boolean"},
        "pick": {"type": "string", "enum": ["a", "b <c>"]},
        "tags": {"type": "array", "uniqueItems": True, "items": {"enum": ["x", "y", "z"]}},
        "goals": {"type": "array", "items": {"type": "object", "properties": {
            "goal": {"type": "string"}, "done": {"type": "boolean"}}}},
        "home": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}, {
    "story": {"ui:widget": "textarea"},
    "level": {"ui:widget": "range"},
    "untouched_level": {"ui:widget": "range"},
    "colour": {"ui:widget": "color"},
    "untouched_colour": {"ui:widget": "color"},
    "flag": {"ui:widget": "radio"},
}, form_id="everything")

FILLED = {
    "name": "  Ada <b>", "story": "line one\nline two\n", "age": -3, "score": 2.75,
    "rating": 4, "level": 30, "colour": "#ff8800", "day": "2026-11-26",
    "when": "2026-11-26T09:30:00Z", "at": "08:15:00Z", "mail": "ada@example.com",
    "agree": False, "flag": True, "pick": "b <c>", "tags": ["x", "z"],
    "goals": [{"goal": "Ship", "done": True}, {}], "home": {"city": "Oslo"},
}


def test_every_widget_posts_back_what_it_shows(page):
    result = parse_form(EVERYTHING, submit(page, EVERYTHING, FILLED), validate=False)
    assert result.errors == {}
    assert result.data == FILLED


def test_add_row_button_in_a_browser(page):
    body = submit(page, EVERYTHING, FILLED, button="__add__:goals")
    result = parse_form(EVERYTHING, body)
    assert result.action == "add:goals"
    assert result.data["goals"] == [{"goal": "Ship", "done": True}, {}, {}]
    assert result.data["name"] == FILLED["name"]


@pytest.mark.skipif(not FILES, reason="corpus not found")
def test_corpus_round_trips_in_chromium(page):
    same = []
    for path in FILES:
        form, sample = _form(path)
        expected = NOT_REPRESENTABLE.get(form.id, (_expected(form, sample),))[0]
        result = parse_form(form, submit(page, form, sample.get("formData")))
        if result.data == expected:
            same.append(form.id)
        else:
            print(form.id, json.dumps(result.data)[:300])
    assert len(same) == len(FILES), sorted({p.stem for p in FILES} - set(same))


def test_typed_markup_is_shown_as_text_and_never_runs(page):
    typed = "<script>window.bad=1</script>"
    page.set_content(render_page(EVERYTHING, {"name": typed, "story": typed}))
    assert page.evaluate("window.bad") is None
    assert page.input_value("[name='name']") == typed
    assert page.input_value("[name='story']") == typed
