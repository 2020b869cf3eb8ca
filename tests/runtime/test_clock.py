"""One clock: no module reads the time except through engine.clock."""

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from engine import clock
from engine.directory import import_csv
from engine.store import Person

ROOT = Path(__file__).resolve().parents[2]
#: Calls that read the wall clock; engine/clock.py alone may make them.
CLOCK_READS = {"utcnow", "now", "today", "utcfromtimestamp"}


def _clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in CLOCK_READS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("datetime", "date")):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: "
                         f"{node.func.value.id}.{node.func.attr}()")
    return found


def test_only_the_clock_module_reads_the_clock():
    files = [p for top in ("engine", "web", "bench") for p in (ROOT / top).rglob("*.py")
             if p != ROOT / "engine" / "clock.py"]
    assert [hit for p in sorted(files) for hit in _clock_reads(p)] == []


def test_utc_normalises_aware_naive_and_missing_times():
    naive = datetime(2026, 3, 1, 12, 0)
    assert clock.utc(naive) is naive
    plus_two = datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert clock.utc(plus_two) == naive and clock.utc(plus_two).tzinfo is None
    before = datetime.now(UTC).replace(tzinfo=None)
    assert before <= clock.utc(None) <= clock.utcnow()


def test_a_directory_import_without_now_is_stamped_by_the_clock(db):
    before = clock.utcnow()
    import_csv("email,name,manager_email,department,title,groups\nann@x.com,Ann,,Ops,Lead,\n")
    stamped = Person.get(Person.email == "ann@x.com").updated_at
    assert before <= stamped <= clock.utcnow()
