"""``solve``: the front door, like ``scipy.optimize.minimize(method=...)``."""

from __future__ import annotations

import time

import numpy as np

from .backend import get_array_module
from .context import SearchContext
from .inputs import as_formula
from .methods import DEFAULT_METHOD, get_method
from .result import OPTIMUM, SATISFIABLE, UNKNOWN, UNSATISFIABLE, Result
from .methods.kernel_loading import SEARCH_START_SECONDS
from .verify import PYSAT_CHECK_MAX_LITERALS, evaluate, hard_clauses_satisfiable, optimum as exact_optimum, verify

# Share of the time limit the SAT call on the hard clauses may use.
HARD_CHECK_SHARE = 0.25
# From this many literals the first answer is a compiled loop (NumPy below: no numba start-up).
POLARITY_LOOP_MIN_LITERALS = 4_000_000


def _validate(time_limit, seed, backend):
    if time_limit is not None and not (time_limit > 0):
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    get_array_module(backend)  # raises a clear error if the backend cannot run


def solve(cnf, method: str = DEFAULT_METHOD, *, time_limit: float | None = 10.0, seed: int | None = 0,
          backend: str = "numpy", compute_optimum: bool = False, on_improve=None, stop_event=None,
          progress=None, start=None, **options) -> Result:
    """Solve a MaxSAT instance and return a verified :class:`Result`.

    Parameters
    ----------
    cnf : a path to a DIMACS CNF/WCNF file (optionally .gz/.bz2/.xz), a
        :class:`Formula`, a list of clauses, or a PySAT ``CNF``/``WCNF``.
    method : "auto" (default: the PolyStep pipeline with the SAT side beside
        it, a child process with a model of the hard clauses, core-guided lower
        bounds and a solution-improving search, on formulas up to 5M literals,
        so that optima are proven when within reach; on one core the two take
        turns; up to 200,000 literals its first phases are first tried here for
        up to 1 s, 10% of the time left), "polystep" (the pipeline alone:
        PolyStep, rounding and a WalkSAT or clause-weighting polish), "walksat", "cwls" (the
        clause-weighting local search alone), "openai-es", "cma-es",
        "random" or "exact" (PySAT's RC2 alone; complete, for small instances).
    time_limit : wall-clock seconds from this call, reading ``cnf`` included
        (None: until the method stops by itself).
    seed : with a work budget instead of a time limit (``time_limit=None`` and the
        method's ``max_flips`` / ``max_steps`` / ...; for "auto" also ``exact=False``),
        the same seed gives the same run on the CPU backend. Under a time limit the
        answer also depends on how much work fits in the time.
    backend : "numpy" or "cupy".
    compute_optimum : also compute the exact optimum with RC2 (small
        instances) and report it in ``Result.optimum`` / ``Result.gap``.
    on_improve : ``callable(assignment, cost, hard_unsat)`` on each improvement.
    stop_event : a ``threading.Event`` that ends the search early when set.
    start : an assignment (bool array) for the pipeline's local search to start
        from when the pipeline skips PolyStep (past ``POLYSTEP_MAX_LITERALS`` on
        the CPU, e.g. 10M variables), where it would start at random; the command
        line passes its first answer (majority polarity), half a random
        assignment's cost on random 3-SAT.
    options : passed to the method.
    """
    run, complete = get_method(method)
    _validate(time_limit, seed, backend)
    t0 = time.perf_counter()
    formula = as_formula(cnf)
    # a Formula given by the caller was parsed elsewhere (the CLI reports its own parse time)
    timings = {} if cnf is formula else {"parse": time.perf_counter() - t0}

    # the time limit counts from this call: reading the file is part of it
    ctx = SearchContext(formula.n_vars, time_limit=time_limit, seed=seed, backend=backend,
                        on_improve=on_improve, stop_event=stop_event, progress=progress, start=t0)
    if start is not None:
        start = np.asarray(start, dtype=bool)
        if start.shape != (formula.n_vars,):
            raise ValueError(f"start has shape {start.shape}, expected ({formula.n_vars},)")
        ctx.start_hint = start
    infeasible = False
    hard_oracle = None
    if formula.is_partial:
        with ctx.phase("hard_check"):
            from .portfolio.first_try import first_try_takes   # PySAT: loaded for the check anyway
            # with too little time for a search its model is the answer: it may take most of the time
            share = HARD_CHECK_SHARE if time_limit is None or time_limit >= 2 * SEARCH_START_SECONDS else 0.8
            budget = None if time_limit is None else max(0.05, share * time_limit)
            # on the first try's formulas, the model of its first pass (the soft literals as
            # phases), so that it need not load the hard clauses again (see first_try)
            phased = first_try_takes(formula)
            # its solver, holding the hard clauses, is kept for the answer's PySAT cross-check
            kept = [] if formula.n_literals <= PYSAT_CHECK_MAX_LITERALS else None
            feasible, a0 = hard_clauses_satisfiable(formula, budget, soft_phases=phased, keep=kept)
            hard_oracle = kept[0] if kept else None
            ctx.hard_model_phased = bool(feasible) and phased
        if feasible is False:
            infeasible = True
        elif feasible:
            ev = evaluate(formula, a0)
            ctx.initial_assignment = a0
            ctx.report(a0, ev.n_hard_unsat, ev.cost)
        if getattr(ctx, "initial_assignment", None) is None and start is not None:
            # no model in time (2M-variable MIS: the check gives up loading): a hard-feasible start
            # from the caller is the best known, so the search starts there, not from an
            # infeasible rounding (1.5M falsified hard clauses; the polish then sat at 53.4M)
            ev = evaluate(formula, start)
            if ev.n_hard_unsat == 0:
                ctx.initial_assignment = start
                ctx.report(start, 0, ev.cost)

    finished = False
    if not infeasible and formula.n_vars > 0:
        with ctx.phase("search"):
            run(formula, ctx, **options)
        finished = ctx.info.get("finished", not ctx.should_stop())
    if formula.n_vars == 0 and not infeasible:
        ctx.report(np.zeros(0, dtype=bool), *_key(evaluate(formula, np.zeros(0, dtype=bool))))

    try:
        return _finish(formula, ctx, method, complete and finished, infeasible, timings, compute_optimum,
                       hard_oracle)
    finally:
        if hard_oracle is not None:
            hard_oracle.delete()


