"""Who answered an anonymous line is told to nobody: subject and manager see counts only
("1 of 3 answered"), never one row per rater; HR and console users see no rater's name on
the cycle dashboard or the instance page unless HR reveals them, an explicit act kept in
the history; the subject never, even when HR or in ``admin``."""

from __future__ import annotations

import re

from engine import commands
from engine.directory import import_csv
from engine.store import Event
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, sign_in

PEER_NAMES = ["Pat Peer", "Quinn Peer", "Rita Peer"]
TABLE = re.compile(r'data-testid="instance-tasks">.*?</table>', re.S)


def _table(app, email: str, iid: int) -> str:
    html = sign_in(app.test_client(), app, email).get(f"/instances/{iid}").get_data(
        as_text=True)
    found = TABLE.search(html)
    assert found, email
    return found.group(0)


def _collecting(app) -> int:
    """Sam's 360 in a cycle, collecting; Pat has answered."""
    lib = scenario.library(app)
    commands.launch(lib, "feedback-360", "360 2026", where=[("email", "sam@acme.test")])
    from engine.store import Instance

    iid = Instance.select().order_by(Instance.id.desc()).get().id
    commands.submit(scenario.open_task(iid, "sam@acme.test").id, "sam@acme.test",
                    {"peers": scenario.PEERS})
    commands.submit(scenario.open_task(iid, "bob@acme.test").id, "bob@acme.test",
                    {"comments": "Good list"}, trigger="approve")
    scenario.peers_answer(iid, ["pat@acme.test"])
    return iid


def test_subject_and_manager_see_counts_not_rows(app):
    with app.app_context():
        iid = _collecting(app)
    for email in ("sam@acme.test", "bob@acme.test", "carla@acme.test"):
        table = _table(app, email, iid)
        assert "1 of 3 answered" in table, email
        assert "An anonymous reviewer" not in table, email
        assert all(name not in table for name in PEER_NAMES), email


def test_hr_sees_raters_only_after_a_recorded_reveal(app):
    with app.app_context():
        iid = _collecting(app)
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    assert all(n not in _table(app, "hana@acme.test", iid) for n in PEER_NAMES)
    assert hana.post(f"/instances/{iid}/reveal", data={"reason": ""}).status_code == 303
    with app.app_context():  # a reason is required: nothing recorded
        assert Event.select().where(Event.kind == "anonymity-revealed").count() == 0
    assert hana.post(f"/instances/{iid}/reveal",
                     data={"reason": "Complaint about a comment"}).status_code == 303
    with app.app_context():
        (event,) = Event.select().where(Event.kind == "anonymity-revealed")
        assert (event.actor, event.detail["reason"]) == ("hana@acme.test",
                                                         "Complaint about a comment")
    assert all(n in _table(app, "hana@acme.test", iid) for n in PEER_NAMES)
    # the reveal is Hana's: the manager still sees counts only
    assert all(n not in _table(app, "bob@acme.test", iid) for n in PEER_NAMES)


def test_the_cycle_dashboard_names_no_rater_for_hr_or_a_skip_level_in_admin(app):
    with app.app_context():
        import_csv(ORG.replace("carla@acme.test,Carla Chief,,Executive,CEO,",
                               "carla@acme.test,Carla Chief,,Executive,CEO,admin"))
        iid = _collecting(app)
        from engine.store import Instance

        cycle_id = Instance.get_by_id(iid).cycle_id
    for email in ("hana@acme.test", "carla@acme.test"):
        page = sign_in(app.test_client(), app, email).get(f"/hr/cycles/{cycle_id}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert all(name not in html for name in PEER_NAMES), email
        assert "2 waiting" in html, email


def test_an_hr_subject_sees_no_rater_and_cannot_reveal(app):
    with app.app_context():
        import_csv(ORG.replace("sam@acme.test,Sam Subject,bob@acme.test,Engineering,Engineer,",
                               "sam@acme.test,Sam Subject,bob@acme.test,Engineering,Engineer,hr"))
        iid = _collecting(app)
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    assert all(n not in _table(app, "sam@acme.test", iid) for n in PEER_NAMES)
    assert sam.post(f"/instances/{iid}/reveal", data={"reason": "mine"}).status_code == 403
    with app.app_context():
        from engine.errors import NotAllowed

        try:
            commands.reveal_anonymous(iid, "sam@acme.test", "mine")
        except NotAllowed:
            pass
        assert Event.select().where(Event.kind == "anonymity-revealed").count() == 0


def test_the_threshold_holds_per_question_not_per_form(app):
    """Three answers reach the 360's threshold of 3, but an optional question two people
    answered shows no average, and an optional text one person wrote is not shown."""
    with app.app_context():
        iid = scenario.to_collect(app)
        for email, extra in zip(scenario.PEERS, ({"ownership": 5}, {"ownership": 2}, {}),
                                strict=True):
            commands.submit(scenario.open_task(iid, email).id, email,
                            scenario.peer_feedback(email) | extra)
        commands.submit(scenario.open_task(iid, "sam@acme.test").id, "sam@acme.test",
                        scenario.SELF_ASSESSMENT)
        debrief = scenario.open_task(iid, "bob@acme.test").id
    html = sign_in(app.test_client(), app, "bob@acme.test").get(f"/tasks/{debrief}").get_data(
        as_text=True)
    ownership = re.search(r'rf-aggregate-field" data-path="ownership">.*?</div>', html,
                          re.S).group(0)
    assert "Average" not in ownership and "3.50" not in ownership
    assert "Fewer than 3 people answered this question" in ownership
    delivery = re.search(r'rf-aggregate-field" data-path="delivery">.*?</div>', html, re.S).group(0)
    assert "Average 5.00" in delivery


def test_the_engine_aggregate_withholds_a_question_below_the_threshold():
    from engine import visibility

    agg = visibility.aggregate("f", [{"a": 1, "t": "only me"}, {"a": 2}, {"a": 3}], 3)
    assert agg.numbers == {"a": {"avg": 2, "min": 1, "max": 3, "count": 3}}
    assert agg.texts == {} and agg.field("t").kind == "withheld"
    assert "only me" not in repr(agg)
