"""Real Chromium on the edges where typing or choosing got lost: the lowest value of a
slider, the scale's description under it, leaving a page with unsaved changes, the scroll
position after "Add row"."""

from __future__ import annotations

import os

import pytest

from engine.directory import import_csv
from engine.store import Submission
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, PASSWORD, make_app
from tests.web.weblive import CHROMIUM, LiveServer, chromium, signed_in
from web import accounts

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium")]


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def site(tmp_path):
    app = make_app(tmp_path / "edges.sqlite3", WTF_CSRF_ENABLED=True, TESTING=False)
    with app.app_context():
        import_csv(ORG)
        for person in ("sam", "bob", "pat", "quinn", "rita", "hana"):
            accounts.set_password(f"{person}@acme.test", PASSWORD)
    server = LiveServer(app).start()
    yield app, server.url
    server.stop()


def _signed_in(browser, url: str, email: str):
    return signed_in(browser, url, email, PASSWORD, height=800)


def _peer_task_page(app, url, browser, email="pat@acme.test"):
    with app.app_context():
        iid = scenario.to_collect(app)
        task = scenario.open_task(iid, email).id
    context, page = _signed_in(browser, url, email)
    page.goto(f"{url}/tasks/{task}")
    return context, page, iid, task


def test_the_lowest_value_of_a_slider_can_be_given(browser, site):
    app, url = site
    context, page, iid, task = _peer_task_page(app, url, browser)
    try:
        # the scale's description is shown under the sliders
        assert "1 = rarely, 3 = usually, 5 = consistently" in page.inner_text("main")
        # 1 on a required 1-5 slider: it already shows 1, so choosing it moves nothing
        page.locator('input[name="collaboration"]').focus()
        page.keyboard.press("Home")
        page.locator('input[name="communication"]').click(position={"x": 2, "y": 5})
        for name, value in (("delivery", "4"),):
            page.locator(f'input[name="{name}"]').fill(value)
        # the optional one: clicked at its left end, so answered with 1
        page.locator('input[name="ownership"]').click(position={"x": 2, "y": 5})
        page.fill('textarea[name="strengths"]', "Explains the why behind every decision.")
        page.fill('textarea[name="improvements"]', "Share plans a little earlier, please.")
        page.click("[data-testid=submit]")
        page.wait_for_load_state()
        assert "This field is required" not in page.inner_text("main")
        with app.app_context():
            data = Submission.get(Submission.task == task).data
        assert (data["collaboration"], data["communication"], data["delivery"],
                data["ownership"]) == (1, 1, 4, 1)
    finally:
        context.close()


def test_an_untouched_optional_slider_stays_unanswered(browser, site):
    app, url = site
    context, page, iid, task = _peer_task_page(app, url, browser)
    try:
        for name in ("collaboration", "communication", "delivery"):
            page.locator(f'input[name="{name}"]').fill("3")
        page.fill('textarea[name="strengths"]', "Explains the why behind every decision.")
        page.fill('textarea[name="improvements"]', "Share plans a little earlier, please.")
        page.click("[data-testid=submit]")
        page.wait_for_load_state()
        with app.app_context():
            data = Submission.get(Submission.task == task).data
        assert "ownership" not in data and data["collaboration"] == 3
    finally:
        context.close()


def _nomination_page(app, url, browser, height=800):
    with app.app_context():
        iid = scenario.start_360(app)
        task = scenario.open_task(iid, "sam@acme.test").id
    context, page = _signed_in(browser, url, "sam@acme.test")
    page.set_viewport_size({"width": 1000, "height": height})
    page.goto(f"{url}/tasks/{task}")
    return context, page, task


def test_leaving_a_page_with_unsaved_typing_asks_first(browser, site):
    app, url = site
    context, page, task = _nomination_page(app, url, browser)
    try:
        asked = []

        def answer(dialog):
            asked.append(dialog.type)
            dialog.dismiss()  # stay on the page

        page.on("dialog", answer)
        page.goto(f"{url}/")  # nothing typed yet: no question
        assert asked == []
        page.goto(f"{url}/tasks/{task}")
        page.fill('input[name="peers[0]"]', "pat@acme.test")
        page.click("a.brand", no_wait_after=True)
        for _ in range(50):  # the question comes once the click is handled (slow when loaded)
            if asked:
                break
            page.wait_for_timeout(100)
        assert asked == ["beforeunload"]
        assert page.url.endswith(f"/tasks/{task}")
        assert page.input_value('input[name="peers[0]"]') == "pat@acme.test"
        page.click("[data-testid=save-draft]")  # saving is leaving on purpose: no question
        page.wait_for_load_state()
        assert asked == ["beforeunload"]
        assert page.input_value('input[name="peers[0]"]') == "pat@acme.test"
    finally:
        context.close()


def test_add_row_comes_back_at_the_new_row(browser, site):
    app, url = site
    context, page, task = _nomination_page(app, url, browser, height=420)
    try:
        page.on("dialog", lambda dialog: dialog.accept())
        add = page.locator('button[name="__add__:peers"]')
        add.scroll_into_view_if_needed()
        before = page.evaluate("window.scrollY")
        assert before > 0
        rows = page.locator("li.rf-row").count()
        add.click()
        page.wait_for_load_state()
        assert page.locator("li.rf-row").count() == rows + 1
        new_row = page.locator(f"#rf-peers-row-{rows}")
        assert page.evaluate("window.scrollY") > 0
        box = new_row.bounding_box()
        assert 0 <= box["y"] < 420, box  # the new row is in view
    finally:
        context.close()


def test_typing_a_name_in_a_people_field_finds_someone_far_away(browser, site):
    app, url = site
    with app.app_context():
        import_csv(ORG + "fay@acme.test,Fay Faraway,rita@acme.test,Sales,Account Executive,\n")
        iid = scenario.start_360(app)
        task = scenario.open_task(iid, "sam@acme.test").id
    context, page = _signed_in(browser, url, "sam@acme.test")
    try:
        page.goto(f"{url}/tasks/{task}")
        far = '#rf-people option[value="fay@acme.test"]'
        assert page.locator('#rf-people option[value="pat@acme.test"]').count() == 1
        assert page.locator(far).count() == 0  # not near Sam: not in the page
        page.locator('input[name="peers[0]"]').press_sequentially("Farawa")
        page.wait_for_selector(far, state="attached")
        assert page.locator(far).inner_text() == "Fay Faraway (Account Executive, Sales)"
        # the people near Sam are still offered after the search
        assert page.locator('#rf-people option[value="pat@acme.test"]').count() == 1
    finally:
        context.close()
