"""Property: whatever data a form can hold, rendering it and posting it back gives it back.

Hypothesis draws a form (scalars of every type and widget, choices, nested objects, rows of
scalars and of objects, multiple choice) and data for it, limited to what HTML can say:
text inputs hold one line, an empty list or object is no answer, `""` is no answer.
"""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.definitions.specs import FormSpec
from tests.forms.browser import post_back
from web.forms import parse_form, render_form

LINE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029"),
    min_size=1, max_size=20,
)
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n",
                           blacklist_characters="\u2028\u2029"),
    min_size=1, max_size=40,
)
CHOICES = ["low", "high", "<b>&amp;</b>", "12", "yes no"]
NAMES = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8)


LEAVES = [
    ({"type": "string"}, {}, LINE),
    ({"type": "string"}, {"ui:widget": "textarea"}, TEXT),
    ({"type": "string", "format": "email"}, {}, st.emails().filter(lambda e: len(e) < 60)),
    ({"type": "string", "format": "date"}, {}, st.dates().map(lambda d: d.isoformat())),
    ({"type": "integer"}, {}, st.integers(-10**12, 10**12)),
    ({"type": "integer", "minimum": 1, "maximum": 5}, {}, st.integers(1, 5)),
    ({"type": "number"}, {}, st.floats(allow_nan=False, allow_infinity=False)),
    ({"type": "number"}, {"ui:widget": "range"}, st.integers(0, 100)),
    ({"type": "boolean"}, {}, st.booleans()),
    ({"type": "boolean"}, {"ui:widget": "radio"}, st.booleans()),
    ({"type": "boolean"}, {"ui:widget": "select"}, st.booleans()),
    ({"type": "string", "enum": CHOICES}, {}, st.sampled_from(CHOICES)),
    ({"type": "string", "enum": CHOICES}, {"ui:widget": "radio"}, st.sampled_from(CHOICES)),
    ({"type": "integer", "oneOf": [{"const": 1, "title": "One"}, {"const": 2, "title": "Two"}]},
     {}, st.sampled_from([1, 2])),
    ({"type": "array", "uniqueItems": True, "items": {"type": "string", "enum": CHOICES}},
     {}, st.lists(st.sampled_from(CHOICES), min_size=1, unique=True).map(
         lambda xs: sorted(xs, key=CHOICES.index))),
    ({"type": "array", "items": {"type": "string"}}, {}, st.lists(LINE, min_size=1, max_size=3)),
]


@st.composite
def schemas(draw, depth=0):
    """An object schema and its uiSchema; leaves carry the index of their LEAVES entry."""
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    props, ui = {}, {}
    for name in names:
        kind = draw(st.sampled_from(["leaf", "leaf", "leaf", "object", "rows"]) if depth < 2
                    else st.just("leaf"))
        if kind == "leaf":
            i = draw(st.integers(0, len(LEAVES) - 1))
            props[name], ui[name] = {**LEAVES[i][0], "x-leaf": i}, LEAVES[i][1]
        elif kind == "object":
            props[name], ui[name] = draw(schemas(depth + 1))
        else:
            item, item_ui = draw(schemas(depth + 1))
            props[name], ui[name] = {"type": "array", "items": item}, {"items": item_ui}
    return {"type": "object", "properties": props}, ui


def data_for(schema, ui, in_row=False):
    """Data a browser can post back for ``schema``: no empty nested objects, no [] or ""."""
    if "x-leaf" in schema:
        return LEAVES[schema["x-leaf"]][2]
    if schema["type"] == "array":
        return st.lists(data_for(schema["items"], ui.get("items", {}), in_row=True),
                        min_size=1, max_size=3)
    fields = {name: data_for(sub, ui.get(name, {})) for name, sub in schema["properties"].items()}
    found = st.fixed_dictionaries({}, optional=fields)
    return found if in_row else found.filter(bool)


@st.composite
def form_and_data(draw):
    schema, ui = draw(schemas())
    fields = {name: data_for(sub, ui.get(name, {})) for name, sub in schema["properties"].items()}
    return (schema, ui), draw(st.fixed_dictionaries({}, optional=fields))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(form_and_data())
def test_parse_of_rendered_data_is_the_data(case):
    (schema, ui), data = case
    form = FormSpec(id="generated", schema=schema, ui_schema=ui)
    html = render_form(form, data)
    result = parse_form(form, post_back(html), validate=False)
    assert result.data == data
    assert result.errors == {}


HOSTILE_FORM = FormSpec(id="hostile", schema={
    "type": "object",
    "required": ["n"],
    "properties": {
        "n": {"type": "integer", "minimum": 1, "maximum": 5},
        "b": {"type": "boolean"},
        "e": {"enum": ["a", {"x": 1}, 3]},
        "t": {"type": "array", "items": [{"type": "string"}],
              "additionalItems": {"type": "number"}},
        "rows": {"type": "array", "maxItems": 3, "items": {"type": "object", "properties": {
            "k": {"type": "string", "format": "date-time"}}}},
        "free": {"type": "object", "additionalProperties": {"type": "integer"}},
        "tags": {"type": "array", "items": {"enum": ["p", "q"]}},
    },
})
HOSTILE_NAMES = ["n", "b", "e", "t[0]", "t[1]", "t[7]", "rows[0].k", "rows[99].k", "tags",
                 "__rows__:rows", "__rows__:t", "__key__:free", "__value__:free",
                 "__add__:rows", "__add__:free", "__remove__:rows:0", "__remove__:rows:x",
                 "__up__:rows:5", "__down__:nothing:1", "__add__:n", "__add__:[[[",
                 "__unanswered__:n", "zzz", "free.x"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(HOSTILE_NAMES),
                          st.one_of(st.sampled_from(["", "1", "-1", "999999", "x", "true",
                                                     '{"x":1}', "2026-01-01T10:00"]),
                                    st.text(max_size=10))), max_size=12))
def test_hostile_posts_never_crash_and_render_again(pairs):
    from werkzeug.datastructures import MultiDict

    result = parse_form(HOSTILE_FORM, MultiDict(pairs))
    assert isinstance(result.errors, dict)
    assert all(isinstance(m, list) and m for m in result.errors.values())
    html = str(render_form(HOSTILE_FORM, result.data, result.errors))
    assert "<script" not in html
