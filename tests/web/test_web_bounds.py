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
