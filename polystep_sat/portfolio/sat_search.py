"""The SAT-based search: what runs in the SAT side's process.

Three phases, each anytime, each reporting through ``emit(kind, cost, model)``
(``kind``: "model" for a hard-feasible assignment, "lb" for a lower bound,
"opt" for a proven optimum; ``model`` a bool array or None):

1. **A model of the hard clauses** (when there are any), with the soft
   clauses' literals as preferred phases, from each of HARD_MODEL_PASSES.
   Real instances are mostly hard clauses, which a SAT solver satisfies at
   once and a local search may not: this model is the search's start, as in
   NuWLS-c.
2. **Core-guided search** (PySAT's RC2, stratified in weight bands of a
   factor WEIGHT_BAND, with core exhaustion, time-capped minimisation and
   AtMost1 detection; see :func:`.anytime_rc2.anytime_rc2`) for
   ``core_share`` of the time, or less when its bound stops rising or rises
   too slowly to meet the best cost known in that time. Every core raises
   the lower bound (sent as it rises); every finished weight level gives a
   model; finishing proves the optimum. The cheapest cost known (ours or the
   search's) hardens the soft clauses heavier than its gap to the bound.
3. **Solution-improving linear search** for the rest of the time: the soft
   clauses get relaxation variables and a totalizer bounds their (scaled)
   weight below the incumbent's; the incumbent (ours, or the local search's,
   sent in through :meth:`SatSearch.offer`) is the solver's phase (CaDiCaL,
   which keeps given phases), so each call looks near the best point known. Big weights are divided by a
   resolution that keeps the encoding small, halved each time nothing better
   exists at the current one; at resolution 1 an unsatisfiable bound proves
   the incumbent optimal. Where halving would not fit, the stratum is frozen
   (its scaled weight kept at most the incumbent's) and the search goes on
   with the lighter clauses that resolution left out, as stratified
   solvers do; from then on it improves but proves nothing.
   With 2 to MAX_LEVELS distinct weights it first goes level by level,
   heaviest first (a count per level, each call held to LEVEL_SLICES
   slices, each level then frozen), as TT-Open-WBO-Inc does over its
   weight clusters; then it searches the weighted sum with nothing frozen,
   where a proof is again possible. On hs-timetabling Brazil 2 (weights 1,
   2, 3, 9) the child alone reached 28 in 10 s this way, 62-72 without.

Every claim is re-checked by the parent with the independent evaluation before it counts.
"""

from __future__ import annotations

import threading
import time
import numpy as np
from pysat.solvers import Cadical195

from ..formula import exact_weight_sum
from ..sat_calls import load_clauses, solve_in_slices
from ..verify import soft_unit_literals
from .anytime_rc2 import RC2Stopped, anytime_rc2

