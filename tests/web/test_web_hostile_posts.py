"""A property test: random and hostile values posted to every POST route, by HR and by
the subject: never a 500 nor a traceback, and a refused request changes nothing but the
records of the refusal (history events, failed sign-ins). Examples are bounded and seeded
so the suite stays fast and repeatable."""

from __future__ import annotations

import random

import pytest

from engine import store
from tests.web import webscenario as scenario
from tests.web.conftest import sign_in

HOSTILE = ["", " ", "\x00", "a\x00b", "²", "٣", "-1", "0", str(10**23), str(2**63), "9" * 30,
           "1e309", "NaN", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd",
           "x" * 5000, "ä" * 300, "\ud800".encode("utf-8", "surrogatepass").decode(
               "utf-8", "replace"), "null", "[]", "{}", "true", "@", "a@b", "sam@acme.test",
           "hana@acme.test", "approve", "feedback-360"]
FIELDS = ["email", "password", "confirm", "name", "reason", "to", "message", "workflow",
          "subject", "peers", "comments", "next", "_draft", "_submit", "_trigger", "q",
          "cycle", "department", "manager_email", "title", "groups", "active", "preview",
          "language", "timezone", "strengths", "__rows__:peers", "__remove__:peers:²",
          "__add__:peers", "format", "as", "previewed", "csv"]
#: Tables a refused request may still write: the refusal's own record.
RECORDS = {"event", "web_sign_in_failure", "directory_event", "outbox"}


def _snapshot() -> dict:
    from web.database import WEB_MODELS

    out = {}
    for model in (*store.MODELS, *WEB_MODELS):
        name = model._meta.table_name
        if name not in RECORDS:
            out[name] = sorted(str(sorted(r.items())) for r in model.select().dicts())
    return out


def _urls(app, ids: dict, rng: random.Random) -> list[str]:
    out = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in ("auth.logout",):
            continue
        values = {}
        for arg in rule.arguments:
            real = ids.get(arg)
            values[arg] = rng.choice([real, real, 10**23, 0, "²", "zz"]) if real else rng.choice(
                ["approve", "x", "²", "a" * 300])
        url = rule.rule
        for arg, value in values.items():
            url = url.replace(f"<int:{arg}>", str(value)).replace(f"<{arg}>", str(value))
        out.append(url)
    return out


@pytest.mark.parametrize("who", ["hana@acme.test", "sam@acme.test"])
def test_hostile_posts_never_500_and_change_nothing_when_refused(app, who):
    rng = random.Random(who)
    with app.app_context():
        iid = scenario.to_collect(app)
        task = scenario.open_task(iid, "sam@acme.test").id
        from web.people import person_by_email

        ids = {"instance_id": iid, "task_id": task, "person_id": person_by_email(
            "bob@acme.test").id, "cycle_id": 1}
    client = sign_in(app.test_client(), app, who)
    for _round in range(3):
        for url in _urls(app, ids, rng):
            data = {rng.choice(FIELDS): rng.choice(HOSTILE) for _ in range(rng.randint(0, 6))}
            with app.app_context():
                before = _snapshot()
            response = client.post(url, data=data)
            body = response.get_data(as_text=True)
            assert response.status_code < 500, (url, data, response.status_code)
            assert "Traceback" not in body, (url, data)
            if response.status_code >= 400:
                with app.app_context():
                    assert _snapshot() == before, (url, data, response.status_code)
            client = sign_in(app.test_client(), app, who)  # a refused login signs out
