"""WalkSAT (Selman, Kautz & Cohen) for MAX-SAT and weighted partial MaxSAT.

The flip loop is a numba kernel working on flat int32 arrays:

* clauses are cleaned once: repeated literals are dropped, tautologies and
  zero-weight soft clauses leave the search (they can never cost anything), and
  empty clauses leave it too, their weight (or hard count) added as a constant;
* a literal is coded ``2 * var + neg``; occurrence lists map each literal to the
  clauses that contain it, both polarities of a variable side by side;
* per clause the number of true literals (uint8 when clauses are short, so the
  1M-variable array fits in the L3 cache), and the falsified clauses in two
  lists (hard, soft) with positions for O(1) add/remove.

A step picks a random falsified clause (a hard one with probability
``hard_pick`` when any is falsified; on large formulas without hard clauses
the pick is drawn a step early and its data prefetched, see :mod:`.prefetch`:
1.2-1.9 times the flips per second at 100k-1M variables), computes each of its
variables' break
(the weight of clauses that would become false) by scanning the occurrences of
the variable's true literal, and flips a break-0 variable if there is one,
else a random variable with probability ``noise``, else one with the fewest
breaks (ties at random). Breaks are not cached: a variant keeping per-variable
break counts (with a per-clause XOR of true variables to find the critical one)
measured no faster at 10k and 5-20% slower at 1M variables on random 3-SAT.

Hard clauses get the scoring weight ``1 + total soft weight``, so breaking one
is always worse than breaking every soft clause. Weights too large for int64
break sums are scaled for the heuristic only; costs are then recomputed
exactly with :func:`polystep_sat.verify.evaluate` before they are returned.

The best point is kept through a flip log and the kernel runs in bounded
chunks (see :mod:`.local_search`, shared with the clause-weighting search).
Its random numbers come from its own xorshift64* state (seeded from
``ctx.rng``), so a run with a flip limit is reproducible whatever the chunking.
"""

from __future__ import annotations

import time
import weakref

import numpy as np
from numba import njit

from ..backend import to_numpy
from ..formula import exact_weight_sum
from .clause_index import (CHUNK_LITERALS, SetupInterrupted, active_clauses, build, check_stop, classify, fresh,
                           slices, spans)
from .local_search import (BCOST, BESTLEN, BNH, COST, DIVERGED, FLIPS, IMPROVED, LOGLEN, N_COMMON, NH, NS,
                           LocalSearch, xs_below, xs_draw, xs_next)
from .prefetch import prefetch

# WalkSAT's own state slots: the clause drawn a step early (-1: none) and how many
# clauses the last flip made falsified (see the kernel's pick).
NEXT, NEW = N_COMMON, N_COMMON + 1
_NSTATE = N_COMMON + 2
# Clause counts prefetched per occurrence list (random 3-SAT has about 6.4 per list).
PREFETCH_OCC = 16
# Below this many literals the clause arrays sit in the cache and the prefetching
# kernel is no faster (random 3-SAT, 10k variables: 0.9-1.0 times the flips per
# second; 100k: 1.2-1.4; 1M: 1.3-1.9; benchmarks/results/walksat_rate_*).
AHEAD_MIN_LITERALS = 500_000


@njit(cache=True, nogil=True)
def _init_range(a, cptr, clits, cw, unit, hard_w, nt, fl, hl, pos, st, c0, c1):
    """True-literal counts and falsified lists of clauses c0..c1-1 for assignment
    ``a`` (uint8 0/1), appended to the counts in ``st``."""
    nh = st[NH]
    ns = st[NS]
    cost = st[COST]
    for c in range(c0, c1):
        k = 0
        for p in range(cptr[c], cptr[c + 1]):
            code = clits[p]
            if a[code >> 1] != (code & 1):
                k += 1
        nt[c] = k
        if k == 0:
            if not unit and cw[c] >= hard_w:
                hl[nh] = c
                pos[c] = nh
                nh += 1
            else:
                fl[ns] = c
                pos[c] = ns
                ns += 1
                cost += 1 if unit else cw[c]
    st[NH] = nh
    st[NS] = ns
    st[COST] = cost


