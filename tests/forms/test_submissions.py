"""engine.submissions: per-field errors in plain words, unknown fields, size, caching."""

import pytest

from engine import submissions
from engine.definitions.specs import FormSpec
from engine.errors import SubmissionInvalid
from engine.submissions import (
    check_submission,
    field_path,
    parse_field_path,
    strip_unknown,
    submission_errors,
    validator_for_form,
)

REVIEW = FormSpec(
    id="manager-review",
    sha256="v1",
    schema={
        "title": "Manager review",
        "type": "object",
        "required": ["rating", "summary"],
        "properties": {
            "rating": {"type": "integer", "title": "Overall rating", "minimum": 1, "maximum": 5},
            "summary": {"type": "string", "maxLength": 20},
            "email": {"type": "string", "format": "email"},
            "start": {"type": "string", "format": "date"},
            "level": {"type": "string", "enum": ["junior", "senior"]},
            "band": {"oneOf": [{"const": 1, "title": "Low"}, {"const": 2, "title": "High"}]},
            "goals": {
                "type": "array",
                "maxItems": 2,
                "items": {
                    "type": "object",
                    "required": ["goal"],
                    "properties": {"goal": {"type": "string"}, "measure": {"type": "string"}},
                },
            },
            "address": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
                "dependencies": {"city": ["zip"]},
            },
        },
    },
)

OK = {"rating": 3, "summary": "Solid year"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"summary": "x"}, {"rating": ["This field is required."]}),
        ({}, {"rating": ["This field is required."], "summary": ["This field is required."]}),
        ({**OK, "rating": 9}, {"rating": ["Must be at most 5."]}),
        ({**OK, "rating": 0}, {"rating": ["Must be at least 1."]}),
        ({**OK, "rating": "abc"}, {"rating": ["Enter a whole number."]}),
        ({**OK, "rating": 2.5}, {"rating": ["Enter a whole number."]}),
        ({**OK, "summary": "x" * 21}, {"summary": ["Must be at most 20 characters."]}),
        ({**OK, "email": "nope"}, {"email": ["Enter a valid email address."]}),
        ({**OK, "start": "2024-13-40"}, {"start": ["Enter a valid date (YYYY-MM-DD)."]}),
        ({**OK, "level": "boss"}, {"level": ["Must be one of: junior, senior."]}),
        ({**OK, "band": 3}, {"band": ["Must be one of: Low, High."]}),
        (
            {**OK, "goals": [{"goal": "a"}, {"measure": "m"}]},
            {"goals[1].goal": ["This field is required."]},
        ),
        ({**OK, "goals": [{"goal": "a"}] * 3}, {"goals": ["Must have at most 2 items."]}),
        ({**OK, "address": {"city": "Oslo"}}, {"address.zip": ["This field is required."]}),
        ({**OK, "address": "Oslo"}, {"address": ["Must be a group of fields."]}),
        ("text", {"": ["Must be a group of fields."]}),
        ({**OK, "rating": None}, {"rating": ["This field is required."]}),
    ],
)
def test_errors_map_to_fields_in_plain_words(data, expected):
    assert submission_errors(REVIEW, data) == expected


def test_valid_data_has_no_errors():
    assert submission_errors(REVIEW, OK) == {}
    check_submission(REVIEW, OK)


def test_check_submission_raises_with_the_errors():
    with pytest.raises(SubmissionInvalid) as caught:
        check_submission(REVIEW, {"summary": "x"})
    assert caught.value.errors == {"rating": ["This field is required."]}
    assert caught.value.http_status == 422


def test_dependent_required_in_2019_dialect():
    form = FormSpec(
        id="dep",
        schema={
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
            "dependentRequired": {"a": ["b"]},
        },
    )
    assert submission_errors(form, {"a": "x"}) == {"b": ["This field is required."]}
    assert submission_errors(form, {"b": "x"}) == {}


def test_if_then_else_errors_reach_the_field():
    form = FormSpec(
        id="ite",
        schema={
            "type": "object",
            "properties": {"kind": {"enum": ["pip", "review"]}, "reason": {"type": "string"}},
            "if": {"properties": {"kind": {"const": "pip"}}, "required": ["kind"]},
            "then": {"required": ["reason"]},
        },
    )
    assert submission_errors(form, {"kind": "pip"}) == {"reason": ["This field is required."]}
    assert submission_errors(form, {"kind": "review"}) == {}


def test_the_dialect_decides_what_keywords_mean():
    schema = {"type": "object", "dependencies": {"a": ["b"]}}
    draft7 = FormSpec(id="d7", schema=schema)
    draft2020 = FormSpec(
        id="d2020", schema={**schema, "$schema": "https://json-schema.org/draft/2020-12/schema"}
    )
    assert submission_errors(draft7, {"a": 1}) == {"b": ["This field is required."]}
    assert submission_errors(draft2020, {"a": 1}) == {}  # `dependencies` means nothing there


def test_validator_is_built_once_per_form_version():
    first = validator_for_form(REVIEW)
    assert validator_for_form(REVIEW) is first
    changed = FormSpec(id=REVIEW.id, schema={"type": "object"}, sha256="v2")
    assert validator_for_form(changed) is not first


def test_oversize_payload_is_refused(monkeypatch):
    monkeypatch.setattr(submissions, "MAX_PAYLOAD_BYTES", 100)
    with pytest.raises(SubmissionInvalid) as caught:
        check_submission(REVIEW, {**OK, "notes": "x" * 200})
    assert list(caught.value.errors) == [""]
    assert "too large" in caught.value.errors[""][0]


