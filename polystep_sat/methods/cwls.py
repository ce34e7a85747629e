"""Method "cwls": a clause-weighting local search for (weighted, partial) MaxSAT.

The search that wins on structured instances (SATLike 3.0, NuWLS, and the
MaxSAT Evaluation's anytime winners built on them) does not score flips with
the fixed weights of the formula. It keeps a *dynamic* weight per clause and
scores a variable by the weighted make - break of flipping it under those
weights:

* a step flips the best of a sample of *improving* variables (score > 0;
  best-from-multiple-selection, ties to the variable flipped longest ago),
  now and then a random improving one;
* when no variable improves, weights move (below); then a falsified clause
  is picked (hard first) and its best-scoring variable flipped (a random one
  with probability ``rwprob``).

How weights move (``weighting``):

* ``"nuwls-c"``, the default on weighted partial MaxSAT with up to
  NUWLS_C_MAX_SOFT soft clauses (NuWLS-c, the
  MaxSAT Evaluation 2023 anytime winner): hard clauses start at 1 and every
  falsified one gains 5 (1 when unweighted); at a stuck point with every
  hard clause satisfied, *every* soft clause, satisfied or not, gains its
  weight scaled to a mean of 1 (1 when unweighted). Soft clauses start at 0
  (weighted) or 1. No cap, no smoothing: the soft clauses stay k times their
  scaled weights, and k grows against the hard weights where the search
  keeps finding the hard clauses satisfied. (22 real weighted partial files,
  3 seeds of 5 s on one core, ``benchmarks/results/local_search_weighting.md``:
  high-school timetabling Italy 1 29-36 against 84-100 with NuWLS's scheme,
  Brazil 2 137-152 against 206-210, argumentation synthesis 117-119 against
  118-124, 12 files tied; behind on a Security-CPS file, 21 against 20. On
  unweighted partial files it did not help in an earlier run: extension
  enforcement 4-6 against 4-5, circuit debugging 21 either way.)
* ``"nuwls"`` (NuWLS, AAAI 2023; the default otherwise): with
  hard clauses the first try starts every clause at 1 (on weighted partial
  formulas past NUWLS_C_MAX_SOFT soft clauses and up to SCALED_START_MAX_VARS
  variables, a hard-feasible start gets the later tries' soft weights at once,
  the hard clauses a third of their mean), later tries start soft clauses at
  their weight scaled so that together they weigh about as much as the hard
  clauses can grow to (weighted: ``w * 3000 * n_soft /
  total_soft``; unweighted: a constant); every falsified hard clause gains
  ``h_inc``; every falsified soft clause gains ``s_inc`` while under its cap
  (scaled weight plus a margin; those under it are kept in a list, so a step
  costs what they do, not what every falsified soft clause does), only when
  the current cost is no better than the best and no hard clause is falsified;
  with a small probability weights are smoothed back down instead.

A try ends after ``stall_flips`` flips without a better hard-feasible point
in it; the next starts from a greedy assignment (:mod:`.decimation`) with
the later tries' weights. The parameter sets (per weighted / unweighted,
with / without hard clauses) are the published NuWLS ones (Chu, Cai, Luo,
AAAI 2023); the code is ours.

Implementation: one numba kernel body over the cleaned clauses shared with
WalkSAT (:mod:`.clause_index`): per clause its true-literal count and the
XOR of its true variables (so the one true variable of a clause is known
without a scan), per variable its score (int64) and place in the stack of
improving variables, falsified clauses in two lists (hard, soft) with
positions. Scores are updated incrementally on each flip and each weight
change. The best point (fewest falsified hard clauses, then cost) is kept
with a flip log replayed onto a snapshot, as in WalkSAT. The kernel runs in
bounded chunks so the Python loop can honour the deadline, stop requests and
throttled reports; its random numbers come from its own xorshift64* state,
so a run with a flip limit is reproducible whatever the chunking.

Costs are tracked with the original weights when their sum fits in int64;
otherwise with scaled weights for the heuristic, and the best point is
re-evaluated exactly (:func:`polystep_sat.verify.evaluate`) before it is
reported.
"""

from __future__ import annotations

import time

import numpy as np

