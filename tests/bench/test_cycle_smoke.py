"""bench/cycle.py runs end to end on a tiny org and prints every figure.

The figures themselves are measured by running the benchmark, never here: this test only
guards the command against breaking as the engine changes (slow: about 10 s).
"""

import re
import sqlite3
import subprocess
import sys

import pytest

NUMBER = r"[\d,]+(?:\.\d+)?"


@pytest.mark.slow
def test_cycle_prints_every_figure(project_root, tmp_path):
    result = subprocess.run(
        [sys.executable, str(project_root / "bench" / "cycle.py"), "--people", "50",
         "--inbox-tasks", "2000", "--samples", "50", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=project_root)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "49 subjects x 8 tasks" in out
    for phase, ops in (("import", 50), ("launch", 49), ("submit self", 49),
                       ("submit collect", 343), ("fire close", 49), ("submit/fire", 441)):
        row = rf"^{re.escape(phase)}\s+{ops:,}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}"
        row += rf"\s+{NUMBER}x\s+{NUMBER}x\s+{NUMBER} /\s*{NUMBER}"
        assert re.search(row, out, re.M), (phase, out)
    assert re.search(r"^launch .*<= 2x (OK|MISSED)$", out, re.M), out
    assert re.search(r"^submit/fire .*<= 2x (OK|MISSED)$", out, re.M), out
    assert "peak RSS after each phase" in out
    assert re.search(rf"inbox: 2,000 tasks in the database .* {NUMBER} items each", out), out
    assert re.search(rf"inbox query: p50 {NUMBER} ms, p95 {NUMBER} ms, max {NUMBER} ms"
                     r"\s+target p95 < 5 ms\s+(OK|MISSED)", out), out
    for n in ("50", "100"):
        assert re.search(rf"N=\s+{n}: {NUMBER} instances, traced peak {NUMBER} MiB", out), out
    assert re.search(rf"2N/N traced peak \(100 over 50 people\): {NUMBER}\s+target flat",
                     out), out
    assert len(re.findall(rf"after {NUMBER} submits {NUMBER} MiB, after {NUMBER} {NUMBER} MiB",
                          out)) == 2, out
    # the engine's and the floor's databases are where we asked, and hold the cycle
    assert (tmp_path / "engine.sqlite3").exists() and (tmp_path / "floor.sqlite3").exists()


@pytest.mark.slow
def test_cycle_takes_a_seeded_sample_through_submit_and_fire(project_root, tmp_path):
    """--submit-sample K: every subject is launched, K instances go through submit/fire
    on both sides (the row check inside the command fails the run otherwise)."""
    result = subprocess.run(
        [sys.executable, str(project_root / "bench" / "cycle.py"), "--people", "50",
         "--submit-sample", "10", "--inbox-tasks", "0", "--no-memory", "--launch-runs", "1",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=project_root)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert ("launch: all 49 subjects; submit/fire: the instances of 10 subjects drawn with "
            "seed 7 (--submit-sample)") in out, out
    for phase, ops in (("launch", 49), ("submit self", 10), ("submit collect", 70),
                       ("fire close", 10), ("submit/fire", 90)):
        assert re.search(rf"^{re.escape(phase)}\s+{ops:,}\s", out, re.M), (phase, out)
    finished = {}  # the same sample on both sides
    for name in ("engine.sqlite3", "floor.sqlite3"):
        db = sqlite3.connect(tmp_path / name)
        finished[name] = db.execute(
            "SELECT p.email FROM instance i JOIN person p ON p.id = i.subject_id"
            " WHERE i.status = 'finished' ORDER BY p.email").fetchall()
        db.close()
    assert len(finished["engine.sqlite3"]) == 10, finished
    assert finished["engine.sqlite3"] == finished["floor.sqlite3"]


def test_a_sample_of_nobody_is_refused(project_root):
    result = subprocess.run(
        [sys.executable, str(project_root / "bench" / "cycle.py"), "--people", "50",
         "--submit-sample", "0"], capture_output=True, text=True, timeout=60, cwd=project_root)
    assert result.returncode != 0
    assert "--submit-sample must be at least 1" in result.stderr


@pytest.mark.slow
@pytest.mark.postgres
def test_cycle_on_postgresql_has_a_psycopg2_floor_of_its_own(project_root, tmp_path):
    from urllib.parse import urlparse, urlunparse

    from tests.conftest import PG_ADMIN_URL, _admin_connection

    try:
        admin = _admin_connection()
    except Exception as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({exc.__class__.__name__})")
    name = f"reviewflow_test_bench_{__import__('os').getpid()}"
    url = urlunparse(urlparse(PG_ADMIN_URL)._replace(path="/" + name))
    try:
        result = subprocess.run(
            [sys.executable, str(project_root / "bench" / "cycle.py"), "--people", "30",
             "--inbox-tasks", "0", "--no-memory", "--launch-runs", "1", "--db", url],
            capture_output=True, text=True, timeout=300, cwd=project_root)
        assert result.returncode == 0, result.stderr
        assert f"floor: plain psycopg2 on the same server ({url}_floor)" in result.stdout
        assert re.search(r"^submit/fire\s+261\s.*<= 2x (OK|MISSED)$", result.stdout, re.M), \
            result.stdout
    finally:
        with admin.cursor() as cur:
            for db in (name, f"{name}_floor"):
                cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.close()
