"""A calibration end to end in real Chromium, CSRF on, on the shipped annual review.

Bob wrote the reviews of Sam (3) and Pat (4); they wait in calibration. Hana (HR) opens
a session from the cycle's dashboard with two calibrators, Bob and Carla. Bob proposes
raising Sam's rating, Carla proposes raising Pat's; Hana accepts Bob's, rejects Carla's
and closes the session. Bob shares Sam's review: Sam's page shows the calibrated rating
only; Hana's page shows the original too, and the history both values and the reason.
"""

from __future__ import annotations

import os

import pytest

from engine import commands
from engine.directory import import_csv
from engine.store import Instance, Person
from tests.library import payloads as p
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, PASSWORD, SHIPPED, make_app
from tests.web.test_web_browser import Person as Tab
from tests.web.weblive import CHROMIUM, LiveServer, chromium
from web import accounts

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium")]

SAM, PAT, BOB, HANA = "sam@acme.test", "pat@acme.test", "bob@acme.test", "hana@acme.test"
CARLA = "carla@acme.test"
REASON = "Sam carried the billing migration alone for two months."


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def site(tmp_path):
    """The shipped library (CSRF on) served on a free port; Sam's and Pat's reviews wait
    in calibration. Yields (app, url, cycle id, {email: instance id})."""
    app = make_app(tmp_path / "calibration.sqlite3", LIBRARY_PATHS=SHIPPED,
                   WTF_CSRF_ENABLED=True, TESTING=False)
    with app.app_context():
        import_csv(ORG)
        for email in (SAM, PAT, BOB, HANA, CARLA):
            accounts.set_password(email, PASSWORD)
        cycle = commands.launch(scenario.library(app), "annual-review", "Annual 2026",
                                where=[("department", "Engineering")], actor=HANA).cycle_id
        ids = {i.subject.email: i.id for i in Instance.select(Instance, Person).join(
            Person, on=(Instance.subject == Person.id))}
        for email, rating in ((SAM, 3), (PAT, 4)):
            commands.submit(scenario.open_task(ids[email], email).id, email, p.SELF_REVIEW)
            commands.submit(scenario.open_task(ids[email], BOB).id, BOB,
                            dict(p.manager_review(rating), potential=2))
    server = LiveServer(app).start()
    yield app, server.url, cycle, ids
    server.stop()


def _propose(tab: Tab, subject: str, label: str, reason: str) -> None:
    row = tab.page.locator(f'tr[data-person="{subject}"]')
    row.locator("summary", has_text="Propose a change").click()
    form = row.locator('form[data-field="manager-review.rating"]')
    form.locator('select[name="value"]').select_option(label=label)
    form.locator('textarea[name="reason"]').fill(reason)
    form.locator("button", has_text="Propose").click()
    tab.page.wait_for_selector(".flash")


def test_a_calibration_by_two_calibrators_reaches_the_employee(browser, site):
    app, url, cycle, ids = site
    hana = Tab(browser, url, HANA)
    hana.page.goto(f"{url}/hr/cycles/{cycle}")
    hana.page.click("[data-testid=new-calibration]")
    hana.page.fill("#c-name", "Engineering calibration")
    hana.page.select_option("#c-department", "Engineering")
    hana.page.check("label:has-text('Bob Boss')")
    hana.page.check("label:has-text('Carla Chief')")
    hana.page.click("[data-testid=open-session]")
    assert "The calibration session is open." in hana.flash()
    session_url = hana.page.url
    assert hana.page.locator("[data-testid=calibrator-list] li").count() == 2

    bob = Tab(browser, url, BOB)
    bob.page.click("[data-testid=calibration-link]")
    bob.page.click("text=Engineering calibration")
    assert bob.page.locator(f'tr[data-person="{BOB}"]').count() == 0  # never his own
    _propose(bob, SAM, "4 - Exceeded expectations", REASON)
    assert "Your proposal is saved" in bob.flash()

    carla = Tab(browser, url, CARLA)
    carla.page.goto(session_url)
    assert REASON in carla.page.locator(f'tr[data-person="{SAM}"]').inner_text()
    _propose(carla, PAT, "5 - Far exceeded expectations", "Best year on the team.")

    hana.page.goto(session_url)
    hana.shot("calibration-session")
    hana.page.locator(f'tr[data-person="{SAM}"] [data-testid=decide] button',
                      has_text="Accept").click()
    assert "The change is accepted." in hana.flash()
    hana.page.locator(f'tr[data-person="{PAT}"] [data-testid=decide] button',
                      has_text="Reject").click()
    assert "The change is rejected." in hana.flash()
    sam_cell = hana.page.locator(
        f'tr[data-person="{SAM}"] td[data-field="manager-review.rating"]')
    assert sam_cell.locator("del").inner_text() == "3 - Met expectations"
    fours = hana.page.locator('[data-testid=distribution] tr[data-value="4"] td')
    assert fours.all_inner_texts()[:2] == ["2", "100%"]  # Sam's accepted 4, and Pat's
    hana.page.click("[data-testid=close-session] button")
    assert "1 ratings changed, 2 reviews moved on" in hana.flash()
    assert hana.page.locator("[data-testid=session-status]").inner_text() == "closed"

    bob.page.goto(f"{url}/instances/{ids[SAM]}")
    bob.page.click("[data-testid=fire-share]")
    bob.page.wait_for_selector(".flash")

    sam = Tab(browser, url, SAM)
    sam.page.goto(f"{url}/instances/{ids[SAM]}")
    sam.shot("calibrated-review-employee")
    review = sam.page.locator("[data-testid=submission]", has_text="Manager review")
    assert "4 - Exceeded expectations" in review.inner_text()
    assert review.locator("[data-testid=calibrated]").count() == 1
    page_text = sam.page.locator("main").inner_text()
    assert "3 - Met expectations" not in page_text and REASON not in page_text
    assert "The calibration set “Overall rating” to 4 - Exceeded expectations." in \
        sam.page.locator("[data-testid=history]").inner_text()
    assert sam.page.goto(session_url).status == 403

    hana.page.goto(f"{url}/instances/{ids[SAM]}")
    history = hana.page.locator("[data-testid=history]").inner_text()
    assert "from 3 - Met expectations to 4 - Exceeded expectations" in history
    assert REASON in history
    original = hana.page.locator("[data-testid=original-submission]")
    assert "3 - Met expectations" in original.inner_text()
    for tab in (hana, bob, carla, sam):
        tab.close()


def test_the_calibration_pages_fit_a_phone(browser, site):
    from engine.commands import calibration

    app, url, cycle, ids = site
    with app.app_context():
        session = calibration.open_session(cycle, HANA, "Engineering calibration",
                                           ["manager-review.rating",
                                            "manager-review.potential"],
                                           calibrators=[BOB, CARLA], department="Engineering")
    tab = Tab(browser, url, HANA)
    tab.page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/calibration/", f"/calibration/new/{cycle}", f"/calibration/{session}"):
        assert tab.page.goto(url + path).status == 200
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= 390, path
    tab.shot("phone-calibration-session")
    tab.close()
