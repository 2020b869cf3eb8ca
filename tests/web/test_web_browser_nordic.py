"""Danish and Swedish in a real browser: Sam reads reviewflow in Danish, his manager Bob in
Swedish, the organisation keeps Copenhagen time. Sam's nomination with a mistake and his
empty self assessment get their messages in Danish, Bob approves in Swedish, the inbox
shows the due date as a Danish date in Copenhagen, and no text of these pages is an
English message left untranslated."""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po

from engine import commands
from engine.directory import import_csv
from engine.store import Task
from tests.web.conftest import PASSWORD, ROOT, SHIPPED, make_app
from tests.web.weblive import CHROMIUM, LiveServer, chromium, signed_in
from web import accounts

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium")]

NORDIC_ORG = """email,name,manager_email,department,title,groups,language
carla@acme.test,Carla Chief,,Executive,CEO,,
bob@acme.test,Bob Boss,carla@acme.test,Engineering,Engineering Manager,,sv
sam@acme.test,Sam Subject,bob@acme.test,Engineering,Engineer,,da
pat@acme.test,Pat Peer,bob@acme.test,Engineering,Engineer,,
quinn@acme.test,Quinn Peer,bob@acme.test,Engineering,Engineer,,
rita@acme.test,Rita Peer,carla@acme.test,Sales,Account Executive,,
hana@acme.test,Hana Human,carla@acme.test,People,HR Partner,hr,
"""
ZONE = "Europe/Copenhagen"


def _untranslated(language: str) -> set[str]:
    """English messages that the catalogue of ``language`` says differently: seeing one of
    them on a page in that language means a text was left in English."""
    path = ROOT / "web" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    found = set()
    for message in catalogue:
        if message.id and isinstance(message.id, str) and "%(" not in message.id \
                and message.string and message.string != message.id:
            found.add(message.id)
    return found


def _text_nodes(page) -> list[str]:
    return page.evaluate("""() => {
        const out = [], walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) {
            const text = walk.currentNode.textContent.trim();
            if (text) out.push(text);
        }
        return out;
    }""")


def _left_in_english(page, language: str) -> list[str]:
    english = _untranslated(language)
    return [t for t in _text_nodes(page) if t in english]


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def site(tmp_path):
    app = make_app(tmp_path / "nordic.sqlite3", WTF_CSRF_ENABLED=True, TESTING=False,
                   LIBRARY_PATHS=SHIPPED, TIMEZONE=ZONE)
    with app.app_context():
        import_csv(NORDIC_ORG)
        for person in ("sam", "bob"):
            accounts.set_password(f"{person}@acme.test", PASSWORD)
    server = LiveServer(app).start()
    yield app, server.url
    server.stop()


def _sign_in(browser, url: str, email: str):
    # an English browser: the directory's language must win
    return signed_in(browser, url, email, PASSWORD, locale="en-GB")


def test_a_danish_nomination_and_a_swedish_approval(browser, site):
    app, url = site
    with app.app_context():
        lib = app.extensions["reviewflow.library"].library
        iid = commands.start(lib, "feedback-360", "sam@acme.test", "hana@acme.test").instance_id
        due = Task.get(Task.instance == iid).due_at

    context, sam = _sign_in(browser, url, "sam@acme.test")
    assert sam.locator("html").get_attribute("lang") == "da"
    inbox = sam.content()
    assert "Dine opgaver" in inbox and "Vælg dine feedbackgivere" in inbox
    # the due date as a Danish date, on the Copenhagen calendar
    local = due.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(ZONE))
    assert format_date(local.date(), "long", locale="da") in inbox
    assert _left_in_english(sam, "da") == []

    sam.locator("[data-testid=open-tasks] a").first.click()
    sam.wait_for_selector("h1")
    sam.fill('input[name="peers[0]"]', "pat@acme.test")
    sam.fill('input[name="peers[1]"]', "quinn at acme")
    sam.fill('input[name="peers[2]"]', "rita@acme.test")
    sam.click("[data-testid=submit]")
    summary = sam.locator("[data-testid=error-summary]").inner_text()
    assert "Ret venligst 1 fejl nedenfor" in summary
    assert "Indtast en gyldig mailadresse." in sam.locator(
        '[data-path="peers[1]"] .rf-errors').inner_text()
    assert sam.input_value('input[name="peers[1]"]') == "quinn at acme"  # nothing lost
    assert _left_in_english(sam, "da") == []
    sam.fill('input[name="peers[1]"]', "quinn@acme.test")
    sam.click("[data-testid=submit]")
    assert "Indsendt." in sam.locator(".flash").first.inner_text()
    context.close()

    context, bob = _sign_in(browser, url, "bob@acme.test")
    assert bob.locator("html").get_attribute("lang") == "sv"
    assert "Dina uppgifter" in bob.content()
    assert _left_in_english(bob, "sv") == []
    bob.locator("[data-testid=open-tasks] a").first.click()
    bob.wait_for_selector("[data-testid=decide-approve]")
    assert bob.locator("[data-testid=decide-approve]").inner_text().strip() == "Godkänn"
    assert _left_in_english(bob, "sv") == []
    bob.click("[data-testid=decide-approve]")
    assert "registrerat" in bob.locator(".flash").first.inner_text()
    context.close()

    # Sam's self assessment, sent with nothing filled in: every message in Danish
    context, sam = _sign_in(browser, url, "sam@acme.test")
    sam.locator("[data-testid=open-tasks] a", has_text="Vurdér dig selv").first.click()
    sam.wait_for_selector("[data-testid=submit]")
    sam.click("[data-testid=submit]")
    summary = sam.locator("[data-testid=error-summary]").inner_text()
    assert "Ret venligst 5 fejl nedenfor" in summary
    errors = sam.locator(".rf-errors").all_inner_texts()
    assert errors and all("Dette felt skal udfyldes." in e for e in errors)
    assert _left_in_english(sam, "da") == []
    context.close()
    with app.app_context():
        assert Task.select().where((Task.instance == iid) & (Task.form_id == "peer-feedback")
                                   ).count() == 3