def _init_state(a, cptr, clits, cw, unit, hard_w, nt, fl, hl, pos, st, stop=None):
    """Set true-literal counts and falsified lists for ``a``, slice by slice
    (3 s at 10M variables), asking ``stop()`` between slices."""
    st[NH] = st[NS] = st[COST] = 0
    for c0, c1 in slices(cptr):
        check_stop(stop)
        _init_range(a, cptr, clits, cw, unit, hard_w, nt, fl, hl, pos, st, c0, c1)


@njit(inline="always")  # scalars only: see local_search's note on arrays passed to a function
def ahead_slot(x, ns, new, nxt_falsified):
    """Where the pick after a flip finds its clause, exactly uniform over the ``ns``
    in ``fl``, when the clause drawn a step early (uniform over ``fl`` before the
    flip, whose data is already on its way to the cache) is ``nxt_falsified``
    still: one of the ``new`` clauses the flip appended (slots ns - new .. ns - 1)
    with probability new / ns, else the early draw if still falsified (-1), else
    one of those still falsified (the first ns - new: the flip's removals kept
    them in front). Returns ``(slot or -1, the next random state)``."""
    x = xs_next(x)
    u = xs_below(x, ns)
    if u >= ns - new:
        return u, x
    if nxt_falsified:
        return -1, x
    x = xs_next(x)
    return xs_below(x, ns - new), x


