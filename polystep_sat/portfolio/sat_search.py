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
   AtMost1 detection; see :func:`_anytime_rc2`) for
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
# Conflicts per SAT call of RC2's core exhaustion (see _anytime_rc2's exhaust_core).
EXHAUST_CONFLICTS = 10_000
# Core minimisation (one SAT call per literal of the core) stops after this long on each core.
# On the Security-CPS files the cores are minimal already and each call takes 3-7 ms: PySAT's
# unbounded loop spent 2.4-6.8 s on test66's one core of 893 literals and removed none.
MINIMIZE_SECONDS_PER_CORE = 0.05
# ...and a core is minimised only while minimisation has taken at most this share of the time
# since the first core (Security test1: 8 cores of 633 literals, none shrunk, 0.29 s of RC2's
# 0.44 s). With the allowance below, RC2 on Minicard proved as many of the 38 files of real-dev
# and instances/real as without any rule, each as fast or faster to the noise (test1 0.24 s
# against 0.39 s, test54 0.42 s against 0.52 s, satellite02ac 1.00 s against 1.11 s).
MINIMIZE_SHARE = 0.25
# ...beyond this many seconds, which it may always take: cores come fast at first, and a share
# of a short time is none (circuit-debugging c1355 on Minicard stalled at a bound of 19 of 21
# with its cores kept as found; minimised, it is proven in 0.02 s).
MINIMIZE_ALLOWANCE = 0.1
# ...and, once it has taken MINIMIZE_TRIAL_SECONDS, only while at least MINIMIZE_MIN_YIELD of
# its SAT calls have removed a literal. On Security test1 and test54 no call of 405 and 265
# removed one (0.16 s of 0.26 s and 0.38 s); where minimisation pays (quantum-circuit,
# staff-scheduling, wqueens: 30-80% of the calls), and on files with cores of 2-5 literals
# (c1355: three cores of 2 found minimal, then one of 33 cut to 8), it never gets near the trial.
MINIMIZE_TRIAL_SECONDS = 0.03
MINIMIZE_MIN_YIELD = 0.02
# A stratum (weight level) takes in every lighter weight down to 1/WEIGHT_BAND of its heaviest.
# With a level per distinct weight, the Security-CPS files' 100 weights cost 100 levels, each a
# SAT call, a hardening pass and an AtMost1 detection: test54 took 7.6 s in PySAT's RC2, 1.1 s
# with bands of a factor 2 (and the two bounds above and below).
WEIGHT_BAND = 2
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
            rc2 = _anytime_rc2(self)
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


class RC2Stopped(Exception):
    """RC2 was asked to stop while one of its core heuristics was at work."""


