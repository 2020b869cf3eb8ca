"""History event kinds: one vocabulary (EventKind), stored as the same strings as ever."""

import ast
from pathlib import Path

from engine import commands, statements
from engine.store import Event, EventKind, Instance

from .conftest import T0

ROOT = Path(__file__).resolve().parents[2]

#: The strings databases hold today; a new kind may be added, none may be renamed.
STORED = {
    "launched", "started", "draft-saved", "submitted", "transition", "finished", "cancelled",
    "reassigned", "delegated", "reminded", "nudged", "escalated", "repeated", "unassigned",
    "role-problems", "refused", "timer-held", "expression-error", "auto-loop-stopped",
    "anonymity-revealed",
}


def test_every_stored_kind_is_a_member_with_its_old_value():
    assert STORED <= {k.value for k in EventKind}
    assert {EventKind(v) for v in STORED} <= set(EventKind)


def _bare_kinds(path: Path) -> list[str]:
    """``x.event("name", ...)`` or ``Event.create(kind="name")`` with a literal string."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr == "event" and node.args and isinstance(node.args[0], ast.Constant):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        if node.func.attr == "create" and any(
                k.arg == "kind" and isinstance(k.value, ast.Constant) for k in node.keywords) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "Event":
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_event_is_written_with_a_bare_string():
    files = sorted(p for top in ("engine", "web") for p in (ROOT / top).rglob("*.py"))
    assert [hit for p in files for hit in _bare_kinds(p)] == []


def test_kinds_written_by_commands_read_back_as_members(org, library):
    result = commands.start(library, "review", "ann@x.com", "hal@x.com", now=T0)
    kinds = [e.kind for e in Event.select().where(Event.instance == result.instance_id)
             .order_by(Event.id)]
    assert kinds and all(type(k) is str for k in kinds)  # plain text in the column
    assert kinds[0] == EventKind.LAUNCHED and EventKind(kinds[0]) is EventKind.LAUNCHED


def test_a_row_written_as_text_before_the_enum_reads_as_a_member(org, library):
    result = commands.start(library, "review", "ann@x.com", "hal@x.com", now=T0)
    statements.insert_rows(Event, [{"instance": result.instance_id, "at": T0, "actor": "x@x.com",
                                    "kind": "draft-saved", "trigger": None, "from_state": None,
                                    "to_state": None, "task": None, "detail": {}}])
    old = Event.select().where(Event.instance == result.instance_id).order_by(
        Event.id.desc()).get()
    assert EventKind(old.kind) is EventKind.DRAFT_SAVED and old.kind == EventKind.DRAFT_SAVED
    assert Instance.get_by_id(result.instance_id).state
