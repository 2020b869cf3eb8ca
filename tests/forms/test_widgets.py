"""Each schema keyword and uiSchema option becomes the widget a rater expects."""

import pytest

from tests.forms.helpers import block, element, make_form
from web.forms import render_form


def one(schema, ui=None, data=None, errors=None, **kw):
    form = make_form({"type": "object", "properties": {"f": schema}}, {"f": ui} if ui else {})
    return str(render_form(form, {"f": data} if data is not None else {}, errors, **kw))


@pytest.mark.parametrize(
    ("schema", "ui", "expected"),
    [
        ({"type": "string"}, None, 'type="text"'),
        ({"type": "string", "format": "email"}, None, 'type="email"'),
        ({"type": "string", "format": "uri"}, None, 'type="url"'),
        ({"type": "string", "format": "date"}, None, 'type="date"'),
        ({"type": "string", "format": "date-time"}, None, 'type="datetime-local"'),
        ({"type": "string", "format": "time"}, None, 'type="time"'),
        ({"type": "string"}, {"ui:widget": "password"}, 'type="password"'),
        ({"type": "string"}, {"ui:widget": "color"}, 'type="color"'),
        ({"type": "string"}, {"ui:options": {"inputType": "tel"}}, 'type="tel"'),
        ({"type": "string"}, {"ui:widget": "hidden"}, 'type="hidden"'),
        ({"type": "integer"}, None, 'step="1" type="number"'),
        ({"type": "number"}, None, 'step="any" type="number"'),
        ({"type": "integer", "minimum": 0, "maximum": 100}, {"ui:widget": "range"},
         'max="100" min="0"'),
        ({"type": "number", "multipleOf": 0.5}, {"ui:widget": "updown"}, 'step="0.5"'),
        ({"type": "boolean"}, None, 'type="checkbox" value="true"'),
        ({"type": "string", "maxLength": 40}, None, 'maxlength="40"'),
    ],
)
def test_input_types_and_attributes(schema, ui, expected):
    assert expected in element(one(schema, ui), "input", "f")


def test_textarea_with_rows_and_placeholder():
    html = one({"type": "string"}, {"ui:widget": "textarea", "ui:options": {"rows": 3},
                                    "ui:placeholder": "Say more"}, "hello")
    tag = element(html, "textarea", "f")
    assert 'rows="3"' in tag and 'placeholder="Say more"' in tag
    assert "hello</textarea>" in html


def test_enum_is_a_select_with_labels_from_one_of():
    html = one({"type": "string", "oneOf": [{"const": "a", "title": "Apple"},
                                            {"const": "b", "title": "Banana"}]}, data="b")
    assert element(html, "select", "f")
    assert '<option value=""></option>' in html
    assert '<option selected value="b">Banana</option>' in html


def test_enum_as_radio_inline_with_enum_names():
    html = one({"type": "string", "enum": ["x", "y"]},
               {"ui:widget": "radio", "ui:enumNames": ["Ex", "Why"],
                "ui:options": {"inline": True}})
    assert 'class="rf-choices rf-inline"' in html
    assert html.count('type="radio"') == 2
    assert ">Why</label>" in html
    assert "<fieldset" in html and "<legend>" in html  # a group is labelled by a legend


def test_enum_disabled_option():
    html = one({"type": "string", "enum": ["x", "y"]}, {"ui:enumDisabled": ["y"]})
    assert '<option disabled value="y">' in html


def test_small_integer_range_is_a_rating_scale_with_labels():
    html = one({"type": "integer", "minimum": 1, "maximum": 5, "title": "Rating"},
               {"ui:options": {"labels": ["Poor", "Fair", "Good", "Great", "Superb"]}}, 4)
    assert "rf-widget-rating" in html
    assert html.count('type="radio"') == 5
    assert "4 – Great" in html
    assert 'checked id="rf-f-3" name="f" type="radio" value="4"' in html


@pytest.mark.parametrize("widget", ["radio", "select"])
def test_a_radio_or_select_on_a_number_without_choices_is_its_scale_or_a_number(widget):
    # e.g. {"ui:widget": "radio"} on a 1-5 rating: no enum to list, the range is the choice
    # (this page answered 500 before: a choice widget with no choices)
    scale = one({"type": "integer", "minimum": 1, "maximum": 5}, {"ui:widget": widget}, 2)
    assert scale.count('type="radio"') == 5
    assert 'checked id="rf-f-1" name="f" type="radio" value="2"' in scale
    wide = element(one({"type": "integer"}, {"ui:widget": widget}), "input", "f")
    assert 'type="number"' in wide


