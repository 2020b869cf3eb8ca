"""An external rater's language: the nomination gives it (``language`` beside the emails,
or in each named row), and their mail and their link's page are written in it; a rater
without one gets the organisation's default. Through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re

from engine import commands, roles
from engine.clock import utcnow
from engine.mail import deliver
from tests.library.scenario import fire, submit
from tests.mail.conftest import BASE

EVE, MIA, PAT, LOU, HANA = ("eve@acme.test", "mia@acme.test", "pat@acme.test",
                            "lou@acme.test", "hana@acme.test")
SWEDE, BRIT = "kund@kund.example", "client@client.example"


def test_a_row_gives_its_own_language_and_the_form_everyone_elses():
    forms = {"nom": {"language": "sv", "clients": [
        {"email": "A@x.example", "language": "da"}, {"email": "b@x.example"}, "c@x.example"]}}
    assert roles.named_languages(forms, "nom", "clients") == {
        "a@x.example": "da", "b@x.example": "sv", "c@x.example": "sv"}
    assert roles.named_languages({"nom": {"clients": ["c@x.example"]}}, "nom", "clients") == {}


def test_a_swedish_client_gets_swedish_mail_and_a_swedish_page(org, library, smtp,
                                                               mail_settings, tmp_path):
    from web import create_app
    from web.mailing import delivery_options

    now = utcnow()  # the links are opened now: they must not expire
    for subject, manager, client, language in ((EVE, MIA, SWEDE, "sv"),
                                               (PAT, LOU, BRIT, None)):
        iid = commands.start(library, "feedback-360-circle", subject, HANA, now=now).instance_id
        nomination = {"clients": [client], **({"language": language} if language else {})}
        submit(iid, "client-nomination", subject, nomination, now)
        fire(iid, "approve", manager, now)
    app = create_app({"DATABASE_URL": org, "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        deliver(mail_settings, now, **delivery_options(app))
    mails = {m.recipients[0]: m for m in smtp.received}
    assert mails[SWEDE].subject.startswith("Ny uppgift: "), mails[SWEDE].subject
    assert mails[BRIT].subject.startswith("New task: "), mails[BRIT].subject
    browser = app.test_client()
    for client, words in ((SWEDE, "Du har blivit ombedd att ge feedback om Eve Employee."),
                          (BRIT, "Your feedback about Pat Peer was asked for.")):
        link = re.search(re.escape(BASE) + r"(/x/[\w.\-]+)", mails[client].text).group(1)
        page = browser.get(link)
        assert page.status_code == 200
        assert words in page.get_data(as_text=True), client