def polarity_assignment(formula) -> np.ndarray:
    """Each variable set to the sign under which it occurs most often
    (ties: false). Deterministic, O(literals), no randomness drawn: the
    command line's answer of the first moment, before any method has one.

    Large formulas: one compiled pass over the literals into a score per
    variable (positive minus negative occurrences); the NumPy path's index
    and bincount temporaries took ~7 s at 128M literals."""
    if formula.n_literals >= POLARITY_LOOP_MIN_LITERALS:
        from .dimacs_scan import _cores, _in_threads, _kernel  # compiles once, cached on disk

        # a variable occurs at most n_literals times: int32 holds its score below 2**31 literals
        dtype = np.int32 if formula.n_literals < 2**31 else np.int64
        # one score per core, over its share of the literals, then summed
        cuts = np.linspace(0, formula.n_literals, _cores() + 1).astype(np.int64)
        scores = [np.zeros(formula.n_vars, dtype=dtype) for _ in cuts[1:]]
        kernel = _kernel(_polarity_kernel, True)
        _in_threads([lambda s=s, a=a, b=b: kernel(formula.literals[a:b], s)
                     for s, a, b in zip(scores, cuts[:-1], cuts[1:])])
        for s in scores[1:]:
            scores[0] += s
        return scores[0] > 0
    var = formula.variable_index
    occurrences = np.bincount(var, minlength=formula.n_vars)
    positive = np.bincount(var[formula.literal_is_positive], minlength=formula.n_vars)
    return 2 * positive > occurrences


def _polarity_kernel(literals, score):
    """Add each literal's sign (+1 / -1) to its variable's score."""
    for k in range(literals.size):
        lit = literals[k]
        if lit > 0:
            score[lit - 1] += 1
        else:
            score[-lit - 1] -= 1


def _key(ev):
    return ev.n_hard_unsat, ev.cost


def _finish(formula, ctx, method, proven, infeasible, timings, compute_optimum, hard_oracle=None) -> Result:
    timings.update(ctx.timings)
    common = dict(method=method, n_vars=formula.n_vars, n_clauses=formula.n_clauses, seed=ctx.seed,
                  trace=[(t, c) for t, h, c in ctx.trace if h == 0], info=ctx.info, timings=timings)
    if infeasible:
        return Result(None, None, None, None, UNSATISFIABLE, True, **common)
    a = ctx.best_assignment
    if a is None:
        return Result(None, None, None, None, UNKNOWN, False, **common)
    t = time.perf_counter()
    ok, ev = verify(formula, a, claimed_cost=ctx.best_key[1], hard_oracle=hard_oracle)
    ok = ok and ev.n_hard_unsat == ctx.best_key[0]
    timings["verify"] = time.perf_counter() - t
    lower_bound = ctx.lower_bound
    if ev.n_hard_unsat > 0:
        status = UNKNOWN
    elif ev.cost == 0 or proven or (lower_bound is not None and ev.cost <= lower_bound):
        status = OPTIMUM
    else:
        status = SATISFIABLE
    n_soft = formula.n_soft
    frac = 1.0 if n_soft == 0 else 1.0 - ev.n_unsat / n_soft
    if status == OPTIMUM and lower_bound is None:
        lower_bound = ev.cost
    res = Result(a, ev.cost, ev.n_unsat, ev.n_hard_unsat, status, ok, satisfied_fraction=frac,
                 lower_bound=lower_bound, found_by=ctx.best_source, **common)
    if compute_optimum:
        t = time.perf_counter()
        res.optimum, _ = exact_optimum(formula)
        timings["optimum"] = time.perf_counter() - t
    return res