# Encoding budget of the linear search: (totalizer inputs) x (bound) at most this
# (about as many clauses: ~1 s to build, ~100 MB in the solver).
MAX_TOTALIZER_SIZE = 1_000_000
# Conflicts per SAT call of the linear search, between looks at the clock and at offers.
CONFLICTS_PER_CALL = 2_000
# The linear search's SAT solver. CaDiCaL keeps the phases it is given (the incumbent) where
# Glucose's phase saving soon forgets them: on hs-timetabling Italy1 it went from 51 to 13
# in 3 s where Glucose stalled at 39. It cannot be interrupted, so calls are sliced by conflicts.
LINEAR_SEARCH_SOLVER = "cd19"
# The hard clauses' models: (SAT solver, phases), the cheapest kept. CaDiCaL keeps the phases it
# is given: with the soft unit clauses' literals (``soft``) its models cost 22 / 87 on Security
# test25 / test1, Glucose's 103,129 / 51,823; all false (``false``, MiniSat's and Glucose's own
# default) it matches Glucose where that wins (planning depot01c 136,890 against 246,418,
# warehouses 393 against 741). Glucose itself comes last, in the child only: where it is better
# still (CSG, staff scheduling), its calls cannot be cut (consistent query answering: 0.37 s of
# decisions without a conflict, where CaDiCaL needs 0.04 s).
HARD_MODEL_PASSES = (("cd19", "soft"), ("cd19", "false"), ("g4", "soft"))
# Core-guided search steps aside when its lower bound has not risen for this long
# (and for half the time it has run): the linear search gets the time.
CORE_STALL_SECONDS = 2.0
# ...or when its bound has not risen fast enough over this long (CPU seconds) to meet the
# best cost in its share of the time (see SatSearch._out_of_pace).
CORE_PACE_WINDOW = 1.0
# ...but only while the bound is more than this share of the best cost below it: near the
# optimum a stratified RC2 rises in uneven steps and is worth its time (the 2,000-vertex
# weighted MIS, bound 0.7% below: proven at 5.7 s, or never when it was cut; af-synthesis: 46%).
CORE_PACE_MIN_GAP = 0.05
# ...and only after RC2 has had this share of its time: the best cost known early is the
# hard model's or the search's first, far above the optimum (on the MIS above, 26% and 7%).
CORE_PACE_MIN_SHARE = 1 / 3
# RC2's SAT solver where a process may hold it as long as it likes (the SAT side's child).
RC2_SOLVER = "g3"
# Up to this many distinct weights, the linear search goes level by level first (see _levels).
MAX_LEVELS = 10
# A level's SAT call gets this many slices of CONFLICTS_PER_CALL; past them the level is
# taken as done (lexicographic search is a heuristic: no proof is claimed from it).
LEVEL_SLICES = 10


