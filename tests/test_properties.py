"""Property tests: every method's answer on random (weighted, partial, odd)
formulas verifies, and its cost matches a plain Python evaluation that shares
nothing with the package."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polystep_sat import Formula, solve
from polystep_sat.result import OPTIMUM, SATISFIABLE, UNKNOWN, UNSATISFIABLE

BUDGETS = {  # work budgets: the runs are short and reproducible
    "polystep": dict(max_steps=10),
    "walksat": dict(max_flips=500),
    "cwls": dict(max_flips=500),
    "auto": dict(max_steps=10),  # the exact side races the search: its optimum must check out too
    "openai-es": dict(max_generations=3),
    "cma-es": dict(max_generations=3),
    "random": dict(max_samples=5),
}


def plain_cost(clauses, weights, hard, a):
    """(falsified hard clauses, weight of falsified soft clauses), in plain Python."""
    hard_bad = cost = 0
    for c, w, h in zip(clauses, weights, hard):
        if not any((lit > 0) == bool(a[abs(lit) - 1]) for lit in c):
            if h:
                hard_bad += 1
            else:
                cost += int(w)
    return hard_bad, cost


def brute_force(clauses, weights, hard, n):
    """(hard-feasible?, optimum cost) over all 2**n assignments, in NumPy."""
    A = (np.arange(2**n)[:, None] >> np.arange(n)) & 1 == 1  # row r: assignment r
    hard_ok = np.ones(2**n, dtype=bool)
    cost = np.zeros(2**n, dtype=object)
    for c, w, h in zip(clauses, weights, hard):
        sat = np.zeros(2**n, dtype=bool)
        for lit in c:
            sat |= A[:, abs(lit) - 1] == (lit > 0)
        if h:
            hard_ok &= sat
        else:
            cost = cost + np.where(sat, 0, int(w)).astype(object)
    if not hard_ok.any():
        return False, None
    return True, min(cost[hard_ok])


@st.composite
def formulas(draw):
    n = draw(st.integers(1, 12))
    lit = st.integers(1, n).flatmap(lambda v: st.sampled_from([v, -v]))
    clauses = draw(st.lists(st.lists(lit, min_size=0, max_size=4), min_size=0, max_size=30))
    big = draw(st.booleans())
    weight = st.integers(0, 2**63 - 1) if big else st.integers(0, 9)
    weights = [draw(weight) for _ in clauses]
    hard = [draw(st.booleans()) and draw(st.booleans()) for _ in clauses]  # ~1 in 4
    return clauses, weights, hard, n


@pytest.mark.parametrize("method", sorted(BUDGETS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=formulas(), seed=st.integers(0, 2**32 - 1))
def test_answer_verifies_and_costs_what_plain_python_says(method, data, seed):
    clauses, weights, hard, n = data
    f = Formula.from_clauses(clauses, n_vars=n, weights=weights, hard=hard, weighted=True)
    r = solve(f, method=method, time_limit=None, seed=seed, **BUDGETS[method])
    feasible, best = brute_force(clauses, weights, hard, n)
    assert (r.status == UNSATISFIABLE) == (not feasible)  # the SAT check is complete without a limit
    if r.status == UNSATISFIABLE:
        assert r.assignment is None and not feasible
        return
    assert r.status in (OPTIMUM, SATISFIABLE, UNKNOWN)
    assert r.verified
    hard_bad, cost = plain_cost(clauses, weights, hard, r.assignment)
    assert (r.n_hard_unsat, r.cost) == (hard_bad, cost)
    if r.status != UNKNOWN:
        assert feasible and hard_bad == 0  # a hard clause is never left violated in an answer
        assert cost >= best
    if r.status == OPTIMUM:
        assert cost == best  # never claimed without proof
