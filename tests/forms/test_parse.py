"""What a browser posts becomes typed data; jsonschema's verdict lands on the fields."""

import pytest
from werkzeug.datastructures import MultiDict

from engine import submissions
from tests.forms.browser import buttons, post_back
from tests.forms.helpers import element, make_form
from web.forms import parse_form, render_form

REVIEW = make_form({
    "type": "object",
    "required": ["rating", "summary"],
    "properties": {
        "rating": {"type": "integer", "minimum": 1, "maximum": 5, "title": "Rating"},
        "score": {"type": "number"},
        "summary": {"type": "string", "maxLength": 200},
        "share": {"type": "boolean"},
        "start": {"type": "string", "format": "date-time"},
        "at": {"type": "string", "format": "time"},
        "level": {"type": "integer", "oneOf": [{"const": 1, "title": "L1"},
                                               {"const": 2, "title": "L2"}]},
        "tags": {"type": "array", "uniqueItems": True, "items": {"enum": ["a", "b", "c"]}},
        "address": {"type": "object", "properties": {"city": {"type": "string"},
                                                     "zip": {"type": "string"}},
                    "dependencies": {"city": ["zip"]}},
        "goals": {"type": "array", "items": {
            "type": "object", "required": ["goal"],
            "properties": {"goal": {"type": "string"}, "weight": {"type": "integer"}}}},
    },
}, {"summary": {"ui:widget": "textarea"}}, form_id="review")


def post(pairs, **kw):
    return parse_form(REVIEW, MultiDict(pairs), **kw)


def test_values_are_typed():
    result = post([("rating", "4"), ("score", "2.5"), ("summary", "Good\r\nyear"),
                   ("share", "false"), ("share", "true"), ("level", "2"), ("tags", "a"),
                   ("tags", "c"), ("start", "2026-11-26T09:30"), ("at", "08:15")])
    assert result.data == {"rating": 4, "score": 2.5, "summary": "Good\nyear", "share": True,
                           "level": 2, "tags": ["a", "c"], "start": "2026-11-26T09:30:00Z",
                           "at": "08:15:00"}
    assert result.errors == {}


def test_empty_optional_fields_are_absent_not_empty_strings():
    result = post([("rating", "3"), ("summary", "ok"), ("score", ""), ("address.city", ""),
                   ("level", ""), ("__rows__:goals", "0")])
    assert result.data == {"rating": 3, "summary": "ok"}


def test_bad_number_is_kept_as_typed_and_reported():
    result = post([("rating", "abc"), ("score", "1,5"), ("summary", "x")])
    assert result.data["rating"] == "abc" and result.data["score"] == "1,5"
    assert result.errors["rating"] == ["Enter a whole number."]
    assert result.errors["score"] == ["Enter a number."]
    again = str(render_form(REVIEW, result.data, result.errors))
    assert 'value="abc"' in element(again, "input", "rating") or "abc" in again


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("summary", "x")], {"rating": ["This field is required."]}),
        ([("rating", "9"), ("summary", "x")], {"rating": ["Must be at most 5."]}),
        ([("rating", "3"), ("summary", "x"), ("address.city", "Oslo")],
         {"address.zip": ["This field is required."]}),
        ([("rating", "3"), ("summary", "x"), ("__rows__:goals", "2"), ("goals[0].goal", "a"),
          ("goals[1].weight", "2")], {"goals[1].goal": ["This field is required."]}),
        ([("rating", "3"), ("summary", "x" * 201)],
         {"summary": ["Must be at most 200 characters."]}),
        ([("rating", "3"), ("summary", "x"), ("level", "7")],
         {"level": ["Must be one of: L1, L2."]}),
    ],
)
def test_errors_land_on_fields(pairs, expected):
    assert post(pairs).errors == expected


def test_draft_skips_schema_errors_but_keeps_type_errors():
    result = post([("rating", "abc")], validate=False)
    assert result.errors == {"rating": ["Enter a whole number."]}
    assert post([("score", "1")], validate=False).errors == {}


def test_unknown_fields_are_dropped():
    body = post_back(str(render_form(REVIEW, {"rating": 3, "summary": "x"})))
    for name, value in [("is_admin", "true"), ("address.planet", "Mars"),
                        ("goals[0].evil", "1"), ("__rows__:nothing", "3")]:
        body.add(name, value)
    result = parse_form(REVIEW, body)
    assert result.data == {"rating": 3, "summary": "x"}
    assert result.errors == {}


