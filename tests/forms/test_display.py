"""Who sees what: read-only display without private fields; anonymous answers aggregated."""

import pytest

from tests.forms.helpers import make_form
from web.forms import (
    aggregate_anonymous,
    display_submission,
    remove_fields,
    render_aggregate,
)

DEBRIEF = make_form({
    "type": "object",
    "properties": {
        "summary": {"type": "string", "title": "Summary"},
        "note_to_hr": {"type": "string", "title": "Note to HR"},
        "rating": {"type": "integer", "title": "Rating", "minimum": 1, "maximum": 5},
        "mood": {"type": "string", "title": "Mood", "oneOf": [
            {"const": "up", "title": "Upbeat"}, {"const": "down", "title": "Worried"}]},
        "share": {"type": "boolean", "title": "Share"},
        "goals": {"type": "array", "title": "Goals", "items": {
            "type": "object", "properties": {"goal": {"type": "string", "title": "Goal"},
                                             "secret": {"type": "string", "title": "Secret"}}}},
    },
}, form_id="debrief")

DATA = {"summary": "Good <b>year</b>", "note_to_hr": "Flight risk", "rating": 4, "mood": "up",
        "share": False, "goals": [{"goal": "Ship", "secret": "s1"}]}


def test_display_shows_titles_labels_and_escaped_text():
    html = str(display_submission(DEBRIEF, DATA))
    assert "<dt>Summary</dt>" in html and "Good &lt;b&gt;year&lt;/b&gt;" in html
    assert "Upbeat" in html and ">No<" in html and "Ship" in html
    assert "<input" not in html  # read-only: no controls at all


def test_private_fields_never_reach_other_viewers():
    hidden = str(display_submission(DEBRIEF, DATA, private_fields=["note_to_hr"],
                                    viewer_may_see_private=False))
    assert "Flight risk" not in hidden and "Note to HR" not in hidden
    author = str(display_submission(DEBRIEF, DATA, private_fields=["note_to_hr"],
                                    viewer_may_see_private=True))
    assert "Flight risk" in author


def test_hide_fields_inside_rows():
    html = str(display_submission(DEBRIEF, DATA, hide_fields=["goals.secret"]))
    assert "s1" not in html and "Ship" in html
    assert remove_fields(DATA, ["goals.secret", "rating"])["goals"] == [{"goal": "Ship"}]
    assert DATA["goals"][0]["secret"] == "s1"  # the stored data is untouched


ANSWERS = [
    {"summary": "Alice wrote this", "rating": 5, "mood": "up", "share": True},
    {"summary": "Bob wrote that", "rating": 3, "mood": "up", "share": False},
    {"summary": "Carol too", "rating": 4, "mood": "down",
     "goals": [{"goal": "Mentor"}, {"goal": "Speak"}]},
]


def test_below_threshold_nothing_is_shown():
    assert aggregate_anonymous(DEBRIEF, ANSWERS[:2], threshold=3) is None
    html = str(render_aggregate(DEBRIEF, None))
    assert "enough people" in html and "Alice" not in html


def test_threshold_is_never_lower_than_two():
    assert aggregate_anonymous(DEBRIEF, ANSWERS[:1], threshold=1) is None
    assert aggregate_anonymous(DEBRIEF, ANSWERS[:2], threshold=0) is not None


def test_aggregate_counts_means_and_distributions():
    agg = aggregate_anonymous(DEBRIEF, ANSWERS, threshold=3, hide_fields=["note_to_hr"])
    assert agg.count == 3
    rating = agg.field("rating")
    assert rating.mean == pytest.approx(4.0) and rating.answered == 3
    assert rating.distribution == [("1", 0), ("2", 0), ("3", 1), ("4", 1), ("5", 1)]
    assert agg.field("mood").distribution == [("Upbeat", 2), ("Worried", 1)]
    # the threshold holds per question: two people answered "share", one wrote goals
    assert (agg.field("share").kind, agg.field("share").distribution) == ("withheld", [])
    assert sorted(agg.field("summary").texts) == ["Alice wrote this", "Bob wrote that",
                                                  "Carol too"]
    assert (agg.field("goals[].goal").kind, agg.field("goals[].goal").texts) == (
        "withheld", [])
    assert all(f.path != "note_to_hr" for f in agg.fields)


def test_free_text_order_does_not_follow_submission_order():
    many = [{"summary": f"answer {i}"} for i in range(12)]
    orders = {tuple(aggregate_anonymous(DEBRIEF, many, 3).field("summary").texts)
              for _ in range(5)}
    assert len(orders) > 1


def test_render_aggregate_has_no_author_names_and_escapes():
    answers = ANSWERS + [{"summary": "<script>x</script>"}]
    html = str(render_aggregate(DEBRIEF, aggregate_anonymous(DEBRIEF, answers, 3)))
    assert "4 responses" in html and "Average 4.00" in html
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_conditions_name_values_by_their_option_titles():
    from tests.forms.helpers import make_form
    from web.forms import render_form

    form = make_form({
        "type": "object",
        "properties": {
            "level": {"type": "string", "title": "Target level",
                      "oneOf": [{"const": "ic", "title": "Individual"},
                                {"const": "mgr", "title": "People manager"}]},
            "kind": {"type": "string", "title": "Kind", "enum": ["a", "b"]},
            "raise": {"type": "number", "title": "Raise"},
            "why": {"type": "string"}},
        "allOf": [
            {"if": {"properties": {"level": {"const": "mgr"}}, "required": ["level"]},
             "then": {"required": ["raise"]}},
            {"if": {"properties": {"kind": {"enum": ["b"]}}, "required": ["kind"]},
             "then": {"required": ["why"]}}]},
        {"kind": {"ui:enumNames": ["Alpha", "Beta"]}})
    html = str(render_form(form))
    assert "Required when Target level is People manager." in html
    assert "Required when Kind is Beta." in html


@pytest.mark.parametrize("field", ["__rows__:goals", "__remove__:goals:²", "__up__:goals:²"])
def test_superscript_digits_in_row_controls_are_ignored_not_a_crash(field):
    """'²'.isdigit() is true but int('²') fails: row controls take ASCII digits only."""
    from werkzeug.datastructures import MultiDict

    from web.forms import parse_form

    posted = MultiDict({field: "²", "goals[0][goal]": "Mentor", "summary": "s", "rating": "3",
                        "mood": "up"})
    result = parse_form(DEBRIEF, posted, validate=False)
    assert result is not None
