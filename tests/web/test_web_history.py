"""History lines are whole sentences (who, what, which task, to whom), and a task has one
name on every page."""

from __future__ import annotations

import re
from datetime import timedelta

from engine import clock, commands, timers
from tests.web import webscenario as scenario
from tests.web.conftest import sign_in


def _lines(html: str) -> list[str]:
    history = html.split('data-testid="history"', 1)[1].split("</ol>", 1)[0]
    out = []
    for item in re.findall(r"<li[^>]*>(.*?)</li>", history, re.S):
        body = re.findall(r"<div>(.*?)</div>", item, re.S)[0]
        out.append(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body)).strip())
    return out


def test_every_history_event_reads_as_a_whole_sentence(app):
    with app.app_context():
        start = clock.utcnow()
        iid = commands.start(scenario.library(app), "annual-review", "sam@acme.test",
                             "hana@acme.test", now=start).instance_id
        timers.tick(start + timedelta(days=8))  # a reminder
        timers.tick(start + timedelta(days=15))  # overdue: escalated to the manager
        task = scenario.open_task(iid, "sam@acme.test").id
        commands.reassign(task, "uma@acme.test", "hana@acme.test", reason="Sam is away",
                          now=start + timedelta(days=15))
    html = sign_in(app.test_client(), app, "hana@acme.test").get(
        f"/instances/{iid}").get_data(as_text=True)
    lines = _lines(html)
    assert "Hana Human started the process in “Self review”." in lines
    assert "A reminder about “Write your self review” was sent to Sam Subject." in lines
    assert ("“Write your self review”, held by Sam Subject, was overdue and escalated to "
            "Bob Boss.") in lines
    assert "Hana Human gave “Write your self review” to Uma Unrelated." in lines
    assert all(line.endswith(".") and line.lstrip("“")[0].isupper() for line in lines), lines
    # the same task has the same name in the task table, the inbox and its own page
    assert html.count("Write your self review") >= 4
    uma = sign_in(app.test_client(), app, "uma@acme.test")
    assert "Write your self review" in uma.get("/").get_data(as_text=True)
    assert "<h1>Write your self review</h1>" in uma.get(f"/tasks/{task}").get_data(as_text=True)
