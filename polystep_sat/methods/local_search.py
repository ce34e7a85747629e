"""What the local searches (WalkSAT, the clause-weighting search) share.

* The first slots of the int64 state vector their numba kernels read and
  write: falsified counts, current and best keys, the flip log's bookkeeping.
* The best point, kept without copying ``n`` bytes per improvement: a kernel
  logs flipped variables since the last snapshot and remembers the log length
  at the best point; :func:`sync_best` replays that prefix onto the snapshot
  (amortised O(1) per flip; a full copy only after ``n`` flips without a new
  best).
* :class:`LocalSearch`: starting points, restarts, exact results and the
  anytime ``run`` loop, which calls the kernel in bounded chunks so Python can
  honour the deadline, ``ctx.should_stop()`` and throttled ``ctx.report``.
  Subclasses provide the kernel (``_kernel_init``, ``_kernel_chunk``).
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit

from ..verify import evaluate

# The kernels' random numbers: xorshift64* on a uint64 state a kernel keeps in
# a local. These take and return scalars only (numba reference-counts arrays
# passed to a function, at a cost that once took 85% of a kernel's time).
# The kernels that use them are cached per file: after changing these, clear
# the methods' __pycache__ (numba does not see a change in another module).
U32 = np.uint64(32)
XS_MUL = np.uint64(2685821657736338717)


@njit(inline="always")
def xs_next(x):
    """The next xorshift64 state after ``x``."""
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    return x


@njit(inline="always")
def xs_draw(x):
    """The 32-bit output of state ``x``."""
    return (x * XS_MUL) >> U32


@njit(inline="always")
def xs_below(x, n):
    """A number in [0, n) from state ``x``."""
    return np.int64((xs_draw(x) * np.uint64(n)) >> U32)


# Slots of the int64 state vector, the same in every local-search kernel;
# a kernel may append its own after these.
NH, NS, COST, BNH, BCOST, LOGLEN, BESTLEN, DIVERGED, IMPROVED, FLIPS = range(10)
N_COMMON = 10


@njit(cache=True, nogil=True)  # the lock stays free for timers, output, signals
def sync_best(snap, log, st):
    """Bring the snapshot up to the best point: replay the logged prefix."""
    best_len = st[BESTLEN]
    for i in range(best_len):
        snap[log[i]] ^= 1
    rest = st[LOGLEN] - best_len
    for i in range(rest):
        log[i] = log[best_len + i]
    st[LOGLEN] = rest
    st[BESTLEN] = 0


class LocalSearch:
    """A local search on one formula, with state that persists between calls.

    Use ``set_assignment(a)`` then ``run(...)``; ``best()`` gives the best
    point seen since ``set_assignment``, with its exact cost.

    A subclass sets ``self.s`` (the shared clause structure), ``self.exact``
    (whether the kernel's costs are exact) and ``self.cost_unit`` (the factor
    from kernel costs to weights), calls :meth:`_allocate`, and implements
    ``_kernel_init(stop)`` (counts, lists and costs of ``self.a``) and
    ``_kernel_chunk(max_flips) -> flips done``.
    """

    LOG_MIN = 1 << 16

    def _allocate(self, formula, seed, n_state: int):
        self.formula = formula
        if seed is None:
            seed = int(np.random.default_rng().integers(1, 2**63))
        self.rng = np.array([(int(seed) * 0x9E3779B97F4A7C15 + 1) % 2**64 or 1], dtype=np.uint64)
        self._gen = np.random.default_rng(int(seed))  # for restarts
        n = self.s.n_vars
        self.a = np.zeros(n, np.uint8)
        self.snap = np.zeros(n, np.uint8)
        self.log = np.empty(max(n, self.LOG_MIN), np.int32)
        self.st = np.zeros(n_state, np.int64)
        self.flips = 0
        self.restarts = 0

    # ---------------------------------------------------------- state
    def _load(self, assignment, stop=None):
        a = np.asarray(assignment)
        if a.shape != (self.s.n_vars,):
            raise ValueError(f"assignment has shape {a.shape}, expected ({self.s.n_vars},)")
        np.not_equal(a, 0, out=self.a.view(bool))
        self._kernel_init(stop)

    def set_assignment(self, assignment, stop=None):
        """Start from ``assignment`` (bool / 0-1 array); forget the previous best.
        ``stop()``, when given, may end a long initialisation between slices
        (:class:`~.clause_index.SetupInterrupted`; the search is then unusable)."""
        self._load(assignment, stop)
        st = self.st
        st[BNH] = st[NH]
        st[BCOST] = st[COST]
        st[LOGLEN] = st[BESTLEN] = st[DIVERGED] = 0
        st[IMPROVED] = 1
        self.snap[:] = self.a

    def restart(self, assignment=None):
        """Jump to ``assignment`` (default: uniformly random), keeping the best so far."""
        sync_best(self.snap, self.log, self.st)
        if assignment is None:
            assignment = self._gen.random(self.s.n_vars) < 0.5
        self._load(assignment)
        st = self.st
        st[LOGLEN] = st[BESTLEN] = 0
        st[DIVERGED] = 1
        self.restarts += 1
        if (st[NH], st[COST]) < (st[BNH], st[BCOST]):
            st[BNH], st[BCOST] = st[NH], st[COST]
            st[IMPROVED] = 1
            self.snap[:] = self.a
            st[DIVERGED] = 0

    # ---------------------------------------------------------- results
    def _key(self, nh, cost):
        return self.s.const_hard + int(nh), self.s.const_cost + int(cost) * self.cost_unit

    @property
    def current_key(self):
        """(hard clauses falsified, cost) of the current assignment (cost exact if ``exact``)."""
        return self._key(self.st[NH], self.st[COST])

    @property
    def best_key(self):
        """(hard clauses falsified, cost) of the best point (cost exact if ``exact``, else see :meth:`best`)."""
        return self._key(self.st[BNH], self.st[BCOST])

    @property
    def solved(self) -> bool:
        """Every clause that can be satisfied is: nothing left to improve."""
        return self.st[BNH] == 0 and self.st[BCOST] == 0

    def current_assignment(self) -> np.ndarray:
        return self.a.astype(bool)

    def best_assignment(self) -> np.ndarray:
        """A bool copy of the best assignment seen since ``set_assignment``."""
        sync_best(self.snap, self.log, self.st)
        return self.snap.astype(bool)

    def best(self):
        """``(assignment, hard_unsat, cost)`` of the best point, cost exact."""
        a = self.best_assignment()
        if self.exact:
            h, c = self.best_key
        else:
            ev = evaluate(self.formula, a)
            h, c = ev.n_hard_unsat, ev.cost
        return a, h, c

    # ---------------------------------------------------------- search
    def run(self, max_flips=None, deadline=None, ctx=None, report_every: float = 0.3,
            chunk_seconds: float = 0.05, until=None):
        """Flip until ``max_flips`` flips, the ``deadline`` (perf_counter time),
        ``ctx.should_stop()``, ``until()`` (asked between chunks) or a point with
        nothing left to satisfy.

        Reports to ``ctx`` (when given) the best point after an improvement, at
        most every ``report_every`` seconds, and once more at the end.
        Returns the number of flips done.
        """
        done = 0
        chunk = 1_000    # then sized by the rate (the kernels release the interpreter's lock)
        last_report = -np.inf
        pending = False
        while not self.solved:
            n = chunk if max_flips is None else min(chunk, max_flips - done)
            if n <= 0 or (deadline is not None and time.perf_counter() >= deadline):
                break
            t0 = time.perf_counter()
            k = self._kernel_chunk(n)
            dt = time.perf_counter() - t0
            done += k
            # aim each chunk at chunk_seconds (and never past the deadline)
            rate = k / max(dt, 1e-6)
            chunk = int(min(max(rate * chunk_seconds, 1_000), 20_000_000))
            if deadline is not None:
                chunk = max(1_000, min(chunk, int(rate * max(deadline - time.perf_counter(), 0.0)) + 1))
            if self.st[IMPROVED]:
                pending = True
                self.st[IMPROVED] = 0
            if ctx is not None and pending and time.perf_counter() - last_report >= report_every:
                ctx.report(*self.best())
                last_report = time.perf_counter()
                pending = False
            if (ctx is not None and ctx.should_stop()) or (until is not None and until()):
                break
            if ctx is not None and ctx.start_offer is not None:
                start = ctx.take_start()  # the SAT side's model, better than anything found so far
                if start is not None:
                    self.restart(start)
        self.flips += done
        if ctx is not None and pending:
            ctx.report(*self.best())
        return done