def _anytime_rc2(search):
    """PySAT's stratified RC2 (AtMost1 detection, core exhaustion and minimisation) on
    ``search``'s formula, made to report each finished weight level's model to ``search``
    and to stop soundly.

    * Stopping: :meth:`interrupt` cuts RC2's main SAT call, as PySAT intends; but an
      interrupt that lands while RC2 runs Python code stays pending in the SAT solver and
      cuts the next call, and when that is a call of core exhaustion, RC2 takes the cut
      call for UNSAT and raises its cost: a lower bound that is not one. So once a stop
      is asked, a cut call of a heuristic raises :class:`RC2Stopped` instead (the cost is
      left as it was), and no further weight level starts (PySAT would clear the
      interrupt at the next level and go on). Once a stop is asked, every SAT call and
      every unit propagation of AtMost1 detection (seconds of them on a big formula)
      raises it before it starts (and so does each AtMost1 constraint's processing):
      PySAT clears the interrupt after a cut main call and processes what it has, then
      calls again.
    """
    from pysat.examples.rc2 import RC2Stratified

    class AnytimeRC2(RC2Stratified):
        stop_requested = False
        _exhausting = False          # inside exhaust_core
        _am1_runs = 0                # AtMost1 detections run
        _am1_found = False           # whether one found a constraint
        _started = None              # perf_counter() at the first core
        _minimizing = 0.0            # seconds spent minimising cores
        _minimize_calls = 0          # SAT calls made to minimise cores
        _minimize_removed = 0        # literals they removed

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if not hasattr(self, "ubnd"):   # releases before RC2Stratified kept an upper bound
                self.ubnd = sum(self.owgt.values())
            propagate = self.oracle.propagate

            def stoppable_propagate(*a, **kw):   # AtMost1 detection's only call into the solver
                if self.stop_requested:
                    raise RC2Stopped
                return propagate(*a, **kw)

            self.oracle.propagate = stoppable_propagate

        def interrupt(self):
            self.stop_requested = True
            super().interrupt()

        def _call_oracle(self, assumptions=[], expect_interrupt=False):  # noqa: B006 (PySAT's signature)
            if self.stop_requested:   # (PySAT's own flag is reset when a level starts, and the
                raise RC2Stopped      # solver's interrupt cleared after a cut main call)
            if self._exhausting:
                self.oracle.conf_budget(EXHAUST_CONFLICTS)
            try:
                # always with the interpreter's lock released, so that every call can be cut
                # (PySAT makes its heuristic calls without: one exhaustion call on a 45-variable
                # Ramsey file held the lock for 7.8 s, timers, output and signals included)
                res = super()._call_oracle(assumptions=assumptions, expect_interrupt=True)
            finally:
                if self._exhausting:
                    self.oracle.conf_budget(-1)
            if res is None and self.stop_requested:
                raise RC2Stopped
            if res is None and self._exhausting:
                return True      # undecided within its budget: exhaustion stops at this bound
            return res

        def adapt_am1(self):
            """PySAT's AtMost1 detection (one propagation per selector) runs at the start of
            every weight level over all selectors so far; after the first level, only where an
            earlier detection found a constraint (none on Security test54: 4.3 s of its 7.6 s
            went to 100 detections that found nothing)."""
            if self._am1_runs and not self._am1_found:
                return
            self._am1_runs += 1
            super().adapt_am1()

        def minimize_core(self):
            """PySAT's deletion-based minimisation (lightest clauses tried first, 1,000
            conflicts for the whole core), cut after MINIMIZE_SECONDS_PER_CORE (a kept
            literal is sound, only the core is larger), and skipped while minimisation has
            taken more than MINIMIZE_SHARE of the time since the first core, or once it has
            been tried for MINIMIZE_TRIAL_SECONDS and hardly ever removed a literal."""
            now = time.perf_counter()
            if self._started is None:
                self._started = now
            if not self.minz or len(self.core) <= 1 or \
                    self._minimizing > MINIMIZE_ALLOWANCE + MINIMIZE_SHARE * (now - self._started):
                return
            if self._minimizing > MINIMIZE_TRIAL_SECONDS and \
                    self._minimize_removed < MINIMIZE_MIN_YIELD * self._minimize_calls:
                return
            end = now + MINIMIZE_SECONDS_PER_CORE
            self.core = sorted(self.core, key=lambda lit: self.wght[lit])
            self.oracle.conf_budget(1000)
            try:
                i = 0
                while i < len(self.core) and time.perf_counter() < end:
                    to_test = self.core[:i] + self.core[i + 1:]
                    res = self._call_oracle(assumptions=to_test)
                    self._minimize_calls += 1
                    if res is False:
                        self.core = to_test
                        self._minimize_removed += 1
                    elif res is True:
                        i += 1
                    else:
                        break
            finally:
                self.oracle.conf_budget(-1)
                self._minimizing += time.perf_counter() - now

        def next_level(self):
            """PySAT's next level, widened to every weight within WEIGHT_BAND of its heaviest."""
            start = self.levl
            super().next_level()
            if self.levl is None or start is None or start >= len(self.blop):
                return
            while self.levl + 1 < len(self.blop) and self.blop[self.levl + 1] * WEIGHT_BAND >= self.blop[start]:
                self.levl += 1

        def exhaust_core(self, tobj):
            """PySAT's, its SAT calls held to EXHAUST_CONFLICTS each: PySAT gives them no
            limit, and such a call holds the interpreter's lock for as long as it runs (in the
            first try, the command line's own process). A call undecided within its budget
            ends the exhaustion at that bound, as a satisfiable one does: the cost rises only
            on UNSAT."""
            self._exhausting = True
            try:
                return super().exhaust_core(tobj)
            finally:
                self._exhausting = False

        def process_am1(self, am1):
            if self.stop_requested:   # AtMost1 detection's other part: one call per constraint found
                raise RC2Stopped
            self._am1_found = True
            return super().process_am1(am1)

        def finish_level(self):
            """PySAT's, with the upper bound from the level's model as costed by ``search``
            (reported in compute_ below; PySAT costs it again over all soft clauses, at every
            level: 0.15 s of Security test25's 100 levels): harden the clauses heavier than
            the gap, or than all lighter levels together."""
            self.garbage = set()
            lighter = sum(w * len(self.wstr[w]) for w in self.blop[self.levl + 1:])
            search._harden_below_best(self)
            for sel in self.sels + self.sums:
                if self.wght[sel] > min(lighter, self.ubnd - self.cost):
                    self.oracle.add_clause([sel])
                    self.garbage.add(sel)
            self.filter_assumps()

        def compute(self, expect_interrupt=False):
            model = super().compute(expect_interrupt=expect_interrupt)
            if model is None and self.stop_requested:   # asked between two levels' calls
                raise RC2Stopped
            return model

        def compute_(self):
            if self.stop_requested:
                return None
            done = super().compute_()
            if done is True:     # a finished weight level leaves a model of the hard clauses
                model = self.oracle.get_model()
                if model is not None:
                    search._found(search._model_assignment(model))
            return done

    return AnytimeRC2(search.wcnf(), solver=search.rc2_solver, adapt=True, exhaust=True, minz=True)


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
