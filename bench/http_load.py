"""The HTTP benchmark: gunicorn with 2 workers on loopback, an org with a running cycle in a
database of a million tasks, and bounded concurrent clients using the pages as people do.

    .venv/bin/python bench/http_load.py [--people 10000] [--tasks 1000000] [--db sqlite|URL]
                                   [--clients 8] [--seconds 30]

Set-up (untimed): the org, a launch of bench-360 for everyone, half the self-assessments
submitted through the engine (so managers and peers have tasks and the report has
answers), then filler tasks up to ``--tasks``. Then ``reviewflow serve --workers 2``
(people sign in through the trusted header, so password hashing is not what is timed).

Clients: one is HR, opening the cycle's dashboard (first page) and report in turn; the
others each act as random people with open tasks: the inbox, the task page, a draft save,
the submit. Every request is a new connection (gunicorn's sync workers close them).

The floor: the same gunicorn and the same number of clients asking a WSGI app of a few
lines (``bench/http_floor.py``) for the same people's open tasks with plain sqlite3 or
psycopg2; the inbox's ratio to it is printed with the figures.

Then the time each page took inside the workers (gunicorn's access log): with clients that
never pause, a client's latency is mostly the wait behind the requests ahead of it, and
these say what each page costs itself.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import engine_run, filler, payloads  # noqa: E402
from bench.floor import ensure_database  # noqa: E402
from bench.org import generate, pick_peers  # noqa: E402
from bench.workload import CYCLE, DEFINITIONS, PEERS, POPULATION, WORKFLOW  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HR_HEADER = "X-Bench-User"
#: page -> p95 target in ms on this machine with 8 clients (issue 15)
TARGETS = {"inbox": 50, "task": 50, "draft": 100, "submit": 100, "dashboard": 200,
           "report": 1000}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="reviewflow's HTTP benchmark")
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--tasks", type=int, default=1_000_000, help="tasks in the database")
    ap.add_argument("--db", default="sqlite", help="sqlite (a temporary file) or a "
                    "PostgreSQL URL whose reviewflow tables are dropped and recreated")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each run")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", help="keep the database here")
    return ap.parse_args(argv)


# --------------------------------------------------------------------------- set-up

@dataclass
class Work:
    """What the clients act on: open tasks with the form body that answers each."""

    cycle_id: int
    hr: str
    tasks: list[tuple[str, int, list]] = field(default_factory=list)  # (email, id, pairs)
    people: list[str] = field(default_factory=list)


def set_up(url: str, people: int, tasks: int, seed: int) -> Work:
    from engine import commands, directory, store
    from engine.definitions.library import load_library
    from engine.store import Cycle, Definition, Person, Task, TaskStatus

    rng = random.Random(seed)
    org = generate(people, seed)
    engine_run.reset(url)
    directory.import_csv(engine_run.org_csv(org))
    library = load_library([DEFINITIONS])
    commands.launch(library, WORKFLOW, CYCLE, where=POPULATION)
    cycle_id = Cycle.get(Cycle.name == CYCLE).id
    open_self = engine_run.open_tasks()
    for task_id, _form, email in open_self[: len(open_self) // 2]:
        commands.submit(task_id, email, payloads.self_assessment(
            rng, pick_peers(org, email, PEERS, rng)))
    definition = Definition.get(Definition.workflow_id == WORKFLOW).id
    filler.fill(tasks, definition)
    if store.is_postgres():
        store.db.execute_sql("ANALYZE")
    rows = (Task.select(Task.id, Task.form_id, Person.email)
            .join(Person, on=(Task.assignee == Person.id))
            .where((Task.status == TaskStatus.OPEN)
                   & Task.instance.in_(_cycle_instances(cycle_id)))
            .order_by(Task.id).tuples())
    chosen = list(rows)
    rng.shuffle(chosen)
    work = Work(cycle_id, org.hr[0])
    bodies = _bodies(url, library, org, chosen[:4000], rng)
    work.tasks = [(email, task_id, bodies[task_id]) for task_id, _f, email in chosen[:4000]]
    work.people = [p.email for p in org.people]
    store.close()
    return work


def _cycle_instances(cycle_id: int):
    from engine.store import Instance

    return Instance.select(Instance.id).where(Instance.cycle == cycle_id)


def _bodies(url: str, library, org, chosen, rng) -> dict[int, list]:
    """The form fields a browser would post to answer each task (the engine's own
    renderer, read back as a browser reads it)."""
    from tests.forms.browser import post_back
    from web import create_app
    from web.forms import render_form

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "LIBRARY_PATHS": [str(DEFINITIONS / "workflows"),
                                        str(DEFINITIONS / "forms")]})
    made = {"manager-review": payloads.pool("manager-review", 32),
            "peer-feedback": payloads.pool("peer-feedback", 32)}
    out = {}
    with app.test_request_context("/"):
        for task_id, form_id, email in chosen:
            if form_id == "self-assessment":
                data = payloads.self_assessment(rng, pick_peers(org, email, PEERS, rng))
            else:
                data = rng.choice(made[form_id])
            html = str(render_form(library.forms[form_id], data))
            out[task_id] = list(post_back(html).items(multi=True))
    return out


# --------------------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: gunicorn's access log line for :func:`server_times`: method, path, status, microseconds
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"


def start(cmd: list[str], env: dict, port: int, workdir: Path,
          log: Path | None = None) -> subprocess.Popen:
    """Start a server; its stdout (gunicorn's access log, when asked for) goes to ``log``."""
    out = log.open("w") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=workdir,
                            stdout=out, stderr=subprocess.DEVNULL)
    if log is not None:
        out.close()  # the server has its own copy
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the server did not start: {' '.join(cmd)}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


