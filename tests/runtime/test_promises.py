"""What the shipped pages promise about who reads an answer is true: the feedback
request says HR can read the answer, because HR can (visibility's rules)."""

from pathlib import Path

import pytest

from engine import commands, queries, visibility
from engine.definitions.library import load_library

from .conftest import T0, task_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped():
    return load_library([ROOT / "workflows", ROOT / "forms"])


def test_the_feedback_request_tells_the_requester_that_hr_reads_the_answer(org, shipped):
    iid = commands.start(shipped, "continuous-feedback", "ann@x.com", "ann@x.com",
                         now=T0).instance_id
    commands.submit(task_of("ann@x.com", "feedback-request").id, "ann@x.com",
                    {"giver": "bob@x.com", "topic": "My demo to the sales team",
                     "questions": "Was the pace right?"}, now=T0)
    answer = task_of("bob@x.com", "feedback-response")
    commands.submit(answer.id, "bob@x.com", {"response": "give",
                                             "keep_doing": "Clear slides, good examples.",
                                             "do_differently": "Slow down at the end."},
                    now=T0)
    detail = queries.instance_detail(iid, now=T0)
    (response,) = [s for s in detail.submissions if s.form_id == "feedback-response"]
    people = ["ann@x.com", "bob@x.com", "cat@x.com", "ceo@x.com", "hal@x.com", "mia@x.com"]
    readers = {p for p in people if visibility.can_read_submission(p, response, detail)}
    assert readers == {"ann@x.com", "bob@x.com", "hal@x.com"}
    form = shipped.form("feedback-request")
    for language in form.languages:
        text = form.localized(language).schema["description"]
        assert "HR" in text, (language, text)
        assert "Only you see" not in text
