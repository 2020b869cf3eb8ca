"""A daily summary instead of mail as it happens: held until HH:MM in the organisation's
zone, then one mail; reminders and escalations come at once all the same."""

from __future__ import annotations

from datetime import timedelta

from engine import commands, timers
from engine.mail import deliver
from engine.store import Outbox
from tests.library.scenario import T0

EVE, HANA = "eve@acme.test", "hana@acme.test"


def test_a_daily_summary_waits_for_its_time_but_reminders_do_not(org, library, smtp,
                                                                  mail_settings, tmp_path):
    from web import create_app, preferences
    from web.mailing import delivery_options

    app = create_app({"DATABASE_URL": org, "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path),
                      "TIMEZONE": "Europe/Copenhagen"})
    day7 = T0 + timedelta(days=7)  # Monday 12 January, 09:00 UTC
    with app.app_context():
        preferences.save(EVE, T0, digest="18:00", digest_sent_at=day7 - timedelta(hours=1))
        options = delivery_options(app)
        commands.start(library, "annual-review", EVE, HANA, now=T0)
        timers.tick(day7)  # the self review is due in 7 days: a reminder
        first = deliver(mail_settings, day7, **options)
        assert (first.mails, first.held) == (1, 1)
        (mail,) = smtp.received
        assert mail.subject.startswith("Reminder: ") and "(and" not in mail.subject
        assert Outbox.get(Outbox.kind == "assigned").status == "queued"
        # 17:00 UTC is 18:00 in Copenhagen: the summary is due
        second = deliver(mail_settings, day7 + timedelta(hours=8), **options)
        assert (second.mails, second.held) == (1, 0)
        assert smtp.received[1].subject.startswith("New task: Write your self review")
        assert preferences.preference_of(EVE).digest_sent_at == day7 + timedelta(hours=8)
        task = Outbox.get(Outbox.kind == "assigned").task_id
        commands.nudge(task, HANA, now=day7 + timedelta(hours=9))
        third = deliver(mail_settings, day7 + timedelta(hours=9), **options)
        assert (third.mails, third.held) == (0, 1)  # tomorrow's summary


def test_the_settings_page_saves_the_summary_time(org, tmp_path):
    from web import create_app, preferences

    app = create_app({"DATABASE_URL": org, "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path),
                      "WTF_CSRF_ENABLED": False, "TRUSTED_HEADER": "X-User"})
    client = app.test_client()
    page = client.get("/settings", headers={"X-User": EVE}).get_data(as_text=True)
    assert 'value="now" checked' in page
    bad = client.post("/settings", data={"mail": "daily", "digest_at": "25:00"},
                      headers={"X-User": EVE})
    assert bad.status_code == 422
    with app.app_context():
        assert preferences.preference_of(EVE) is None
    good = client.post("/settings", data={"mail": "daily", "digest_at": "08:30"},
                       headers={"X-User": EVE})
    assert good.status_code == 302
    with app.app_context():
        assert preferences.preference_of(EVE).digest == "08:30"
    page = client.get("/settings", headers={"X-User": EVE}).get_data(as_text=True)
    assert 'value="daily" checked' in page and 'value="08:30"' in page
    client.post("/settings", data={"mail": "now"}, headers={"X-User": EVE})
    with app.app_context():
        assert preferences.preference_of(EVE).digest == ""