# ------------------------------------------------------------------- the kernel
@njit(cache=True, nogil=True)  # the lock stays free for timers, output, signals
def _flip_chunk(max_flips, a, cptr, kfix, clits, optr, occ, cw, unit, hard_w, nt, fl, hl, pos,
                snap, log, st, rng, noise_thr, hard_thr, ahead):
    """Run up to ``max_flips`` WalkSAT flips; return the number done.

    With ``ahead`` (formulas without hard clauses, from AHEAD_MIN_LITERALS
    literals), each step draws the next step's clause and prefetches what it
    reads: the walk is as likely as without, at 1.2-1.9 times the flips per
    second at 100k-1M variables. Partial formulas keep the plain steps: theirs
    pick among falsified hard clauses much of the time.

    Stops early when every active clause is satisfied. ``st`` carries the
    counters between chunks, ``rng[0]`` the xorshift64* state.
    """
    nh = st[NH]
    ns = st[NS]
    cost = st[COST]
    bnh = st[BNH]
    bcost = st[BCOST]
    log_len = st[LOGLEN]
    best_len = st[BESTLEN]
    diverged = st[DIVERGED]
    improved = st[IMPROVED]
    nxt = st[NEXT]
    new = st[NEW]
    cap = log.size
    x = rng[0]
    done = 0
    while done < max_flips:
        if nh + ns == 0:
            break
        # ---- pick a falsified clause (hard ones first, mostly)
        if nxt >= 0 and nh == 0:  # with the clause drawn a step early (see ahead_slot)
            slot, x = ahead_slot(x, ns, new, nt[nxt] == 0)
            c = nxt if slot < 0 else fl[slot]
        else:
            x = xs_next(x)
            r = xs_draw(x)
            if nh > 0 and r < hard_thr:
                x = xs_next(x)
                idx = xs_below(x, nh)
                c = hl[idx]
            else:
                x = xs_next(x)
                idx = xs_below(x, nh + ns)
                c = hl[idx] if idx < nh else fl[idx - nh]
        new = 0
        if kfix > 0:              # all clauses of one length: no pointer to load
            start = np.int64(c) * kfix
            k = kfix
        else:
            start = np.int64(cptr[c])
            k = np.int64(cptr[c + 1]) - start
        if ahead:
            # Draw the next step's clause now and start loading its literals, so they
            # arrive during this step; and load the chain each break count reads
            # (pointers, then lists, then counts) level by level, so the misses of a
            # level overlap instead of queueing (the counts of a list's first
            # PREFETCH_OCC clauses only: a long list is read in order).
            nxt = -1
            if nh == 0:           # (the early draw is for picks among soft clauses only)
                x = xs_next(x)
                nxt = fl[xs_below(x, ns)]
                if kfix > 0:
                    prefetch(clits, np.int64(nxt) * kfix)
                else:
                    prefetch(cptr, nxt)
            for j in range(start, start + k):
                prefetch(optr, clits[j] & ~1)
            for j in range(start, start + k):
                prefetch(occ, optr[clits[j] ^ 1])
                prefetch(occ, optr[clits[j]])
            for j in range(start, start + k):
                t = clits[j] ^ 1
                for q in range(optr[t], min(optr[t + 1], optr[t] + PREFETCH_OCC)):
                    prefetch(nt, occ[q])
        # ---- choose the variable
        x = xs_next(x)
        r = xs_draw(x)
        choice = -1
        ties = 0
        if r < noise_thr:
            # noisy step: a freebie if there is one, else a random variable
            for j in range(start, start + k):
                t = clits[j] ^ 1
                free = True
                for q in range(optr[t], optr[t + 1]):
                    if nt[occ[q]] == 1:
                        free = False
                        break
                if free:
                    ties += 1
                    if ties == 1:
                        choice = clits[j] >> 1
                    else:
                        x = xs_next(x)
                        if xs_below(x, ties) == 0:
                            choice = clits[j] >> 1
            if choice < 0:
                x = xs_next(x)
                j = xs_below(x, k)
                choice = clits[start + j] >> 1
        else:
            # greedy step: fewest breaks, ties at random (a freebie has 0)
            bestb = np.int64(-1)
            for j in range(start, start + k):
                t = clits[j] ^ 1
                b = np.int64(0)
                for q in range(optr[t], optr[t + 1]):
                    d = occ[q]
                    if nt[d] == 1:
                        b += 1 if unit else cw[d]
                        if bestb >= 0 and b > bestb:
                            break
                if bestb < 0 or b < bestb:
                    bestb = b
                    choice = clits[j] >> 1
                    ties = 1
                elif b == bestb:
                    ties += 1
                    x = xs_next(x)
                    if xs_below(x, ties) == 0:
                        choice = clits[j] >> 1
        if nxt >= 0 and kfix == 0:   # its pointer has arrived: now its literals
            prefetch(clits, cptr[nxt])
        # ---- flip it
        v = choice
        old = np.int64(a[v])
        a[v] = 1 - old
        lt = 2 * v + old          # the literal that becomes true
        for q in range(optr[lt], optr[lt + 1]):
            d = occ[q]
            nt[d] += 1
            if nt[d] == 1:        # d leaves the falsified lists
                p = pos[d]
                if not unit and cw[d] >= hard_w:
                    nh -= 1
                    last = hl[nh]
                    hl[p] = last
                    pos[last] = p
                else:
                    ns -= 1
                    last = fl[ns]
                    fl[p] = last
                    pos[last] = p
                    cost -= 1 if unit else cw[d]
        lf = lt ^ 1               # the literal that becomes false
        for q in range(optr[lf], optr[lf + 1]):
            d = occ[q]
            nt[d] -= 1
            if nt[d] == 0:        # d joins the falsified lists
                if not unit and cw[d] >= hard_w:
                    hl[nh] = d
                    pos[d] = nh
                    nh += 1
                else:
                    fl[ns] = d
                    pos[d] = ns
                    ns += 1
                    new += 1
                    cost += 1 if unit else cw[d]
        if nxt >= 0:              # the next clause's literals have arrived: their pointers next
            if kfix > 0:
                for j in range(np.int64(nxt) * kfix, np.int64(nxt) * kfix + kfix):
                    prefetch(optr, clits[j] & ~1)
            else:
                for j in range(cptr[nxt], cptr[nxt + 1]):
                    prefetch(optr, clits[j] & ~1)
        done += 1
        # ---- log the flip; remember where the best point is
        if diverged == 0:
            if log_len == cap:
                # replay the prefix up to the best point onto the snapshot
                for i in range(best_len):
                    snap[log[i]] ^= 1
                rest = log_len - best_len
                for i in range(rest):
                    log[i] = log[best_len + i]
                log_len = rest
                best_len = 0
                if log_len == cap:   # no new best for a whole log: stop logging
                    diverged = 1
                    log_len = 0
            if diverged == 0:
                log[log_len] = v
                log_len += 1
        if nh < bnh or (nh == bnh and cost < bcost):
            bnh = nh
            bcost = cost
            improved = 1
            if diverged == 1:
                snap[:] = a
                diverged = 0
                log_len = 0
            best_len = log_len
    rng[0] = x
    st[NEXT] = nxt
    st[NEW] = new
    st[NH] = nh
    st[NS] = ns
    st[COST] = cost
    st[BNH] = bnh
    st[BCOST] = bcost
    st[LOGLEN] = log_len
    st[BESTLEN] = best_len
    st[DIVERGED] = diverged
    st[IMPROVED] = improved
    st[FLIPS] += done
    return done


