"""The acceptance forms as a browser meets them: rendered with an answer, posted back
unchanged, parsed into exactly that answer; and the row buttons of nested lists."""

from __future__ import annotations

import pytest

from engine.definitions.library import load_library
from engine.submissions import submission_errors
from tests.forms.browser import post_back
from web.forms import parse_form, render_form

from .conftest import LIBRARY
from .test_scenarios import ASSESSMENT, NOMINATION

ANSWERS = {
    "promo-nomination": dict(NOMINATION, target_level="manager", salary_change=4.5,
                             off_cycle=True, off_cycle_reason="A team lead left."),
    "talent-assessment": dict(ASSESSMENT, retention_risk="high",
                              flight_reason="A competitor's offer."),
    "role-checkin": {"confidence": 2, "blockers": ["VPN", "Onboarding docs"], "kind": "other",
                     "other": "A buddy"},
    "talent-panel": {"members": [{"email": "ceo@acme.test", "seat": "chair"},
                                 {"email": "vp@acme.test"}]},
    "pulse-answer": {"clarity": 4, "support": 2, "mood": "ok", "comment": "Fine"},
    "pulse-setup": {"team": ["a@acme.test", "b@acme.test", "c@acme.test"]},
    "promo-vote": {"score": 5},
    "coach-notes": {"summary": "Settling well.", "concerns": "None."},
}


@pytest.fixture(scope="module")
def library():
    return load_library([LIBRARY])


@pytest.mark.parametrize("form_id", sorted(ANSWERS))
def test_an_answer_survives_the_browser(library, form_id):
    form = library.form(form_id)
    answer = ANSWERS[form_id]
    assert submission_errors(form, answer) == {}
    result = parse_form(form, post_back(str(render_form(form, answer))))
    assert (result.data, result.errors, result.action) == (answer, {}, None)


def test_a_blank_nomination_shows_every_conditional_field(library):
    form = library.form("promo-nomination")
    html = str(render_form(form))
    for name in ("target_level", "case", "ratings[0].competency", "ratings[1].rating",
                 "off_cycle", "off_cycle_reason", "salary_change"):
        assert f'name="{name}"' in html, name
    result = parse_form(form, post_back(html))
    assert set(result.errors) >= {"target_level", "case"}


def test_adding_a_mentor_row_inside_a_move(library):
    form = library.form("talent-assessment")
    html = str(render_form(form, ASSESSMENT))
    pressed = parse_form(form, post_back(html, press="__add__:moves[0].mentors"))
    assert pressed.action == "add:moves[0].mentors"
    mentors = pressed.data["moves"][0]["mentors"]
    assert mentors[0] == {"email": "vp@acme.test"} and len(mentors) == 2
