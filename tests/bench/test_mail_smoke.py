"""bench/mail.py runs end to end on a tiny org and prints every figure (the figures
themselves are measured by running the benchmark, never here)."""

import re
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_mail_bench_prints_its_figures(project_root, tmp_path):
    result = subprocess.run(
        [sys.executable, str(project_root / "bench" / "mail.py"), "--people", "40",
         "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=300,
        cwd=project_root)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "40 people, 39 instances, 39 outbox rows" in out
    assert re.search(r"^worker round \(tick\+mail\)\s+[\d.]+ s\s+\d+ mails/s$", out, re.M), out
    assert re.search(r"^floor \(plain smtplib\)\s+[\d.]+ s", out, re.M), out
    assert re.search(r"^ratio\s+[\d.]+x  target <= 1.5x (OK|MISSED)$", out, re.M), out