# ------------------------------------------------------------------ structure
class _Structure:
    """The cleaned clause arrays of one formula, shared by every local search on it
    (WalkSAT, the clause-weighting search)."""

    def __init__(self, formula, stop=None):
        n = formula.n_vars
        length, kind = classify(n, formula.indptr, formula.literals, stop)
        w = formula.weights
        hard = formula.hard
        active_idx, cptr, self.const_hard, self.const_cost, min_len, max_len = active_clauses(
            formula, length, kind, stop)
        del length, kind
        ma = active_idx.size
        L = int(cptr[-1])
        self.cptr = cptr
        self.clits = np.empty(L, np.int32)
        self.optr = np.zeros(2 * n + 1, cptr.dtype)
        self.occ = fresh(L, np.int32, stop)   # scattered into: touched beforehand, in slices
        build(n, formula.indptr, formula.literals, active_idx, self.cptr, self.clits, self.optr, self.occ, stop)
        self.n_vars = n
        self.n_active = ma
        self.active_idx = active_idx          # formula clause of each active clause
        self.active_hard = hard[active_idx]
        self.max_len = max_len
        self.kfix = max_len if ma and min_len == max_len else 0
        # Scoring weights: unit (no array) when there is nothing to weigh.
        self.unit_weight = None
        if _equal_soft_weights(w, active_idx, self.active_hard, stop):
            self.unit = True
            self.unit_weight = int(w[active_idx[0]]) if ma else 1
            self.cw = np.zeros(0, np.int64)
            self.hard_w = 1
            self.exact = True
            return
        self.unit = False
        ha = self.active_hard
        soft_w = w[active_idx][~ha]
        # Break sums must fit int64: H * (occurrences + 1) < 2**62.
        max_occ = int(np.diff(self.optr).max()) if n else 0
        limit = 2**62 // (max_occ + 2)
        total = exact_weight_sum(soft_w)
        self.exact = total + 1 <= limit
        if not self.exact:
            # Scale for the heuristic only; costs are re-evaluated exactly.
            target = limit // 4
            soft_w = np.maximum(1, (soft_w.astype(np.float64) * (target / float(total))).astype(np.int64))
            total = int(soft_w.sum())
        self.hard_w = total + 1
        cw = np.empty(ma, np.int64)
        cw[~ha] = soft_w
        cw[ha] = self.hard_w
        self.cw = cw