def test_wide_integer_range_is_a_number_input_with_bounds():
    tag = element(one({"type": "integer", "minimum": 0, "maximum": 1000}), "input", "f")
    assert 'min="0"' in tag and 'max="1000"' in tag and 'type="number"' in tag


def test_boolean_radio_and_select():
    radio = one({"type": "boolean"}, {"ui:widget": "radio"}, True)
    assert 'checked id="rf-f-0" name="f" type="radio" value="true"' in radio
    select = one({"type": "boolean"}, {"ui:widget": "select"}, False)
    assert '<option selected value="false">No</option>' in select


def test_checkbox_answered_carries_a_hidden_false():
    unanswered = one({"type": "boolean"})
    answered = one({"type": "boolean"}, data=False)
    assert 'value="false"' not in unanswered
    assert '<input type="hidden" name="f" value="false">' in answered


def test_array_of_enums_is_checkboxes():
    html = one({"type": "array", "uniqueItems": True,
                "items": {"type": "string", "enum": ["a", "b", "c"]}}, data=["c"])
    assert html.count('type="checkbox"') == 3
    assert 'checked id="rf-f-2" name="f" type="checkbox" value="c"' in html


def test_array_of_enums_as_multiple_select():
    html = one({"type": "array", "items": {"enum": ["a", "b"]}}, {"ui:widget": "select"})
    assert "multiple" in element(html, "select", "f")


def test_required_mark_title_description_help():
    form = make_form({
        "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string", "title": "Name", "description": "Full name"}},
    }, {"name": {"ui:help": "As on your badge", "ui:title": "Your name"}})
    html = str(render_form(form, {}))
    assert 'Your name <abbr class="rf-required" title="required">*</abbr>' in html
    assert "Full name" in html and "As on your badge" in html
    assert "required" in element(html, "input", "name")


def test_label_false_hides_the_label():
    html = one({"type": "string", "title": "Secret label"}, {"ui:options": {"label": False}})
    assert "Secret label" not in html


def test_ui_order_with_star():
    form = make_form({"type": "object", "properties": {k: {"type": "string"} for k in "abcd"}},
                     {"ui:order": ["c", "*", "a"]})
    html = str(render_form(form, {}))
    positions = [html.index(f'name="{k}"') for k in "cbda"]
    assert positions == sorted(positions)


def test_read_only_fields():
    text = one({"type": "string", "readOnly": True}, data="fixed")
    assert "readonly" in element(text, "input", "f")
    choice = one({"type": "string", "enum": ["a", "b"]}, {"ui:readonly": True}, "b")
    assert "disabled" in element(choice, "select", "f")
    assert '<input type="hidden" name="f" value="b">' in choice  # still posted


def test_whole_form_read_only():
    html = one({"type": "array", "items": {"type": "string"}}, data=["x"], readonly=True)
    assert "__add__" not in html and "__remove__" not in html
    assert "readonly" in element(html, "input", "f[0]")


def test_nested_object_is_a_fieldset_with_dotted_names():
    form = make_form({"type": "object", "properties": {"address": {
        "type": "object", "title": "Address", "properties": {"city": {"type": "string"}}}}})
    html = str(render_form(form, {"address": {"city": "Oslo"}}))
    assert "<legend>Address" in html
    assert 'value="Oslo"' in element(html, "input", "address.city")


def test_array_rows_have_path_names_and_buttons():
    form = make_form({"type": "object", "properties": {"goals": {
        "type": "array", "title": "Goals", "maxItems": 3,
        "items": {"type": "object", "title": "Goal", "properties": {"goal": {"type": "string"}}}}}})
    html = str(render_form(form, {"goals": [{"goal": "a"}, {"goal": "b"}]}))
    assert 'value="b"' in element(html, "input", "goals[1].goal")
    assert 'name="__rows__:goals" value="2"' in html
    assert 'name="__add__:goals"' in html and "Add Goal" in html
    assert 'name="__remove__:goals:1"' in html
    assert 'name="__up__:goals:1"' in html and 'name="__down__:goals:0"' in html
    assert "formnovalidate" in element(html, "button", "__add__:goals")
    full = str(render_form(form, {"goals": [{}, {}, {}]}))
    assert "__add__:goals" not in full  # maxItems reached


