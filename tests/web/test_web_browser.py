"""Real Chromium (Debian's, through Playwright) against the app served on a free port.

- a whole 360 by five people through the pages: nominate, approve, three anonymous
  reviews, self assessment, debrief, acknowledgement;
- a validation error shown inline with everything typed kept;
- HR launching a cycle and watching its dashboard move.

Screenshots of the main pages go to ``test-artifacts/screenshots`` (printed).
"""

from __future__ import annotations

import os
import re

import pytest

from engine.directory import import_csv
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, PASSWORD, ROOT, make_app
from tests.web.weblive import CHROMIUM, LiveServer, chromium, signed_in
from web import accounts

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium")]

SHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SHOTS}")
    with chromium() as launched:
        yield launched


@pytest.fixture
def site(tmp_path):
    """The app (CSRF on, as in production) served on 127.0.0.1:<free port>."""
    app = make_app(tmp_path / "browser.sqlite3", WTF_CSRF_ENABLED=True, TESTING=False)
    with app.app_context():
        import_csv(ORG)
        for person in ("sam", "bob", "pat", "quinn", "rita", "hana"):
            accounts.set_password(f"{person}@acme.test", PASSWORD)
    server = LiveServer(app).start()
    yield app, server.url
    server.stop()


class Person:
    """One person's browser tab."""

    def __init__(self, browser, url: str, email: str):
        self.context, self.page = signed_in(browser, url, email, PASSWORD)
        self.url = url

    def open_task(self, title: str):
        self.page.goto(f"{self.url}/")
        self.page.locator("[data-testid=open-tasks] a", has_text=title).first.click()
        self.page.wait_for_selector("h1")

    def slide(self, name: str, value: int):
        self.page.locator(f'input[name="{name}"]').evaluate(
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
            str(value))

    def flash(self) -> str:
        return self.page.locator(".flash").first.inner_text()

    def shot(self, name: str):
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        print(f"  screenshot {path}")

    def close(self):
        self.context.close()


def _review(person: Person, text: str, ratings=(4, 3, 5)):
    for name, value in zip(("collaboration", "communication", "delivery"), ratings, strict=True):
        person.slide(name, value)
    person.page.fill('textarea[name="strengths"]', text)
    person.page.fill('textarea[name="improvements"]', "Share plans a little earlier, please.")


def test_a_whole_360_by_five_people(browser, site):
    app, url = site
    with app.app_context():
        iid = scenario.start_360(app)

    sam = Person(browser, url, "sam@acme.test")
    sam.shot("inbox")
    sam.open_task("Choose your reviewers")
    for i, email in enumerate(scenario.PEERS):
        sam.page.fill(f'input[name="peers[{i}]"]', email)
    sam.page.click("[data-testid=submit]")
    assert "moved on to: Manager approves the reviewers" in sam.flash()

    bob = Person(browser, url, "bob@acme.test")
    bob.open_task("Approve the reviewer list")
    assert bob.page.locator("[data-testid=submit]").count() == 0  # decisions instead
    bob.shot("task-decision")
    bob.page.click("[data-testid=decide-approve]")
    assert "moved on to: Collecting feedback" in bob.flash()

    for n, email in enumerate(scenario.PEERS):
        peer = Person(browser, url, email)
        peer.open_task("Give feedback to a colleague")
        if n == 0:
            peer.shot("task-anonymous-feedback")
        _review(peer, scenario.PEER_TEXT[email])
        peer.page.click("[data-testid=submit]")
        assert "Submitted" in peer.flash()
        peer.close()

    bob.page.goto(f"{url}/team/")
    team = bob.page.locator("[data-testid=team]").inner_text()
    assert "Assess yourself: Sam Subject" in team and "Pat Peer" in team  # Pat reports to Bob
    bob.shot("my-team")

    sam.open_task("Assess yourself")
    _review(sam, "I kept the platform steady this year.")
    sam.page.click("[data-testid=submit]")
    assert "moved on to: Manager debrief" in sam.flash()

    bob.open_task("Debrief the 360 feedback")
    aggregate = bob.page.locator(".rf-aggregate").first.inner_text()
    for email in scenario.PEERS:
        assert scenario.PEER_TEXT[email] in aggregate
    assert "Pat Peer" not in bob.page.content()
    bob.shot("task-debrief-aggregate")
    bob.page.fill('textarea[name="themes"]', "Reliable, collaborative; share plans earlier.")
    bob.page.fill('input[name="agreed_actions[0].action"]', "Post plans in the weekly sync")
    bob.page.click("[data-testid=submit]")
    assert "moved on to: Shared with the employee" in bob.flash()

    sam.open_task("Acknowledge your 360 results")
    sam.page.check('input[name="acknowledged"]')
    sam.page.check('input[name="agreement"][value="agree"]')
    sam.page.click("[data-testid=submit]")
    assert "is complete" in sam.flash()
    sam.page.goto(f"{url}/instances/{iid}")
    assert sam.page.locator("[data-testid=instance-status]").inner_text() == "finished"
    history = sam.page.locator("[data-testid=history]").inner_text()
    assert "An anonymous reviewer" in history and "Pat Peer" not in history
    sam.shot("instance-finished")
    sam.close()
    bob.close()


