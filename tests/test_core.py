"""Formula, independent evaluation, verification and the solve() front door."""

import networkx as nx
import numpy as np
import pytest
from pysat.formula import CNF, WCNF

from polystep_sat import Formula, solve
from polystep_sat.formula import exact_weight_sum
from polystep_sat.inputs import as_formula
from polystep_sat.generate import maxcut_formula, random_ksat, random_weighted_partial
from polystep_sat.result import OPTIMUM, SATISFIABLE, UNKNOWN, UNSATISFIABLE
from polystep_sat.verify import evaluate, hard_clauses_satisfiable, optimum, verify


def brute_cost(clauses, weights, hard, a):
    """The plainest possible evaluation, for cross-checking."""
    cost = hard_bad = 0
    for c, w, h in zip(clauses, weights, hard):
        sat = any((lit > 0) == bool(a[abs(lit) - 1]) for lit in c)
        if not sat:
            if h:
                hard_bad += 1
            else:
                cost += int(w)
    return hard_bad, cost


def test_formula_csr_and_views():
    f = Formula.from_clauses([[1, -2], [2, 3, -1], [], [-3]], n_vars=4)
    assert f.n_vars == 4 and f.n_clauses == 4 and f.n_literals == 6
    assert f.clause(1).tolist() == [2, 3, -1]
    assert f.clause(2).tolist() == []
    A = f.matrix
    assert A.shape == (4, 4)
    assert A.toarray().tolist() == [[1, -1, 0, 0], [-1, 1, 1, 0], [0, 0, 0, 0], [0, 0, -1, 0]]
    # true literals per clause = A @ x + negatives
    x = np.array([1, 0, 1, 0])
    true_count = A @ x + f.negatives_per_clause
    assert true_count.tolist() == [2, 1, 0, 0]
    vc = f.var_clauses
    col = vc.indices[vc.indptr[0]:vc.indptr[1]].tolist()
    assert sorted(col) == [0, 1]
    assert f.literals.dtype == np.int32


def test_formula_rejects_bad_input():
    with pytest.raises(ValueError):
        Formula.from_clauses([[1, 5]], n_vars=3)
    with pytest.raises(ValueError):
        Formula(2, [0, 2], [1, 0])
    with pytest.raises(ValueError):
        Formula(2, [0, 1], [1], weights=[-1])


def test_as_formula_accepts_pysat_objects():
    cnf = CNF(from_clauses=[[1, 2], [-1]])
    f = as_formula(cnf)
    assert f.n_clauses == 2 and not f.is_partial
    w = WCNF()
    w.append([1, 2])
    w.append([-1], weight=5)
    w.append([-2], weight=3)
    g = as_formula(w)
    assert g.hard.tolist() == [True, False, False]
    assert g.weights.tolist() == [0, 5, 3]
    assert as_formula([[1], [-1]]).n_vars == 1
    with pytest.raises(TypeError):
        as_formula(3.5)


def test_exact_weight_sum_beyond_int64():
    w = np.full(5, 2**63 - 1, dtype=np.int64)
    assert exact_weight_sum(w) == 5 * (2**63 - 1)


@pytest.mark.parametrize("seed", range(5))
def test_evaluate_matches_brute_force(seed):
    f = random_weighted_partial(12, 20, 15, seed=seed)
    clauses = list(f.clauses())
    rng = np.random.default_rng(seed)
    for _ in range(10):
        a = rng.random(f.n_vars) < 0.5
        ev = evaluate(f, a)
        assert (ev.n_hard_unsat, ev.cost) == brute_cost(clauses, f.weights, f.hard, a)
        ok, _ = verify(f, a, claimed_cost=ev.cost, pysat=True)
        assert ok
        ok, _ = verify(f, a, claimed_cost=ev.cost + 1)
        assert not ok


def test_evaluate_accepts_pysat_model_and_checks_shape():
    f = Formula.from_clauses([[1, 2], [-1, -2]])
    assert evaluate(f, [1, -2]).cost == 0
    assert evaluate(f, [-1, -2]).cost == 1
    with pytest.raises(ValueError):
        evaluate(f, np.zeros(3, dtype=bool))