# --------------------------------------------------------------------------- clients

class Client:
    """One browser: a cookie jar and a person (the trusted header says who)."""

    def __init__(self, base: str, email: str):
        self.base, self.email = base, email
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def call(self, path: str, data: list | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, body, headers={
            HR_HEADER: self.email})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read().decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Figures:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, page: str, ok: tuple[int, ...], client: Client, path: str,
              data: list | None = None):
        """``client.call(path, data)``, timed under ``page``; an answer not in ``ok`` is an
        error."""
        start = time.perf_counter()
        status, text = client.call(path, data)
        took = time.perf_counter() - start
        with self.lock:
            self.times.setdefault(page, []).append(took)
            if status not in ok:
                self.errors[page] = self.errors.get(page, 0) + 1
        return status, text


def person_loop(base: str, mine: list, figures: Figures, until: float) -> None:
    """Random people with open tasks: inbox, task page, draft, submit."""
    for email, task_id, pairs in mine:
        if time.perf_counter() > until:
            return
        client = Client(base, email)
        figures.timed("inbox", (200,), client, "/")
        status, page = figures.timed("task", (200,), client, f"/tasks/{task_id}")
        token = CSRF.search(page)
        if status != 200 or token is None:
            continue
        fields = [("csrf_token", token.group(1)), *pairs]
        figures.timed("draft", (303,), client, f"/tasks/{task_id}", [*fields, ("_draft", "1")])
        figures.timed("submit", (303,), client, f"/tasks/{task_id}", fields)


def hr_loop(base: str, hr: str, cycle_id: int, figures: Figures, until: float) -> None:
    client = Client(base, hr)
    while time.perf_counter() < until:
        figures.timed("dashboard", (200,), client, f"/hr/cycles/{cycle_id}")
        figures.timed("report", (200,), client, f"/cycles/{cycle_id}/report")


def floor_loop(base: str, people: list[str], figures: Figures, until: float,
               rng: random.Random) -> None:
    client = Client(base, "")
    while time.perf_counter() < until:
        email = rng.choice(people)
        figures.timed("floor inbox", (200,), client,
                      "/?" + urllib.parse.urlencode({"email": email}))


def run_clients(targets: list, seconds: float) -> float:
    threads = [threading.Thread(target=t, args=a) for t, a in targets]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    return time.perf_counter() - start


# --------------------------------------------------------------------------- report

