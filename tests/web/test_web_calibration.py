"""Calibration pages: HR opens a session from a cycle and runs it, a calibrator proposes,
the employee and outsiders see nothing of it; every refusal is recorded; the review
pages then show the calibrated rating (and HR the original).

The shipped annual review (``calibration:`` state) over Engineering: Bob manages Sam, Pat
and Quinn; Carla manages Bob.
"""

from __future__ import annotations

import csv
import io

import pytest

from engine import commands
from engine.directory import import_csv
from engine.store import Instance, Person, SessionEvent
from tests.library import payloads as p
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, SHIPPED, make_app, sign_in

SAM, BOB, HANA, UMA, CARLA = ("sam@acme.test", "bob@acme.test", "hana@acme.test",
                              "uma@acme.test", "carla@acme.test")
PAT, QUINN = "pat@acme.test", "quinn@acme.test"
RATING = "manager-review.rating"


@pytest.fixture
def cycle(tmp_path):
    """(app, cycle id, {email: instance id}): Sam (3), Pat (4) and Quinn (2, potential 1)
    wait in calibration."""
    app = make_app(tmp_path / "calibration.sqlite3", LIBRARY_PATHS=SHIPPED)
    with app.app_context():
        from web.database import open_connection

        open_connection()
        import_csv(ORG)
        launched = commands.launch(scenario.library(app), "annual-review", "Annual 2026",
                                   where=[("department", "Engineering")], actor=HANA)
        ids = {i.subject.email: i.id for i in Instance.select(Instance, Person).join(
            Person, on=(Instance.subject == Person.id))}
        for email, rating, potential in ((SAM, 3, 2), (PAT, 4, 3), (QUINN, 2, 1)):
            commands.submit(scenario.open_task(ids[email], email).id, email, p.SELF_REVIEW)
            commands.submit(scenario.open_task(ids[email], BOB).id, BOB,
                            dict(p.manager_review(rating), potential=potential))
    yield app, launched.cycle_id, ids
    from engine import store

    store.close()


def _open_session(app, cycle_id: int) -> int:
    hana = sign_in(app.test_client(), app, HANA)
    response = hana.post(f"/calibration/new/{cycle_id}", data={
        "name": "Engineering calibration", "department": "Engineering", "rating": RATING,
        "second": "manager-review.potential", "calibrators": [BOB, CARLA, ""]})
    assert response.status_code == 303
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_hr_opens_a_session_from_the_cycle_and_bad_calibrators_are_refused(cycle):
    app, cycle_id, _ = cycle
    hana = sign_in(app.test_client(), app, HANA)
    dashboard = hana.get(f"/hr/cycles/{cycle_id}").get_data(as_text=True)
    assert f'href="/calibration/new/{cycle_id}"' in dashboard
    form = hana.get(f"/calibration/new/{cycle_id}").get_data(as_text=True)
    assert "Bob Boss" in form and 'list="rf-people"' in form  # managers, then the picker
    refused = hana.post(f"/calibration/new/{cycle_id}", data={
        "name": "Eng", "rating": RATING, "calibrators": ["ghost@acme.test", BOB]})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "ghost@acme.test is not in the directory." in html
    assert 'aria-describedby="c-calibrators-errors"' in html
    with app.app_context():
        assert SessionEvent.select().count() == 0  # nothing opened
    session_id = _open_session(app, cycle_id)
    page = hana.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert 'data-testid="distribution"' in page and 'data-testid="ninebox"' in page
    assert '<svg class="chart" role="img"' in page
    assert [name in page for name in ("Sam Subject", "Pat Peer", "Quinn Peer")] == [True] * 3
    assert "Engineering calibration" in hana.get(f"/hr/cycles/{cycle_id}").get_data(
        as_text=True)


def test_the_employee_and_outsiders_see_nothing_and_are_recorded(cycle):
    app, cycle_id, ids = cycle
    session_id = _open_session(app, cycle_id)
    sam = sign_in(app.test_client(), app, SAM)
    assert sam.get(f"/calibration/{session_id}").status_code == 403
    assert sam.get("/calibration/").status_code == 404
    assert 'data-testid="calibration-link"' not in sam.get("/").get_data(as_text=True)
    denied = sam.post(f"/calibration/{session_id}/propose", data={
        "instance": ids[SAM], "field": RATING, "value": "5", "reason": "Deserved."})
    assert denied.status_code == 403
    uma = sign_in(app.test_client(), app, UMA)
    assert uma.post(f"/calibration/{session_id}/close").status_code == 403
    bob = sign_in(app.test_client(), app, BOB)
    assert bob.post(f"/calibration/{session_id}/close").status_code == 403
    assert bob.post(f"/calibration/{session_id}/propose", data={
        "instance": ids[BOB], "field": RATING, "value": "5", "reason": "Me."}).status_code == 403
    with app.app_context():
        refused = [(e.actor, e.detail["action"]) for e in SessionEvent.select().where(
            SessionEvent.kind == "refused").order_by(SessionEvent.id)]
    assert refused == [(SAM, "view"), (SAM, "propose"), (UMA, "close"), (BOB, "close"),
                       (BOB, "propose")]
    hana = sign_in(app.test_client(), app, HANA)
    history = hana.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert history.count("tried something that was refused.") == 5


