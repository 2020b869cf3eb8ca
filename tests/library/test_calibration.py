"""Calibration sessions over the shipped annual review, on SQLite and PostgreSQL.

Lou manages Pat, Quinn and Ray (Product); Cleo is Lou's manager. HR (Hana) opens a
session over the Product department of a cycle with Lou and Cleo as calibrators; the
reviews wait in ``calibration`` until HR closes it, then carry the calibrated rating as a
new revision of the manager's review (the original kept for HR).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import commands, exports, queries, reports, visibility
from engine.commands import calibration as cal
from engine.errors import Conflict, NotAllowed, SubmissionInvalid
from engine.queries import calibration as views
from engine.store import Instance, Person, SessionEvent, Submission
from tests.library import payloads as p
from tests.library.scenario import T0, events, fire, readable, state, submit, tick

HANA, LOU, CLEO, EVE = "hana@acme.test", "lou@acme.test", "cleo@acme.test", "eve@acme.test"
PAT, QUINN, RAY, SAM = "pat@acme.test", "quinn@acme.test", "ray@acme.test", "sam@acme.test"
TOM = "tom@acme.test"
RATING, POTENTIAL = "manager-review.rating", "manager-review.potential"


def days(n: float) -> timedelta:
    return timedelta(days=n)


def _review(rating: int, potential: int) -> dict:
    return dict(p.manager_review(rating), potential=potential)


def _instance(cycle_id: int, email: str) -> int:
    return (Instance.select(Instance.id).join(Person, on=(Instance.subject == Person.id))
            .where((Instance.cycle == cycle_id) & (Person.email == email)).scalar())


@pytest.fixture
def product(library, org):
    """A Product cycle: Pat (3, potential 3), Quinn (3, 1) and Ray (4, 2) wait in
    calibration; Sam and Tom have not written a self review yet. Returns (cycle id, {email: id})."""
    result = commands.launch(library, "annual-review", "Annual 2026",
                             where=[("department", "Product")], actor=HANA, now=T0)
    ids = {e: _instance(result.cycle_id, e) for e in (LOU, PAT, QUINN, RAY, SAM)}
    for email, rating, potential in ((PAT, 3, 3), (QUINN, 3, 1), (RAY, 4, 2)):
        submit(ids[email], "self-review", email, p.SELF_REVIEW, T0 + days(1))
        submit(ids[email], "manager-review", LOU, _review(rating, potential), T0 + days(2))
    return result.cycle_id, ids


def _open(cycle_id: int, **kw) -> int:
    args = dict(name="Product calibration", fields=[RATING, POTENTIAL],
                calibrators=[LOU, CLEO], department="Product", now=T0 + days(3))
    args.update(kw)
    return cal.open_session(cycle_id, HANA, **args)


def test_reviews_wait_in_calibration_until_the_session_closes(product):
    cycle_id, ids = product
    assert state(ids[PAT]) == "calibration"
    tick(T0 + days(40))  # no task, no timer: only the session moves it on
    assert state(ids[PAT]) == "calibration"
    session = _open(cycle_id)
    result = cal.close(session, HANA, now=T0 + days(41))
    assert result == {"revised": 0, "moved": 3}
    assert [state(ids[e]) for e in (PAT, QUINN, RAY)] == ["ready_to_share"] * 3
    assert state(ids[SAM]) == "self_review"  # not waiting: stays where it is


def test_an_accepted_change_becomes_a_new_revision_everyone_reads(product):
    cycle_id, ids = product
    session = _open(cycle_id)
    raised = cal.propose(session, LOU, ids[PAT], RATING, "4", "Led the pricing launch "
                         "alone after the team shrank.", now=T0 + days(4))
    lowered = cal.propose(session, CLEO, ids[QUINN], RATING, 2, "Below peers at the same "
                          "level.", now=T0 + days(4))
    cal.decide(raised, HANA, accept=True, now=T0 + days(5))
    cal.decide(lowered, HANA, accept=False, note="Keep the manager's rating.",
               now=T0 + days(5))
    view = views.session_view(session, HANA)
    assert [(r.email, r.values[RATING], r.calibrated[RATING]) for r in view.rows] == [
        (LOU, None, None), (PAT, 3, 4), (QUINN, 3, 3), (RAY, 4, 4), (SAM, None, None),
        (TOM, None, None)]

    assert cal.close(session, HANA, now=T0 + days(6)) == {"revised": 1, "moved": 3}
    # The original stays, readable by HR; everyone else reads the calibrated revision.
    rows = list(Submission.select().where((Submission.instance == ids[PAT])
                                          & (Submission.form_id == "manager-review"))
                .order_by(Submission.id))
    assert [(s.data["rating"], s.revision_of_id) for s in rows] == [(3, None), (4, rows[0].id)]
    detail = queries.instance_detail(ids[PAT])
    assert [s.data["rating"] for s in detail.replaced] == [3]
    assert readable(ids[PAT], LOU)["manager-review"] == [
        {k: v for k, v in rows[1].data.items()}]
    assert "manager-review" not in readable(ids[PAT], PAT)  # not before it is shared
    fire(ids[PAT], "share", LOU, T0 + days(7))
    [seen] = readable(ids[PAT], PAT)["manager-review"]
    assert seen["rating"] == 4 and "note_to_hr" not in seen
    [event] = events(ids[PAT], "calibrated")
    assert (event.detail["before"], event.detail["after"], event.actor) == (3, 4, HANA)
    assert event.detail["reason"].startswith("Led the pricing launch")
    assert events(ids[QUINN], "calibrated") == []


def test_reports_and_exports_read_the_calibrated_rating(product):
    cycle_id, ids = product
    session = _open(cycle_id)
    change = cal.propose(session, LOU, ids[PAT], RATING, 5, "Exceptional year.",
                         now=T0 + days(4))
    cal.decide(change, HANA, accept=True, now=T0 + days(5))
    cal.close(session, HANA, now=T0 + days(6))

    report = reports.cycle_report(cycle_id, HANA, now=T0 + days(6))
    [rating] = [d for d in report.distributions if d.field == "rating"
                and d.form_id == "manager-review"]
    assert [n for _, n in rating.buckets] == [0, 0, 1, 1, 1]  # 3, 4 and the calibrated 5
    table = exports.cycle_export("Annual 2026", HANA)
    pat_reviews = [r for r in table.rows if r["subject_email"] == PAT
                   and r["form"] == "manager-review"]
    assert [r["manager-review.rating"] for r in pat_reviews] == [5]
    lou = exports.cycle_export("Annual 2026", LOU)
    assert [r["manager-review.rating"] for r in lou.rows if r["subject_email"] == PAT
            and r["form"] == "manager-review"] == [5]


def test_low_calibrated_rating_goes_to_hr_follow_up(product):
    cycle_id, ids = product
    session = _open(cycle_id)
    cal.decide(cal.propose(session, CLEO, ids[RAY], RATING, 2, "Missed every deadline.",
                           now=T0 + days(4)), HANA, accept=True, now=T0 + days(4))
    cal.close(session, HANA, now=T0 + days(5))
    fire(ids[RAY], "share", LOU, T0 + days(6))
    submit(ids[RAY], "acknowledgement", RAY, p.ACKNOWLEDGED, T0 + days(7))
    assert state(ids[RAY]) == "hr_follow_up"  # the condition reads the calibrated rating


def _refusals(session: int) -> list[tuple[str, str]]:
    return [(e.actor, e.detail["action"]) for e in SessionEvent.select().where(
        (SessionEvent.session == session) & (SessionEvent.kind == "refused"))
        .order_by(SessionEvent.id)]


def test_calibrators_see_and_change_only_their_scope(library, product):
    cycle_id, ids = product
    session = _open(cycle_id)
    other = commands.launch(library, "annual-review", "Sales 2026",
                            where=[("department", "Sales")], actor=HANA, now=T0)
    eve = _instance(other.cycle_id, EVE)
    # Lou never sees (or changes) his own review, nor anyone outside the session.
    assert [r.email for r in views.session_view(session, LOU).rows] == [PAT, QUINN, RAY, SAM,
                                                                       TOM]
    with pytest.raises(NotAllowed, match="not in their scope"):
        cal.propose(session, LOU, eve, RATING, 4, "Strong year.", now=T0 + days(4))
    with pytest.raises(NotAllowed, match="not in their scope"):
        cal.propose(session, LOU, ids[LOU], RATING, 5, "Modest as ever.", now=T0 + days(4))
    # Someone who is not a calibrator, and the employee, see nothing of the session.
    with pytest.raises(NotAllowed, match="neither HR nor a calibrator"):
        views.session_view(session, PAT)
    with pytest.raises(NotAllowed, match="neither HR nor a calibrator"):
        cal.propose(session, PAT, ids[PAT], RATING, 5, "I deserve it.", now=T0 + days(4))
    assert views.sessions(PAT) == [] and [s.id for s in views.sessions(LOU)] == [session]
    with pytest.raises(NotAllowed, match="only HR"):
        cal.decide(cal.propose(session, LOU, ids[PAT], RATING, 4, "Led the launch.",
                               now=T0 + days(4)), LOU, accept=True, now=T0 + days(4))
    with pytest.raises(NotAllowed, match="only HR"):
        cal.close(session, CLEO, now=T0 + days(4))
    assert _refusals(session) == [(LOU, "propose"), (LOU, "propose"), (PAT, "propose"),
                                  (LOU, "decide"), (CLEO, "close")]
    assert state(ids[PAT]) == "calibration"


def test_in_a_session_over_the_whole_cycle_a_calibrator_sees_their_department(product):
    cycle_id, ids = product
    session = _open(cycle_id, department="", calibrators=[LOU, CLEO])
    assert [r.email for r in views.session_view(session, LOU).rows] == [PAT, QUINN, RAY, SAM,
                                                                       TOM]
    # Cleo is in Exec: of Product she sees only her direct report, Lou.
    assert [r.email for r in views.session_view(session, CLEO).rows] == [LOU]
    assert len(views.session_view(session, HANA).rows) == 6


def test_opening_refuses_bad_input_field_by_field(product):
    cycle_id, _ = product
    Person.update(active=False).where(Person.email == SAM).execute()
    with pytest.raises(SubmissionInvalid) as caught:
        cal.open_session(cycle_id, HANA, "", ["manager-review.summary"],
                         calibrators=["nobody@acme.test", SAM], department="Nowhere",
                         now=T0)
    assert caught.value.errors == {
        "name": ["Give the session a name."],
        "fields": ["manager-review.summary cannot be calibrated in this cycle."],
        "department": ["Nobody of the cycle is in department Nowhere."],
        "calibrators": ["nobody@acme.test is not in the directory.",
                        "Sam Peer has left and cannot calibrate."]}
    with pytest.raises(NotAllowed, match="only HR"):
        cal.open_session(cycle_id, LOU, "Mine", [RATING], now=T0)
    assert views.sessions(HANA) == []


def test_target_distribution_and_deviation(product):
    cycle_id, ids = product
    session = _open(cycle_id)
    with pytest.raises(SubmissionInvalid) as caught:
        cal.set_target(session, HANA, {"1": 10, "2": 20, "3": 40, "4": 20, "5": 5})
    assert caught.value.errors == {"target": ["The percents add up to 95, not 100."]}
    with pytest.raises(SubmissionInvalid) as caught:
        cal.set_target(session, HANA, {"3": "half", "9": 10})
    assert caught.value.errors == {"target": ["9 is not a value of the rating."],
                                   "target.3": ["Write a whole percent from 0 to 100."]}
    cal.set_target(session, HANA, {"1": 5, "2": 15, "3": 50, "4": 25, "5": 5})
    view = views.session_view(session, HANA)
    assert view.rated == 3
    assert [(b.value, b.count, b.percent, b.target, b.deviation) for b in view.distribution] \
        == [(1, 0, 0.0, 5, -5.0), (2, 0, 0.0, 15, -15.0), (3, 2, 66.7, 50, 16.7),
            (4, 1, 33.3, 25, 8.3), (5, 0, 0.0, 5, -5.0)]
    with pytest.raises(NotAllowed):
        cal.set_target(session, LOU, {})


def test_the_nine_box_places_people_by_rating_and_potential(product):
    cycle_id, ids = product
    view = views.session_view(_open(cycle_id), HANA)
    grid = [[sorted(r.email for r in box.people) for box in row] for row in view.ninebox]
    # Top row: high potential. Columns: rating 1-2, 3, 4-5.
    assert grid == [[[], [PAT], []], [[], [], [RAY]], [[], [QUINN], []]]


def test_proposals_are_checked_and_closing_twice_conflicts(product):
    cycle_id, ids = product
    session = _open(cycle_id)
    with pytest.raises(SubmissionInvalid) as caught:
        cal.propose(session, LOU, ids[PAT], RATING, 3, "  ", now=T0)
    assert caught.value.errors == {"value": ["That is the value it has now."],
                                   "reason": ["Say why the rating should change."]}
    with pytest.raises(SubmissionInvalid) as caught:
        cal.propose(session, LOU, ids[SAM], RATING, 7, "No review yet.", now=T0)
    assert caught.value.errors == {"value": ["Pick one of the rating's values.",
                                             "There is no answer to calibrate yet."]}
    first = cal.propose(session, LOU, ids[PAT], RATING, 4, "Led the launch.", now=T0)
    second = cal.propose(session, CLEO, ids[PAT], RATING, 5, "Led two launches.", now=T0)
    cal.decide(first, HANA, accept=True, now=T0)
    with pytest.raises(Conflict, match="accepted already"):
        cal.decide(second, HANA, accept=True, now=T0)
    cal.close(session, HANA, now=T0 + days(1))
    with pytest.raises(Conflict, match="closed"):
        cal.close(session, HANA, now=T0 + days(1))
    with pytest.raises(Conflict, match="closed"):
        cal.propose(session, LOU, ids[RAY], RATING, 5, "Late.", now=T0 + days(2))
    statuses = {p.id: p.status for p in views.session_view(session, HANA).rows[1].proposals}
    assert statuses == {first: "accepted", second: "lapsed"}


def test_hr_reads_the_original_and_visibility_hides_it_from_others(product):
    cycle_id, ids = product
    session = _open(cycle_id)
    cal.decide(cal.propose(session, LOU, ids[PAT], RATING, 4, "Led the launch.", now=T0),
               HANA, accept=True, now=T0)
    cal.close(session, HANA, now=T0 + days(1))
    detail = queries.instance_detail(ids[PAT])
    assert len([s for s in detail.submissions if s.form_id == "manager-review"]) == 1
    views_lou, _ = visibility.visible_submissions(LOU, detail)
    assert [v.data["rating"] for v in views_lou if v.form_id == "manager-review"] == [4]


def test_a_review_that_moved_on_is_not_calibrated_again(product):
    cycle_id, ids = product
    cal.close(_open(cycle_id), HANA, now=T0 + days(4))
    again = _open(cycle_id, name="Second round", now=T0 + days(5))
    with pytest.raises(SubmissionInvalid) as caught:
        cal.propose(again, LOU, ids[PAT], RATING, 5, "One more look.", now=T0 + days(5))
    assert caught.value.errors == {"value": [
        "This review is not waiting for calibration any more: it has moved on."]}
    assert [r.waiting for r in views.session_view(again, HANA).rows] == [False] * 6


def test_a_revision_is_not_one_more_submission(product):
    from engine import lifecycle

    cycle_id, ids = product
    session = _open(cycle_id)
    cal.decide(cal.propose(session, LOU, ids[PAT], RATING, 4, "Led the launch.", now=T0),
               HANA, accept=True, now=T0)
    cal.close(session, HANA, now=T0 + days(1))
    rows = lifecycle.submission_rows(ids[PAT])
    assert lifecycle.counts_from_rows(rows)["manager-review"] == 1  # count() as before
    assert [d["rating"] for f, d, _ in rows if f == "manager-review"] == [4]


def test_hr_neither_sees_nor_decides_on_their_own_review(library, org):
    hugo = "hugo@acme.test"
    launched = commands.launch(library, "annual-review", "People 2026",
                               where=[("department", "People")], actor=hugo, now=T0)
    ids = {e: _instance(launched.cycle_id, e) for e in (HANA, hugo)}
    for email in (HANA, hugo):
        submit(ids[email], "self-review", email, p.SELF_REVIEW, T0 + days(1))
        submit(ids[email], "manager-review", CLEO, _review(3, 2), T0 + days(2))
    session = cal.open_session(launched.cycle_id, hugo, "People", [RATING],
                               calibrators=[CLEO], now=T0 + days(3))
    assert [r.email for r in views.session_view(session, HANA).rows] == [hugo]
    assert [r.email for r in views.session_view(session, CLEO).rows] == [HANA, hugo]
    raised = cal.propose(session, CLEO, ids[HANA], RATING, 4, "Ran the reorganisation.",
                         now=T0 + days(3))
    with pytest.raises(NotAllowed, match="their own review"):
        cal.decide(raised, HANA, accept=True, now=T0 + days(3))
    with pytest.raises(NotAllowed, match="not in their scope"):
        cal.propose(session, HANA, ids[HANA], RATING, 5, "Modest.", now=T0 + days(3))
    cal.decide(raised, hugo, accept=True, now=T0 + days(3))
    assert cal.close(session, hugo, now=T0 + days(4)) == {"revised": 1, "moved": 2}


def test_two_hr_members_closing_at_once_close_it_once(product):
    import threading

    from engine import store

    cycle_id, ids = product
    session = _open(cycle_id)
    cal.decide(cal.propose(session, LOU, ids[PAT], RATING, 4, "Led the launch.", now=T0),
               HANA, accept=True, now=T0)
    barrier, results = threading.Barrier(2, timeout=20), []

    def close(actor: str) -> None:
        try:
            barrier.wait()
            results.append(cal.close(session, actor, now=T0 + days(1)))
        except Conflict as conflict:
            results.append(conflict)
        finally:
            store.db.close()  # this thread's own connection

    threads = [threading.Thread(target=close, args=(who,)) for who in (HANA, "hugo@acme.test")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    assert Submission.select().where(Submission.revision_of.is_null(False)).count() == 1
    assert len(events(ids[PAT], "calibrated")) == 1
    assert state(ids[PAT]) == "ready_to_share"


def test_the_command_line_runs_a_session(product, db, project_root):
    import json

    from click.testing import CliRunner

    from engine import store
    from web.cli import main

    cycle_id, ids = product
    store.close()  # each command connects by itself, as a real invocation does
    base = ["--db", db, "--library", str(project_root / "workflows"),
            "--library", str(project_root / "forms")]
    runner = CliRunner()

    def run(*args, ok=True):
        result = runner.invoke(main, [*base, *args, "--json"])
        assert (result.exit_code == 0) == ok, (result.output, result.stderr)
        return json.loads(result.stdout if ok else result.stderr)

    session = run("calibration", "open", "--cycle", "Annual 2026", "--name", "Product",
                  "--field", RATING, "--calibrator", LOU, "--department", "Product",
                  "--as", HANA)["session"]
    refused = run("calibration", "propose", str(session), "--instance", str(ids[PAT]),
                  "--field", RATING, "--value", "4", "--reason", "Mine.", "--as", PAT, ok=False)
    assert refused["error"] == "NotAllowed"
    proposal = run("calibration", "propose", str(session), "--instance", str(ids[PAT]),
                   "--field", RATING, "--value", "4", "--reason", "Led the launch.",
                   "--as", LOU)["proposal"]
    invalid = run("calibration", "propose", str(session), "--instance", str(ids[RAY]),
                  "--field", RATING, "--value", "9", "--reason", "x", "--as", LOU, ok=False)
    assert invalid["errors"] == {"value": ["Pick one of the rating's values."]}
    run("calibration", "decide", str(proposal), "--accept", "--as", HANA)
    shown = run("calibration", "show", str(session), "--as", LOU)
    assert [(r["email"], r["calibrated"][RATING]) for r in shown["people"]][:3] == [
        (PAT, 4), (QUINN, 3), (RAY, 4)]
    assert run("calibration", "close", str(session), "--as", HANA) == {"revised": 1, "moved": 3}
    store.connect(db)
    assert state(ids[PAT]) == "ready_to_share"


def test_next_years_review_reads_the_calibrated_rating_of_this_one(library, product):
    from engine import carry

    cycle_id, ids = product
    session = _open(cycle_id)
    cal.decide(cal.propose(session, LOU, ids[PAT], RATING, 5, "Best year.", now=T0),
               HANA, accept=True, now=T0)
    cal.close(session, HANA, now=T0 + days(1))
    later = commands.launch(library, "annual-review", "Annual 2027",
                            where=[("email", PAT)], actor=HANA, now=T0 + days(365))
    nxt = Instance.get_by_id(_instance(later.cycle_id, PAT))
    previous = carry.Previous(nxt)
    assert previous["forms"]["manager-review"]["rating"] == 5
    [last] = carry.instances_function(nxt)("annual-review")
    assert last["forms"]["manager-review"]["rating"] == 5
