"""No 500 and no traceback from ids beyond 64 bits, on every page that takes an id, and a
second press of Start on a 1:1 opens the first."""

from __future__ import annotations

import pytest

from tests.web import webscenario as scenario
from tests.web.conftest import sign_in

HUGE = 10**23


@pytest.mark.parametrize("method,url", [
    ("get", f"/tasks/{HUGE}"), ("get", f"/instances/{HUGE}"),
    ("post", f"/tasks/{HUGE}"), ("post", f"/instances/{HUGE}/reveal"),
    ("post", f"/instances/{HUGE}/cancel"), ("get", f"/hr/cycles/{HUGE}"),
    ("post", f"/hr/people/{HUGE}/invite"), ("get", f"/tasks/{2**63}"),
])
def test_ids_beyond_64_bits_are_not_found(app, method, url):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    response = getattr(hana, method)(url, data={"reason": "x"})
    assert response.status_code in (404, 405), (url, response.status_code)


def test_start_with_a_30_digit_subject_is_not_found(app):
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    response = sam.post("/start/", data={"workflow": "feedback-360", "subject": "9" * 30})
    assert response.status_code == 404


def test_pressing_start_twice_opens_the_first(app):
    from engine.store import Instance

    bob = sign_in(app.test_client(), app, "bob@acme.test")
    with app.app_context():
        from web.people import person_by_email

        sam = person_by_email("sam@acme.test").id
        workflow = next(w for w in scenario.library(app).workflows.values()
                        if not w.started_by) .id
    first = bob.post("/start/", data={"workflow": workflow, "subject": str(sam)})
    second = bob.post("/start/", data={"workflow": workflow, "subject": str(sam)})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert Instance.select().count() == 1


@pytest.mark.postgres
def test_nul_bytes_and_over_long_values_on_postgresql_are_refused_not_500(postgres_url,
                                                                          tmp_path):
    from engine import store
    from engine.directory import import_csv
    from tests.web.conftest import ORG, make_app
    from web.database import WEB_MODELS

    app = make_app(tmp_path / "unused.sqlite3", DATABASE_URL=postgres_url)
    with app.app_context():
        tables = ", ".join(f'"{m._meta.table_name}"' for m in (*store.MODELS, *WEB_MODELS))
        store.db.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        import_csv(ORG)
        iid = scenario.to_collect(app)
        task = scenario.open_task(iid, "sam@acme.test").id
        before = store.Person.select().count()
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    for client, url, data in [
        (app.test_client(), "/login", {"email": "sam\x00@acme.test", "password": "x\x00"}),
        (hana, "/hr/people/new", {"email": "new@acme.test", "name": "New\x00Person"}),
        (hana, "/hr/people/new", {"email": "long@acme.test", "name": "N" * 300}),
        (hana, "/hr/people/new", {"email": "e" * 330 + "@acme.test", "name": "Long Email"}),
        (sam, f"/tasks/{task}", {"strengths": "a\x00b", "_draft": "1"}),
        (hana, f"/instances/{iid}/reveal", {"reason": "why\x00"}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code in (400, 422), (url, response.status_code)
        assert "Traceback" not in response.get_data(as_text=True)
    with app.app_context():
        assert store.Person.select().count() == before