def test_hard_clause_check():
    f = Formula.from_clauses([[1], [-1], [2]], hard=[True, True, False], weights=[0, 0, 1])
    feasible, a = hard_clauses_satisfiable(f, time_limit=5)
    assert feasible is False and a is None
    g = Formula.from_clauses([[1, 2], [-1], [2]], hard=[True, True, False], weights=[0, 0, 1])
    feasible, a = hard_clauses_satisfiable(g, time_limit=5)
    assert feasible and evaluate(g, a).n_hard_unsat == 0


def test_the_cross_check_confirms_the_hard_clauses_with_the_hard_check_s_solver():
    # the kept solver holds the hard clauses: one call under the model replaces loading them again,
    # and it still catches a hard clause the NumPy evaluation would wrongly call satisfied
    import polystep_sat.verify as verify_module

    f = random_weighted_partial(30, 60, 40, seed=4)
    kept = []
    feasible, a = hard_clauses_satisfiable(f, time_limit=5, keep=kept)
    assert feasible and len(kept) == 1
    oracle = kept[0]
    try:
        ev = evaluate(f, a)
        assert verify(f, a, claimed_cost=ev.cost, pysat=True, hard_oracle=oracle)[0]
        rng = np.random.default_rng(0)
        for _ in range(20):
            b = rng.random(f.n_vars) < 0.5
            evb = evaluate(f, b)
            if evb.n_hard_unsat == 0:
                continue
            wrong = evb.satisfied.copy()
            wrong[f.hard] = True      # as if the evaluation had missed the falsified hard clauses
            assert not verify_module._pysat_crosscheck(f, b, wrong, oracle)
            assert not verify_module._pysat_crosscheck(f, b, wrong)
            # the right evaluation checks out either way
            assert verify_module._pysat_crosscheck(f, b, evb.satisfied, oracle)
    finally:
        oracle.delete()
    assert hard_clauses_satisfiable(Formula.from_clauses([[1], [-1]], hard=[True, True], weights=[0, 0]),
                                    time_limit=5, keep=kept)[0] is False and len(kept) == 1   # none kept


def test_the_hard_check_with_soft_phases_keeps_the_soft_literals_it_can():
    # weighted MIS: hard "not both ends", soft "take the vertex"; CaDiCaL's own phases
    # (false) select nothing, the soft literals as phases a maximal independent set
    from polystep_sat.generate import weighted_mis
    from polystep_sat.verify import soft_unit_literals

    f = weighted_mis(300, seed=1)
    assert sorted(soft_unit_literals(f).tolist()) == list(range(1, 301))
    plain, phased = (hard_clauses_satisfiable(f, time_limit=5, soft_phases=p)[1] for p in (False, True))
    assert evaluate(f, plain).n_hard_unsat == 0 == evaluate(f, phased).n_hard_unsat
    assert evaluate(f, plain).n_unsat == 300 and evaluate(f, phased).cost < 0.7 * evaluate(f, plain).cost


def test_optimum_matches_brute_force_on_tiny_instance():
    f = random_ksat(10, 6, seed=3)
    clauses = list(f.clauses())
    best = min(brute_cost(clauses, f.weights, f.hard, [(m >> i) & 1 for i in range(10)])[1] for m in range(1024))
    cost, a = optimum(f, time_limit=30)
    assert cost == best == evaluate(f, a).cost


def test_maxcut_encoding_cost_is_uncut_edges():
    g = nx.petersen_graph()
    f = maxcut_formula(g)
    cost, a = optimum(f, time_limit=30)
    side = {u: a[i] for i, u in enumerate(sorted(g.nodes))}
    cut = sum(side[u] != side[v] for u, v in g.edges)
    assert cost == g.number_of_edges() - cut
    assert cut == 12  # the Petersen graph's maximum cut


def test_solve_random_method_is_verified_and_reproducible():
    f = random_ksat(50, 4.26, seed=1)
    r1 = solve(f, method="random", time_limit=0.2, seed=7)
    r2 = solve(f, method="random", time_limit=0.2, seed=7)
    assert r1.verified and r1.status in (SATISFIABLE, OPTIMUM)
    assert r1.cost == evaluate(f, r1.assignment).cost
    assert 0 < r1.satisfied_fraction <= 1
    assert r1.model[:3] == [(i + 1) if r1.assignment[i] else -(i + 1) for i in range(3)]
    # The first samples of one seed are the same; the best after more samples can only be better.
    assert r1.trace[0][1] == r2.trace[0][1]