def _equal_soft_weights(w, active_idx, active_hard, stop) -> bool:
    """No hard clause among the active ones, and one weight for all (slice by slice:
    a gather of every weight is a second or two at 10M variables)."""
    if active_hard.any():
        return False
    for a0, a1 in spans(active_idx.size, CHUNK_LITERALS // 4):
        check_stop(stop)
        if (w[active_idx[a0:a1]] != w[active_idx[0]]).any():
            return False
    return True


_STRUCTURES = weakref.WeakKeyDictionary()


def _structure(formula, stop=None) -> _Structure:
    """The formula's cleaned clause arrays, built once; ``stop()`` may end the build
    between slices (:class:`~.clause_index.SetupInterrupted`)."""
    s = _STRUCTURES.get(formula)
    if s is None:
        s = _Structure(formula, stop)
        _STRUCTURES[formula] = s
    return s


# ------------------------------------------------------------------- WalkSAT
class WalkSAT(LocalSearch):
    """A WalkSAT search on one formula, with state that persists between calls.

    Parameters
    ----------
    formula : Formula.
    noise : probability of a random walk step when no freebie exists
        (0.567 is the classic SAT setting; about 0.3 does better on large MAX-SAT).
    seed : seed of the kernel's random numbers (int); None draws one.
    hard_pick : probability of picking among falsified hard clauses when any
        is falsified (otherwise among all falsified clauses).
    stop : callable; when given, asked between slices of the set-up, which
        then ends with :class:`~.clause_index.SetupInterrupted` (15-20 s at
        10M variables: a deadline or a signal must not wait for it).

    Use ``set_assignment(a)`` then ``run(...)``; ``best_key`` and
    ``best_assignment()`` give the best point seen since ``set_assignment``
    (see :class:`~polystep_sat.methods.local_search.LocalSearch`).
    """

    def __init__(self, formula, noise: float = 0.3, seed: int | None = None, hard_pick: float = 0.9, stop=None):
        if not 0.0 <= noise <= 1.0:
            raise ValueError(f"noise must be in [0, 1], got {noise!r}")
        if not 0.0 <= hard_pick <= 1.0:
            raise ValueError(f"hard_pick must be in [0, 1], got {hard_pick!r}")
        self.s = s = _structure(formula, stop)
        self.exact = s.exact
        self.cost_unit = s.unit_weight if s.unit else 1
        self.noise = float(noise)
        self.noise_thr = np.uint64(min(int(noise * 2**32), 2**32))
        self.hard_thr = np.uint64(min(int(hard_pick * 2**32), 2**32))
        self._allocate(formula, seed, _NSTATE)
        ma = s.n_active
        self.nt = np.zeros(ma, np.uint8 if s.max_len < 255 else np.int32)
        n_hard = 0 if s.unit else int(np.count_nonzero(s.cw >= s.hard_w))
        self.fl = np.empty(ma - n_hard, np.int32)
        self.hl = np.empty(n_hard, np.int32)
        self.pos = np.empty(ma, np.int32)
        self.ahead = n_hard == 0 and s.clits.size >= AHEAD_MIN_LITERALS   # see _flip_chunk

    def _kernel_init(self, stop=None):
        s = self.s
        self.st[NEXT] = -1          # the lists are rebuilt: no clause drawn ahead
        self.st[NEW] = 0
        _init_state(self.a, s.cptr, s.clits, s.cw, s.unit, s.hard_w, self.nt, self.fl, self.hl, self.pos, self.st,
                    stop)

    def _kernel_chunk(self, max_flips):
        s = self.s
        return _flip_chunk(max_flips, self.a, s.cptr, s.kfix, s.clits, s.optr, s.occ, s.cw, s.unit, s.hard_w,
                           self.nt, self.fl, self.hl, self.pos, self.snap, self.log, self.st, self.rng,
                           self.noise_thr, self.hard_thr, self.ahead)


# ------------------------------------------------------------------- front ends
def _seed_from(ctx) -> int:
    return int(ctx.rng.integers(1, 2**63))


def _unpolished(formula, assignment):
    """What a polish stopped during its set-up returns: the start, as it was."""
    from ..verify import evaluate

    a = np.asarray(to_numpy(assignment), dtype=bool)
    ev = evaluate(formula, a)
    return a, ev.n_hard_unsat, ev.cost


def walksat_polish(formula, assignment, ctx=None, flips=None, time_budget=None, noise: float = 0.3,
                   seed: int | None = None, report: bool = True, **kwargs):
    """Polish ``assignment`` with WalkSAT; return ``(best_assignment, hard_unsat, cost)``.

    The search runs for ``flips`` flips and/or ``time_budget`` seconds (and
    stops at ``ctx``'s deadline or stop request, or when nothing is left to
    satisfy); the result is never worse than ``assignment``. With ``report``,
    improvements go to ``ctx.report``. ``seed`` defaults to one drawn from
    ``ctx.rng``. Extra keyword arguments go to :class:`WalkSAT`. When ``ctx``
    says stop during the set-up, ``assignment`` comes back unpolished.
    """
    if flips is None and time_budget is None and (ctx is None or ctx.deadline is None):
        raise ValueError("give flips or time_budget (or a ctx with a time limit)")
    if seed is None:
        seed = _seed_from(ctx) if ctx is not None else None
    stop = ctx.should_stop if ctx is not None else None
    try:
        ws = WalkSAT(formula, noise=noise, seed=seed, stop=stop, **kwargs)
        ws.set_assignment(to_numpy(assignment), stop)  # a CuPy state comes to the host once
    except SetupInterrupted:  # the deadline or a signal came during the set-up: nothing polished
        return _unpolished(formula, assignment)
    deadline = None if time_budget is None else time.perf_counter() + float(time_budget)
    if ctx is not None and ctx.deadline is not None:
        deadline = ctx.deadline if deadline is None else min(deadline, ctx.deadline)
    ws.run(max_flips=flips, deadline=deadline, ctx=ctx if report else None)
    if ctx is not None:
        ctx.info["polish_flips"] = ctx.info.get("polish_flips", 0) + ws.flips
    return ws.best()


def run_walksat(formula, ctx, noise: float = 0.3, max_flips: int | None = None, restart_flips: int | None = None,
                hard_pick: float = 0.9, init=None, report_every: float = 0.3):
    """Method "walksat": WalkSAT until the time limit, ``max_flips`` or an optimum.

    Parameters
    ----------
    noise : random-walk probability (default 0.3; 0.567 is the classic setting).
    max_flips : total flip limit (None: until ``ctx`` says stop).
    restart_flips : restart from a random assignment every this many flips
        (None: never; restarts rarely help on large instances).
    hard_pick : probability of working on a falsified hard clause when any is.
    init : starting assignment (bool array); default ``ctx.initial_assignment``
        when set (a hard-feasible point for partial MaxSAT), else random.
    """
    if max_flips is None and ctx.deadline is None and ctx.stop_event is None:
        raise ValueError("walksat needs a time limit or max_flips")
    if restart_flips is not None and restart_flips < 1:
        raise ValueError("restart_flips must be a positive number of flips")
    t0 = time.perf_counter()
    with ctx.phase("walksat_setup"):
        try:
            ws = WalkSAT(formula, noise=noise, seed=_seed_from(ctx), hard_pick=hard_pick, stop=ctx.should_stop)
            if init is None:
                init = getattr(ctx, "initial_assignment", None)
            if init is None:
                init = ctx.rng.random(formula.n_vars) < 0.5
            ws.set_assignment(init, ctx.should_stop)
        except SetupInterrupted:  # the deadline or a signal came first: the answers so far stand
            ctx.info["setup_interrupted"] = True
            return
    t_search = time.perf_counter()
    done = 0
    while True:
        budget = None if max_flips is None else max_flips - done
        if restart_flips is not None:
            budget = restart_flips if budget is None else min(budget, restart_flips)
        done += ws.run(max_flips=budget, deadline=ctx.deadline, ctx=ctx, report_every=report_every)
        if ws.solved or ctx.should_stop() or (max_flips is not None and done >= max_flips):
            break
        if restart_flips is None:
            break
        ws.restart()
    ctx.report(*ws.best())  # the final best (no-op if already reported)
    dt = time.perf_counter() - t_search
    ctx.info.update({
        "flips": int(done),
        "flips_per_second": float(done / dt) if dt > 0 else 0.0,
        "restarts": ws.restarts,
        "noise": ws.noise,
        "setup_seconds": t_search - t0,
        "solved": bool(ws.solved),
    })
