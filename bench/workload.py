"""What the benchmark runs: the bench-360 workflow for every department of the org."""

from pathlib import Path

from bench.org import DEPARTMENTS

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
WORKFLOW = "bench-360"
CYCLE = "bench-2026"
PEERS = 6  # peers each subject names: with self and manager, 8 tasks per subject
TASKS_PER_SUBJECT = 2 + PEERS
# Every department but the CEO's "Executive": the CEO has no manager to review them.
POPULATION = [("department", d) for d in DEPARTMENTS]
