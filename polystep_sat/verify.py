"""Independent checking of assignments, and exact optima for small instances.

Nothing here shares code with the solvers' hot paths: the evaluation is a
plain NumPy gather + ``logical_or.reduceat`` over the CSR arrays (on large
formulas, a plain compiled loop of this module's own over the same arrays),
and ``verify`` cross-checks it with PySAT's own unit propagation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .formula import Formula, exact_weight_sum

# Above this many literals the PySAT cross-check (which loads the formula
# into a SAT solver) is skipped by default; the NumPy evaluation still runs.
PYSAT_CHECK_MAX_LITERALS = 2_000_000
# The hard check's SAT solver (PySAT's name: CaDiCaL 1.9), whose calls sat_calls cuts into slices.
HARD_CHECK_SOLVER = "cd19"
# The cross-check's one call to the hard check's solver under the full model gives up (and the
# hard clauses are loaded as the others are) past this long.
ORACLE_CHECK_SECONDS = 1.0
# From this many literals an assignment is evaluated by a compiled loop of
# this module's own (one pass, no temporaries) instead of NumPy gathers.
LOOP_MIN_LITERALS = 4_000_000


@dataclass
class Evaluation:
    cost: int            # weight of falsified soft clauses (exact)
    n_unsat: int         # falsified soft clauses
    n_hard_unsat: int    # falsified hard clauses
    satisfied: np.ndarray  # bool per clause


def _as_bool_assignment(formula: Formula, assignment) -> np.ndarray:
    a = np.asarray(assignment)
    if a.dtype != bool:
        if a.ndim == 1 and a.size and (np.any(a < 0) or (a.size != formula.n_vars and np.all(a != 0))):
            # A PySAT-style model of signed literals.
            model = a.astype(np.int64)
            out = np.zeros(formula.n_vars, dtype=bool)
            pos = model[(model > 0) & (model <= formula.n_vars)]
            out[pos - 1] = True
            return out
        a = a != 0
    if a.shape != (formula.n_vars,):
        raise ValueError(f"assignment has shape {a.shape}, expected ({formula.n_vars},)")
    return a


def evaluate(formula: Formula, assignment, *, threads: int | None = None) -> Evaluation:
    """Evaluate an assignment (bool array or signed PySAT model) exactly.

    ``threads``: how many threads a large formula's check may use (default:
    one per core the process may run on; 1 leaves a running search its core).
    """
    a = _as_bool_assignment(formula, assignment)
    if formula.n_literals >= LOOP_MIN_LITERALS:
        satisfied = _satisfied_loop(formula.indptr, formula.literals, a, threads)
    else:
        satisfied = _satisfied_numpy(formula, a)
    soft_false = ~(satisfied | formula.hard)
    # count_nonzero, not sum: several times faster on 42M flags
    n_unsat = int(np.count_nonzero(soft_false))
    return Evaluation(
        cost=exact_weight_sum(formula.weights[soft_false]),
        n_unsat=n_unsat,
        n_hard_unsat=int(satisfied.size - np.count_nonzero(satisfied)) - n_unsat,  # the other falsified ones
        satisfied=satisfied,
    )


def _satisfied_numpy(formula: Formula, a: np.ndarray) -> np.ndarray:
    lit_true = a[formula.variable_index] == formula.literal_is_positive
    satisfied = np.zeros(formula.n_clauses, dtype=bool)
    nonempty = formula.clause_lengths > 0
    if lit_true.size:
        # OR over each clause's segment; empty clauses (never satisfied) are
        # left out so every segment passed to reduceat is non-empty.
        satisfied[nonempty] = np.logical_or.reduceat(lit_true, formula.indptr[:-1][nonempty])
    return satisfied


def _satisfied_loop(indptr, literals, a, threads=None) -> np.ndarray:
    """The same answer in one pass over the literals and no temporaries (a
    plain loop of its own, compiled, on ``threads`` threads, default one per
    core: ~0.6 s for 128M literals on one core where the NumPy path takes
    ~8 s and gigabytes). The assignment goes
    in as a bitset: its random reads then hit a cache of 1/8 the size
    (1.25 MB at 10M variables; twice as fast as a byte per variable)."""
    from .dimacs_scan import _cores, _in_threads, _kernel  # compiles once, cached on disk

    bits = np.packbits(np.asarray(a, dtype=bool), bitorder="little")
    m = indptr.size - 1
    out = np.empty(m, dtype=bool)
    cuts = np.linspace(0, m, (threads or _cores()) + 1).astype(np.int64)  # clause ranges, one per thread
    kernel = _kernel(_satisfied_kernel, True)
    _in_threads([lambda lo=lo, hi=hi: kernel(indptr, literals, bits, out, lo, hi)
                 for lo, hi in zip(cuts[:-1], cuts[1:])])
    return out


def _satisfied_kernel(indptr, literals, bits, out, lo, hi):
    """``out[c]`` for the clauses ``lo <= c < hi``: whether a literal is true."""
    for c in range(lo, hi):
        sat = 0
        for p in range(indptr[c], indptr[c + 1]):
            lit = literals[p]
            v = (lit if lit > 0 else -lit) - 1
            value = (bits[v >> 3] >> (v & 7)) & 1
            sat |= value if lit > 0 else 1 - value
        out[c] = sat != 0


def _pysat_crosscheck(formula: Formula, a: np.ndarray, satisfied: np.ndarray, hard_oracle=None) -> bool:
    """Confirm ``satisfied`` with PySAT: every clause we call satisfied is
    consistent with the full model under unit propagation, and every clause we
    call falsified has all its literals false in the model.

    ``hard_oracle``: the hard check's solver, holding the hard clauses (see
    :func:`hard_clauses_satisfiable`); where we call them all satisfied, one
    solve under the model as assumptions confirms it, and only the soft clauses
    are loaded here (Security test66: 60,005 hard clauses, 0.07-0.09 s to load)."""
    from pysat.solvers import Solver

    v = np.arange(1, formula.n_vars + 1, dtype=np.int64)
    model = np.where(a, v, -v).tolist()
    model_set = set(model)
    load = satisfied                  # the clauses MiniSat must see: those we call satisfied
    if hard_oracle is not None and formula.n_hard and satisfied[formula.hard].all():
        import time

        from .sat_calls import solve_in_slices

        # every variable assumed: propagation only, one short call
        res = solve_in_slices(hard_oracle, time.perf_counter() + ORACLE_CHECK_SECONDS, assumptions=model,
                              name=HARD_CHECK_SOLVER)
        if res is False:
            return False
        if res:
            load = satisfied & ~formula.hard
    # plain lists, sliced per clause (a NumPy slice per clause took 0.16 s on 76,000 clauses)
    ptr, lits = formula.indptr.tolist(), formula.literals.tolist()
    with Solver(name="minisat22") as s:
        add = s.add_clause
        for i in np.flatnonzero(load).tolist():
            add(lits[ptr[i]:ptr[i + 1]])
        ok, _ = s.propagate(assumptions=model)
        if not ok:
            return False
    for i in np.flatnonzero(~satisfied).tolist():
        if any(lit in model_set for lit in lits[ptr[i]:ptr[i + 1]]):
            return False
    return True


def _pysat_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("pysat") is not None


def verify(formula: Formula, assignment, claimed_cost=None, *, pysat: bool | None = None,
           hard_oracle=None) -> tuple[bool, Evaluation]:
    """Re-evaluate ``assignment``; return ``(ok, evaluation)``.

    ``ok`` is False when ``claimed_cost`` is given and differs from the true
    cost, or when the PySAT cross-check disagrees with the NumPy evaluation.
    The PySAT check runs by default on formulas up to
    ``PYSAT_CHECK_MAX_LITERALS`` literals (``pysat=True`` forces it).
    ``hard_oracle``: a solver holding the formula's hard clauses (the hard check's,
    kept with ``hard_clauses_satisfiable(..., keep=...)``), for the cross-check.
    """
    a = _as_bool_assignment(formula, assignment)
    ev = evaluate(formula, a)
    ok = claimed_cost is None or int(claimed_cost) == ev.cost
    if pysat is None:
        # without PySAT (e.g. a GPU machine) the NumPy evaluation stands alone
        pysat = formula.n_literals <= PYSAT_CHECK_MAX_LITERALS and _pysat_available()
    if ok and pysat:
        ok = _pysat_crosscheck(formula, a, ev.satisfied, hard_oracle)
    return ok, ev


def soft_unit_literals(formula: Formula) -> np.ndarray:
    """The literals of the soft unit clauses of positive weight."""
    units = (formula.clause_lengths == 1) & ~formula.hard & (formula.weights > 0)
    return formula.literals[formula.indptr[:-1][units]]


def hard_clauses_satisfiable(formula: Formula, time_limit: float | None = None, soft_phases: bool = False,
                             keep: list | None = None):
    """Decide the hard clauses with a SAT solver (CaDiCaL), loading and solving within
    ``time_limit`` seconds and never holding the interpreter's lock for long
    (:mod:`polystep_sat.sat_calls`). With ``soft_phases``, the soft unit clauses'
    literals are its phases (CaDiCaL keeps them): a model that satisfies many of them
    (Security test66: cost 49 against 816,479), as the SAT side's first pass has.

    Returns ``(True, assignment)``, ``(False, None)`` when proven infeasible,
    or ``(None, None)`` when the time limit ran out first (or would run out
    before the clauses are loaded).

    ``keep``: a list; when the answer is a model, the solver (the hard clauses loaded)
    is appended to it instead of deleted, for ``verify``'s cross-check. The caller
    deletes it.
    """
    import time

    from pysat.solvers import Solver

    from .sat_calls import formula_chunks, load_chunks, solve_in_slices

    deadline = float("inf") if time_limit is None else time.perf_counter() + time_limit
    hard = np.flatnonzero(formula.hard)
    s = Solver(name=HARD_CHECK_SOLVER)
    kept = False
    try:
        if not load_chunks(s, formula_chunks(formula.indptr, formula.literals, hard), hard.size, deadline):
            return None, None
        if soft_phases:
            s.set_phases(soft_unit_literals(formula).tolist())
        res = solve_in_slices(s, deadline, name=HARD_CHECK_SOLVER)
        if res is None:
            return None, None
        if not res:
            return False, None
        model = _as_bool_assignment(formula, np.asarray(s.get_model() or [], dtype=np.int64)) \
            if formula.n_vars else np.zeros(0, bool)
        if keep is not None:
            keep.append(s)
            kept = True
        return True, model
    finally:
        if not kept:
            s.delete()


def optimum(formula: Formula, time_limit: float = 10.0, stratified: bool = False):
    """Exact optimum cost with PySAT's RC2, or None when it does not finish in
    ``time_limit`` seconds (or the hard clauses are infeasible).

    Returns ``(cost, assignment)``. Meant for small instances: RC2 is fast on
    random instances up to roughly 100-200 variables.

    ``stratified``: RC2 stratified, with core exhaustion, core minimisation
    and AtMost1 detection. On the generated weighted MIS it proves the
    2,000-vertex optimum in ~6 s, where plain RC2 proves not even the
    500-vertex one in 20 s (benchmarks/results/exact_side.md). But some of its
    phases ignore the interrupt, so it can run far past ``time_limit``: use it
    where the caller can kill the process (the exact side's child does).
    """
    import time

    from pysat.examples.rc2 import RC2, RC2Stratified
    from pysat.formula import WCNF

    w = WCNF()
    ptr, lits = formula.indptr, formula.literals
    for i in range(formula.n_clauses):
        c = lits[ptr[i]:ptr[i + 1]].tolist()
        if not c:
            # RC2 cannot take empty clauses: an empty hard clause is infeasible,
            # an empty soft clause a constant cost (counted by evaluate below).
            if formula.hard[i]:
                return None, None
            continue
        if formula.hard[i]:
            w.append(c)
        elif formula.weights[i] > 0:
            w.append(c, weight=int(formula.weights[i]))
    w.nv = max(w.nv, formula.n_vars)
    deadline = time.perf_counter() + time_limit
    model = None
    if stratified:
        try:
            model, rc2_cost = _rc2(RC2Stratified, w, time_limit, adapt=True, exhaust=True, minz=True)
        except TypeError:
            # PySAT's stratified RC2 fails on some formulas (no soft clauses:
            # its model extraction gets None); plain RC2 answers them
            stratified = False
    if not stratified:
        model, rc2_cost = _rc2(RC2, w, max(deadline - time.perf_counter(), 0.01))
    if model is None:
        return None, None
    # the model covers only the variables RC2 saw (possibly none): the rest are false
    model = np.asarray(model, dtype=np.int64)
    a = np.zeros(formula.n_vars, dtype=bool)
    a[model[(model > 0) & (model <= formula.n_vars)] - 1] = True
    ev = evaluate(formula, a)
    # An interrupted RC2 may return a non-optimal model; only a completed
    # run proves optimality, and then its cost equals our evaluation.
    empty_cost = exact_weight_sum(formula.weights[(formula.clause_lengths == 0) & ~formula.hard])
    if rc2_cost + empty_cost != ev.cost:
        return None, None
    return ev.cost, a


def _rc2(cls, wcnf, time_limit, **options):
    """``(model, cost)`` of an RC2 run, or ``(None, None)`` when it did not finish in time."""
    import threading

    with cls(wcnf, **options) as rc2:
        timer = threading.Timer(time_limit, rc2.interrupt)
        timer.start()
        try:
            model = rc2.compute(expect_interrupt=True)
        finally:
            timer.cancel()
        return (None, None) if model is None else (model, rc2.cost)