def test_solve_conventions():
    empty = solve([], method="random", time_limit=0.2)
    assert empty.status == OPTIMUM and empty.cost == 0 and empty.assignment.size == 0
    # An empty soft clause is falsified by every assignment.
    r = solve(Formula.from_clauses([[], [1]]), method="exact", time_limit=5)
    assert r.cost == 1 and r.status == OPTIMUM
    # An empty hard clause makes the instance unsatisfiable.
    f = Formula.from_clauses([[], [1]], hard=[True, False], weights=[0, 1])
    assert solve(f, method="random", time_limit=0.2).status == UNSATISFIABLE
    # Weight 0 is accepted and costs nothing.
    g = Formula.from_clauses([[1], [-1]], weights=[0, 4], weighted=True)
    r = solve(g, method="exact", time_limit=5)
    assert r.cost == 0 and r.status == OPTIMUM


def test_solve_partial_never_returns_violated_hard_clauses():
    f = random_weighted_partial(30, 60, 40, seed=2)
    r = solve(f, method="random", time_limit=0.3, seed=1)
    assert r.status in (SATISFIABLE, OPTIMUM, UNKNOWN)
    if r.status != UNKNOWN:
        assert evaluate(f, r.assignment).n_hard_unsat == 0 and r.verified


def test_solve_validates_options():
    f = random_ksat(20, 4, seed=0)
    with pytest.raises(ValueError, match="unknown method"):
        solve(f, method="nope")
    with pytest.raises(ValueError, match="time_limit"):
        solve(f, method="random", time_limit=-1)
    with pytest.raises(ValueError, match="backend"):
        solve(f, method="random", backend="tpu")


def test_cupy_backend_fails_clearly_without_gpu():
    from polystep_sat.backend import BackendUnavailable, cupy_available

    if cupy_available():
        pytest.skip("a GPU is present")
    with pytest.raises(BackendUnavailable, match="cupy"):
        solve(random_ksat(20, 4, seed=0), method="random", backend="cupy")


def test_solve_function_is_not_shadowed_by_its_module():
    # importing the module first must not turn `polystep_sat.solve` into a module
    import subprocess
    import sys

    code = "import polystep_sat.solver\nfrom polystep_sat import solve\nprint(callable(solve))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_polarity_assignment_follows_the_majority_sign():
    from polystep_sat.solver import polarity_assignment

    f = Formula.from_clauses([[1, 2], [1, -3], [-2, 3], [1], [-1], [-4, 2]], n_vars=5)
    # x1: +3 -1; x2: +2 -1; x3: +1 -1 (tie: false); x4: -1; x5 unused (false)
    assert polarity_assignment(f).tolist() == [True, True, False, False, False]


def test_polarity_assignment_compiled_loop_agrees_with_numpy(monkeypatch):
    # large formulas take a compiled pass instead of NumPy's index and bincounts
    import polystep_sat.dimacs_scan as dimacs_scan
    import polystep_sat.solver as solver

    monkeypatch.setattr(dimacs_scan, "_cores", lambda: 3)  # three shares of the literals, summed
    odd = Formula.from_clauses([[1, 1, -1], [], [13, -13, 9], [9], [-9], [-2, 5, 5]], n_vars=17)
    for f in [odd] + [random_ksat(203, 4.26, seed=s) for s in range(3)]:
        monkeypatch.setattr(solver, "POLARITY_LOOP_MIN_LITERALS", 10**12)
        slow = solver.polarity_assignment(f)
        monkeypatch.setattr(solver, "POLARITY_LOOP_MIN_LITERALS", 0)
        fast = solver.polarity_assignment(f)
        assert fast.dtype == bool and np.array_equal(slow, fast)