from ..formula import exact_weight_sum
from ..verify import evaluate
from .local_search import BNH, NH, NS, LocalSearch
from .clause_index import SetupInterrupted
from .cwls_kernel import (_FEASIBLE, _HINC, _NSTATE, _SCHEME, _SOFT_DUE, _SOFT_EVERY, _STALL, _STEP,
                          _NRAISE, _TRY_BEST, _TRY_END, _TRY_OVER, _WORK, _WORK_LIMIT, _init_state,
                          _search_chunk)
from .decimation import decimate
from .walksat import _structure

_BIG = np.int64(2**62)

# Published NuWLS parameters: BMS sample size, random-good-variable and
# random-walk probabilities, smoothing probabilities, weight steps, and the
# soft weights' start (coefficient) and cap margin.
SETTINGS = {
    "weighted+hard": dict(bms=25, rdprob=0.036, rwprob=0.48, hard_smooth=6.8e-5, soft_smooth=9.9e-7,
                          h_inc=30, s_inc=10, soft_coef=3000, soft_margin=200),
    "weighted": dict(bms=22, rdprob=0.036, rwprob=0.48, hard_smooth=0.0, soft_smooth=1e-3,
                     h_inc=1, s_inc=1, soft_coef=0, soft_margin=0),
    "unweighted+hard": dict(bms=96, rdprob=0.079, rwprob=0.087, hard_smooth=2e-4, soft_smooth=6.6e-5,
                            h_inc=1, s_inc=1, soft_coef=1000, soft_margin=183),
    "unweighted": dict(bms=94, rdprob=0.007, rwprob=0.047, hard_smooth=0.0, soft_smooth=0.002,
                       h_inc=1, s_inc=1, soft_coef=397, soft_margin=550),
}
# On weighted formulas without hard clauses, a smoothing step lowers every satisfied clause above
# its floor, a raise only the falsified ones; NuWLS's 1e-3 suits large formulas, but on a few
# hundred clauses weights smoothed that rarely pile up on the falsified few. So the probability is
# WEIGHTED_SMOOTH_PER_CLAUSE / clauses, between NuWLS's and WEIGHTED_SMOOTH_MAX. By flips from a
# random start (cwls alone, bench_hit_rate.py --params, benchmarks/results/cwls_smoothing_*.md): the
# Ramsey file of real-dev (330 clauses), 8M flips, 232 on 17 of 20 seeds at 0.009 against 8 at 1e-3 (0.03: 2 of 20);
# random weighted MAX-3-SAT, 100 / 300 variables (700 / 1,500 clauses), 200k flips, 16 seeds: mean
# 160.6 against 171.6, 36.6 against 41.1 (tied at 10M flips); from 3,000 clauses on it is 1e-3
# (3,000 variables, 10M flips: 0.01 gave 125.3 against 107.5).
WEIGHTED_SMOOTH_PER_CLAUSE = 3.0
WEIGHTED_SMOOTH_MAX = 1e-2
# A try ends after this many flips without a better hard-feasible point in it
# (NuWLS's max_non_improve_flip); the next starts from a greedy assignment.
STALL_FLIPS = 10_000_000
# Weighted partial instances with long soft clauses (mean over 100 literals)
# take larger weight steps, as NuWLS does.
LONG_SOFT = 100
LONG_SOFT_STEPS = dict(h_inc=300, s_inc=100)
# How clause weights move: NuWLS's scheme, or NuWLS-c's on weighted partial MaxSAT (the
# default there; see the module docstring). NuWLS-c keeps float weights around
# 1; ours are integers, NUWLS_C_SCALE times larger.
WEIGHTINGS = ("nuwls", "nuwls-c")
NUWLS_C_SCALE = 1000
# NuWLS-c raises every soft clause at each stuck hard-feasible point: O(soft
# clauses) where a flip is O(occurrences). With more than SOFT_BATCH soft
# clauses the raises come batched, k steps every k-th such point, so that each
# costs about SOFT_BATCH clause updates per point (Security-CPS, 4,000 soft
# clauses: 1.1M flips/s unbatched against NuWLS's 14M).
SOFT_BATCH = 64
# ...and a batch still touches every soft clause at once, ~0.6 us each: past this many soft
# clauses NuWLS's weighting is the default, whose steps cost what the raisable clauses do
# (weighted MIS, 2M variables, 20 s from nothing selected: NuWLS-c's 1.2 s batches left the
# cost at 99.47M, the trivial one; NuWLS's weighting reached 53.48M).
NUWLS_C_MAX_SOFT = 100_000
# A hard-feasible start gets the scaled weights at once past NUWLS_C_MAX_SOFT weighted soft
# clauses, up to this many variables (see ClauseWeightingSearch.__init__).
SCALED_START_MAX_VARS = 2_000_000
# Seconds the greedy start (decimation) takes per literal: 16.2 s at 35M literals (MIS 5M),
# where it costs 124.9M against 247.9M for the majority polarity and NuWLS's 132.8M in 60 s.
GREEDY_SECONDS_PER_LITERAL = 5e-7
# A kernel call aims at this long (as LocalSearch.run's chunks do), measured in work
# (clause updates and occurrences visited), at least MIN_CHUNK_WORK of it.
CHUNK_SECONDS = 0.05
MIN_CHUNK_WORK = 10_000


