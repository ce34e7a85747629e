"""PySAT's stratified RC2 made anytime and safe to stop, for :class:`.sat_search.SatSearch`.

:func:`anytime_rc2` builds it on a search's formula: each finished weight level's model
goes to the search, the search's best cost hardens clauses as levels are added, weights
are grouped in bands, core minimisation and exhaustion are held to budgets, and a stop
never leaves a lower bound that is not one (:class:`RC2Stopped`).
"""

from __future__ import annotations

import time

# Conflicts per SAT call of RC2's core exhaustion (see anytime_rc2's exhaust_core).
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


class RC2Stopped(Exception):
    """RC2 was asked to stop while one of its core heuristics was at work."""


def anytime_rc2(search):
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