def test_a_calibrator_sees_their_scope_and_proposes_with_a_reason(cycle):
    app, cycle_id, ids = cycle
    session_id = _open_session(app, cycle_id)
    bob = sign_in(app.test_client(), app, BOB)
    assert 'data-testid="calibration-link"' in bob.get("/").get_data(as_text=True)
    page = bob.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert f'data-person="{SAM}"' in page and f'data-person="{BOB}"' not in page
    assert 'data-testid="close-session"' not in page and 'data-testid="decide"' not in page
    bad = bob.post(f"/calibration/{session_id}/propose", data={
        "instance": ids[SAM], "field": RATING, "value": "4", "reason": " "})
    assert bad.status_code == 422
    assert "Say why the rating should change." in bad.get_data(as_text=True)
    good = bob.post(f"/calibration/{session_id}/propose", data={
        "instance": ids[SAM], "field": RATING, "value": "4", "reason": "Carried the launch."})
    assert good.status_code == 303
    hana = sign_in(app.test_client(), app, HANA)
    page = hana.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert "Carried the launch." in page and 'data-testid="decide"' in page


def test_closing_writes_the_rating_back_and_the_pages_show_it(cycle):
    app, cycle_id, ids = cycle
    session_id = _open_session(app, cycle_id)
    bob = sign_in(app.test_client(), app, BOB)
    bob.post(f"/calibration/{session_id}/propose", data={
        "instance": ids[SAM], "field": RATING, "value": "4", "reason": "Carried the launch."})
    hana = sign_in(app.test_client(), app, HANA)
    with app.app_context():
        from engine.store import Proposal

        proposal = Proposal.select().first().id
    assert hana.post(f"/calibration/proposals/{proposal}",
                     data={"decision": "accept"}).status_code == 303
    assert hana.post(f"/calibration/{session_id}/close").status_code == 303
    closed = hana.get(f"/calibration/{session_id}").get_data(as_text=True)
    assert 'data-testid="session-status">closed' in closed
    with app.app_context():
        assert Instance.get_by_id(ids[SAM]).state == "ready_to_share"
        commands.fire(ids[SAM], "share", BOB)
    sam = sign_in(app.test_client(), app, SAM)
    mine = sam.get(f"/instances/{ids[SAM]}").get_data(as_text=True)
    assert "4 - Exceeded expectations" in mine and 'data-testid="calibrated"' in mine
    assert "3 - Met expectations" not in mine and "Carried the launch." not in mine
    assert "The calibration set “Overall rating” to 4 - Exceeded expectations." in mine
    hr_page = hana.get(f"/instances/{ids[SAM]}").get_data(as_text=True)
    assert 'data-testid="original-submission"' in hr_page
    assert ("changed “Overall rating” in the calibration session “Engineering calibration” "
            "from 3 - Met expectations to 4 - Exceeded expectations.") in hr_page
    assert "Reason: Carried the launch." in hr_page
    # The packet and the export read the calibrated revision too.
    packet = sam.get(f"/instances/{ids[SAM]}/packet").get_data(as_text=True)
    assert "4 - Exceeded expectations" in packet and "3 - Met expectations" not in packet
    assert "from 3 - Met expectations to 4" in bob.get(  # the author reads both
        f"/instances/{ids[SAM]}/packet").get_data(as_text=True)
    export = hana.post(f"/cycles/{cycle_id}/export", data={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(export.get_data().decode("utf-8-sig"))))
    assert [r["manager-review.rating"] for r in rows if r["subject_email"] == SAM
            and r["form"] == "manager-review"] == ["4"]


def test_a_session_form_needs_its_csrf_token(cycle, tmp_path):
    app, cycle_id, _ = cycle
    app.config["WTF_CSRF_ENABLED"] = True
    hana = sign_in(app.test_client(), app, HANA)
    response = hana.post(f"/calibration/new/{cycle_id}", data={
        "name": "No token", "rating": RATING, "calibrators": [BOB]})
    assert response.status_code == 400
    with app.app_context():
        assert SessionEvent.select().count() == 0


def test_the_session_page_query_count_does_not_grow_with_the_session(cycle):
    from tests.web.test_web_query_counts import _queries

    app, cycle_id, ids = cycle
    session_id = _open_session(app, cycle_id)
    hana = sign_in(app.test_client(), app, HANA)
    few = _queries(app, hana, f"/calibration/{session_id}")
    more = "".join(f"e{i}@acme.test,Engineer {i},bob@acme.test,Engineering,Engineer,\n"
                   for i in range(12))
    with app.app_context():
        import_csv(ORG + more)
        commands.launch(scenario.library(app), "annual-review", "Annual 2026",
                        where=[("department", "Engineering")], actor=HANA)
        for i in range(12):
            email = f"e{i}@acme.test"
            iid = Instance.select(Instance.id).join(Person, on=(
                Instance.subject == Person.id)).where(Person.email == email).scalar()
            commands.submit(scenario.open_task(iid, email).id, email, p.SELF_REVIEW)
            commands.submit(scenario.open_task(iid, BOB).id, BOB,
                            dict(p.manager_review(1 + i % 5), potential=1 + i % 3))
            if i % 2:
                commands.calibration.propose(session_id, BOB, iid, RATING,
                                             5 if i % 5 != 4 else 4, "Level it.")
    many = _queries(app, hana, f"/calibration/{session_id}")
    assert many == few
