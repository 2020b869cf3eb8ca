"""One command that measures reviewflow on a whole 360 cycle and prints the figures.

    .venv/bin/python bench/cycle.py [--people 10000] [--db sqlite|postgresql://...]
                                    [--inbox-tasks 1000000]

1. generates an org of ``--people`` people and imports it through the engine's directory;
2. launches the bench-360 cycle (8 tasks per subject) with ``engine.commands.launch``;
3. submits every task with a valid 10-field payload (``commands.submit``) and has HR close
   every instance (``commands.fire``): every instance up to ``--submit-sample`` (10,000)
   subjects, above it the instances of a seeded sample of that many subjects;
4. writes the same rows with plain sqlite3, or plain psycopg2 on PostgreSQL (the floor,
   ``bench/floor.py``), and prints each phase's rate and its ratio to the floor;
5. fills the task table to ``--inbox-tasks`` rows and times ``queries.inbox``;
6. measures launch's peak memory at N and 2N people in fresh processes (N/2 and N above
   ``LARGE`` people).

See bench/README.md for what each figure means and the targets.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import engine_run, inbox_run, payloads  # noqa: E402
from bench.driver import launch_once, median_phase, run_cycle  # noqa: E402
from bench.engine_run import EngineSide  # noqa: E402
from bench.floor import FloorSide, ensure_database, floor_url  # noqa: E402
from bench.measure import Phase, Timings, maxrss_mib  # noqa: E402
from bench.org import generate, pick_peers, subjects  # noqa: E402
from bench.workload import CYCLE, DEFINITIONS, PEERS, POPULATION, TASKS_PER_SUBJECT, WORKFLOW  # noqa: E402
from engine import commands, directory, store  # noqa: E402
from engine.definitions.library import load_library  # noqa: E402

LAUNCH_TARGET = 2.0  # engine time / floor time, each backend against its own floor
SUBMIT_TARGET = 2.0
INBOX_P95_TARGET_MS = 5.0
MEMORY_FLAT = 1.25  # peak at 2N over peak at N still counted as flat
SUBMIT_PROBE = 500  # submissions per step of the memory probe
WARM_UP = 200  # submissions before the probe starts tracing
SUBMIT_SAMPLE = 10_000  # instances taken through submit/fire by default (of N - 1)
# Above this many people one launch per side is timed by default, and the memory probes
# run at N/2 and N rather than N and 2N: on PostgreSQL at 100,000 people each extra
# launch costs ~10 minutes a run and a probe at 200,000 people 11-15 (bench/README.md).
LARGE = 20_000


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, default=10_000, help="size of the org (default 10000)")
    ap.add_argument("--db", default="sqlite",
                    help="'sqlite' (a fresh file) or a postgresql:// URL whose reviewflow "
                         "tables are DROPPED and recreated")
    ap.add_argument("--inbox-tasks", type=int, default=1_000_000,
                    help="tasks in the database while the inbox is timed (default 1000000)")
    ap.add_argument("--samples", type=int, default=1000, help="inbox queries timed")
    ap.add_argument("--submit-sample", type=int, default=SUBMIT_SAMPLE, metavar="K",
                    help="submit and close the instances of K subjects drawn with --seed, "
                         "the same on both sides; all of them when K >= N - 1 "
                         f"(default {SUBMIT_SAMPLE})")
    ap.add_argument("--no-memory", action="store_true", help="skip the N/2N memory probes")
    ap.add_argument("--launch-runs", type=int,
                    help="launches timed on each side, the median is shown (default 3; "
                         f"1 above {LARGE:,} people)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", help="keep the databases here (default: a temporary folder)")
    ap.add_argument("--probe", choices=["launch"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.submit_sample < 1:
        ap.error("--submit-sample must be at least 1")
    if args.launch_runs is None:
        args.launch_runs = 3 if args.people <= LARGE else 1
    if args.launch_runs < 1:
        ap.error("--launch-runs must be at least 1")
    return args


def engine_url(db: str, workdir: Path, name: str = "engine.sqlite3") -> str:
    return f"sqlite:///{workdir / name}" if db == "sqlite" else db


def floor_place(db: str, workdir: Path, name: str = "floor.sqlite3") -> str:
    """Where the floor writes: a SQLite file beside the engine's, or on PostgreSQL a
    database of its own on the same server (``<name>_floor``), written with psycopg2."""
    return str(workdir / name) if db == "sqlite" else floor_url(db)


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="reviewflow-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.probe:
        return probe(args, workdir)
    url = engine_url(args.db, workdir)
    if url.startswith("postgres"):
        ensure_database(url)
    org = generate(args.people, args.seed)
    rng = random.Random(args.seed)
    peers = {email: pick_peers(org, email, PEERS, rng) for email in subjects(org)}
    sample = submit_sample(list(peers), args.submit_sample, args.seed)
    header(args, org, url, sample)

    started = time.perf_counter()
    extra_launches = repeat_launches(args, workdir, org)
    engine_side = EngineSide(url)
    floor_side = FloorSide(floor_place(args.db, workdir))
    timings = run_cycle([engine_side, floor_side], org, peers, args.seed, sample)
    check_rows(engine_side.counts(), len(peers), len(sample or peers))
    engine_side.close()
    floor_side.close()
    for name, samples in extra_launches.items():
        samples.append(timings[name]["launch"])
        timings[name].phases["launch"] = median_phase(samples)
    print_phases(timings["engine"], timings["floor"], args.launch_runs)

    if args.inbox_tasks:
        print_inbox(inbox_run.measure(args.inbox_tasks, args.samples, args.seed))
    store.close()
    if not args.no_memory:
        print_memory(args, workdir)
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")
    if args.workdir:
        print(f"databases kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def submit_sample(emails: list[str], k: int, seed: int) -> set[str] | None:
    """The subjects whose instances go through submit/fire: None (all of them) when ``k``
    covers everyone, else ``k`` of them drawn with ``seed`` (the same set on both sides)."""
    if k >= len(emails):
        return None
    return set(random.Random(seed).sample(emails, k))


def repeat_launches(args, workdir: Path, org) -> dict[str, list]:
    """``--launch-runs`` - 1 launches on scratch databases, alternating which side goes first."""
    samples: dict[str, list] = {"engine": [], "floor": []}
    for i in range(args.launch_runs - 1):
        engine_db, floor_db = f"launch-{i}.sqlite3", workdir / f"launch-floor-{i}.sqlite3"
        sides = [EngineSide(engine_url(args.db, workdir, engine_db)),
                 FloorSide(floor_place(args.db, workdir, floor_db.name))]
        for name, phase in launch_once(sides[:: 1 if i % 2 else -1], org).items():
            samples[name].append(phase)
        store.close()
        for path in workdir.glob("launch-*"):
            path.unlink()
    return samples


def header(args, org, url: str, sample: set[str] | None) -> None:
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"reviewflow bench: bench-360 cycle, {len(org.people):,} people, "
          f"{len(org.people) - 1:,} subjects x {TASKS_PER_SUBJECT} tasks, 10-field forms")
    if sample is not None:
        print(f"launch: all {len(org.people) - 1:,} subjects; submit/fire: the instances of "
              f"{len(sample):,} subjects drawn with seed {args.seed} (--submit-sample), the "
              "same on both sides, among all the launched rows")
    floor = (f"plain psycopg2 on the same server ({floor_url(url)})" if backend == "PostgreSQL"
             else f"plain sqlite3 {sqlite3.sqlite_version}, WAL, synchronous=NORMAL")
    print(f"engine on {backend} ({url}); floor: {floor}; Python "
          f"{platform.python_version()}, {platform.machine()}, {_cpus()} CPUs")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def check_rows(rows: dict, subjects_count: int, sampled: int) -> None:
    """The engine did the whole job, or the figures mean nothing: every subject launched
    (one self-assessment each), every sampled instance taken to the end."""
    done = TASKS_PER_SUBJECT * sampled
    expected = {"instances": subjects_count, "finished": sampled,
                "tasks": done + subjects_count - sampled, "submitted": done,
                "submissions": done}
    if rows != expected:
        raise SystemExit(f"engine left {rows}, expected {expected}")


def _row(name: str, e, f, target: float | None = None) -> str:
    """One phase: count, engine and floor time and rate, wall and CPU ratios, statements."""
    ops = e.count
    ratio = e.seconds / f.seconds if f.seconds else float("nan")
    cpu = e.cpu_seconds / f.cpu_seconds if f.cpu_seconds else float("nan")
    stmts = "     - / -  "
    if e.statements:
        stmts = f"{e.statements / ops:>6.1f} /{f.statements / ops:>5.1f}"
    verdict = ""
    if target is not None:
        verdict = f"<= {target:.0f}x {'OK' if ratio <= target else 'MISSED'}"
    return (f"{name:<15}{ops:>8,}{e.seconds:>9.2f}{ops / e.seconds:>9,.0f}{f.seconds:>8.2f}"
            f"{ops / f.seconds:>9,.0f}{ratio:>7.2f}x{cpu:>7.2f}x {stmts}  {verdict}")


def print_phases(engine: Timings, floor: Timings, launch_runs: int) -> None:
    """The per-phase table, then the submit/fire phase as a whole."""
    print(f"\n{'phase':<15}{'ops':>8}{'engine s':>9}{'eng/s':>9}{'floor s':>8}{'floor/s':>9}"
          f"{'ratio':>8}{'cpu':>8} {'SQL/op eng/floor':<17} target")
    targets = {"launch": LAUNCH_TARGET}
    for name, phase in engine.phases.items():
        print(_row(name, phase, floor[name], targets.get(name)))
    names = ("submit self", "submit collect", "fire close")
    print(_row("submit/fire", _sum(engine, names), _sum(floor, names), SUBMIT_TARGET))
    print("ratio: engine wall time / floor wall time; cpu: the same for CPU time; launch: the "
          f"median of {launch_runs} launches on fresh databases")
    print("process peak RSS after each phase (MiB; both sides run in this process): "
          + ", ".join(f"{p.name} {p.maxrss_mib:.0f}" for p in engine.phases.values()))


def _sum(timings: Timings, names) -> Phase:
    out = Phase("+".join(names))
    for n in names:
        p = timings[n]
        out.count += p.count
        out.seconds += p.seconds
        out.cpu_seconds += p.cpu_seconds
        out.statements += p.statements
    return out


def print_inbox(fig: inbox_run.InboxFigures) -> None:
    ok = "OK" if fig.p95_ms < INBOX_P95_TARGET_MS else "MISSED"
    print(f"\ninbox: {fig.tasks:,} tasks in the database (filled in {fig.fill_seconds:.1f} s), "
          f"{fig.samples} random people, {fig.mean_items:.1f} items each on average")
    print(f"inbox query: p50 {fig.p50_ms:.2f} ms, p95 {fig.p95_ms:.2f} ms, "
          f"max {fig.max_ms:.2f} ms   target p95 < {INBOX_P95_TARGET_MS:.0f} ms  {ok}")


def print_memory(args, workdir: Path) -> None:
    """Launch in fresh processes at N and 2N people (N/2 and N above ``LARGE``: the same
    doubling, a size a PostgreSQL run can afford); flat means launch is streamed."""
    results = []
    sizes = (args.people, 2 * args.people) if args.people <= LARGE else (
        args.people // 2, args.people)
    for n in sizes:
        cmd = [sys.executable, __file__, "--probe", "launch", "--people", str(n),
               "--seed", str(args.seed), "--workdir", str(workdir / f"probe-{n}")]
        if args.db != "sqlite":
            cmd += ["--db", args.db]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    a, b = results
    growth = b["peak_mib"] / a["peak_mib"] if a["peak_mib"] else float("nan")
    ok = "OK" if growth <= MEMORY_FLAT else "MISSED"
    print("\nlaunch peak memory (tracemalloc, fresh process, org imported first):")
    for r in results:
        print(f"  N={r['people']:>7,}: {r['created']:,} instances, traced peak "
              f"{r['peak_mib']:.1f} MiB, process peak RSS {r['maxrss_mib']:.0f} MiB, "
              f"{r['seconds']:.1f} s under tracemalloc")
    print(f"  2N/N traced peak ({sizes[1]:,} over {sizes[0]:,} people): {growth:.2f}   "
          f"target flat (<= {MEMORY_FLAT})  {ok}")
    print(f"then submissions in the same processes ({WARM_UP} first, untraced): memory still "
          "traced after each step")
    for r in results:
        (n1, m1), (n2, m2) = r["held_mib"]
        print(f"  N={r['people']:>7,}: after {n1:,} submits {m1:.2f} MiB, after {n2:,} "
              f"{m2:.2f} MiB (peak {r['submit_peak_mib']:.1f} MiB)")


def probe(args, workdir: Path) -> int:
    """Child process: import an org, then launch under tracemalloc; print JSON."""
    url = engine_url(args.db, workdir)
    org = generate(args.people, args.seed)
    engine_run.reset(url)
    directory.import_csv(engine_run.org_csv(org))
    library = load_library([DEFINITIONS])
    rng = random.Random(args.seed)
    peers = {email: pick_peers(org, email, PEERS, rng) for email in subjects(org)}
    del org
    tracemalloc.start()
    start = time.perf_counter()
    result = commands.launch(library, WORKFLOW, CYCLE, where=POPULATION)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    held, submit_peak = _submit_probe(peers)
    store.close()
    print(json.dumps({"people": args.people, "created": result.created, "seconds": seconds,
                      "peak_mib": peak / 2**20, "maxrss_mib": maxrss_mib(),
                      "held_mib": held, "submit_peak_mib": submit_peak}))
    return 0


def _submit_probe(peers: dict) -> tuple[list[tuple[int, float]], float]:
    """(submissions done, MiB still traced) after SUBMIT_PROBE, then 2 * SUBMIT_PROBE.

    The same before and after twice the work means nothing accumulates per command
    (caches are keyed by definition version, never by instance or task).
    """
    todo = engine_run.open_tasks()[: WARM_UP + 2 * SUBMIT_PROBE]
    rng = random.Random(3)
    forms = [payloads.self_assessment(rng, peers[email]) for _, _, email in todo]
    for (task_id, _, email), data in zip(todo[:WARM_UP], forms[:WARM_UP], strict=True):
        commands.submit(task_id, email, data)  # caches filled before tracing starts
    todo, forms = todo[WARM_UP:], forms[WARM_UP:]
    tracemalloc.start()
    held = []
    for start in (0, SUBMIT_PROBE):
        step = list(zip(todo[start:start + SUBMIT_PROBE], forms[start:start + SUBMIT_PROBE],
                        strict=True))
        for (task_id, _, email), data in step:
            commands.submit(task_id, email, data)
        gc.collect()
        held.append((start + len(step), tracemalloc.get_traced_memory()[0] / 2**20))
    submit_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return held, submit_peak


if __name__ == "__main__":
    sys.exit(main())