def test_oversize_payload_is_refused(monkeypatch):
    monkeypatch.setattr(submissions, "MAX_PAYLOAD_BYTES", 1000)
    result = post([("rating", "3"), ("summary", "x" * 2000)])
    assert result.data == {}
    assert list(result.errors) == [""] and "too large" in result.errors[""][0]


def test_script_typed_comes_back_escaped():
    typed = '<script>alert("x")</script>'
    result = post([("rating", "3"), ("summary", typed)])
    assert result.data["summary"] == typed  # stored as typed
    html = str(render_form(REVIEW, result.data))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert post_back(html)["summary"].replace("\r\n", "\n") == typed


def test_add_a_row_without_javascript():
    html = str(render_form(REVIEW, {"rating": 2, "goals": [{"goal": "ship"}]}))
    assert "__add__:goals" in buttons(html)
    result = parse_form(REVIEW, post_back(html, press="__add__:goals"))
    assert result.action == "add:goals"
    assert result.data["goals"] == [{"goal": "ship"}, {}]
    assert result.data["rating"] == 2  # what was typed is kept
    assert "summary" not in result.errors  # no verdict while editing rows
    again = str(render_form(REVIEW, result.data, result.errors))
    assert 'name="goals[1].goal"' in again


def test_add_the_first_row_of_an_absent_list():
    result = parse_form(REVIEW, post_back(str(render_form(REVIEW, {})), press="__add__:goals"))
    assert result.data["goals"] == [{}]


def test_remove_and_move_rows_without_javascript():
    data = {"goals": [{"goal": "a"}, {"goal": "b"}, {"goal": "c"}]}
    html = str(render_form(REVIEW, data))
    removed = parse_form(REVIEW, post_back(html, press="__remove__:goals:1"))
    assert removed.action == "remove:goals:1"
    assert removed.data["goals"] == [{"goal": "a"}, {"goal": "c"}]
    up = parse_form(REVIEW, post_back(html, press="__up__:goals:2"))
    assert [g["goal"] for g in up.data["goals"]] == ["a", "c", "b"]
    down = parse_form(REVIEW, post_back(html, press="__down__:goals:0"))
    assert [g["goal"] for g in down.data["goals"]] == ["b", "a", "c"]


def test_rows_without_markers_are_counted_from_names():
    result = post([("rating", "3"), ("summary", "x"), ("goals[0].goal", "a"),
                   ("goals[1].goal", "b")])
    assert result.data["goals"] == [{"goal": "a"}, {"goal": "b"}]


def test_checkbox_three_states():
    form = make_form({"type": "object", "properties": {"ok": {"type": "boolean"}}})
    assert parse_form(form, MultiDict([])).data == {}
    assert parse_form(form, MultiDict([("ok", "false")])).data == {"ok": False}
    assert parse_form(form, MultiDict([("ok", "false"), ("ok", "true")])).data == {"ok": True}


def test_empty_value_option_gives_that_value_once_cleared():
    form = make_form({"type": "object", "properties": {"age": {"type": ["integer", "null"]}}},
                     {"age": {"ui:emptyValue": None}})
    cleared = post_back(str(render_form(form, {"age": 40}))).copy()
    cleared["age"] = ""
    assert parse_form(form, cleared).data == {"age": None}
    untouched = post_back(str(render_form(form, {})))
    assert parse_form(form, untouched).data == {}


def test_key_value_rows_of_additional_properties():
    form = make_form({"type": "object", "properties": {"name": {"type": "string"}},
                      "additionalProperties": {"type": "integer"}})
    html = str(render_form(form, {"name": "n", "extra": 3}))
    assert parse_form(form, post_back(html)).data == {"name": "n", "extra": 3}
    added = parse_form(form, post_back(html, press="__add__:"))
    assert added.action == "add:" and added.data[""] == ""
    body = post_back(str(render_form(form, added.data))).copy()
    body.setlist("__key__:", ["extra", "more"])
    body.setlist("__value__:", ["3", "x"])
    result = parse_form(form, body)
    assert result.data == {"name": "n", "extra": 3, "more": "x"}
    assert result.errors == {"more": ["Enter a whole number."]}


def test_prefix_parses_only_its_own_names():
    html = str(render_form(REVIEW, {"rating": 5, "summary": "s"}, prefix="a-"))
    body = post_back(html)
    body.add("rating", "1")  # another form's field on the same page
    assert parse_form(REVIEW, body, prefix="a-").data == {"rating": 5, "summary": "s"}


