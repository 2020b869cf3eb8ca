"""Starting a workflow for someone while one runs for them returns the running one: two
simultaneous "start pip" for one person (also raced, in threads on PostgreSQL and SQLite)
make one PIP, and a second press of Start on a 1:1 opens the first."""

import threading

from engine import commands, store
from engine.store import Instance

from .conftest import DEFINITIONS, T0


def test_starting_again_returns_the_running_instance(org, library):
    first = commands.start(library, "pip", "ann@x.com", "mia@x.com", now=T0)
    again = commands.start(library, "pip", "ann@x.com", "hal@x.com", now=T0)
    assert again.instance_id == first.instance_id
    assert Instance.select().count() == 1
    commands.cancel(first.instance_id, "hal@x.com", "mistake", now=T0)
    assert commands.start(library, "pip", "ann@x.com", "mia@x.com", now=T0).instance_id != (
        first.instance_id)


def test_racing_starts_make_one_instance(org, library):
    database = store.db.obj
    results, errors = [], []
    barrier = threading.Barrier(4)

    def start(actor):
        try:
            store.db.connect(reuse_if_open=True)
            barrier.wait(timeout=10)
            results.append(commands.start(library, "pip", "bob@x.com", actor, now=T0))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            if not database.is_closed():
                database.close()

    threads = [threading.Thread(target=start, args=(a,))
               for a in ("mia@x.com", "hal@x.com", "mia@x.com", "hal@x.com")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    store.db.connect(reuse_if_open=True)
    assert errors == []
    assert len({r.instance_id for r in results}) == 1
    assert Instance.select().where(Instance.workflow_id == "pip").count() == 1


def test_a_draft_is_limited_like_a_submission(org, library):
    import pytest

    from engine.errors import SubmissionInvalid
    from engine.store import Task

    from .conftest import task_of

    commands.launch(library, "review", "c", where=[("email", "ann@x.com")], now=T0)
    task = task_of("ann@x.com", "self-review")
    with pytest.raises(SubmissionInvalid, match="too large"):
        commands.save_draft(task.id, "ann@x.com", {"summary": "x" * (1024 * 1024)}, now=T0)
    assert Task.get_by_id(task.id).draft is None


def test_cli_refuses_non_utf8_and_deep_data_and_huge_ids(org, tmp_path, db):
    import json

    from click.testing import CliRunner

    from web.cli import main

    bad, deep = tmp_path / "bad.json", tmp_path / "deep.json"
    bad.write_bytes(b"\xff\xfe{}")
    deep.write_text("[" * 100000 + "]" * 100000)
    base = ["--db", db, "--library", str(DEFINITIONS / "workflows"), "--library",
            str(DEFINITIONS / "forms")]
    for args in (["submit", "1", "--as", "ann@x.com", "--data", str(bad)],
                 ["submit", "1", "--as", "ann@x.com", "--data", str(deep)],
                 ["show", str(10**25)], ["submit", str(10**25), "--as", "a@x.com", "--data",
                                          str(bad)],
                 ["tick", "--now", "9999-12-31T23:59:59"]):
        result = CliRunner().invoke(main, [*base, *args, "--json"])
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args, result.exception)
        assert "Traceback" not in result.output, args
        if args[0] != "tick":
            assert result.exit_code == 1 and json.loads(result.stderr)["error"], args
