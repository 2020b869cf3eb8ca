"""Invites and password resets by mail: the sign-in link exists only in the mail.

The outbox row says who sent what; the token is made when the mail goes and only its hash
is kept, so neither the outbox page, nor a copy of the database, nor a queued row hands out
a way into someone's account.
"""

from __future__ import annotations

import re

import pytest

from engine.clock import utcnow
from engine.mail import deliver
from engine.store import DirectoryEvent, Outbox, Person
from tests.mail.conftest import BASE

HANA, EVE, MIA = "hana@acme.test", "eve@acme.test", "mia@acme.test"
PASSWORD = "a long enough password"
LINK = re.compile(re.escape(BASE) + r"/invite/([\w-]+)")


@pytest.fixture
def app(org, library, tmp_path, smtp, monkeypatch):
    from web import accounts, create_app

    monkeypatch.setenv("REVIEWFLOW_SMTP_URL", smtp.url)
    app = create_app({"DATABASE_URL": org, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False,
                      "INSTANCE_PATH": str(tmp_path), "BASE_URL": BASE})
    with app.app_context():
        accounts.set_password(HANA, PASSWORD)
    return app


def _hr(app):
    client = app.test_client()
    assert client.post("/login", data={"email": HANA, "password": PASSWORD}).status_code == 302
    return client


def _person_id(email: str) -> int:
    return Person.get(Person.email == email).id


def _deliver(app, mail_settings):
    from web.mailing import delivery_options

    with app.app_context():  # at the real time: the links it makes must still work
        return deliver(mail_settings, utcnow(), **delivery_options(app))


def _stored_text() -> str:
    """Everything the outbox and the directory's history keep, as one text."""
    rows = [f"{r.subject} {r.body} {r.params}" for r in Outbox.select()]
    rows += [str(e.detail) for e in DirectoryEvent.select()]
    return "\n".join(rows)


def test_an_invite_link_is_made_when_the_mail_goes_and_kept_only_as_a_hash(
        app, smtp, mail_settings):
    from web import accounts

    hana = _hr(app)
    page = hana.post(f"/hr/people/{_person_id(EVE)}/invite")
    assert page.status_code == 200
    assert "/invite/" not in page.get_data(as_text=True)  # HR never sees Eve's link
    (row,) = Outbox.select().where(Outbox.recipient == EVE)
    assert row.kind == "invite" and "/invite/" not in row.body
    assert "Hana Hr invited you" in row.body  # what HR reads on the outbox page
    report = _deliver(app, mail_settings)
    assert report.mails == 1 and not report.problems
    (mail,) = smtp.received
    assert mail.subject == "Your reviewflow sign-in"
    token = LINK.search(mail.text).group(1)
    assert f"{BASE}/invite/{token}" in mail.html
    assert token not in _stored_text()
    with app.app_context():
        stored = accounts.Account.get(accounts.Account.email == EVE)
        assert stored.invite_hash and token not in stored.invite_hash
    eve = app.test_client()
    done = eve.post(f"/invite/{token}", data={"password": "eve's own 12345",
                                              "confirm": "eve's own 12345"})
    assert done.status_code == 302
    assert Outbox.get(Outbox.recipient == EVE).status == "sent"


def test_a_password_reset_goes_only_to_the_person_in_their_language(
        app, smtp, mail_settings):
    from web import accounts

    Person.update(language="da").where(Person.email == MIA).execute()
    with app.app_context():
        accounts.set_password(MIA, "mias old password")
    hana = _hr(app)
    assert hana.post(f"/hr/people/{_person_id(MIA)}/reset").status_code == 200
    (row,) = Outbox.select().where(Outbox.recipient == MIA)
    assert row.kind == "password-reset" and "/invite/" not in row.body
    _deliver(app, mail_settings)
    (mail,) = smtp.received
    assert mail.subject == "Nulstil din adgangskode til reviewflow"
    assert "Hana Hr" in mail.text and "7 dage" in mail.text
    token = LINK.search(mail.text).group(1)
    assert token not in _stored_text()
    with app.app_context():  # until she uses the link, her password works
        assert accounts.check_password(MIA, "mias old password") is not None
    assert app.test_client().post(f"/invite/{token}", data={
        "password": "mias new password", "confirm": "mias new password"}).status_code == 302
    with app.app_context():
        assert accounts.check_password(MIA, "mias old password") is None


def test_an_invite_whose_person_set_a_password_meanwhile_is_not_sent(
        app, smtp, mail_settings):
    from web import accounts

    hana = _hr(app)
    hana.post(f"/hr/people/{_person_id(EVE)}/invite")
    with app.app_context():  # e.g. HR set one on the CLI before the worker's round
        accounts.set_password(EVE, "set meanwhile 123")
    report = _deliver(app, mail_settings)
    assert smtp.received == [] and report.skipped == 1
    row = Outbox.get(Outbox.recipient == EVE)
    assert row.status == "skipped" and "already has a password" in row.error
    with app.app_context():  # and the invite could not replace it
        assert accounts.check_password(EVE, "set meanwhile 123") is not None


def test_without_mail_hr_is_shown_the_link_to_pass_on_and_nothing_is_queued(
        app, monkeypatch):
    monkeypatch.delenv("REVIEWFLOW_SMTP_URL")
    hana = _hr(app)
    page = hana.post(f"/hr/people/{_person_id(EVE)}/invite").get_data(as_text=True)
    token = LINK.search(page).group(1)
    assert "Mail is not set up" in page
    assert Outbox.select().count() == 0
    (event,) = DirectoryEvent.select().where(DirectoryEvent.kind == "invite-shown")
    assert event.actor == HANA and event.person_id == _person_id(EVE)
    assert token not in _stored_text()
    assert "Welcome, Eve Employee" in app.test_client().get(
        f"/invite/{token}").get_data(as_text=True)
