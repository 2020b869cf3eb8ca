"""Anonymous answers grouped by relationship: each group its own threshold, a group below
it merged into "others" or hidden, as its task line says."""

from __future__ import annotations

from engine.anonymity import OTHERS, group_answers
from engine.definitions.specs import TaskSpec


def _line(group=None, threshold=None, below="others"):
    return TaskSpec(form="fb", role="r", anonymous=True, anonymity_group=group,
                    anonymity_threshold=threshold, below_threshold=below)


PEERS = _line("Peers", 3)
REPORTS = _line("Direct reports", 3)
CLIENTS = _line("Clients", 3)
MANAGER = _line("Manager", 2, below="hide")


def _answers(line, n):
    return [(line, {"rating": i}) for i in range(n)]


def _seen(groups):
    return [(g.label, len(g.datas), g.threshold, g.shown, g.merged) for g in groups]


def test_a_group_at_its_threshold_shows_and_small_ones_merge_into_others():
    items = (_answers(PEERS, 3) + _answers(REPORTS, 2) + _answers(CLIENTS, 2)
             + _answers(MANAGER, 1))
    assert _seen(group_answers("fb", items, 2)) == [
        ("Peers", 3, 3, True, []),
        (OTHERS, 4, 3, True, ["Direct reports", "Clients"]),  # Manager's line says hide
    ]


def test_one_small_group_alone_is_not_shown_as_others():
    # others never asks less than a group merged into it: Clients alone stays unseen
    groups = group_answers("fb", _answers(PEERS, 3) + _answers(CLIENTS, 2), 2)
    assert _seen(groups) == [("Peers", 3, 3, True, []), (OTHERS, 2, 3, False, ["Clients"])]


def test_lines_without_a_group_are_summarised_together_as_before():
    plain = _line()
    groups = group_answers("fb", _answers(plain, 1) + _answers(plain, 1), 3)
    assert _seen(groups) == [(None, 2, 3, False, [])]


def test_a_hidden_group_leaves_nothing_behind():
    assert group_answers("fb", _answers(MANAGER, 1), 2) == []
    assert _seen(group_answers("fb", _answers(MANAGER, 2), 2)) == [("Manager", 2, 2, True, [])]


def test_no_group_threshold_is_below_two():
    groups = group_answers("fb", _answers(_line("Peers", None), 1), 1)
    assert _seen(groups) == [(OTHERS, 1, 2, False, ["Peers"])]
