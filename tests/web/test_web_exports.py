"""The export buttons: a cycle's answers downloaded as CSV or XLSX, with the reader's
own rules (HR everything and recorded, a manager their people, others nothing)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from engine import commands, directory
from engine.store import Cycle, Event, EventKind
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, make_app, sign_in

SAM, BOB, HANA, UMA = "sam@acme.test", "bob@acme.test", "hana@acme.test", "uma@acme.test"


def _cycle_at_debrief_shared(app) -> int:
    with app.app_context():
        lib = scenario.library(app)
        result = commands.launch(lib, "feedback-360", "360 Engineering",
                                 where=[("email", SAM)], actor=HANA)
        (instance,) = Cycle.get_by_id(result.cycle_id).instances
        iid = instance.id
        commands.submit(scenario.open_task(iid, SAM).id, SAM, {"peers": scenario.PEERS})
        commands.submit(scenario.open_task(iid, BOB).id, BOB, {"comments": "Good list"},
                        trigger="approve")
        scenario.peers_answer(iid)
        commands.submit(scenario.open_task(iid, SAM).id, SAM, scenario.SELF_ASSESSMENT)
        commands.submit(scenario.open_task(iid, BOB).id, BOB, scenario.DEBRIEF)
        return result.cycle_id


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_hr_downloads_the_cycle_with_private_fields_and_the_download_is_recorded(app):
    cycle_id = _cycle_at_debrief_shared(app)
    hana = sign_in(app.test_client(), app, HANA)
    assert 'data-testid="export"' in hana.get(f"/hr/cycles/{cycle_id}").get_data(as_text=True)
    response = hana.post(f"/cycles/{cycle_id}/export", data={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=360-engineering.csv")
    rows = _csv(response)
    (debrief,) = [r for r in rows if r["form"] == "debrief-notes"]
    assert debrief["debrief-notes.note_to_hr"] == "HR-ONLY private note"
    peers = [r for r in rows if r["form"] == "peer-feedback"]
    assert len(peers) == len(scenario.PEERS) and {r["author_email"] for r in peers} == {""}
    with app.app_context():
        assert Event.select().where(Event.kind == EventKind.EXPORTED).count() == 1

    book = hana.post(f"/cycles/{cycle_id}/export", data={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(book.get_data())).active
    assert sheet.max_row == 1 + len(rows)


def test_a_manager_downloads_without_private_fields_and_a_stranger_gets_nothing(app):
    cycle_id = _cycle_at_debrief_shared(app)
    bob = sign_in(app.test_client(), app, BOB)
    rows = _csv(bob.post(f"/cycles/{cycle_id}/export", data={"format": "csv"}))
    (debrief,) = [r for r in rows if r["form"] == "debrief-notes"]
    assert debrief["author_email"] == BOB  # his own answer, his own note
    (peers,) = [r for r in rows if r["form"] == "peer-feedback"]  # the aggregate only
    assert peers["author_name"].startswith("anonymous (")
    uma = sign_in(app.test_client(), app, UMA)
    assert uma.post(f"/cycles/{cycle_id}/export", data={"format": "csv"}).status_code == 404
    sam = sign_in(app.test_client(), app, SAM)
    mine = _csv(sam.post(f"/cycles/{cycle_id}/export", data={"format": "csv"}))
    assert all(r.get("debrief-notes.note_to_hr", "") == "" for r in mine)


def test_bad_export_requests_are_refused(app):
    cycle_id = _cycle_at_debrief_shared(app)
    hana = sign_in(app.test_client(), app, HANA)
    assert hana.post(f"/cycles/{cycle_id}/export", data={"format": "pdf"}).status_code == 400
    assert hana.post("/cycles/999/export", data={"format": "csv"}).status_code == 404
    assert hana.get(f"/cycles/{cycle_id}/export").status_code == 405
    assert app.test_client().post(f"/cycles/{cycle_id}/export",
                                  data={"format": "csv"}).status_code in (302, 401)


def test_the_export_needs_its_csrf_token(tmp_path):
    app = make_app(tmp_path / "csrf.sqlite3", WTF_CSRF_ENABLED=True)
    with app.app_context():
        directory.import_csv(ORG)
    cycle_id = _cycle_at_debrief_shared(app)
    hana = sign_in(app.test_client(), app, HANA)
    assert hana.post(f"/cycles/{cycle_id}/export", data={"format": "csv"}).status_code == 400
