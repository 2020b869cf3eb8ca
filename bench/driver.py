"""Run the cycle on several sides (the engine, the floor) with their timings interleaved.

Other work on a shared machine comes and goes; timing the engine's whole phase and then
the floor's would charge a busy minute to one of them. So each phase runs in chunks,
alternating sides (and which side goes first) chunk by chunk, and each side's time is the
sum of its chunks. Both sides get the same operations in the same order with the same
payloads.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable

from bench import payloads
from bench.measure import Phase, Timings

CHUNK = 250


def run_cycle(sides: list, org, peers: dict[str, list[str]], seed: int = 5,
              sample: set[str] | None = None) -> dict:
    """Import, launch every subject, then submit and close every instance (or only those
    of the subjects in ``sample``, the same ones on every side); Timings by side name."""
    timings = {side.name: Timings() for side in sides}
    for side in sides:
        side.setup()
    _once(sides, timings, "import", lambda side: side.import_org(org))
    _once(sides, timings, "launch", lambda side: side.launch())
    rng = random.Random(seed)
    forms = {email: payloads.self_assessment(rng, peers[email]) for email in peers
             if sample is None or email in sample}
    _interleaved(sides, timings, "submit self", lambda side: side.open_tasks(sample),
                 lambda side, i, op: side.submit(op[0], op[2], forms[op[2]]))
    pools = {f: payloads.pool(f) for f in ("manager-review", "peer-feedback")}

    def collect(side, i, op):
        pool = pools[op[1]]
        side.submit(op[0], op[2], pool[i % len(pool)])

    _interleaved(sides, timings, "submit collect", lambda side: side.open_tasks(sample),
                 collect)
    hr = org.hr

    def close(side, i, waiting):  # by an HR member who is not the subject (nobody decides
        instance_id, subject = waiting  # about themselves)
        actor = next(e for k in range(len(hr)) if (e := hr[(i + k) % len(hr)]) != subject)
        side.fire(instance_id, "close", actor)

    # only the sample's instances reached hr_check
    _interleaved(sides, timings, "fire close", lambda side: side.waiting("hr_check"), close)
    return timings


def launch_once(sides: list, org) -> dict:
    """Set up, import and launch on fresh databases; returns each side's launch Phase.

    Launch is one command, so it cannot be interleaved in chunks like the other phases;
    the benchmark repeats it on fresh databases instead and keeps the median.
    """
    timings = {side.name: Timings() for side in sides}
    for side in sides:
        side.setup()
        side.import_org(org)
        before = side.statements
        with timings[side.name].phase("launch") as phase:
            phase.count = side.launch()
        phase.statements = side.statements - before
        side.close()
    return {name: t["launch"] for name, t in timings.items()}


def median_phase(samples: list) -> Phase:
    """The sample with the median wall time (its CPU time and counts come with it)."""
    ordered = sorted(samples, key=lambda p: p.seconds)
    return ordered[len(ordered) // 2]


def _progress(timings, name: str) -> None:
    """One line on stderr per phase, so a long run shows where it is."""
    done = ", ".join(f"{side} {t[name].seconds:.1f} s" for side, t in timings.items())
    print(f"  {name}: {next(iter(timings.values()))[name].count:,} ops; {done}",
          file=sys.stderr, flush=True)


def _once(sides, timings, name: str, step: Callable) -> None:
    for side in sides:
        before = side.statements
        with timings[side.name].phase(name) as phase:
            phase.count = step(side)
        phase.statements += side.statements - before
    _progress(timings, name)


def _interleaved(sides, timings, name: str, todo: Callable, step: Callable) -> None:
    work = {side.name: todo(side) for side in sides}
    sizes = {len(ops) for ops in work.values()}
    if len(sizes) != 1:
        raise SystemExit(f"{name}: the sides have different work to do: {sizes}")
    total = sizes.pop()
    for chunk, start in enumerate(range(0, total, CHUNK)):
        order = sides if chunk % 2 == 0 else list(reversed(sides))
        for side in order:
            ops = work[side.name]
            before = side.statements
            with timings[side.name].phase(name) as phase:
                for i in range(start, min(start + CHUNK, total)):
                    step(side, i, ops[i])
                phase.count += min(start + CHUNK, total) - start
            phase.statements += side.statements - before
    _progress(timings, name)