def test_validation_error_inline_keeps_what_was_typed(browser, site):
    app, url = site
    with app.app_context():
        scenario.start_360(app)
    sam = Person(browser, url, "sam@acme.test")
    sam.open_task("Choose your reviewers")
    sam.page.fill('input[name="peers[0]"]', "pat@acme.test")
    sam.page.fill('input[name="peers[1]"]', "quinn at acme")
    sam.page.fill('input[name="peers[2]"]', "rita@acme.test")
    sam.page.fill('textarea[name="note_to_manager"]', "Rita sees my work from Sales.")
    sam.page.click("[data-testid=submit]")
    assert sam.page.locator("[data-testid=error-summary]").is_visible()
    field = sam.page.locator('[data-path="peers[1]"]')
    assert "valid email" in field.locator(".rf-errors").inner_text()
    assert sam.page.input_value('input[name="peers[1]"]') == "quinn at acme"
    assert sam.page.input_value('input[name="peers[0]"]') == "pat@acme.test"
    assert sam.page.input_value('textarea[name="note_to_manager"]').strip() == \
        "Rita sees my work from Sales."
    sam.shot("task-validation-error")
    sam.page.fill('input[name="peers[1]"]', "quinn@acme.test")
    sam.page.click("[data-testid=submit]")
    assert "moved on" in sam.flash()
    sam.close()


def _by_state(hr: Person) -> dict[str, int]:
    hr.page.reload()
    cells = hr.page.locator("[data-testid=by-state] td.num")
    return {cells.nth(i).get_attribute("data-state"): int(cells.nth(i).inner_text())
            for i in range(cells.count())}


def test_hr_launches_a_cycle_and_the_dashboard_moves(browser, site):
    app, url = site
    hr = Person(browser, url, "hana@acme.test")
    hr.page.goto(f"{url}/hr/launch")
    hr.page.select_option("#workflow", "annual-review")
    hr.page.fill("#cycle", "Annual review 2026")
    hr.page.select_option("#department", ["Engineering"])
    hr.page.click("[data-testid=preview]")
    assert hr.page.locator("[data-testid=preview-instances]").inner_text() == "4"
    assert hr.page.locator("[data-testid=preview-tasks]").inner_text() == "4"
    hr.shot("hr-launch-preview")
    hr.page.click("[data-testid=confirm-launch]")
    assert "4 new processes" in hr.flash()
    assert hr.page.locator("[data-testid=stat-total]").inner_text() == "4"
    assert _by_state(hr) == {"self_review": 4}

    sam = Person(browser, url, "sam@acme.test")
    sam.open_task("Write your self review")
    sam.page.fill('textarea[name="achievements"]', "Shipped the new billing platform on time.")
    sam.page.check('input[name="self_rating"][value="4"]')
    sam.page.click("[data-testid=submit]")
    assert "moved on to: Manager review" in sam.flash()

    assert _by_state(hr) == {"self_review": 3, "manager_review": 1}
    hr.shot("hr-cycle-dashboard")
    hr.page.goto(f"{url}/hr/cycles")
    assert "Annual review 2026" in hr.page.locator("[data-testid=cycles]").inner_text()
    hr.page.goto(f"{url}/hr/library/")
    hr.shot("hr-library")
    text = re.sub(r"\s+", " ", hr.page.locator("[data-testid=library-workflows]").inner_text())
    assert "360° feedback" in text
    sam.close()
    hr.close()
