"""A refused button tells the person the definition's words, in their language, not the
expression (``conditions: [{when: ..., message: {en: ..., da: ..., sv: ...}}]``)."""

from __future__ import annotations

from engine.store import Event, Instance, Task
from tests.web.conftest import one_off_app, sign_in

GATE = """workflow: gate
version: 1
languages: [en, da, sv]
title: Gate
roles:
  employee: subject
  manager: subject.manager
initial: review
states:
  review:
    tasks:
      - form: note
        assignee: manager
  done:
    final: true
transitions:
  - trigger: let_through
    title: Pass
    source: review
    dest: done
    allowed: [manager]
    conditions:
      - when: "count('note') >= 5"
        message:
          en: Five notes are needed before the review can pass.
          da: Der skal være fem noter, før samtalen kan godkendes.
          sv: Det behövs fem anteckningar innan samtalet kan godkännas.
    unless: "subject.department == 'Frozen'"
  - trigger: stop
    title: Stop
    source: review
    dest: done
    allowed: [manager]
    unless:
      when: "subject.department == 'Engineering'"
      message:
        en: Engineering reviews cannot be stopped.
        da: Ingeniørsamtaler kan ikke stoppes.
        sv: Ingenjörssamtal kan inte stoppas.
"""
NOTE = '{"schema": {"type": "object", "properties": {"text": {"type": "string"}}}}'


def _gate(tmp_path):
    return one_off_app(tmp_path, {"workflows/gate.yaml": GATE, "forms/note.json": NOTE}, "gate")


def test_a_refused_decision_shows_the_definitions_message_in_the_readers_language(tmp_path):
    app, iid, task = _gate(tmp_path)
    bob = sign_in(app.test_client(), app, "bob@acme.test")
    response = bob.post(f"/tasks/{task}", data={"text": "typed words", "_trigger": "let_through"})
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Five notes are needed before the review can pass." in html
    assert "count(&#39;note&#39;)" not in html  # the expression stays HR's
    assert "typed words" in html
    danish = bob.post(f"/tasks/{task}", data={"text": "x", "_trigger": "let_through"},
                      headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert "Der skal være fem noter, før samtalen kan godkendes." in danish
    assert "Det blev afvist:" in danish
    swedish = bob.post(f"/tasks/{task}", data={"text": "x", "_trigger": "stop"},
                       headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Ingenjörssamtal kan inte stoppas." in swedish
    with app.app_context():
        assert Task.get_by_id(task).status == "open"
        assert Instance.get_by_id(iid).state == "review"
        # the history keeps the expression and the message, for HR
        reasons = [e.detail["reason"] for e in Event.select().where(Event.kind == "refused")]
        assert reasons[0] == ("'let_through' refused: condition \"count('note') >= 5\" does "
                              "not hold: Five notes are needed before the review can pass.")
