"""The shipped forms refuse what the processes cannot work with.

The messages are the engine's (engine.submissions, tested in tests/forms); what is
tested here is that the library's forms carry the rules the processes rely on: 3-8
distinct reviewers, acknowledgements that are really ticked, a reason when declining,
OKR scores between 0 and 1...
"""

from __future__ import annotations

import pytest

from engine import commands
from engine.errors import SubmissionInvalid
from engine.submissions import submission_errors
from tests.library import payloads as p
from tests.library.scenario import T0, open_tasks, state, submissions, task_id

EVE = "eve@acme.test"
A, B, C = "a@acme.test", "b@acme.test", "c@acme.test"

REFUSED = [
    ("peer-nomination", {"peers": [A, B]}, ["peers"]),  # fewer than 3 reviewers
    ("peer-nomination", {"peers": [A, B, A]}, ["peers"]),  # the same reviewer twice
    ("peer-nomination", {"peers": [f"p{i}@acme.test" for i in range(9)]}, ["peers"]),
    ("peer-nomination", {"peers": [A, B, "carol"]}, ["peers[2]"]),  # not an email
    ("acknowledgement", {"acknowledged": False, "agreement": "agree"}, ["acknowledged"]),
    ("acknowledgement", {"acknowledged": True}, ["agreement"]),
    ("feedback-response", {"response": "decline"}, ["decline_reason"]),
    ("feedback-response", {"response": "give", "keep_doing": "Clear agenda, sent early."},
     ["do_differently"]),
    ("feedback-request", {"giver": "pat", "topic": "The planning workshop."}, ["giver"]),
    ("manager-review", {**p.manager_review(3), "potential": 4}, ["potential"]),
    ("pip-plan", {**p.PIP_PLAN, "duration_days": 45}, ["duration_days"]),
    ("pip-plan", {**p.PIP_PLAN, "objectives": []}, ["objectives"]),
    ("okr-plan", {"quarter": "2026-Q1", "objectives": [{"objective": "Grow the base",
                  "key_results": [{"description": "More", "metric": "n", "target": 5,
                                   "confidence": 1.5}]}]},
     ["objectives[0].key_results", "objectives[0].key_results[0].confidence"]),
    ("okr-final-score", {"final_score": -0.1, "comments": "A hard quarter."}, ["final_score"]),
    ("mbo-objectives", {**p.MBO_OBJECTIVES, "objectives": p.MBO_OBJECTIVES["objectives"][:2]},
     ["objectives"]),
    ("one-on-one-agenda", {"topics": []}, ["topics"]),
    ("send-back-reason", {"reason": "No."}, ["reason"]),
]


@pytest.mark.parametrize(("form_id", "data", "expected"), REFUSED,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(REFUSED)])
def test_form_refuses_what_the_process_cannot_use(library, form_id, data, expected):
    """Exactly the fields at fault, each with a message (the wording is the engine's and
    is tested word for word in tests/forms)."""
    errors = submission_errors(library.form(form_id), data)
    assert sorted(errors) == expected
    assert all(errors.values())


ACCEPTED = [
    ("self-review", p.SELF_REVIEW), ("manager-review", p.manager_review(3)),
    ("manager-review", {**p.manager_review(3), "potential": 2}),
    ("acknowledgement", p.DISAGREED),
    ("peer-nomination", p.nomination(p.PEERS)), ("peer-feedback", p.peer_feedback(5)),
    ("feedback-response", p.FEEDBACK_DECLINED), ("okr-plan", p.OKR_PLAN),
    ("pip-plan", p.PIP_PLAN), ("mbo-assessment", p.MBO_ASSESSMENT),
    ("nomination-approval", {}), ("pip-hr-review", {}), ("okr-approval", {}),
    ("mbo-approval", {}),
]


@pytest.mark.parametrize(("form_id", "data"), ACCEPTED, ids=[f for f, _ in ACCEPTED])
def test_form_accepts_a_real_answer(library, form_id, data):
    assert submission_errors(library.form(form_id), data) == {}


def test_a_refused_nomination_changes_nothing(library, org):
    fb = commands.start(library, "feedback-360", EVE, "hana@acme.test", now=T0).instance_id
    with pytest.raises(SubmissionInvalid) as refused:
        commands.submit(task_id(fb, "peer-nomination", EVE), EVE, {"peers": [A, B]}, now=T0)
    assert refused.value.errors == {"peers": ["Must have at least 3 items."]}
    assert state(fb) == "nominate"
    assert open_tasks(fb) == [("peer-nomination", EVE)]
    assert submissions(fb, "peer-nomination") == []