BUDGETS = {  # work budgets instead of time limits, so runs are comparable bit for bit
    "polystep": dict(max_steps=20),
    "walksat": dict(max_flips=3_000),
    "cwls": dict(max_flips=3_000),
    "auto": dict(max_steps=20, exact=False),  # with the exact side on, who finishes first is timing
    "openai-es": dict(max_generations=4),
    "cma-es": dict(max_generations=4),
    "random": dict(max_samples=20),
}


@pytest.mark.parametrize("method", sorted(BUDGETS))
def test_every_method_is_reproducible_for_a_seed_and_varies_across_seeds(method):
    f = random_ksat(300, 4.26, seed=11)
    runs = [solve(f, method=method, time_limit=None, seed=s, **BUDGETS[method]) for s in (7, 7, 8)]
    for r in runs:
        assert r.verified and r.cost == evaluate(f, r.assignment).cost
    assert np.array_equal(runs[0].assignment, runs[1].assignment) and runs[0].cost == runs[1].cost
    assert not np.array_equal(runs[0].assignment, runs[2].assignment)


def test_optimum_when_rc2_sees_no_clause_or_not_every_variable():
    # only an empty soft clause and zero-weight clauses: RC2 gets nothing and returns []
    f = Formula.from_clauses([[], [2, -3]], n_vars=31, weights=[5, 0], weighted=True)
    cost, a = optimum(f)
    assert cost == 5 and a.shape == (31,)
    f = Formula.from_clauses([[-4], [4, 2]], n_vars=9)
    cost, a = optimum(f)
    assert cost == 0 and a.shape == (9,) and not a[3] and a[1]


def test_optimum_of_only_hard_clauses():
    # PySAT's stratified RC2 raises on a formula without soft clauses; optimum() falls back to plain RC2
    f = Formula.from_clauses([[-2, 1], [2, 2, -2], [-2, -1, 2, -1]], n_vars=2, weights=[0, 0, 0],
                             hard=[True, True, True], weighted=True)
    for stratified in (False, True):
        cost, a = optimum(f, stratified=stratified)
        assert cost == 0 and evaluate(f, a).n_hard_unsat == 0


def test_large_formula_evaluation_loop_agrees_with_numpy(monkeypatch):
    # above LOOP_MIN_LITERALS the evaluation is a compiled loop of its own: same answers
    import importlib

    from polystep_sat.generate import random_weighted_partial

    import polystep_sat.dimacs_scan as dimacs_scan

    verify = importlib.import_module("polystep_sat.verify")  # the module (the package exports a function so named)
    monkeypatch.setattr(dimacs_scan, "_cores", lambda: 3)  # the clauses in three ranges, one thread each
    # odd shapes too: empty clauses, tautologies, repeats, unused variables, n_vars not a multiple of 8
    odd = Formula.from_clauses([[1, 1, -1], [], [13, -13, 9], [9], [-9], [-2, 5, 5], [17]], n_vars=17,
                               hard=[False, True, False, False, True, False, False])
    for seed in range(4):
        f = random_weighted_partial(300 + seed, 500, 800, seed=seed) if seed < 3 else odd
        rng = np.random.default_rng(seed)
        a = rng.random(f.n_vars) < 0.5
        monkeypatch.setattr(verify, "LOOP_MIN_LITERALS", 10**12)
        slow = verify.evaluate(f, a)
        monkeypatch.setattr(verify, "LOOP_MIN_LITERALS", 0)
        fast = verify.evaluate(f, a)
        assert np.array_equal(slow.satisfied, fast.satisfied)
        assert np.array_equal(verify.evaluate(f, a, threads=1).satisfied, fast.satisfied)
        assert (slow.cost, slow.n_unsat, slow.n_hard_unsat) == (fast.cost, fast.n_unsat, fast.n_hard_unsat)


def test_small_pages_turns_numpys_huge_page_advice_off_and_back():
    from polystep_sat.backend import small_pages

    toggle = pytest.importorskip("numpy._core.multiarray")._set_madvise_hugepage
    before = toggle(True)
    try:
        with pytest.raises(KeyError):
            with small_pages():
                inside = toggle(False)  # reads the setting (and leaves it as it was)
                a = np.ones(1 << 21)
                raise KeyError
        assert inside is False and a.sum() == 1 << 21
        assert toggle(True) is True  # restored, even though the block raised
    finally:
        toggle(before)