def test_file_upload_becomes_a_data_url():
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    form = make_form({"type": "object", "properties": {
        "cv": {"type": "string", "format": "data-url"}}})
    upload = FileStorage(BytesIO(b"hi"), filename="cv.txt", content_type="text/plain")
    result = parse_form(form, MultiDict([("cv", upload)]))
    assert result.data == {"cv": "data:text/plain;name=cv.txt;base64,aGk="}
    kept = post_back(str(render_form(form, result.data)))
    assert parse_form(form, kept).data == result.data


def test_read_only_fields_keep_their_stored_value():
    form = make_form({"type": "object", "properties": {
        "id": {"type": "string", "readOnly": True}, "note": {"type": "string"},
        "rows": {"type": "array", "items": {"type": "object", "properties": {
            "fixed": {"type": "integer"}, "mine": {"type": "string"}}}}}},
        {"rows": {"items": {"fixed": {"ui:readonly": True}}}})
    stored = {"id": "E-1", "rows": [{"fixed": 3}]}
    body = post_back(str(render_form(form, stored))).copy()
    body["id"] = "E-2"  # edited in the browser's developer tools
    body["rows[0].fixed"] = "9"
    body["rows[0].mine"] = "ok"
    result = parse_form(form, body, previous=stored)
    assert result.data == {"id": "E-1", "rows": [{"fixed": 3, "mine": "ok"}]}
    assert parse_form(form, body).data["id"] == "E-2"  # without `previous`, as posted


@pytest.mark.parametrize(("schema", "ui", "read_only"), [
    ({"type": "object", "properties": {"a": {"type": "string"}}}, {}, False),
    ({"type": "object", "properties": {"a": {"type": "string", "readOnly": False}}}, {}, False),
    ({"type": "object", "properties": {"a": {"type": "string", "readOnly": True}}}, {}, True),
    ({"type": "object", "properties": {"a": {"$ref": "#/$defs/fixed"}},
      "$defs": {"fixed": {"type": "string", "readOnly": True}}}, {}, True),
    ({"type": "object", "properties": {"kind": {"type": "string"}},
      "if": {"properties": {"kind": {"const": "x"}}},
      "then": {"properties": {"code": {"type": "string", "readOnly": True}}}}, {}, True),
    ({"type": "object", "properties": {"a": {"type": "string"}}}, {"a": {"ui:disabled": True}},
     True),
    ({"type": "array", "items": {"type": "string"}},
     {"items": {"ui:options": {"readonly": True}}}, True),
])
def test_a_form_says_whether_any_place_of_it_may_be_read_only(schema, ui, read_only):
    """A form none of whose places can be read-only needs no stored values to keep them
    from (a post reads no draft for them); a read-only place anywhere, in ``$defs`` or a
    condition too, and it does."""
    from web.forms.builder import root_node

    assert root_node(make_form(schema, ui)).any_read_only is read_only


def test_odd_property_names_round_trip():
    names = ["a.b", "x[0]", 'say "hi"', "1st", "first name", "café", "a-b"]
    form = make_form({"type": "object", "properties": {
        "outer": {"type": "object", "properties": {n: {"type": "string"} for n in names}}}})
    data = {"outer": {n: f"value of {n}" for n in names}}
    assert parse_form(form, post_back(str(render_form(form, data)))).data == data
    errors = parse_form(form, MultiDict([("outer[\"a.b\"]", "x")])).errors
    assert errors == {}


def test_rows_asked_for_by_markers_cannot_blow_up_the_data(monkeypatch):
    monkeypatch.setattr(submissions, "MAX_PAYLOAD_BYTES", 1000)
    result = post([("__rows__:goals", "400")], validate=False)
    assert result.data == {} and "too large" in result.errors[""][0]


@pytest.mark.parametrize(("language", "typed", "stored"), [
    ("da", "0,7", 0.7), ("sv", "2,5", 2.5), ("da", "1.234,5", 1234.5), ("en", "2.5", 2.5),
    ("en", "1,234.5", 1234.5), ("da", "0.7", 0.7),
])
def test_a_decimal_comma_is_read_in_the_page_language(language, typed, stored):
    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app, locale_selector=lambda: language)
    with app.test_request_context():
        result = post([("rating", "3"), ("score", typed), ("summary", "x")])
    assert result.errors == {} and result.data["score"] == stored


def test_a_comma_is_no_decimal_point_in_english():
    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app, locale_selector=lambda: "en")
    with app.test_request_context():
        result = post([("rating", "3"), ("score", "0,7"), ("summary", "x")])
    assert result.errors["score"] == ["Enter a number."] and result.data["score"] == "0,7"