class SatSearch:
    """The three phases on one formula; ``run(deadline)`` until the deadline."""

    def __init__(self, formula, emit, core_share: float = 0.5, hard_model_passes=HARD_MODEL_PASSES,
                 stopped=lambda: False, watch_every: float = 0.2, rc2_solver: str = RC2_SOLVER,
                 sliced: bool = False):
        self.formula = formula
        self.emit = emit
        self.core_share = core_share
        self.hard_model_passes = hard_model_passes
        self.stopped = stopped               # True once the caller wants the search to end
        self.watch_every = watch_every       # seconds between looks at RC2's bound (and at stopped())
        self.rc2_solver = rc2_solver         # RC2's SAT solver
        self.sliced = sliced                 # in the answering process: hard models in short slices
        # plain lists throughout: NumPy's per-clause indexing took 0.09 s on Security test66
        ptr, lits = formula.indptr.tolist(), formula.literals.tolist()
        hard, weights = formula.hard.tolist(), formula.weights.tolist()
        self.hard, self.soft, self.weights = [], [], []
        self.empty_cost = 0
        self.infeasible = False
        for i in range(formula.n_clauses):
            c = lits[ptr[i]:ptr[i + 1]]
            if hard[i]:
                if not c:
                    self.infeasible = True
                self.hard.append(c)
            elif weights[i] > 0:
                if c:
                    self.soft.append(c)
                    self.weights.append(weights[i])
                else:
                    self.empty_cost += int(formula.weights[i])
        self.weight_array = np.asarray(self.weights, dtype=np.int64)
        # the soft clauses (none empty) as one array and their starts, for _falsified
        self._soft_literals = np.asarray([lit for c in self.soft for lit in c], dtype=np.int64)
        self._soft_starts = np.cumsum([0] + [len(c) for c in self.soft[:-1]], dtype=np.int64)
        self._last_falsified = (None, None)   # (assignment, its falsified soft clauses)
        self.best = None                 # (cost, bool array): the incumbent
        self.lower_bound = self.empty_cost
        self._offer = None               # newest incumbent sent in, not yet taken
        self._lock = threading.Lock()

    # ------------------------------------------------------------ sharing
    def offer(self, cost: int, assignment) -> None:
        """An incumbent found elsewhere (thread-safe): the linear search takes
        it as its bound and phases when it is better than its own."""
        with self._lock:
            if self._offer is None or cost < self._offer[0]:
                self._offer = (int(cost), np.asarray(assignment, dtype=bool))

    def _take_offer(self) -> bool:
        with self._lock:
            offer, self._offer = self._offer, None
        if offer is not None and (self.best is None or offer[0] < self.best[0]):
            self.best = offer
            return True
        return False

    def _found(self, model) -> np.ndarray:
        """A model of the hard clauses (signed literals or a bool array): keep and send it if it
        is better; return which soft clauses it falsifies."""
        a = model if isinstance(model, np.ndarray) and model.dtype == bool else self._model_assignment(model)
        falsified = self._falsified(a)
        cost = self.empty_cost + exact_weight_sum(self.weight_array[falsified])
        if self.best is None or cost < self.best[0]:
            self.best = (cost, a)
            self.emit("model", cost, a)
        return falsified

    def _raise_bound(self, lb: int) -> None:
        if lb > self.lower_bound:
            self.lower_bound = lb
            self.emit("lb", lb, None)

    # ------------------------------------------------------------ phases
    def run(self, deadline: float) -> None:
        if self.infeasible:
            return
        self.hard_model(deadline)
        if time.perf_counter() < deadline and self.core_guided(deadline):
            return
        self._take_offer()
        if time.perf_counter() < deadline and self.best is not None:
            self.linear_search(deadline)

    def hard_model(self, deadline: float) -> None:
        """A model of the hard clauses from each of ``self.hard_model_passes``, the cheapest
        kept (each reported as it improves); each pass after the first gets at most twice the
        time the first took (0.05 s at least). Nothing without hard clauses: a "model" of no clauses
        became the local search's start after PolyStep (3-SAT, 100k: 53,000 falsified, not 1,786)."""
        if not self.hard:
            return
        from pysat.solvers import Solver

        soft_phases = soft_unit_literals(self.formula).tolist()
        until = deadline
        for i, (name, phases) in enumerate(self.hard_model_passes):
            t0 = time.perf_counter()
            with Solver(name=name, bootstrap_with=None if self.sliced else self.hard) as s:
                if self.sliced and not load_clauses(s, self.hard, until):
                    return
                if phases == "soft":
                    s.set_phases(soft_phases)
                elif phases == "false":
                    s.set_phases(list(range(-1, -self.formula.n_vars - 1, -1)))
                if self.sliced:
                    found = solve_in_slices(s, until, (), self.stopped, name=name)
                else:
                    found = _solve_until(s, until, [], self.stopped)
                if found:
                    self._found(s.get_model())
                if found is not True:    # unsatisfiable, or out of time: the next would not do better
                    return
            if i == 0:
                until = min(deadline, time.perf_counter() + max(0.05, 2 * (time.perf_counter() - t0)))

    def core_guided(self, deadline: float) -> bool:
        """RC2 for ``core_share`` of the time left; True when it proved the optimum."""
        budget = max(0.0, (deadline - time.perf_counter()) * self.core_share)
        try:
            rc2 = anytime_rc2(self)
        except TypeError:  # PySAT's stratified RC2 fails on some formulas (no soft clauses)
            return False
        if self.stopped():   # asked while RC2 was built (its set-up is not watched)
            rc2.delete()
            return False
        self._take_offer()
        self._harden_below_best(rc2)
        stop = threading.Event()
        watch = threading.Thread(target=self._watch_bound, args=(rc2, stop, time.perf_counter() + budget), daemon=True)
        timer = threading.Timer(budget, rc2.interrupt)
        watch.start()
        timer.start()
        try:
            model = rc2.compute(expect_interrupt=True)
        except (TypeError, RC2Stopped):
            model = None
        finally:
            timer.cancel()
            timer.join()      # a timer that has fired may still be in rc2.interrupt()
            stop.set()
            watch.join()
        self._take_offer()
        self._raise_bound(self._rc2_bound(rc2))
        finished = model is not None and not rc2.stop_requested
        if finished:
            self._found(model)
            if self.best is not None and self.best[0] == self.empty_cost + rc2.cost:
                self.emit("opt", self.best[0], self.best[1])
                return True
        rc2.delete()
        return False

    def wcnf(self):
        """The formula as PySAT's WCNF (no empty clause: those are ``infeasible`` and ``empty_cost``)."""
        from pysat.formula import WCNF

        # its fields set at once (its append checks each clause: 0.07-0.12 s on Security test66,
        # a share of the first try's time). RC2 appends a selector to each soft clause of two or
        # more literals, in place, and may append to the hard list: the soft clauses are copied
        # (the linear search reads them after RC2: sharing them cost Brazil2 86 against 47),
        # the hard clauses only read
        w = WCNF()
        w.hard, w.soft, w.wght = list(self.hard), [c[:] for c in self.soft], list(self.weights)
        w.topw = sum(self.weights) + 1
        w.nv = self.formula.n_vars
        return w

    def _harden_below_best(self, rc2) -> None:
        """Give RC2 the cheapest cost known (ours, or the search's offer) as its upper bound:
        a soft clause heavier than the gap between that bound and RC2's lower bound is made
        hard as its weight level is added (RC2Stratified's hardening), since falsifying it
        costs more than that incumbent. RC2 otherwise knows only its own level models'
        costs: on the security files (optimum 4, weights up to 100) the search's 4 hardens
        all but the lightest clauses. The incumbents behind the bound stay in ``self.best``
        or the offer. (A hardened clause is one that no model as cheap as the bound falsifies,
        given RC2's bound from the cores it was not in: the optimum is never cut off.)"""
        with self._lock:
            costs = [x[0] for x in (self.best, self._offer) if x is not None]
        if costs:
            rc2.ubnd = min(rc2.ubnd, min(costs) - self.empty_cost)

    def _rc2_bound(self, rc2) -> int:
        """RC2's lower bound, never above its upper bound (the cost of a model we hold): with
        hardening, RC2's bound is on the models that falsify no hardened clause."""
        return self.empty_cost + min(int(rc2.cost), int(rc2.ubnd))

    def _watch_bound(self, rc2, stop, end=None) -> None:
        """Send RC2's lower bound as it rises (it grows by one core at a time); interrupt
        RC2 when the bound has stalled for CORE_STALL_SECONDS and half its time so far
        (CPU seconds: on one core the process is paused while the local search has its turn),
        or when, at the pace it has risen over the last CORE_PACE_WINDOW (or half its time),
        it would not meet the best cost known before ``end``, its share of the time (on
        af-synthesis it rose 62 -> 66 in 2.4 s against an upper bound of 122, and the
        linear search it held up reaches the best known cost 115 in 7 s)."""
        start = last_rise = time.process_time()
        history = [(start, time.perf_counter(), self.lower_bound)]    # (CPU time, wall time, bound)
        while not stop.wait(self.watch_every):
            if self.stopped():
                rc2.interrupt()
                return
            before = self.lower_bound
            self._harden_below_best(rc2)
            self._raise_bound(self._rc2_bound(rc2))
            now = time.process_time()
            history.append((now, time.perf_counter(), self.lower_bound))
            if self.lower_bound > before:
                last_rise = now
            if now - last_rise > max(CORE_STALL_SECONDS, 0.5 * (now - start)) or \
                    (end is not None and now - start >= CORE_PACE_MIN_SHARE * (end - history[0][1])
                     and self._out_of_pace(history, end - time.perf_counter())):
                rc2.interrupt()
                return

    def _out_of_pace(self, history, seconds_left: float) -> bool:
        """Whether the bound, rising as it has over its recent past (at least CORE_PACE_WINDOW
        CPU seconds, or half its run), stays short of the best cost known (ours or offered) for
        longer than ``seconds_left`` (wall time), while more than CORE_PACE_MIN_GAP below it.
        The pace is per wall second: on one core the process is paused while the search has
        its turn. A bound that has not risen at all is left to the stall rule."""
        cpu, wall, bound = history[-1]
        if cpu - history[0][0] < CORE_PACE_WINDOW:
            return False
        with self._lock:
            costs = [x[0] for x in (self.best, self._offer) if x is not None]
        if not costs:
            return False
        best = min(costs)
        window = max(CORE_PACE_WINDOW, 0.5 * (cpu - history[0][0]))
        _, since, then = next((h for h in reversed(history) if cpu - h[0] >= window), history[0])
        gap, rise = best - bound, bound - then
        return gap > CORE_PACE_MIN_GAP * best and rise > 0 and gap * (wall - since) > rise * seconds_left

    def linear_search(self, deadline: float) -> None:
        """Solution-improving search below the incumbent, at a falling resolution,
        stratum by stratum (see the module's docstring)."""
        from pysat.card import ITotalizer
        from pysat.solvers import Solver

        n = self.formula.n_vars
        top = n
        relax = []                       # true when soft clause i may be falsified
        s = Solver(name=LINEAR_SEARCH_SOLVER, bootstrap_with=self.hard)
        try:
            for c in self.soft:
                if len(c) == 1:
                    relax.append(-c[0])
                else:
                    top += 1
                    relax.append(top)
                    s.add_clause(c + [top])
            weights = self.weight_array
            levels = _levels(weights)        # heaviest first: one stratum each, then all weights together
            stratum = _level_stratum(weights, levels)   # the weights the current objective counts (0: left out)
            frozen = []                      # assumptions that keep finished strata where the incumbent has them
            resolution, tot, limit = None, None, None   # the next model must have scaled cost <= limit
            while time.perf_counter() < deadline:
                # level by level, the search's incumbents wait: taking one (its phases, its counts)
                # every 0.5 s cut each level's calls short (Brazil2 in auto: 34-45 against 28)
                if not levels and self._take_offer():
                    limit = None
                cost, a = self.best
                if cost <= self.lower_bound:
                    self.emit("opt", cost, a)
                    return
                falsified = self._falsified(a)
                if resolution is None:
                    resolution = _resolution(stratum, falsified)
                    if _encoding_size(stratum, falsified, resolution) > 4 * MAX_TOTALIZER_SIZE:
                        return               # even the heaviest clauses alone are too many for a totalizer
                scaled = _scaled(stratum, resolution)
                if limit is None:
                    limit = int(scaled[falsified].sum()) - 1
                if limit >= 0:
                    if tot is None or limit + 1 > tot.ubound:
                        # outputs up to limit + 1: freezing the stratum at the incumbent's cost needs that one
                        units = [r for r, k in zip(relax, np.minimum(scaled, limit + 2).tolist()) for _ in range(k)]
                        tot = ITotalizer(lits=units, ubound=limit + 1, top_id=top)
                        top = tot.top_id
                        s.append_formula(tot.cnf.clauses)
                    phases = np.where(a, np.arange(1, n + 1), -np.arange(1, n + 1)).tolist()
                    s.set_phases(phases + [r if f else -r for r, f in zip(relax, falsified.tolist())])
                    bound = [-tot.rhs[limit]] if limit < len(tot.rhs) else []
                    if levels:           # a level's call is cut at LEVEL_SLICES: then the level is done
                        found = _solve_until(s, deadline, frozen + bound, max_slices=LEVEL_SLICES)
                        if found is None and time.perf_counter() >= deadline:
                            return
                    else:
                        found = _solve_until(s, deadline, frozen + bound, self._offered)
                        if found is None:
                            continue     # out of time, or a better incumbent came in
                    if found:
                        limit = int(scaled[self._found(s.get_model())].sum()) - 1
                        continue
                # Nothing is cheaper in this stratum at this resolution.
                if resolution == 1 and not frozen and stratum is weights:
                    self.emit("opt", cost, a)  # weights unscaled, nothing frozen: a proof
                    return
                if resolution > 1 and _encoding_size(stratum, falsified, resolution // 2) <= MAX_TOTALIZER_SIZE:
                    resolution, tot, limit = resolution // 2, None, None
                    continue
                # A finer encoding would not fit: keep this stratum at most where the
                # incumbent has it, and go on with the clauses it left out (heuristic from here).
                kept = int(scaled[falsified].sum())
                if kept == 0:             # the incumbent satisfies the whole stratum: keep it so
                    frozen.extend(-r for r, k in zip(relax, scaled.tolist()) if k > 0)
                elif kept < len(tot.rhs):  # the loop above built tot with outputs up to limit + 1 = kept
                    frozen.append(-tot.rhs[kept])
                if levels:                # the next weight level, or, after the last, all weights unfrozen
                    levels.pop(0)
                    stratum = _level_stratum(weights, levels)
                    if not levels:
                        frozen = []
                else:
                    stratum = np.where(weights < resolution, weights, 0)
                if not stratum.any():
                    return
                resolution, tot, limit = None, None, None
        finally:
            s.delete()

    def _offered(self) -> bool:
        with self._lock:
            return self._offer is not None and (self.best is None or self._offer[0] < self.best[0])

    def _model_assignment(self, model) -> np.ndarray:
        a = np.zeros(self.formula.n_vars, dtype=bool)
        m = np.asarray(model, dtype=np.int64)
        a[m[(m > 0) & (m <= self.formula.n_vars)] - 1] = True
        return a

    def _falsified(self, a) -> np.ndarray:
        """Which soft clauses ``a`` falsifies; the last answer is kept, as the linear search
        asks again for the incumbent it has just costed. (A loop over our own arrays of the
        soft clauses, not the formula's evaluation: a wrong model is caught by the parent.)"""
        if a is not self._last_falsified[0]:
            lits = self._soft_literals
            true = a[np.abs(lits) - 1] == (lits > 0)
            satisfied = np.logical_or.reduceat(true, self._soft_starts) if lits.size else np.zeros(0, dtype=bool)
            self._last_falsified = (a, ~satisfied)
        return self._last_falsified[1]


def _levels(weights) -> list:
    """The distinct weights, heaviest first, when there are 2 to MAX_LEVELS of them: the
    linear search then minimises each level's count in turn (lexicographically, as
    TT-Open-WBO-Inc does over its weight clusters) before it searches the weighted sum:
    a cardinality bound per level is far easier for the SAT solver than one over the
    weighted sum (hs-timetabling, 3-4 weights). Empty otherwise."""
    distinct = np.unique(weights)[::-1].tolist()
    return distinct if 2 <= len(distinct) <= MAX_LEVELS else []


def _level_stratum(weights, levels) -> np.ndarray:
    """The first level's weights (0 elsewhere); with no level left, all of them."""
    return np.where(weights == levels[0], weights, 0) if levels else weights


def _scaled(weights, d: int) -> np.ndarray:
    """Weights at resolution ``d``, divided by their common factor: a stratum of equal
    weights then counts one totalizer input per clause."""
    scaled = weights // d
    return scaled // max(1, int(np.gcd.reduce(scaled)))


def _encoding_size(weights, falsified, d: int) -> int:
    """Totalizer inputs x bound at resolution ``d`` below the incumbent."""
    scaled = _scaled(weights, d)
    bound = int(scaled[falsified].sum())
    return int(np.minimum(scaled, bound + 1).sum()) * max(bound, 1)


def _resolution(weights, falsified) -> int:
    """The smallest power of two that keeps the totalizer within budget, but no coarser
    than the heaviest weight (the heaviest clauses always count)."""
    d, top = 1, int(weights.max())
    while _encoding_size(weights, falsified, d) > MAX_TOTALIZER_SIZE and 2 * d <= top:
        d *= 2
    return d


def _solve_until(solver, deadline: float, assumptions, interrupted=lambda: False, max_slices=None):
    """SAT call in bounded slices until an answer, the deadline, ``interrupted()`` or
    ``max_slices`` slices: True, False or None.

    A timer interrupts the solver at the deadline (one slice can take seconds
    on a big encoding); the slices let a better incumbent cut in."""
    can_interrupt = not isinstance(solver.solver, Cadical195)
    timer = threading.Timer(max(0.0, deadline - time.perf_counter()), solver.interrupt)
    if can_interrupt:
        timer.start()
    try:
        slices = 0
        while time.perf_counter() < deadline and (max_slices is None or slices < max_slices):
            solver.conf_budget(CONFLICTS_PER_CALL)
            res = solver.solve_limited(assumptions=assumptions, expect_interrupt=can_interrupt)
            slices += 1
            if res is not None:
                return res
            if interrupted():
                return None
        return None
    finally:
        timer.cancel()
        if can_interrupt:
            timer.join()      # one that has fired may still be in solver.interrupt()
            solver.clear_interrupt()
