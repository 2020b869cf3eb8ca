"""The library's migrate page: running processes moved to the library's version, dry run
shown first, then a confirmed POST (with its CSRF token)."""

from __future__ import annotations

import re

from engine import commands
from engine.directory import import_csv
from engine.store import Event, EventKind, Instance
from tests.web.conftest import ORG, make_app, sign_in
from tests.web.webscenario import library

WORKFLOW = """workflow: check
version: 1
title: Quick check
subject: person
roles:
  manager: subject.manager
initial: ask
states:
  ask:
    tasks:
      - form: note
        assignee: manager
  done:
    final: true
transitions:
  - trigger: finish
    source: ask
    dest: done
    auto: true
"""
FORM = '{"schema": {"type": "object", "properties": {"text": {"type": "string"}}}}'


def _app(tmp_path):
    (tmp_path / "workflows").mkdir()
    (tmp_path / "forms").mkdir()
    (tmp_path / "workflows" / "check.yaml").write_text(WORKFLOW)
    (tmp_path / "forms" / "note.json").write_text(FORM)
    app = make_app(tmp_path / "migrate.sqlite3", WTF_CSRF_ENABLED=True,
                   LIBRARY_PATHS=[str(tmp_path / "workflows"), str(tmp_path / "forms")])
    with app.app_context():
        import_csv(ORG)
        ids = [commands.start(library(app), "check", email, "hana@acme.test").instance_id
               for email in ("sam@acme.test", "pat@acme.test")]
    (tmp_path / "workflows" / "check.yaml").write_text(
        WORKFLOW.replace("version: 1", "version: 2").replace("  ask:", "  asking:")
        .replace("initial: ask", "initial: asking").replace("source: ask", "source: asking"))
    return app, ids


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_hr_sees_the_dry_run_then_moves_the_processes(tmp_path):
    app, ids = _app(tmp_path)
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    page = hana.get("/hr/library/").get_data(as_text=True)
    assert hana.post("/hr/library/reload", data={"csrf_token": _token(page)}).status_code == 303

    wf = hana.get("/hr/library/workflows/check").get_data(as_text=True)
    assert "2 on version 1" in wf and "Move them to version 2" in wf

    dry = hana.get("/hr/library/workflows/check/migrate").get_data(as_text=True)
    assert "0 processes would move · 2 refused" in dry
    assert "state &#39;ask&#39; is not in version 2" in dry
    assert 'name="map-ask"' in dry and 'data-testid="migrate-confirm"' not in dry

    mapped = hana.get("/hr/library/workflows/check/migrate?map-ask=asking").get_data(
        as_text=True)
    assert "2 processes would move · 0 refused" in mapped
    assert 'name="map-ask" value="asking"' in mapped  # the confirm form carries the choice
    with app.app_context():
        assert {Instance.get_by_id(i).definition.version for i in ids} == {1}

    # without its token the POST changes nothing
    assert hana.post("/hr/library/workflows/check/migrate",
                     data={"map-ask": "asking"}).status_code == 400
    with app.app_context():
        assert {Instance.get_by_id(i).definition.version for i in ids} == {1}

    done = hana.post("/hr/library/workflows/check/migrate",
                     data={"map-ask": "asking", "csrf_token": _token(mapped)})
    assert done.status_code == 303
    after = hana.get(done.headers["Location"]).get_data(as_text=True)
    assert "2 processes moved to version 2." in after
    assert "2 already on version 2" in after
    with app.app_context():
        rows = [Instance.get_by_id(i) for i in ids]
        assert {(r.definition.version, r.state) for r in rows} == {(2, "asking")}
        assert Event.select().where(Event.kind == EventKind.MIGRATED).count() == 2
    shown = hana.get(f"/instances/{ids[0]}").get_data(as_text=True)
    assert "moved the process from version 1 to version 2." in shown


def test_only_hr_reaches_the_migrate_page_and_it_speaks_danish(tmp_path):
    app, _ = _app(tmp_path)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    assert bob.get("/hr/library/workflows/check/migrate").status_code in (302, 403)
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    page = hana.get("/hr/library/workflows/check/migrate",
                    headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert "Flyt igangværende processer til version 1" in page
