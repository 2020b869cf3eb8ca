"""Anonymous answers never appear with a name on any page the subject or the manager
(or the skip-level manager) can open."""

from __future__ import annotations

import re

from engine import commands
from engine.store import Task
from tests.web import webscenario as scenario
from tests.web.conftest import sign_in

PEER_NAMES = ["Pat Peer", "Quinn Peer", "Rita Peer"]
AGGREGATE = re.compile(r'<section class="rf-aggregate">.*?</section>', re.S)


def _pages_of(app, email, iid):
    """Every page ``email`` can open about the 360: inbox, instance, their tasks, team."""
    client = sign_in(app.test_client(), app, email)
    urls = ["/", "/team/", f"/instances/{iid}"]
    with app.app_context():
        from engine.store import Person

        person = Person.get(Person.email == email)
        urls += [f"/tasks/{t.id}" for t in Task.select().where(
            (Task.instance == iid) & (Task.assignee == person.id))]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.get_data(as_text=True)
    return pages


def _check(pages, answered: list[str]):
    for url, html in pages.items():
        for name in PEER_NAMES:
            # My team lists reviewers who report to me as people, never with a process.
            listed = html.count(f"<strong>{name}</strong>") if url == "/team/" else 0
            assert html.count(name) == listed, (url, name)
        outside = AGGREGATE.sub("", html)
        for email in scenario.PEERS:
            assert scenario.PEER_TEXT[email] not in outside, (url, email)


def test_below_the_threshold_nothing_is_shown(app):
    with app.app_context():
        iid = scenario.to_collect(app)
        scenario.peers_answer(iid, scenario.PEERS[:2])
    for email in ("sam@acme.test", "bob@acme.test", "carla@acme.test"):
        pages = _pages_of(app, email, iid)
        _check(pages, [])
        for html in pages.values():
            for peer in scenario.PEERS[:2]:
                assert scenario.PEER_TEXT[peer] not in html


def test_answers_are_aggregated_without_names(app):
    with app.app_context():
        iid = scenario.to_debrief(app)
        debrief = scenario.open_task(iid, "bob@acme.test").id
        commands.submit(debrief, "bob@acme.test", scenario.DEBRIEF)
    pages = _pages_of(app, "bob@acme.test", iid)
    _check(pages, scenario.PEERS)
    # The manager does read the combined answers (the debrief task showed them).
    debrief_page = pages[f"/tasks/{debrief}"]
    assert "Answers are shown once" not in debrief_page
    sam_pages = _pages_of(app, "sam@acme.test", iid)
    _check(sam_pages, scenario.PEERS)
    instance = sam_pages[f"/instances/{iid}"]
    for email in scenario.PEERS:  # shared with Sam: in the aggregate only
        assert scenario.PEER_TEXT[email] in "".join(AGGREGATE.findall(instance))
    # The private note to HR never reaches Sam, but HR reads it.
    assert "HR-ONLY private note" not in instance
    hr = sign_in(app.test_client(), app, "hana@acme.test").get(f"/instances/{iid}")
    assert "HR-ONLY private note" in hr.get_data(as_text=True)


def test_a_reviewer_sees_their_own_answer_but_not_the_others(app):
    with app.app_context():
        iid = scenario.to_collect(app)
        scenario.peers_answer(iid)
    pat = sign_in(app.test_client(), app, "pat@acme.test")
    html = pat.get(f"/instances/{iid}").get_data(as_text=True)
    outside = AGGREGATE.sub("", html)
    assert scenario.PEER_TEXT["pat@acme.test"] in outside
    for other in scenario.PEERS[1:]:
        assert scenario.PEER_TEXT[other] not in outside
    for name in ("Quinn Peer", "Rita Peer"):
        assert name not in html


def test_reassigning_an_anonymous_task_does_not_name_the_new_reviewer(app):
    with app.app_context():
        iid = scenario.to_collect(app)
        task = scenario.open_task(iid, "pat@acme.test").id
        commands.reassign(task, "uma@acme.test", "hana@acme.test", reason="Pat is away")
    for email in ("sam@acme.test", "bob@acme.test"):
        html = sign_in(app.test_client(), app, email).get(f"/instances/{iid}").get_data(
            as_text=True)
        assert "uma@acme.test" not in html and "Uma Unrelated" not in html
        assert "gave “Give feedback to a colleague” to someone else." in html
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    # HR too reads who holds an anonymous task only after a recorded reveal
    page = hana.get(f"/instances/{iid}").get_data(as_text=True)
    assert "Uma Unrelated" not in page and "Pat is away" not in page
    hana.post(f"/instances/{iid}/reveal", data={"reason": "Checking the reassignment"})
    page = hana.get(f"/instances/{iid}").get_data(as_text=True)
    assert "gave “Give feedback to a colleague” to Uma Unrelated." in page
    assert "Pat is away" in page