def test_strip_unknown_drops_only_undeclared_fields():
    data = {
        "rating": 3,
        "hacker": "<script>",
        "goals": [{"goal": "g", "extra": 1}],
        "address": {"city": "Oslo", "zip": "0150", "planet": "Mars"},
    }
    assert strip_unknown(REVIEW, data) == {
        "rating": 3,
        "goals": [{"goal": "g"}],
        "address": {"city": "Oslo", "zip": "0150"},
    }


def test_strip_unknown_keeps_fields_of_branches_and_open_objects():
    form = FormSpec(
        id="branches",
        schema={
            "type": "object",
            "properties": {"kind": {"type": "string"}, "free": {"type": "object"}},
            "dependencies": {"kind": {"properties": {"detail": {"type": "string"}}}},
            "allOf": [{"properties": {"also": {"type": "string"}}}],
            "patternProperties": {"^x-": {"type": "string"}},
        },
    )
    data = {"kind": "a", "detail": "d", "also": "b", "x-1": "p", "free": {"any": 1}, "no": 0}
    expected = {k: v for k, v in data.items() if k != "no"}
    assert strip_unknown(form, data) == expected


def test_strip_unknown_follows_refs():
    form = FormSpec(
        id="refs",
        schema={
            "definitions": {"addr": {"type": "object", "properties": {"city": {"type": "string"}}}},
            "type": "object",
            "properties": {"home": {"$ref": "#/definitions/addr"}},
        },
    )
    assert strip_unknown(form, {"home": {"city": "A", "x": 1}}) == {"home": {"city": "A"}}


@pytest.mark.parametrize(
    ("parts", "text"),
    [
        (("rating",), "rating"),
        (("goals", 0, "goal"), "goals[0].goal"),
        (("address", "city"), "address.city"),
        (("notes", "a.b"), 'notes["a.b"]'),
        (("1st",), '["1st"]'),
        ((), ""),
    ],
)
def test_field_paths_round_trip(parts, text):
    assert field_path(parts) == text
    assert parse_field_path(text) == parts


@pytest.mark.parametrize("bad", ["a..b", ".a", "a[", "a]", "a[x]"])
def test_bad_field_paths_are_refused(bad):
    with pytest.raises(ValueError):
        parse_field_path(bad)


@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [
        ({"type": "number", "exclusiveMinimum": 0}, 0, "Must be more than 0."),
        ({"type": "number", "exclusiveMaximum": 10}, 10, "Must be less than 10."),
        ({"type": "number", "multipleOf": 0.5}, 0.3, "Must be a multiple of 0.5."),
        ({"type": "string", "pattern": "^[A-Z]{3}$"}, "ab", "Does not match the expected format."),
        ({"type": "string", "minLength": 1}, "", "This field is required."),
        ({"type": "string", "minLength": 3}, "ab", "Must be at least 3 characters."),
        ({"type": "array", "minItems": 2}, [1], "Must have at least 2 items."),
        ({"type": "array", "uniqueItems": True}, [1, 1], "Each item must be different."),
        ({"const": "yes"}, "no", "Must be yes."),
        ({"type": "boolean", "const": True}, False, "Must be true."),
        ({"type": "string", "format": "uri"}, "not a url", "Enter a valid web address (URL)."),
        ({"type": "string", "format": "time"}, "25:00", "Enter a valid time (HH:MM:SS)."),
        ({"type": "boolean"}, "yes", "Must be yes or no."),
        ({"type": ["integer", "null"]}, "x", "Must be a whole number or empty."),
        ({"not": {"const": 0}}, 0, "This value is not allowed."),
        ({"type": "object", "additionalProperties": False}, {"x": 1},
         "Contains fields this form does not have."),
        ({"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 5}]}, "abc",
         "Must be at least 5 characters."),
    ],
)
def test_messages_are_plain_words(schema, value, message):
    form = FormSpec(id="words", schema={"type": "object", "properties": {"f": schema}})
    assert submission_errors(form, {"f": value}) == {"f": [message]}


def test_any_of_objects_reports_the_missing_field_of_the_closest_option():
    form = FormSpec(id="alt", schema={
        "type": "object",
        "anyOf": [{"required": ["city"]}, {"required": ["lat", "lon"]}],
        "properties": {"city": {"type": "string"}, "lat": {"type": "number"},
                       "lon": {"type": "number"}},
    })
    errors = submission_errors(form, {"lat": 1.0})
    assert list(errors.values()) == [["This field is required."]]
    assert list(errors) in (["lon"], ["city"])


def test_else_not_required_is_reported_on_the_field_to_leave_empty():
    form = FormSpec(id="other", schema={
        "type": "object",
        "properties": {"kind": {"enum": ["a", "other"]}, "other": {"type": "string"}},
        "if": {"properties": {"kind": {"const": "other"}}, "required": ["kind"]},
        "then": {"required": ["other"]},
        "else": {"not": {"required": ["other"]}}})
    assert submission_errors(form, {"kind": "a", "other": "x"}) == {
        "other": ["Leave this field empty."]}
    assert submission_errors(form, {"kind": "other"}) == {"other": ["This field is required."]}
    assert submission_errors(form, {"kind": "other", "other": "x"}) == {}


def test_nan_and_infinity_are_not_numbers():
    form = FormSpec(id="n", schema={"type": "object", "properties": {
        "x": {"type": "number", "minimum": 0, "maximum": 5},
        "rows": {"type": "array", "items": {"type": "number"}}}})
    nan, inf = float("nan"), float("inf")
    assert submission_errors(form, {"x": nan}) == {"x": ["Enter a number."]}
    assert submission_errors(form, {"x": 1, "rows": [1, -inf]}) == {
        "rows[1]": ["Enter a number."]}
    assert submission_errors(form, {"x": 5.0, "rows": [0.5]}) == {}
