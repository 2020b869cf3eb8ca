"""HR's outbox page: to whom, what, queued/sent/failed, when, the error; filters by cycle
and person; "send again"; and who may open it."""

from __future__ import annotations

from engine import commands
from engine.mail import deliver, parse_smtp_url
from engine.store import MailStatus, Outbox
from tests.mail.smtpd import SmtpServer
from tests.web import webscenario as scenario


def test_outbox_lists_filters_and_sends_again(app, as_user, monkeypatch):
    monkeypatch.delenv("REVIEWFLOW_SMTP_URL", raising=False)
    with app.app_context():
        lib = scenario.library(app)
        commands.launch(lib, "annual-review", "Annual 2026", where=[("email", "sam@acme.test")])
        commands.launch(lib, "annual-review", "Other", where=[("email", "bob@acme.test")])
        rows = {o.recipient: o.id for o in Outbox.select()}
    hana = as_user("hana@acme.test")
    page = hana.get("/hr/outbox/").get_data(as_text=True)
    assert 'data-testid="mail-off"' in page and "Mail is not set up" in page
    assert f'data-testid="outbox-{rows["sam@acme.test"]}"' in page
    assert f'data-testid="outbox-{rows["bob@acme.test"]}"' in page
    with app.app_context():
        cycle = commands.launch(lib, "annual-review", "Annual 2026").cycle_id
    only = hana.get(f"/hr/outbox/?cycle={cycle}&person=sam@acme.test").get_data(as_text=True)
    assert f'data-testid="outbox-{rows["sam@acme.test"]}"' in only
    assert f'data-testid="outbox-{rows["bob@acme.test"]}"' not in only
    assert "Write your self review about Sam" in only

    server = SmtpServer().start()
    try:
        server.handler.refuse = {"sam@acme.test": "550 5.1.1 Mailbox unavailable"}
        with app.app_context():
            deliver(parse_smtp_url(server.url, "hr@acme.test", "http://x"))
        failed = hana.get("/hr/outbox/?status=failed").get_data(as_text=True)
        assert "550 5.1.1 Mailbox unavailable" in failed and "failed" in failed
        assert f'data-testid="again-{rows["sam@acme.test"]}"' in failed
        assert f'data-testid="outbox-{rows["bob@acme.test"]}"' not in failed
        again = hana.post(f"/hr/outbox/{rows['sam@acme.test']}/again",
                          data={"back": "/hr/outbox/?status=failed"})
        assert again.status_code == 303 and again.headers["Location"] == \
            "/hr/outbox/?status=failed"
        with app.app_context():
            row = Outbox.get_by_id(rows["sam@acme.test"])
            assert (row.status, row.error) == (MailStatus.QUEUED, None)
            server.handler.refuse = {}
            assert deliver(parse_smtp_url(server.url, "hr@acme.test", "http://x")).mails == 1
        assert server.handler.to("sam@acme.test")[-1].message_id != row.message_id
    finally:
        server.stop()


def test_outbox_is_for_hr_only(app, as_user):
    assert as_user("sam@acme.test").get("/hr/outbox/").status_code == 403
    assert app.test_client().get("/hr/outbox/").status_code == 302
    assert as_user("hana@acme.test").post("/hr/outbox/999/again").status_code == 404
