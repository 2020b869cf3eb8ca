"""One whole run of every shipped workflow through the engine's commands.

Each step is a command as the right person (or a timer tick at a later ``now``), and
each assertion reads the database again (see ``scenario.py``): nothing but ids, emails
and the clock is carried from one step to the next. The ``db`` fixture runs every
scenario on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import commands
from engine.errors import NotAllowed
from engine.store import Instance, Person
from tests.library import payloads as p
from tests.library.scenario import (
    T0,
    children,
    decisions,
    events,
    fire,
    open_tasks,
    outbox,
    readable,
    seen_by,
    state,
    status,
    submissions,
    submit,
    task_id,
    task_statuses,
    tick,
    transitions,
)

EVE, MIA, CLEO, LOU = "eve@acme.test", "mia@acme.test", "cleo@acme.test", "lou@acme.test"
HANA, HUGO = "hana@acme.test", "hugo@acme.test"
PAT, QUINN, RAY, SAM, TOM = (f"{n}@acme.test" for n in ("pat", "quinn", "ray", "sam", "tom"))


def days(n: float) -> timedelta:
    return timedelta(days=n)


def start(library, workflow: str, actor: str = HANA, subject: str = EVE, now=T0) -> int:
    return commands.start(library, workflow, subject, actor, now=now).instance_id


# --------------------------------------------------------------------- annual-review


def test_annual_review_low_rating_goes_to_hr_who_starts_a_pip(library, org):
    review = start(library, "annual-review")
    assert state(review) == "self_review"
    assert open_tasks(review) == [("self-review", EVE)]

    submit(review, "self-review", EVE, p.SELF_REVIEW, T0 + days(3))
    assert state(review) == "manager_review"
    assert open_tasks(review) == [("manager-review", MIA)]

    submit(review, "manager-review", MIA, p.manager_review(2), T0 + days(10))
    # Started on its own (no cycle), the review has no calibration session to wait for.
    assert state(review) == "ready_to_share"
    assert open_tasks(review) == []
    # The employee does not see the manager's review before it is shared.
    assert sorted(readable(review, EVE)) == ["self-review"]
    assert "note_to_hr" not in readable(review, CLEO)["manager-review"][0]
    assert readable(review, HANA)["manager-review"][0]["note_to_hr"].startswith("Retention")
    assert decisions(HANA, T0 + days(10)) == []
    assert "manager-review" not in readable(review, EVE)  # not before the conversation
    assert decisions(MIA, T0 + days(20)) == [(review, "ready_to_share", ("share",))]
    with pytest.raises(NotAllowed):
        fire(review, "share", EVE, T0 + days(21))

    fire(review, "share", MIA, T0 + days(22))
    assert state(review) == "shared"
    assert open_tasks(review) == [("acknowledgement", EVE)]
    shared = readable(review, EVE)
    assert shared["manager-review"][0]["rating"] == 2
    assert "note_to_hr" not in shared["manager-review"][0]

    submit(review, "acknowledgement", EVE, p.DISAGREED, T0 + days(25))
    assert state(review) == "hr_follow_up"
    assert open_tasks(review) == []
    assert decisions(HUGO, T0 + days(25)) == [
        (review, "hr_follow_up", ("start_pip", "close_without_pip"))]
    assert decisions(MIA, T0 + days(25)) == []

    with pytest.raises(NotAllowed, match="may not fire 'start_pip'"):
        fire(review, "start_pip", MIA, T0 + days(26))
    assert state(review) == "hr_follow_up"
    assert [e.actor for e in events(review, "refused")] == [EVE, MIA]  # both recorded

    fire(review, "start_pip", HANA, T0 + days(27))
    assert state(review) == "closed"
    assert status(review) == "finished"
    [pip] = children(review)
    assert state(pip) == "draft"
    assert open_tasks(pip) == [("pip-plan", MIA)]
    assert transitions(review) == [
        ("submit_self_review", "self_review", "manager_review"),
        ("submit_manager_review", "manager_review", "calibration"),
        ("calibrate", "calibration", "ready_to_share"),
        ("share", "ready_to_share", "shared"),
        ("acknowledge_low_rating", "shared", "hr_follow_up"),
        ("start_pip", "hr_follow_up", "closed"),
    ]
    assert submissions(review, "acknowledgement")[0]["agreement"] == "disagree"


def test_annual_review_reminds_escalates_adjusts_and_closes_unacknowledged(library, org):
    review = start(library, "annual-review")

    tick(T0 + days(7))  # due in 14 days, reminders 7 and 2 days before
    assert [m.recipient for m in outbox("reminder")] == [EVE]
    tick(T0 + days(14))  # overdue: the manager is told and may act
    assert [m.recipient for m in outbox("escalation")] == [MIA]
    assert state(review) == "self_review"

    submit(review, "self-review", EVE, p.SELF_REVIEW, T0 + days(15))
    submit(review, "manager-review", MIA, p.manager_review(4), T0 + days(20))
    fire(review, "share", CLEO, T0 + days(30))  # the skip-level manager may share too
    assert state(review) == "shared"
    assert [s["rating"] for s in submissions(review, "manager-review")] == [4]

    tick(T0 + days(59))
    assert state(review) == "shared"
    tick(T0 + days(60))  # 30 days without acknowledgement; rating 3 needs no follow-up
    assert state(review) == "closed"
    assert transitions(review)[-1] == ("acknowledgement_lapsed", "shared", "closed")
    assert task_statuses(review, "acknowledgement") == [(EVE, "cancelled")]


def test_annual_review_cycle_for_a_department_with_a_delegated_manager_review(library, org):
    launched = commands.launch(library, "annual-review", "Annual review 2026",
                               where=[("department", "Sales")], actor=HANA, now=T0)
    assert launched.created == 2
    by_subject = {i.subject.email: i.id for i in Instance.select(Instance, Person)
                  .join(Person, on=(Instance.subject == Person.id))}
    assert sorted(by_subject) == [EVE, MIA]
    assert open_tasks(by_subject[MIA]) == [("self-review", MIA)]
    review = by_subject[EVE]

    submit(review, "self-review", EVE, p.SELF_REVIEW, T0 + days(2))
    # Eve spent the year on Lou's project: Mia hands the review to Lou (delegable).
    commands.delegate(task_id(review, "manager-review", MIA), LOU, MIA,
                      reason="Eve worked for Lou all year", now=T0 + days(3))
    assert open_tasks(review) == [("manager-review", LOU)]
    assert "self-review" in readable(review, LOU)  # what the task shows goes with it
    with pytest.raises(NotAllowed, match="not assigned to mia"):
        commands.submit(task_id(review, "manager-review", LOU), MIA, p.manager_review(3),
                        now=T0 + days(4))

    tick(T0 + days(2 + 14))  # overdue: the skip-level manager is told
    assert [m.recipient for m in outbox("escalation", review)] == [CLEO]
    # Mia's own self review is overdue too: her manager, Cleo, hears about that one.
    assert [m.recipient for m in outbox("escalation", by_subject[MIA])] == [CLEO]
    submit(review, "manager-review", LOU, p.manager_review(3), T0 + days(17))
    assert state(review) == "calibration"
    [delegated] = events(review, "delegated")
    assert (delegated.actor, delegated.detail["to"]) == (MIA, LOU)


# --------------------------------------------------------------------- feedback-360


def test_feedback_360_send_back_then_quorum_of_anonymous_peers(library, org):
    fb = start(library, "feedback-360")
    assert open_tasks(fb) == [("peer-nomination", EVE)]

    submit(fb, "peer-nomination", EVE, p.nomination([PAT, QUINN, RAY]), T0 + days(1))
    assert state(fb) == "approve_nominations"
    assert open_tasks(fb) == [("nomination-approval", MIA)]

    fire(fb, "send_back", MIA, T0 + days(2), data=p.SEND_BACK)
    assert state(fb) == "nominate"
    assert submissions(fb, "send-back-reason") == [p.SEND_BACK]
    assert task_statuses(fb, "nomination-approval") == [(MIA, "cancelled")]
    assert open_tasks(fb) == [("peer-nomination", EVE)]

    submit(fb, "peer-nomination", EVE, p.nomination(p.PEERS + [TOM]), T0 + days(3))
    submit(fb, "nomination-approval", MIA, {}, T0 + days(4), trigger="approve")
    assert state(fb) == "collect"
    assert open_tasks(fb) == sorted([("peer-feedback", x) for x in (PAT, QUINN, RAY, SAM, TOM)]
                                    + [("self-assessment", EVE)])

    submit(fb, "peer-feedback", PAT, p.peer_feedback(4), T0 + days(5))
    submit(fb, "peer-feedback", QUINN, p.peer_feedback(3), T0 + days(6))
    submit(fb, "self-assessment", EVE, p.SELF_ASSESSMENT, T0 + days(7))
    assert state(fb) == "collect"  # 2 of a quorum of 3
    assert decisions(HANA, T0 + days(7)) == []  # nothing for HR to decide while collecting
    assert readable(fb, PAT)["peer-feedback"] == [p.peer_feedback(4)]  # own answer only

    submit(fb, "peer-feedback", RAY, p.peer_feedback(5), T0 + days(8))
    assert state(fb) == "debrief"
    assert sorted(s for _, s in task_statuses(fb, "peer-feedback")) == [
        "cancelled", "cancelled", "submitted", "submitted", "submitted"]
    assert open_tasks(fb) == [("debrief-notes", MIA)]
    singles, combined = seen_by(fb, MIA)
    assert "peer-feedback" not in singles  # never one by one, never with names
    assert combined["peer-feedback"].count == 3
    assert combined["peer-feedback"].numbers["delivery"]["avg"] == 4.0
    assert singles["self-assessment"] == [p.SELF_ASSESSMENT]

    submit(fb, "debrief-notes", MIA, p.DEBRIEF, T0 + days(12))
    assert open_tasks(fb) == [("acknowledgement", EVE)]
    singles, combined = seen_by(fb, EVE)
    assert combined["peer-feedback"].count == 3
    assert "note_to_hr" not in singles["debrief-notes"][0]
    submit(fb, "acknowledgement", EVE, p.ACKNOWLEDGED, T0 + days(13))
    assert state(fb) == "closed"
    assert [t for t, _, _ in transitions(fb)] == [
        "submit_nominations", "send_back", "submit_nominations", "approve",
        "close_collection", "share", "finish"]


def test_feedback_360_deadline_waits_for_three_answers_then_final_deadline(library, org):
    fb = start(library, "feedback-360")
    submit(fb, "peer-nomination", EVE, p.nomination(p.PEERS), T0)
    submit(fb, "nomination-approval", MIA, {}, T0 + days(1), trigger="approve")
    submit(fb, "peer-feedback", PAT, p.peer_feedback(4), T0 + days(2))
    submit(fb, "peer-feedback", SAM, p.peer_feedback(4), T0 + days(3))

    tick(T0 + days(22))  # 21 days in collect, but only 2 answers: too few to show
    assert state(fb) == "collect"
    assert seen_by(fb, MIA)[1] == {}
    assert [e.trigger for e in events(fb, "timer-held")] == ["deadline"]

    tick(T0 + days(29))  # 28 days: move on regardless
    assert state(fb) == "debrief"
    assert transitions(fb)[-1] == ("final_deadline", "collect", "debrief")
    assert task_statuses(fb, "self-assessment") == [(EVE, "cancelled")]


def test_feedback_360_deadline_moves_on_without_self_assessment(library, org):
    fb = start(library, "feedback-360")
    submit(fb, "peer-nomination", EVE, p.nomination(p.PEERS), T0)
    submit(fb, "nomination-approval", MIA, {}, T0 + days(1), trigger="approve")
    for i, peer in enumerate((PAT, QUINN, RAY)):
        submit(fb, "peer-feedback", peer, p.peer_feedback(4), T0 + days(2 + i))
    assert state(fb) == "collect"  # quorum met, self assessment missing

    tick(T0 + days(22))
    assert transitions(fb)[-1] == ("deadline", "collect", "debrief")


# --------------------------------------------------------------------- pip


def test_pip_from_draft_through_check_ins_and_reviews_to_success(library, org):
    pip = start(library, "pip")
    assert open_tasks(pip) == [("pip-plan", MIA)]

    submit(pip, "pip-plan", MIA, p.PIP_PLAN, T0 + days(2))
    assert state(pip) == "hr_approval"
    assert "pip-plan" not in readable(pip, EVE)  # not before HR has approved it
    assert open_tasks(pip) == [("pip-hr-review", HANA), ("pip-hr-review", HUGO)]

    # HR presses "Send back" on the task page: the review and the reason in one command.
    submit(pip, "pip-hr-review", HANA, {"comments": "See the reason."}, T0 + days(3),
           trigger="send_back", trigger_data=p.SEND_BACK)
    assert state(pip) == "draft"
    assert submissions(pip, "send-back-reason") == [p.SEND_BACK]
    assert task_statuses(pip, "pip-hr-review") == [(HANA, "submitted"), (HUGO, "cancelled")]
    assert open_tasks(pip) == [("pip-plan", MIA)]

    submit(pip, "pip-plan", MIA, p.PIP_PLAN, T0 + days(4))
    with pytest.raises(NotAllowed):
        fire(pip, "approve", MIA, T0 + days(5))
    submit(pip, "pip-hr-review", HUGO, p.PIP_HR_OK, T0 + days(5), trigger="approve")
    assert state(pip) == "employee_ack"
    assert open_tasks(pip) == [("pip-acknowledgement", EVE)]
    assert readable(pip, EVE)["pip-plan"] == [p.PIP_PLAN, p.PIP_PLAN]  # both drafts

    tick(T0 + days(12))  # not acknowledged within 7 days: the plan starts anyway
    assert state(pip) == "active"
    assert transitions(pip)[-1] == ("start_unacknowledged", "employee_ack", "active")
    assert open_tasks(pip) == [("pip-checkin", MIA)]

    submit(pip, "pip-checkin", MIA, p.pip_checkin("2026-01-19"), T0 + days(13))
    tick(T0 + days(19))  # a week later, the next check-in
    assert task_statuses(pip, "pip-checkin") == [(MIA, "submitted"), (MIA, "open")]
    submit(pip, "pip-checkin", MIA, p.pip_checkin("2026-01-26"), T0 + days(20))

    tick(T0 + days(42))  # 30 days active: review
    assert state(pip) == "review"
    assert open_tasks(pip) == [("pip-review", MIA)]
    submit(pip, "pip-review", MIA, p.pip_review("continue"), T0 + days(44))
    assert state(pip) == "active"  # continue: straight back, next review in 30 days

    tick(T0 + days(74))
    assert state(pip) == "review"
    submit(pip, "pip-review", MIA, p.pip_review("successful"), T0 + days(75))
    assert state(pip) == "decision"
    assert open_tasks(pip) == []
    assert [d[0] for d in decisions(MIA, T0 + days(75))] == [pip]
    assert len(readable(pip, EVE)["pip-checkin"]) == 2

    with pytest.raises(NotAllowed, match="may not fire 'unsuccessful'"):
        fire(pip, "unsuccessful", MIA, T0 + days(76), data=p.PIP_OUTCOME)
    fire(pip, "successful", MIA, T0 + days(76), data=p.PIP_OUTCOME)
    assert state(pip) == "completed"
    assert status(pip) == "finished"
    assert submissions(pip, "pip-outcome") == [p.PIP_OUTCOME]
    assert [t for t, _, _ in transitions(pip)] == [
        "submit_plan", "send_back", "submit_plan", "approve", "start_unacknowledged",
        "checkpoint", "continue_plan", "checkpoint", "recommend_outcome", "successful"]


def test_pip_at_its_end_goes_to_hr_who_extends_then_closes_it_unsuccessful(library, org):
    pip = start(library, "pip")
    submit(pip, "pip-plan", MIA, {**p.PIP_PLAN, "duration_days": 30}, T0)
    submit(pip, "pip-hr-review", HANA, p.PIP_HR_OK, T0 + days(1), trigger="approve")
    submit(pip, "pip-acknowledgement", EVE, p.PIP_ACK, T0 + days(2))
    assert state(pip) == "active"

    tick(T0 + days(32))
    # A 30-day plan has run its length: "continue" cannot quietly prolong it.
    submit(pip, "pip-review", MIA, p.pip_review("continue"), T0 + days(33))
    assert state(pip) == "decision"
    assert transitions(pip)[-1] == ("recommend_outcome", "review", "decision")
    assert decisions(HANA, T0 + days(33)) == [
        (pip, "decision", ("successful", "extend", "resume", "unsuccessful"))]
    fire(pip, "extend", HANA, T0 + days(34), data=p.PIP_EXTENSION)
    assert state(pip) == "active"
    assert submissions(pip, "pip-extension") == [p.PIP_EXTENSION]

    tick(T0 + days(64))
    submit(pip, "pip-review", MIA, p.pip_review("unsuccessful"), T0 + days(65))
    fire(pip, "unsuccessful", HUGO, T0 + days(66), data=p.PIP_OUTCOME)
    assert state(pip) == "unsuccessful"
    assert status(pip) == "finished"


# --------------------------------------------------------------------- quarterly-goals


def test_quarterly_okrs_from_setting_to_final_score(library, org):
    okr = start(library, "quarterly-goals", actor=MIA)
    assert open_tasks(okr) == [("okr-plan", EVE)]

    submit(okr, "okr-plan", EVE, p.OKR_PLAN, T0 + days(3))
    assert open_tasks(okr) == [("okr-approval", MIA)]
    fire(okr, "send_back", MIA, T0 + days(4), data=p.SEND_BACK)
    assert state(okr) == "set_goals"
    submit(okr, "okr-plan", EVE, p.OKR_PLAN, T0 + days(5))
    submit(okr, "okr-approval", MIA, p.OKR_APPROVAL, T0 + days(6), trigger="approve")
    assert state(okr) == "first_half"
    assert open_tasks(okr) == []

    tick(T0 + days(6 + 34))
    assert state(okr) == "first_half"
    tick(T0 + days(6 + 35))  # five weeks after approval
    assert state(okr) == "check_in"
    submit(okr, "okr-checkin", EVE, p.OKR_CHECKIN, T0 + days(43))
    assert open_tasks(okr) == [("okr-checkin-feedback", MIA)]
    submit(okr, "okr-checkin-feedback", MIA, p.OKR_CHECKIN_FEEDBACK, T0 + days(44),
           trigger="keep_okrs")
    assert state(okr) == "second_half"

    tick(T0 + days(44 + 35))
    assert state(okr) == "self_score"
    submit(okr, "okr-self-score", EVE, p.OKR_SELF_SCORE, T0 + days(80))
    assert open_tasks(okr) == [("okr-final-score", MIA)]
    submit(okr, "okr-final-score", MIA, p.OKR_FINAL, T0 + days(82))
    assert state(okr) == "closed"
    assert [t for t, _, _ in transitions(okr)] == [
        "submit_okrs", "send_back", "submit_okrs", "approve", "mid_quarter", "submit_checkin",
        "keep_okrs", "end_of_quarter", "submit_self_score", "finish"]


# --------------------------------------------------------------------- probation-review


def test_probation_extended_then_confirmed(library, org):
    pr = start(library, "probation-review")
    assert open_tasks(pr) == [("probation-objectives", MIA)]
    submit(pr, "probation-objectives", MIA, p.PROBATION_OBJECTIVES, T0 + days(2))
    assert state(pr) == "first_half"

    tick(T0 + days(2 + 42))  # six weeks
    assert open_tasks(pr) == [("probation-midpoint", MIA)]
    submit(pr, "probation-midpoint", MIA, p.PROBATION_MIDPOINT, T0 + days(45))
    assert state(pr) == "second_half"

    tick(T0 + days(45 + 28))  # four weeks
    assert open_tasks(pr) == [("probation-final", MIA)]
    submit(pr, "probation-final", MIA, p.probation_final("extend"), T0 + days(75))
    assert open_tasks(pr) == [("probation-signoff", HANA), ("probation-signoff", HUGO)]
    assert sorted(readable(pr, EVE)) == ["probation-midpoint", "probation-objectives"]
    assert "note_to_hr" not in readable(pr, EVE)["probation-midpoint"][0]

    submit(pr, "probation-signoff", HANA, p.PROBATION_SIGNOFF, T0 + days(76), trigger="extend")
    assert state(pr) == "extended"
    assert open_tasks(pr) == []
    fire(pr, "review_now", MIA, T0 + days(90))  # the manager need not wait four weeks
    assert open_tasks(pr) == [("probation-final", MIA)]

    submit(pr, "probation-final", MIA, p.probation_final("confirm"), T0 + days(91))
    submit(pr, "probation-signoff", HUGO, p.PROBATION_SIGNOFF, T0 + days(92), trigger="confirm")
    assert state(pr) == "outcome_shared"
    assert open_tasks(pr) == [("acknowledgement", EVE)]
    outcome = readable(pr, EVE)
    assert [f["recommendation"] for f in outcome["probation-final"]] == ["extend", "confirm"]
    assert all("note_to_hr" not in f for f in outcome["probation-final"])
    assert len(outcome["probation-signoff"]) == 2
    submit(pr, "acknowledgement", EVE, p.ACKNOWLEDGED, T0 + days(93))
    assert state(pr) == "confirmed"
    assert [t for t, _, _ in transitions(pr)] == [
        "objectives_set", "midpoint", "midpoint_done", "final_review_due",
        "submit_recommendation", "extend", "review_now", "submit_recommendation", "confirm",
        "acknowledge"]


def test_probation_not_passed_is_hr_only(library, org):
    pr = start(library, "probation-review")
    submit(pr, "probation-objectives", MIA, p.PROBATION_OBJECTIVES, T0)
    tick(T0 + days(42))
    submit(pr, "probation-midpoint", MIA, p.PROBATION_MIDPOINT, T0 + days(43))
    tick(T0 + days(43 + 28))
    submit(pr, "probation-final", MIA, p.probation_final("fail"), T0 + days(72))

    with pytest.raises(NotAllowed):
        fire(pr, "end_employment", MIA, T0 + days(73))
    submit(pr, "probation-signoff", HANA, p.PROBATION_SIGNOFF, T0 + days(74),
           trigger="end_employment")
    assert state(pr) == "not_passed"
    assert status(pr) == "finished"


# --------------------------------------------------------------------- continuous-feedback


def test_feedback_request_given_and_read(library, org):
    fr = start(library, "continuous-feedback", actor=EVE)
    assert open_tasks(fr) == [("feedback-request", EVE)]
    submit(fr, "feedback-request", EVE, p.FEEDBACK_REQUEST, T0)
    assert state(fr) == "give"
    assert open_tasks(fr) == [("feedback-response", PAT)]

    submit(fr, "feedback-response", PAT, p.FEEDBACK_GIVEN, T0 + days(2))
    assert state(fr) == "read"
    assert open_tasks(fr) == [("feedback-reflection", EVE)]
    submit(fr, "feedback-reflection", EVE, p.FEEDBACK_READ, T0 + days(3))
    assert state(fr) == "closed"
    assert readable(fr, MIA) == {}  # between the two of them only
    assert readable(fr, PAT)["feedback-reflection"] == [{"read": True, "thanks": "Thank you, Pat!"}]
    assert readable(fr, EVE)["feedback-response"] == [p.FEEDBACK_GIVEN]


def test_people_ask_for_their_own_feedback_but_not_for_someone_else(library, org):
    with pytest.raises(NotAllowed, match="only HR or requester may"):
        start(library, "continuous-feedback", actor=PAT)  # a colleague, not the subject
    with pytest.raises(NotAllowed, match="only HR or requester may"):
        start(library, "continuous-feedback", actor=MIA)  # the manager asks through HR
    assert start(library, "continuous-feedback", actor=HANA)  # HR always may
    with pytest.raises(NotAllowed, match="only HR or the manager may"):
        start(library, "pip", actor=EVE)  # no started_by: nobody starts their own PIP


def test_feedback_request_declined(library, org):
    fr = start(library, "continuous-feedback", actor=EVE)
    submit(fr, "feedback-request", EVE, p.FEEDBACK_REQUEST, T0)
    submit(fr, "feedback-response", PAT, p.FEEDBACK_DECLINED, T0 + days(1))
    assert state(fr) == "declined"
    assert transitions(fr)[-1] == ("decline", "give", "declined")


def test_feedback_request_expires_unanswered(library, org):
    fr = start(library, "continuous-feedback", actor=EVE)
    submit(fr, "feedback-request", EVE, p.FEEDBACK_REQUEST, T0)
    tick(T0 + days(7))  # due in 14 days: reminders 7 and 2 days before
    tick(T0 + days(12))
    assert [m.recipient for m in outbox("reminder")] == [PAT, PAT]
    tick(T0 + days(21))
    assert state(fr) == "expired"
    assert task_statuses(fr, "feedback-response") == [(PAT, "cancelled")]


# --------------------------------------------------------------------- one-on-one


def test_one_on_one_shared_then_next_scheduled(library, org):
    one = start(library, "one-on-one", actor=EVE)  # the employee books it
    submit(one, "one-on-one-agenda", EVE, p.ONE_ON_ONE_AGENDA, T0)
    assert open_tasks(one) == [("one-on-one-notes", MIA)]
    submit(one, "one-on-one-notes", MIA, p.ONE_ON_ONE_NOTES, T0 + days(2))
    assert open_tasks(one) == [("one-on-one-comments", EVE)]
    notes = readable(one, EVE)["one-on-one-notes"][0]
    assert notes["summary"] == p.ONE_ON_ONE_NOTES["summary"]
    assert "private_notes" not in notes
    submit(one, "one-on-one-comments", EVE, p.ONE_ON_ONE_COMMENTS, T0 + days(3))
    assert state(one) == "wrap_up"
    assert decisions(EVE, T0 + days(3)) == [(one, "wrap_up", ("schedule_next", "close"))]

    fire(one, "schedule_next", EVE, T0 + days(4))
    assert state(one) == "closed"
    [following] = children(one)
    assert state(following) == "agenda"
    assert open_tasks(following) == [("one-on-one-agenda", EVE)]


def test_one_on_one_is_booked_by_either_of_them_only(library, org):
    assert state(start(library, "one-on-one", actor=MIA)) == "agenda"
    with pytest.raises(NotAllowed, match="only HR or employee or manager may"):
        start(library, "one-on-one", actor=PAT)


def test_one_on_one_without_agenda_or_comments_closes_itself(library, org):
    one = start(library, "one-on-one", actor=MIA)
    tick(T0 + days(3))
    assert state(one) == "notes"
    submit(one, "one-on-one-notes", MIA, p.ONE_ON_ONE_NOTES, T0 + days(4))
    tick(T0 + days(11))
    assert state(one) == "wrap_up"
    tick(T0 + days(25))
    assert state(one) == "closed"
    assert [t for t, _, _ in transitions(one)] == [
        "meet_without_agenda", "share_notes", "comments_lapsed", "auto_close"]
    assert children(one) == []


# --------------------------------------------------------------------- objectives-review


def test_objectives_review_over_a_year(library, org):
    mbo = start(library, "objectives-review", actor=MIA)
    submit(mbo, "mbo-objectives", EVE, p.MBO_OBJECTIVES, T0 + days(5))
    submit(mbo, "mbo-approval", MIA, p.MBO_APPROVAL, T0 + days(7), trigger="approve")
    assert state(mbo) == "first_half"

    tick(T0 + days(7 + 26 * 7))
    assert open_tasks(mbo) == [("mbo-midyear", MIA)]
    submit(mbo, "mbo-midyear", MIA, p.MBO_MIDYEAR, T0 + days(190))
    assert state(mbo) == "second_half"

    tick(T0 + days(190 + 22 * 7))
    assert open_tasks(mbo) == [("mbo-self-assessment", EVE)]
    submit(mbo, "mbo-self-assessment", EVE, p.MBO_SELF, T0 + days(350))
    assert open_tasks(mbo) == [("mbo-assessment", MIA)]
    submit(mbo, "mbo-assessment", MIA, p.MBO_ASSESSMENT, T0 + days(355))
    assert state(mbo) == "closed"
    assert "bonus_recommendation" not in readable(mbo, EVE)["mbo-assessment"][0]
    assert readable(mbo, HANA)["mbo-assessment"][0]["bonus_recommendation"] == "above"
