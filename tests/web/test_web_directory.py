"""The HR console's directory: import (add and update by default, sync after a preview)."""

from __future__ import annotations

import io
import re

from engine import commands
from engine.store import DirectoryEvent, Person
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, sign_in

HEADER = "email,name,manager_email,department,title,groups\n"


def _upload(client, text: str | bytes, **form):
    data = text.encode() if isinstance(text, str) else text
    return client.post("/hr/people/import",
                       data={"file": (io.BytesIO(data), "p.csv"), **form},
                       content_type="multipart/form-data")


def _active(app) -> int:
    with app.app_context():
        return Person.select().where(Person.active == True).count()  # noqa: E712


def test_a_header_only_file_is_refused_and_changes_nothing(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    for mode in ("add", "sync"):
        response = _upload(hana, HEADER, mode=mode)
        assert response.status_code == 422
        assert "the file has only the header line and no people" in response.get_data(
            as_text=True)
    assert _active(app) == 8


def test_a_one_row_file_adds_and_updates_only(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    response = _upload(hana, HEADER + "uma@acme.test,Uma Renamed,carla@acme.test,Sales,AE,\n")
    assert response.status_code == 303
    page = hana.get("/hr/people/").get_data(as_text=True)
    assert "Imported: 0 added, 1 updated, 0 marked as left, 0 unchanged." in page
    assert _active(app) == 8


def test_a_sync_shows_what_it_will_do_and_changes_only_when_confirmed(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    keep = HEADER + ("carla@acme.test,Carla Chief,,Executive,CEO,\n"
                     "hana@acme.test,Hana Human,carla@acme.test,People,HR Partner,hr\n"
                     "bob@acme.test,Bob Boss,carla@acme.test,Engineering,Engineering Manager,"
                     "hr\n")
    with app.app_context():
        commands.start(scenario.library(app), "annual-review", "sam@acme.test",
                       "hana@acme.test")
    preview = _upload(hana, keep, mode="sync")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'data-testid="sync-preview"' in html
    left = re.search(r'data-testid="sync-left">(.*?)</p>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", left) == (
        "5 people will be marked as left, 0 of them in HR, 1 open task will need a new holder.")
    assert _active(app) == 8  # nothing yet
    form = {name: value for name, value in re.findall(
        r'<input type="hidden" name="(\w+)" value="([^"]*)"', html)}
    form["csv"] = keep
    confirmed = hana.post("/hr/people/import", data=form)
    assert confirmed.status_code == 303, confirmed.get_data(as_text=True)
    assert _active(app) == 3
    with app.app_context():
        event = DirectoryEvent.select().order_by(DirectoryEvent.id.desc()).get()
        assert (event.kind, event.actor, event.detail["deactivated"]) == (
            "synced", "hana@acme.test", 5)


def test_a_confirmation_after_the_directory_moved_shows_the_new_preview(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    keep = HEADER + ("carla@acme.test,Carla Chief,,Executive,CEO,\n"
                     "hana@acme.test,Hana Human,carla@acme.test,People,HR Partner,hr\n")
    html = _upload(hana, keep, mode="sync").get_data(as_text=True)
    assert "6 people will be marked as left" in re.sub(r"<[^>]+>", "", html)
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    form["csv"] = keep
    _upload(hana, HEADER + "new@acme.test,New Person,carla@acme.test,Sales,AE,\n")
    again = hana.post("/hr/people/import", data=form)
    assert again.status_code == 200
    assert 'data-testid="sync-changed"' in again.get_data(as_text=True)
    assert _active(app) == 9


def test_a_sync_without_the_importer_or_without_hr_is_refused(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    no_hana = ORG.replace("hana@acme.test,Hana Human,carla@acme.test,People,HR Partner,hr\n", "")
    no_hana = no_hana.replace("Carla Chief,,Executive,CEO,", "Carla Chief,,Executive,CEO,hr")
    response = _upload(hana, no_hana, mode="sync")
    assert response.status_code == 409
    assert "the sync would mark you (hana@acme.test) as left" in response.get_data(as_text=True)
    no_hr = ORG.replace("HR Partner,hr", "HR Partner,")
    response = _upload(hana, no_hr, mode="sync")
    assert response.status_code == 409
    assert "would leave no active HR member" in response.get_data(as_text=True)
    assert _active(app) == 8


def test_a_semicolon_file_with_a_bom_from_excel_is_imported(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    text = "\ufeffemail;name;manager_email;department;title;groups\r\n" \
           "new@acme.test;Søren Ærø;carla@acme.test;Sales;AE;\r\n"
    assert _upload(hana, text.encode("utf-8")).status_code == 303
    with app.app_context():
        assert Person.get(Person.email == "new@acme.test").name == "Søren Ærø"
    latin1 = _upload(hana, text.replace("\ufeff", "").encode("cp1252"))
    assert latin1.status_code == 422
    assert "the file is not UTF-8 text (byte 0xf8 cannot be read)" in latin1.get_data(
        as_text=True)
