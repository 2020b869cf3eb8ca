"""Valid 10-field submissions for the benchmark's forms, varied but deterministic."""

from __future__ import annotations

import random

WORDS = ("clear", "reliable", "curious", "thorough", "calm", "direct", "generous", "quick",
         "careful", "bold", "kind", "focused", "patient", "sharp", "steady", "open")
GOALS = ("none", "some", "most", "all")


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _common(rng: random.Random) -> dict:
    return {
        "rating": rng.randint(1, 5),
        "summary": _text(rng, 40),
        "strengths": _text(rng, 15),
        "growth": _text(rng, 15),
        "goals_met": rng.choice(GOALS),
        "collaboration": rng.randint(1, 5),
        "delivery": rng.randint(1, 5),
        "leadership": rng.randint(1, 5),
    }


def self_assessment(rng: random.Random, peers: list[str]) -> dict:
    """The employee's form: names the peers the collect step will ask."""
    return {**_common(rng), "peers": list(peers), "confidential": rng.random() < 0.2}


def manager_review(rng: random.Random) -> dict:
    return {
        **_common(rng),
        "promotion": rng.choice(("not yet", "within a year", "ready now")),
        "next_review": f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }


def peer_feedback(rng: random.Random) -> dict:
    return {
        **_common(rng),
        "worked_together": rng.choice(("rarely", "monthly", "weekly", "daily")),
        "would_work_again": rng.random() < 0.9,
    }


def pool(form: str, size: int = 64, seed: int = 11) -> list[dict]:
    """``size`` ready payloads for a form without peers (built before any timing)."""
    rng = random.Random(seed)
    make = {"manager-review": manager_review, "peer-feedback": peer_feedback}[form]
    return [make(rng) for _ in range(size)]
