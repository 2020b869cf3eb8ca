"""Small measuring tools: a phase timer, peak memory, percentiles."""

from __future__ import annotations

import resource
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Phase:
    """One timed phase: how many operations in how many seconds."""

    name: str
    count: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time (less sensitive to a busy machine)
    statements: int = 0  # SQL statements sent, BEGIN/COMMIT included (SQLite only)
    maxrss_mib: float = 0.0  # the process's peak resident set after the phase

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


@dataclass
class Timings:
    """Phases by name, in the order they ran."""

    phases: dict[str, Phase] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str):
        """Time the block; the block sets ``.count`` on the yielded :class:`Phase`."""
        p = self.phases.setdefault(name, Phase(name))
        start, cpu = time.perf_counter(), time.process_time()
        try:
            yield p
        finally:
            p.seconds += time.perf_counter() - start
            p.cpu_seconds += time.process_time() - cpu
            p.maxrss_mib = maxrss_mib()

    def __getitem__(self, name: str) -> Phase:
        return self.phases[name]


def maxrss_mib() -> float:
    """Peak resident set size of this process so far, in MiB.

    Linux's ``VmHWM`` first: ``ru_maxrss`` survives ``execve``, so a child started by a
    big parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def percentile(sorted_values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of already sorted values, nearest rank."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]
