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
                 on_improve=None, stop_event=None, progress=None, start=None):
        self.n_vars = n_vars
        self.time_limit = time_limit
        self.start = time.perf_counter() if start is None else start  # the limit counts from here
        self.deadline = None if time_limit is None else self.start + float(time_limit)
        self.seed = seed
        self._rng = None
        self.backend = backend
        self.on_improve = on_improve        # callable(assignment, cost, hard_unsat)
        self.stop_event = stop_event        # threading.Event or None
        self.progress = progress            # callable(fraction_done, message) or None
        self.best_assignment = None
        self.best_key = None                # (hard_unsat, cost): lexicographic
        self.best_source = None             # who found the best: "search" or "sat" (the SAT side)
        self.proven_cost = None             # the optimum, once a complete solver proved it
        self.lower_bound = None             # a proven lower bound on the cost (the SAT side's)
        self.start_offer = None             # a better point found elsewhere, for the local search
        self.search_cores = None            # cores left to the search (None: all the process may use)
        self._halt = False                  # set by request_stop()
        self._may_run = threading.Event()   # cleared while the SAT side has the only core
        self._may_run.set()
        self._lock = threading.Lock()       # report() may come from a watcher thread too
        self.trace = []                     # (seconds, hard_unsat, cost)
        self.timings = {}
        self.info = {}

    @property
    def rng(self) -> np.random.Generator:
        """The run's random stream, from ``seed``: made on first use, so that a run proven
        before any search starts never imports numpy.random (28 ms of a 0.3 s proof)."""
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return self._rng

    # ------------------------------------------------------------ time
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.perf_counter()

    def stopped(self) -> bool:
        """Whether the search is to end: stopped from inside or outside, or past its deadline."""
        if self._halt or self.stop_event is not None and self.stop_event.is_set():
            return True
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def should_stop(self) -> bool:
        """Called by the methods between chunks of work: waits while it is the
        other side's turn on a single core, then says whether to end."""
        while not self._may_run.wait(0.02) and not self.stopped():
            pass
        return self.stopped()

    def pause_search(self) -> None:
        """The search waits at its next ``should_stop()`` until :meth:`resume_search`."""
        self._may_run.clear()

    def resume_search(self) -> None:
        self._may_run.set()

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
        self.lower_bound = max(self.lower_bound or 0, int(cost))
        self.request_stop()

    def raise_lower_bound(self, bound: int) -> None:
        """A proven lower bound; once the best hard-feasible cost meets it, the search is over."""
        with self._lock:
            if self.lower_bound is None or bound > self.lower_bound:
                self.lower_bound = int(bound)
            key = self.best_key
        if key is not None:
            self._meet_bound(key)

    def _meet_bound(self, key) -> None:
        """A hard-feasible best whose cost meets the lower bound is optimal: nothing left to find.
        Cost 0 always is (weights are never negative), with or without a bound."""
        if key[0] != 0:
            return
        if key[1] == 0:
            self.request_stop()
        elif self.lower_bound is not None and key[1] <= self.lower_bound:
            self.prove_optimum(key[1])

    def offer_start(self, assignment) -> None:
        """A better point found elsewhere: the local search restarts from it at its next chunk."""
        self.start_offer = assignment

    def take_start(self):
        offer, self.start_offer = self.start_offer, None
        return offer

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
        self._meet_bound(key)
        return True

    def tick(self, fraction: float, message: str = "") -> None:
        if self.progress is not None:
            self.progress(fraction, message)