def server_times(log: Path, cycle_id: int) -> dict[str, list[float]]:
    """Seconds each request took inside gunicorn's worker, per page, from its access log:
    beside the clients' figures they tell the wait for a worker from the page's own cost."""
    pages: dict[str, list[float]] = {}
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) != 4 or not parts[3].isdigit():
            continue  # gunicorn's own messages
        method, path, _status, micros = parts
        if path == "/":
            page = "inbox"
        elif path.startswith("/tasks/"):
            page = "task" if method == "GET" else "draft/submit"
        elif path == f"/hr/cycles/{cycle_id}":
            page = "dashboard"
        elif path == f"/cycles/{cycle_id}/report":
            page = "report"
        else:
            continue
        pages.setdefault(page, []).append(int(micros) / 1e6)
    return pages


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def print_figures(figures: Figures, elapsed: float, floor: Figures, floor_elapsed: float,
                  backend: str, args, served: dict[str, list[float]]) -> None:
    print(f"HTTP benchmark on {backend}: {args.people:,} people, {args.tasks:,} tasks, "
          f"gunicorn -w {args.workers}, {args.clients} clients, {args.seconds:.0f} s a run")
    print(f"{'page':<12}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}  target p95")
    rows = [(page, figures.times.get(page, []), figures.errors.get(page, 0), elapsed)
            for page in TARGETS]
    rows.append(("floor inbox", floor.times.get("floor inbox", []),
                 floor.errors.get("floor inbox", 0), floor_elapsed))
    for page, times, errors, span in rows:
        if not times:
            print(f"{page:<12}{0:>9}")
            continue
        p95 = percentile(times, 0.95)
        target = TARGETS.get(page)
        verdict = "" if target is None else (
            f"  < {target} ms {'OK' if p95 < target and not errors else 'MISSED'}")
        print(f"{page:<12}{len(times):>9}{len(times) / span:>8.0f}"
              f"{percentile(times, 0.50):>9.1f}{p95:>9.1f}{percentile(times, 0.99):>9.1f}"
              f"{errors:>8}{verdict}")
    inbox, base = figures.times.get("inbox"), floor.times.get("floor inbox")
    if inbox and base:
        print(f"inbox / floor (p50): {statistics.median(inbox) / statistics.median(base):.2f}x")
    if served:
        print("inside the workers (gunicorn's access log; the rest of a client's time is the "
              "wait for a worker):")
        for page in ("inbox", "task", "draft/submit", "dashboard", "report"):
            times = served.get(page)
            if not times:
                continue
            print(f"  {page:<13}{len(times):>7} requests  mean {statistics.mean(times) * 1000:6.1f}"
                  f"  p50 {percentile(times, 0.50):6.1f}  p95 {percentile(times, 0.95):6.1f} ms")


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="reviewflow-http-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    url = args.db if args.db != "sqlite" else f"sqlite:///{workdir / 'http.sqlite3'}"
    backend = url.split("://")[0]
    if backend.startswith("postgres"):
        ensure_database(url)  # a database of its own, made on first use (as bench/cycle.py)
    started = time.perf_counter()
    work = set_up(url, args.people, args.tasks, args.seed)
    print(f"set-up: {time.perf_counter() - started:.0f} s", flush=True)

    port = free_port()
    server = start([str(BIN / "reviewflow"), "--db", url, "--library",
                    str(DEFINITIONS / "workflows"), "--library", str(DEFINITIONS / "forms"),
                    "serve", "--workers", str(args.workers), "--port", str(port)],
                   {"REVIEWFLOW_TRUSTED_HEADER": HR_HEADER, "REVIEWFLOW_SECRET_KEY": "bench",
                    "PYTHONPATH": str(ROOT),
                    "GUNICORN_CMD_ARGS": f"--access-logformat '{ACCESS_FORMAT}'"},
                   port, workdir, log=workdir / "access.log")
    base = f"http://127.0.0.1:{port}"
    try:
        Client(base, work.hr).call("/")  # the workers' first request loads their caches
        figures = Figures()
        until = time.perf_counter() + args.seconds
        people = max(1, args.clients - 1)
        shares = [work.tasks[i::people] for i in range(people)]
        targets = [(hr_loop, (base, work.hr, work.cycle_id, figures, until))]
        targets += [(person_loop, (base, share, figures, until)) for share in shares]
        elapsed = run_clients(targets, args.seconds)
    finally:
        stop(server)

    port = free_port()
    floor_server = start([str(BIN / "gunicorn"), "-w", str(args.workers), "-b",
                          f"127.0.0.1:{port}", "bench.http_floor:app"],
                         {"BENCH_FLOOR_DB": url, "PYTHONPATH": str(ROOT)}, port, ROOT)
    try:
        floor = Figures()
        until = time.perf_counter() + args.seconds
        floor_base = f"http://127.0.0.1:{port}"
        floor_elapsed = run_clients(
            [(floor_loop, (floor_base, work.people, floor, until, random.Random(i)))
             for i in range(args.clients)], args.seconds)
    finally:
        stop(floor_server)
    print_figures(figures, elapsed, floor, floor_elapsed, backend, args,
                  server_times(workdir / "access.log", work.cycle_id))
    return 1 if any(figures.errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
