"""SearchContext: what every method receives besides the formula.

It carries the seed, the deadline and the backend, keeps the best assignment
found so far (anytime), records the trace and per-phase timings, and lets a
caller (the CLI) hear about each improvement and stop the search early.

Methods call ``ctx.report(assignment, hard_unsat, cost)`` whenever they have a
candidate (cheap: it only copies when the candidate is better), check
``ctx.should_stop()`` between bounded chunks of work, and wrap phases in
``with ctx.phase("search"):``.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import numpy as np


class SearchContext:
    def __init__(self, n_vars, *, time_limit=None, seed=None, backend="numpy",
                 on_improve=None, stop_event=None, progress=None):
        self.n_vars = n_vars
        self.time_limit = time_limit
        self.start = time.perf_counter()
        self.deadline = None if time_limit is None else self.start + float(time_limit)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.backend = backend
        self.on_improve = on_improve        # callable(assignment, cost, hard_unsat)
        self.stop_event = stop_event        # threading.Event or None
        self.progress = progress            # callable(fraction_done, message) or None
        self.best_assignment = None
        self.best_key = None                # (hard_unsat, cost): lexicographic
        self.best_source = None             # who found the best: "search" or "exact"
        self.proven_cost = None             # the optimum, once a complete solver proved it
        self._halt = False                  # set by request_stop()
        self._lock = threading.Lock()       # report() may come from a watcher thread too
        self.trace = []                     # (seconds, hard_unsat, cost)
        self.timings = {}
        self.info = {}

    # ------------------------------------------------------------ time
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.perf_counter()

    def should_stop(self) -> bool:
        if self._halt or self.stop_event is not None and self.stop_event.is_set():
            return True
        return self.deadline is not None and time.perf_counter() >= self.deadline

    @contextmanager
    def phase(self, name: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t0

    # ------------------------------------------------------------ anytime
    def is_better(self, hard_unsat: int, cost: int) -> bool:
        return self.best_key is None or (int(hard_unsat), int(cost)) < self.best_key

    def request_stop(self) -> None:
        """End the search from inside (the caller's ``stop_event`` stays untouched)."""
        self._halt = True

    def prove_optimum(self, cost: int) -> None:
        """A complete solver proved that no assignment costs less than ``cost``:
        the search has nothing left to find."""
        self.proven_cost = int(cost)
        self.request_stop()

    def report(self, assignment, hard_unsat: int, cost: int, source: str = "search") -> bool:
        """Offer a candidate; keep it (a copy, on the host) if it is the best so far.

        ``cost`` and ``hard_unsat`` are the method's own claims; ``solve``
        re-checks the final answer independently and the CLI re-checks every
        assignment it prints.
        """
        key = (int(hard_unsat), int(cost))
        if self.best_key is not None and key >= self.best_key:
            return False
        a = assignment
        if hasattr(a, "get") and not isinstance(a, np.ndarray):  # CuPy array
            a = a.get()
        with self._lock:
            if self.best_key is not None and key >= self.best_key:
                return False
            self.best_assignment = np.array(a, dtype=bool, copy=True)
            self.best_key = key
            self.best_source = source
            self.trace.append((self.elapsed(), key[0], key[1]))
            if self.on_improve is not None:
                self.on_improve(self.best_assignment, key[1], key[0])
        return True

    def tick(self, fraction: float, message: str = "") -> None:
        if self.progress is not None:
            self.progress(fraction, message)