SLIDERS = make_form({
    "type": "object", "required": ["need"],
    "properties": {"need": {"type": "integer", "minimum": 1, "maximum": 5},
                   "maybe": {"type": "integer", "minimum": 1, "maximum": 5}},
}, {"ui:description": "1 = rarely, 5 = consistently",
    "need": {"ui:widget": "range"}, "maybe": {"ui:widget": "range"}}, form_id="sliders")


def test_the_lowest_value_of_a_slider_is_an_answer_once_its_box_says_so():
    html = str(render_form(SLIDERS, {}))
    assert '<p class="rf-description rf-form-description">1 = rarely, 5 = consistently</p>' \
        in html
    untouched = post_back(html)  # no JavaScript, nothing touched: both unanswered
    result = parse_form(SLIDERS, untouched)
    assert result.data == {} and result.errors == {"need": ["This field is required."]}
    chosen = post_back(html)
    chosen.add("__answered__:need", "1")  # the "Give this value (1)" boxes ticked
    chosen.add("__answered__:maybe", "1")
    assert parse_form(SLIDERS, chosen).data == {"need": 1, "maybe": 1}


MOMENTS = make_form({"type": "object", "properties": {
    "start": {"type": "string", "format": "date-time"},
    "at": {"type": "string", "format": "time"}}}, form_id="moments")


@pytest.mark.parametrize("data", [
    {"start": "2026-11-26T09:30:00+02:00", "at": "08:15:00+02:00"},
    {"start": "2026-11-26T09:30:00-05:00", "at": "23:59:59-05:00"},
    {"start": "2026-11-26T09:30:00Z", "at": "08:15:00Z"},
])
def test_date_times_and_times_keep_their_offset(data):
    html = str(render_form(MOMENTS, data))
    assert 'value="2026-11-26T09:30:00"' in element(html, "input", "start")  # its own clock
    result = parse_form(MOMENTS, post_back(html))
    assert result.errors == {} and result.data == data


def test_a_new_date_time_says_it_is_utc():
    html = str(render_form(MOMENTS, {}))
    assert "UTC" in html


def test_a_new_time_comes_back_as_typed_without_an_added_offset():
    # A time of day is a clock reading ("the 1:1 is at 09:30"), not a moment: RJSF keeps
    # it as typed, and so do we; no "Z" (which would make 09:30 in Copenhagen 10:30).
    html = str(render_form(MOMENTS, {}))
    assert html.count('class="rf-offset"') == 1  # only the date-time says its clock
    form = MultiDict({"at": "09:30", "start": "2026-11-26T09:30"})
    result = parse_form(MOMENTS, form)
    assert result.errors == {}
    assert result.data == {"at": "09:30:00", "start": "2026-11-26T09:30:00Z"}
    assert submissions.submission_errors(MOMENTS, result.data) == {}
    again = parse_form(MOMENTS, post_back(str(render_form(MOMENTS, result.data))))
    assert again.data == result.data


def test_a_time_that_is_no_time_is_still_refused():
    assert submissions.submission_errors(MOMENTS, {"at": "25:99:00"})
    assert submissions.submission_errors(MOMENTS, {"at": "half past nine"})


ALTERNATIVES = make_form({"type": "object", "properties": {
    "contact": {"title": "Contact", "oneOf": [
        {"title": "By mail", "type": "object", "properties": {"email": {"type": "string"}}},
        {"title": "By phone", "type": "object", "properties": {"phone": {"type": "string"}}}]},
    "size": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
    "tags": {"type": "object", "additionalProperties": {"type": "string"}}}},
    form_id="alternatives")


@pytest.mark.parametrize("data", [
    {"contact": {"phone": "123"}, "size": 7, "tags": {"a": "x", "b": "y"}},
    {"contact": {"email": "ann@x.com"}, "size": "large"},
    {},
])
def test_alternatives_of_objects_and_types_round_trip_as_their_own_values(data):
    html = str(render_form(ALTERNATIVES, data))
    assert html.count('name="__alt__:contact"') == 2  # a choice of alternative...
    assert 'name="alt1~contact.phone"' in html  # ...then its fields
    result = parse_form(ALTERNATIVES, post_back(html), validate=False)
    assert result.errors == {} and result.data == data


def test_the_chosen_alternative_is_the_answer():
    posted = post_back(str(render_form(ALTERNATIVES, {})))
    posted.setlist("__alt__:contact", ["1"])
    posted.setlist("alt1~contact.phone", ["555 123"])
    posted.setlist("alt0~contact.email", ["typed, then another option chosen"])
    posted.setlist("__alt__:size", ["0"])
    posted.setlist("alt0~size", ["42"])
    assert parse_form(ALTERNATIVES, posted).data == {"contact": {"phone": "555 123"},
                                                     "size": 42}