# ------------------------------------------------------------------ the search
def weighted_smoothing(n_clauses: int) -> float:
    """The soft smoothing probability on a weighted formula without hard clauses (see
    WEIGHTED_SMOOTH_PER_CLAUSE)."""
    nuwls = SETTINGS["weighted"]["soft_smooth"]
    return float(min(WEIGHTED_SMOOTH_MAX, max(nuwls, WEIGHTED_SMOOTH_PER_CLAUSE / max(1, n_clauses))))


def _kind(formula, active_hard, soft_w) -> str:
    weighted = soft_w.size > 0 and bool(np.any(soft_w != soft_w[0]))
    return ("weighted" if weighted else "unweighted") + ("+hard" if active_hard.any() else "")


class ClauseWeightingSearch(LocalSearch):
    """A clause-weighting local search on one formula, with state that persists between calls.

    Parameters
    ----------
    formula : Formula.
    seed : seed of the kernel's random numbers (int); None draws one.
    params : overrides of :data:`SETTINGS` (``bms``, ``rdprob``, ``rwprob``;
        for NuWLS's weighting ``hard_smooth``, ``soft_smooth``, ``h_inc``,
        ``s_inc``, ``soft_coef``, ``soft_margin``), ``weighting`` ("nuwls-c"
        or "nuwls", see the module) and ``stall_flips`` (a try's length
        without a better hard-feasible point).

    Use ``set_assignment(a)`` then ``run(...)``; ``best()`` gives the best
    point seen since ``set_assignment`` with its exact cost;
    ``clause_weights()`` the current dynamic weights.
    """

    def __init__(self, formula, seed: int | None = None, stop=None, **params):
        self.s = s = _structure(formula, stop)
        self.cost_unit = 1
        ha = s.active_hard
        w_orig = formula.weights[s.active_idx]
        soft_w = w_orig[~ha]
        self.kind = _kind(formula, ha, soft_w)
        settings = dict(SETTINGS[self.kind], stall_flips=STALL_FLIPS, soft_batch=SOFT_BATCH,
                        weighting="nuwls-c" if self.kind == "weighted+hard" and soft_w.size <= NUWLS_C_MAX_SOFT
                        else "nuwls")
        if self.kind == "weighted":
            settings["soft_smooth"] = weighted_smoothing(s.n_active)
        if self.kind == "weighted+hard":
            lengths = np.diff(s.cptr)[~ha]
            if lengths.size and lengths.mean() > LONG_SOFT:
                settings.update(LONG_SOFT_STEPS)
        unknown = set(params) - set(settings)
        if unknown:
            raise ValueError(f"unknown cwls parameters: {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(sorted(settings))}")
        settings.update(params)
        if settings["weighting"] not in WEIGHTINGS:
            raise ValueError(f"unknown weighting {settings['weighting']!r}; choose one of: {', '.join(WEIGHTINGS)}")
        if settings["weighting"] == "nuwls-c" and not ha.any():
            raise ValueError("weighting 'nuwls-c' needs hard clauses (NuWLS-c weighs partial MaxSAT only)")
        self.settings = settings
        self.weighting = settings["weighting"]
        ma, n = s.n_active, s.n_vars
        max_occ = int(np.diff(s.optr).max()) if n else 0
        # Costs: original weights when their sum fits, else scaled (then re-evaluated exactly).
        total = exact_weight_sum(soft_w)
        self.exact = total <= 2**62
        ow = np.zeros(ma, np.int64)
        if self.exact:
            ow[~ha] = soft_w
        else:
            ow[~ha] = np.maximum(1, (soft_w.astype(np.float64) * (2.0**52 / float(total))).astype(np.int64))
        self.ow = ow
        # Dynamic weights: hard clauses start at 1; soft ones at a scaled start, capped at start + margin.
        start = np.zeros(ma, np.int64)
        coef = settings["soft_coef"]
        if soft_w.size:
            if self.kind == "weighted+hard":
                scaled = soft_w.astype(np.float64) * (coef * soft_w.size / float(total))
            elif self.kind == "weighted":
                # the original weights, scaled down only if score sums could overflow
                limit = 2.0**60 / (max_occ + 2)
                scaled = soft_w.astype(np.float64) * min(1.0, limit / float(total))
            else:
                scaled = np.full(soft_w.size, float(coef))
            start[~ha] = np.maximum(1, np.rint(scaled)).astype(np.int64)
        start[ha] = 1
        self.start_weights = start
        # The first try starts every clause at 1 when there are hard clauses, as NuWLS does; the
        # scaled soft weights come with the next tries, once a hard-feasible point is known.
        # (planning depot01c, weights 20-27,382: 14,761 from the scaled start, the optimum
        # 1,680 from the unit start, 3 seeds each.)
        self.first_weights = np.where(ha, 1, 1 if ha.any() else start).astype(np.int64)
        # ...but on weighted partial formulas past NUWLS_C_MAX_SOFT soft clauses, a hard-feasible
        # start (the pipeline's) gets the scaled soft weights at once, and the hard clauses a
        # third of their mean: a unit try lasts most of a run there (MIS 500k from the pipeline's
        # start, 60 s: 13.35M, stuck from 12.6 s; now 11.42M). Hard clauses at 1 let the search
        # leave that start by 650,000 falsified ones for 20 s (20 s in process: 11.44M from 1,
        # 11.42M from 1,000, 11.43M from 3,000; set cover 500k: 4.512M, 4.507M, 4.506M).
        # Elsewhere the unit try stays ahead: extension enforcement (unweighted, small) 16-20
        # against 1,125 scaled in 3 s; colouring 500k (unit soft weights) 7,907 against 8,095.
        # Up to SCALED_START_MAX_VARS variables: at 5M a run's ~5M flips never brought the search
        # back to feasibility (MIS 5M, one core: 247.4M, the start's cost; 2M: 45.9M).
        self.scaled_when_feasible = (self.kind == "weighted+hard" and soft_w.size > NUWLS_C_MAX_SOFT
                                     and n <= SCALED_START_MAX_VARS)
        self.feasible_start_weights = np.where(ha, max(1, int(coef) // 3), start).astype(np.int64)
        self.cap = start + int(settings["soft_margin"])
        # smoothing never takes a soft clause below its start's floor (s_inc, as NuWLS keeps it)
        self.floor = np.where(ha, 1, np.minimum(start, int(settings["s_inc"]))).astype(np.int64)
        self.hard = np.ascontiguousarray(ha, dtype=np.bool_)
        to32 = lambda p: min(int(p * 2**32), 2**32)  # noqa: E731 - probability -> uint32 threshold
        self.prm = np.array([int(settings["bms"]), int(settings["h_inc"]), int(settings["s_inc"]),
                             to32(settings["rdprob"]), to32(settings["rwprob"]), to32(settings["hard_smooth"]),
                             to32(settings["soft_smooth"]), int(bool(ha.any())), int(settings["stall_flips"]),
                             0, 1], dtype=np.int64)
        self._allocate(formula, seed, _NSTATE)
        self._work_limit = 1_000_000     # the first chunk's; then sized by the pace (see _kernel_chunk)
        self.w = start.copy()
        self.nt = np.zeros(ma, np.int32)
        self.tx = np.zeros(ma, np.int32)
        self.buf_c = np.empty(ma, np.int32)      # one weight update's clauses and changes
        self.buf_inc = np.empty(ma, np.int64)
        self.score = np.zeros(n, np.int64)
        self.good = np.empty(n, np.int32)
        self.gpos = np.full(n, -1, np.int32)
        self.stamp = np.zeros(n, np.int64)
        n_hard = int(np.count_nonzero(ha))
        self.hl = np.empty(n_hard, np.int32)
        self.fl = np.empty(ma - n_hard, np.int32)
        self.pos = np.empty(ma, np.int32)
        self.rl = np.empty(ma - n_hard, np.int32)   # falsified soft clauses below their cap
        self.rpos = np.full(ma, -1, np.int32)
        self.decimation_weights = np.where(ha, 0, ow)
        self.soft_idx = np.flatnonzero(~ha).astype(np.int32)
        # NuWLS-c's weighting, times 1000: hard clauses start at 1000 and gain 5000; soft ones
        # start at 0 and gain their weight scaled to a mean of 1000 (unweighted: 1000 and 1000)
        self.tuned = np.zeros(ma, np.int64)
        if soft_w.size and ha.any():
            mean1 = soft_w.astype(np.float64) * (soft_w.size / float(total)) if self.kind == "weighted+hard" \
                else np.ones(soft_w.size)
            self.tuned[~ha] = np.maximum(1, np.rint(mean1 * NUWLS_C_SCALE)).astype(np.int64)
        if self.weighting == "nuwls-c":
            self.first_weights = self.start_weights = np.where(
                ha, NUWLS_C_SCALE, 0 if self.kind == "weighted+hard" else NUWLS_C_SCALE).astype(np.int64)
            self.prm[_HINC] = (5 if self.kind == "weighted+hard" else 1) * NUWLS_C_SCALE
            self.prm[_SCHEME] = 1
            self.prm[_SOFT_EVERY] = max(1, -(-soft_w.size // int(settings["soft_batch"])))
        self.tries = 0

    def _kernel_init(self, stop=None):  # one pass; only WalkSAT's is sliced (10M-variable random 3-SAT)
        s = self.s
        _init_state(self.a, s.cptr, s.clits, self.w, self.hard, self.ow, self.nt, self.tx, self.score, self.good,
                    self.gpos, self.hl, self.fl, self.pos, self.st)
        falsified = self.fl[:self.st[NS]]
        raisable = falsified[self.w[falsified] < self.cap[falsified]]
        self.rpos[:] = -1
        self.rl[:raisable.size] = raisable
        self.rpos[raisable] = np.arange(raisable.size, dtype=np.int32)
        self.st[_NRAISE] = raisable.size

    def _kernel_chunk(self, max_flips):
        s = self.s
        self.st[_WORK_LIMIT] = self._work_limit
        t = time.perf_counter()
        done = _search_chunk(max_flips, self.a, s.cptr, s.clits, s.optr, s.occ, self.w, self.hard, self.ow,
                             self.cap, self.floor, self.nt, self.tx, self.score, self.good, self.gpos, self.stamp,
                             self.hl, self.fl, self.pos, self.rl, self.rpos, self.buf_c, self.buf_inc,
                             self.soft_idx, self.tuned,
                             self.snap, self.log, self.st, self.prm, self.rng)
        took = time.perf_counter() - t
        if took > 0 and self.st[_WORK] > 0:   # the next chunk's work, at this one's pace
            self._work_limit = int(min(max(self.st[_WORK] / took * CHUNK_SECONDS, MIN_CHUNK_WORK), _BIG))
        if self.st[_TRY_OVER]:
            self.new_try()
        return done

    def _begin_try(self):
        st = self.st
        st[_FEASIBLE] = int(st[NH] == 0)
        st[_TRY_BEST] = _BIG
        st[_TRY_END] = st[_STEP] + self.prm[_STALL]
        st[_TRY_OVER] = 0
        st[_SOFT_DUE] = 0

    def set_assignment(self, assignment, stop=None):
        """Start from ``assignment`` (bool / 0-1 array) with the first try's
        weights; forget the previous best. (``restart`` keeps the weights.)"""
        self.w[:] = self.first_weights
        super().set_assignment(assignment, stop)
        if self.st[NH] == 0 and self.scaled_when_feasible:
            # a hard-feasible start is the feasible point NuWLS's unit first try is there to find
            self.w[:] = self.feasible_start_weights
            super().set_assignment(assignment, stop)
        self._begin_try()

    def restart(self, assignment=None):
        """Jump to ``assignment`` (default: uniformly random), keeping the
        weights and the best so far; a new try begins there."""
        super().restart(assignment)
        self._begin_try()

    def greedy_assignment(self) -> np.ndarray:
        """A fresh greedy start (:func:`.decimation.decimate`: unit
        propagation, hard clauses first), drawn from the search's random numbers."""
        s = self.s
        a = np.empty(s.n_vars, np.uint8)
        decimate(s.n_vars, s.cptr, s.clits, s.optr, s.occ, self.hard, self.decimation_weights, a, self.rng)
        return a.astype(bool)

    def new_try(self):
        """A new try, as NuWLS begins one: a greedy start, and the scaled
        weights once a hard-feasible point is known (else the first try's)."""
        self.w[:] = self.start_weights if self.st[BNH] == 0 else self.first_weights
        self.restart(self.greedy_assignment())
        self.tries += 1

    def clause_weights(self) -> np.ndarray:
        """The current dynamic weight of each clause of the formula (float64;
        0 for clauses the search dropped: tautologies, empty, zero-weight soft)."""
        out = np.zeros(self.formula.n_clauses, np.float64)
        out[self.s.active_idx] = self.w
        return out


def run_cwls(formula, ctx, max_flips: int | None = None, init=None, report_every: float = 0.3,
             greedy_start: bool = False, **params):
    """Method "cwls": the clause-weighting local search until the time limit,
    ``max_flips`` or an optimum.

    Parameters
    ----------
    max_flips : total flip limit (None: until ``ctx`` says stop).
    init : starting assignment (bool array); default ``ctx.initial_assignment``
        when set (a hard-feasible point for partial MaxSAT), else random.
    greedy_start : start from a greedy assignment instead where it is better and its
        decimation fits in half the time left (GREEDY_SECONDS_PER_LITERAL).
    params : overrides of the search's settings (see :class:`ClauseWeightingSearch`).
    """
    if max_flips is None and ctx.deadline is None and ctx.stop_event is None:
        raise ValueError("cwls needs a time limit or max_flips")
    t0 = time.perf_counter()
    with ctx.phase("cwls_setup"):
        try:
            search = ClauseWeightingSearch(formula, seed=int(ctx.rng.integers(1, 2**63)), stop=ctx.should_stop,
                                           **params)
        except SetupInterrupted:  # the deadline or a signal came first: the answers so far stand
            ctx.info["setup_interrupted"] = True
            return
        if init is None:
            init = getattr(ctx, "initial_assignment", None)
        if init is None:
            init = ctx.rng.random(formula.n_vars) < 0.5
        if greedy_start and ctx.remaining() > 2 * GREEDY_SECONDS_PER_LITERAL * formula.n_literals:
            # chosen by one evaluation each, so that the search loads only the start it keeps
            greedy = search.greedy_assignment()
            ev_greedy, ev_given = evaluate(formula, greedy), evaluate(formula, init)
            better = (ev_greedy.n_hard_unsat, ev_greedy.cost) <= (ev_given.n_hard_unsat, ev_given.cost)
            if better:
                init = greedy
                ctx.report(greedy, ev_greedy.n_hard_unsat, ev_greedy.cost)
            ctx.info["greedy_start"] = better
        search.set_assignment(init)
    t_search = time.perf_counter()
    done = search.run(max_flips=max_flips, deadline=ctx.deadline, ctx=ctx, report_every=report_every)
    ctx.report(*search.best())  # the final best (no-op if already reported)
    dt = time.perf_counter() - t_search
    ctx.info.update({
        "flips": int(done),
        "flips_per_second": float(done / dt) if dt > 0 else 0.0,
        "settings": search.kind,
        "setup_seconds": t_search - t0,
        "solved": bool(search.solved),
    })
