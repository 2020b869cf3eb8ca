"""Time the engine's inbox query with the task table filled to a million rows."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from bench import filler
from bench.measure import percentile
from bench.workload import WORKFLOW
from engine import queries, store
from engine.store import Definition, Person, Task, db


@dataclass
class InboxFigures:
    tasks: int
    fill_seconds: float
    samples: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    mean_items: float


def measure(total_tasks: int, samples: int, seed: int = 13) -> InboxFigures:
    """Fill up to ``total_tasks`` tasks, then time ``queries.inbox`` for random people."""
    definition_id = (Definition.select(Definition.id)
                     .where(Definition.workflow_id == WORKFLOW).scalar())
    start = time.perf_counter()
    filler.fill(total_tasks, definition_id)
    # PostgreSQL's autovacuum would analyze a table this size soon after; do it now so the
    # figure is the steady state. SQLite keeps no statistics unless asked, so it is left as
    # the engine leaves it.
    if store.is_postgres():
        db.execute_sql("ANALYZE")
    fill_seconds = time.perf_counter() - start
    emails = [row[0] for row in Person.select(Person.email).tuples()]
    rng = random.Random(seed)
    for email in rng.sample(emails, min(20, len(emails))):  # warm the caches
        queries.inbox(email)
    times, items = [], 0
    for _ in range(samples):
        email = emails[rng.randrange(len(emails))]
        t = time.perf_counter()
        found = queries.inbox(email)
        times.append((time.perf_counter() - t) * 1000)
        items += len(found.tasks) + len(found.decisions)
    times.sort()
    return InboxFigures(
        tasks=Task.select().count(), fill_seconds=fill_seconds, samples=samples,
        p50_ms=percentile(times, 0.50), p95_ms=percentile(times, 0.95), max_ms=times[-1],
        mean_items=items / samples,
    )