def test_array_options_turn_buttons_off():
    html = one({"type": "array", "items": {"type": "string"}}, {"ui:options": {
        "addable": False, "removable": False, "orderable": False}}, ["x", "y"])
    assert "<button" not in html


def test_conditional_fields_are_shown_and_marked():
    form = make_form({
        "type": "object",
        "properties": {"kind": {"enum": ["pip", "review"]}, "card": {"type": "string"}},
        "dependencies": {"card": ["billing"]},
        "if": {"properties": {"kind": {"const": "pip"}}},
        "then": {"properties": {"reason": {"type": "string"}}, "required": ["reason"]},
    })
    html = str(render_form(form, {}))
    assert 'name="reason"' in html and 'name="billing"' in html
    assert "Required when kind is pip." in block(html, "reason")
    assert "Required when card is filled in." in block(html, "billing")


def test_refs_and_bounded_recursion():
    form = make_form({
        "definitions": {"node": {"type": "object", "properties": {
            "name": {"type": "string"}, "child": {"$ref": "#/definitions/node"}}}},
        "$ref": "#/definitions/node",
    })
    html = str(render_form(form, {"name": "root", "child": {"name": "kid"}}))
    assert 'value="kid"' in element(html, "input", "child.name")
    assert html.count("<fieldset") < 20  # recursion stops; it does not loop


def test_examples_become_a_datalist():
    html = one({"type": "string", "examples": ["Firefox", "Chrome"]})
    assert 'list="rf-f-examples"' in element(html, "input", "f")
    assert '<datalist id="rf-f-examples"><option value="Firefox">' in html


def test_null_field_is_words_only():
    html = one({"type": "null", "title": "Read this", "description": "Context"})
    assert "Read this" in html and "Context" in html and 'name="f"' not in html


def test_defaults_fill_a_blank_form_only():
    form = make_form({"type": "object", "properties": {
        "name": {"type": "string", "default": "Chuck"},
        "rows": {"type": "array", "minItems": 2, "items": {"type": "string", "default": "x"}}}})
    blank = str(render_form(form))
    assert 'value="Chuck"' in element(blank, "input", "name")
    assert 'value="x"' in element(blank, "input", "rows[1]")
    stored = str(render_form(form, {}))  # a stored draft that cleared them stays clear
    assert 'value=""' in element(stored, "input", "name")


def test_errors_render_at_their_field():
    html = one({"type": "integer"}, data="abc", errors={"f": ["Enter a whole number."]})
    part = block(html, "f")
    assert "rf-invalid" in html and "Enter a whole number." in part
    tag = element(html, "input", "f")
    assert 'value="abc"' in tag and 'type="text"' in tag  # typed text stays visible
    assert 'aria-invalid="true"' in tag


def test_errors_with_no_field_go_on_top():
    html = one({"type": "string"}, errors={"": ["Too large."], "ghost": ["Odd."]})
    top = html.index("rf-form-errors")
    assert top < html.index('name="f"')
    assert "Too large." in html and "ghost: Odd." in html


def test_prefix_is_put_before_every_name():
    html = one({"type": "array", "items": {"type": "string"}}, data=["x"], prefix="t1-")
    assert 'name="t1-f[0]"' in html and 'name="t1-__rows__:f"' in html


def test_text_is_escaped():
    html = one({"type": "string", "title": "<i>T</i>"}, {"ui:help": "<b>help</b>"},
               '"><script>alert(1)</script>')
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html


def test_root_scalar_and_root_array():
    scalar = str(render_form(make_form({"type": "string", "title": "Only"}), "v"))
    assert 'value="v"' in element(scalar, "input", "__root__")
    rows = str(render_form(make_form({"type": "array", "items": {"type": "string"}}), ["a"]))
    assert 'value="a"' in element(rows, "input", "[0]")


def test_conditions_name_fields_by_their_titles():
    form = make_form({
        "type": "object",
        "properties": {"card": {"type": "number", "title": "Credit card"},
                       "billing": {"type": "string"}},
        "dependencies": {"card": ["billing"]},
    }, {"billing": {"ui:title": "Billing address"}})
    html = str(render_form(form, {}))
    assert "Required when Credit card is filled in." in block(html, "billing")
