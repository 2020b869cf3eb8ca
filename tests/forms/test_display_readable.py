"""Read-only answers read as a person would say them: written-out dates, Yes/No, option
titles, a scale point's label; the anonymous aggregate's tables have headings and shares."""

import re

from tests.forms.helpers import make_form
from web.forms import aggregate_anonymous, display_submission, render_aggregate

CHECKIN = make_form({
    "type": "object",
    "properties": {
        "met_on": {"type": "string", "format": "date", "title": "Met on"},
        "next_at": {"type": "string", "format": "date-time", "title": "Next meeting"},
        "on_track": {"type": "boolean", "title": "On track"},
        "risk": {"type": "string", "title": "Risk", "anyOf": [
            {"const": "low", "title": "Low risk"}, {"const": "high", "title": "High risk"}]},
        "team": {"type": "string", "title": "Team", "enum": ["pl", "inf"]},
        "confidence": {"type": "integer", "title": "Confidence", "minimum": 1, "maximum": 5},
        "energy": {"type": "integer", "title": "Energy", "minimum": 0, "maximum": 10},
        "effort": {"type": "number", "title": "Effort", "minimum": 1, "maximum": 3},
        "skills": {"type": "array", "title": "Skills", "uniqueItems": True,
                   "items": {"type": "string", "oneOf": [{"const": "py", "title": "Python"},
                                                         {"const": "sql", "title": "SQL"}]}},
        "note": {"type": "string", "title": "Note"},
    },
}, {
    "team": {"ui:enumNames": ["Platform", "Infrastructure"]},
    "confidence": {"ui:options": {"labels": ["Very low", "Low", "Unsure", "High", "Certain"]}},
    "energy": {"ui:widget": "range", "ui:options": {"labels": {"7": "Good"}}},
    "effort": {"ui:options": {"labels": {"2": "Usual"}}},
})


def _answers(data: dict) -> dict[str, str]:
    """``{path: shown text}`` of the display's ``<dd>`` elements."""
    html = str(display_submission(CHECKIN, data))
    return {path: " ".join(re.sub(r"<[^>]+>", " ", text).split())
            for path, text in re.findall(r'<dd data-path="([^"]+)">(.*?)</dd>', html)}


def test_dates_are_written_out():
    shown = _answers({"met_on": "2026-10-27", "next_at": "2026-11-03T14:05:00Z"})
    assert shown["met_on"] == "27 Oct 2026"
    assert shown["next_at"] == "03 Nov 2026, 14:05 UTC"


def test_date_times_are_shown_in_utc_whatever_their_offset():
    assert _answers({"next_at": "2026-11-03T16:05:00+02:00"})["next_at"] == (
        "03 Nov 2026, 14:05 UTC")
    assert _answers({"next_at": "2026-11-03T09:30"})["next_at"] == "03 Nov 2026, 09:30 UTC"


def test_text_that_is_not_a_date_is_shown_as_typed():
    assert _answers({"met_on": "next Tuesday"})["met_on"] == "next Tuesday"
    assert _answers({"note": "2026-10-27"})["note"] == "2026-10-27"  # not a date field


def test_booleans_choices_and_scales_read_as_words():
    shown = _answers({"on_track": True, "risk": "high", "team": "inf", "confidence": 4,
                      "energy": 7, "effort": 2, "skills": ["sql", "py"]})
    assert shown["on_track"] == "Yes"
    assert shown["risk"] == "High risk"
    assert shown["team"] == "Infrastructure"
    assert shown["confidence"] == "4 – High"
    assert shown["energy"] == "7 – Good"  # a slider, labelled by the uiSchema
    assert shown["effort"] == "2 – Usual"
    assert shown["skills"] == "SQL Python"
    assert _answers({"on_track": False, "energy": 3})["energy"] == "3"


def test_a_whole_number_answers_a_decimal_option():
    form = make_form({"type": "object", "properties": {"size": {
        "type": "number", "title": "Size", "oneOf": [{"const": 1.0, "title": "Small"},
                                                      {"const": 2.0, "title": "Large"}]}}})
    assert "Large" in str(display_submission(form, {"size": 2}))


ANSWERS = [{"confidence": 5, "risk": "low", "met_on": "2026-10-27", "skills": ["py", "sql"]},
           {"confidence": 4, "risk": "low", "skills": ["py"]},
           {"confidence": 4, "risk": "high", "skills": ["sql"]},
           {"confidence": 2}]


def test_the_aggregate_tables_have_headings_and_shares():
    html = str(render_aggregate(CHECKIN, aggregate_anonymous(CHECKIN, ANSWERS, 3)))
    risk = html[html.index('data-path="risk"'):]
    risk = risk[:risk.index("</table>")]
    assert re.search(r'<th scope="col">Option</th><th scope="col" class="num">Answers</th>'
                     r'<th scope="col" class="num">Share</th>', risk)
    assert re.search(r'<th scope="row">Low risk</th><td class="num">2</td>.*67%', risk)
    confidence = html[html.index('data-path="confidence"'):]
    assert '<th scope="col">Score</th>' in confidence[:confidence.index("</table>")]
    assert "Average 3.75 out of 5 (4 answers)" in confidence
    assert re.search(r'<th scope="row">4 – High</th><td class="num">2</td>.*50%',
                     confidence[:confidence.index("</table>")])
    skills = html[html.index('data-path="skills"'):]
    assert "shares add up to more than 100%" in skills[:skills.index("</div>")]
    assert "shares add up" not in risk


def test_dates_in_the_aggregate_are_written_out():
    dated = [dict(a, met_on="2026-10-27") for a in ANSWERS]  # a question 4 people answered
    html = str(render_aggregate(CHECKIN, aggregate_anonymous(CHECKIN, dated, 3)))
    assert "27 Oct 2026" in html and "2026-10-27" not in html
