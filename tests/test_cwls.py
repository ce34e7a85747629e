"""The clause-weighting local search: its bookkeeping against independent
evaluation, its contract (anytime, reproducible, deadline), and its answers."""

import numpy as np
import pytest

from polystep_sat import solve
from polystep_sat.context import SearchContext
from polystep_sat.formula import Formula
from polystep_sat.generate import graph_colouring, random_ksat, random_weighted_partial, weighted_mis
from polystep_sat.methods.cwls import ClauseWeightingSearch, run_cwls
from polystep_sat.methods.cwls_kernel import _NGOOD, _NRAISE
from polystep_sat.methods.local_search import NS
from polystep_sat.verify import evaluate, optimum


def _scores_by_hand(search):
    """make - break of flipping each variable, under the search's current weights."""
    f, a, w = search.formula, search.current_assignment(), search.clause_weights()
    score = np.zeros(f.n_vars, np.int64)
    for i, clause in enumerate(f.clauses()):
        if w[i] == 0:
            continue
        true_vars = {abs(lit) - 1 for lit in set(clause) if a[abs(lit) - 1] == (lit > 0)}
        if not true_vars:
            for v in {abs(lit) - 1 for lit in clause}:
                score[v] += int(w[i])
        elif len(true_vars) == 1:
            score[true_vars.pop()] -= int(w[i])
    return score


@pytest.mark.parametrize("weighting", ["nuwls", "nuwls-c"])
@pytest.mark.parametrize("seed", range(4))
def test_bookkeeping_matches_independent_evaluation(seed, weighting):
    f = random_weighted_partial(25, 40, 50, max_weight=9, seed=seed)
    s = ClauseWeightingSearch(f, seed=seed, weighting=weighting)
    s.set_assignment(np.random.default_rng(seed).random(f.n_vars) < 0.5)
    for _ in range(6):
        s.run(max_flips=97)
        if _ % 2:
            s.new_try()
        ev = evaluate(f, s.current_assignment())
        assert s.current_key == (ev.n_hard_unsat, ev.cost)
        np.testing.assert_array_equal(s.score, _scores_by_hand(s))
        # the improving-variable stack holds exactly the variables with score > 0
        good = set(s.good[: s.st[_NGOOD]].tolist())
        assert good == set(np.flatnonzero(s.score > 0).tolist())
        # the raisable list holds exactly the falsified soft clauses below their cap
        falsified = s.fl[: s.st[NS]]
        assert set(s.rl[: s.st[_NRAISE]].tolist()) == set(falsified[s.w[falsified] < s.cap[falsified]].tolist())
        a, h, c = s.best()
        ev = evaluate(f, a)
        assert (h, c) == (ev.n_hard_unsat, ev.cost)


def test_nuwls_weights_start_at_one_and_stay_under_the_scaled_cap():
    f = random_weighted_partial(30, 60, 80, seed=3)
    s = ClauseWeightingSearch(f, seed=1, weighting="nuwls")
    s.set_assignment(np.zeros(f.n_vars, bool))
    start = s.clause_weights()
    active = start > 0
    assert np.all(start[active] == 1)   # the first try: every clause at 1 (there are hard clauses)
    s.run(max_flips=5000)
    w = s.clause_weights()
    assert (w != start).any()  # the search got stuck and moved weights
    soft = ~f.hard & active
    # the cap of a soft clause is its scaled weight plus the margin, whatever it started at;
    # a step (s_inc) starts below the cap and may end past it
    total = f.weights[soft].sum()
    scaled = np.maximum(1, np.rint(f.weights[soft] * s.settings["soft_coef"] * soft.sum() / total))
    assert np.all(w[soft] < scaled + s.settings["soft_margin"] + s.settings["s_inc"])


def test_past_many_soft_clauses_a_hard_feasible_start_begins_with_the_scaled_weights():
    # NuWLS's unit first try is there to find a hard-feasible point; a start that is one (the
    # pipeline's rounded PolyStep point) goes straight to the scaled weights. (Weighted MIS,
    # 500k variables: the unit first try sat at 13.35M for 45 s, the scaled weights 11.45M.)
    f = weighted_mis(300, seed=2)
    s = ClauseWeightingSearch(f, seed=1, weighting="nuwls")
    s.set_assignment(np.zeros(f.n_vars, bool))
    assert np.all(s.w == 1)                             # a small formula: the unit first try
    s.scaled_when_feasible = True                       # (as past NUWLS_C_MAX_SOFT soft clauses)
    s.set_assignment(np.zeros(f.n_vars, bool))          # nothing selected: every edge satisfied
    np.testing.assert_array_equal(s.w[~s.hard], s.start_weights[~s.hard])
    assert np.all(s.w[s.hard] == s.settings["soft_coef"] // 3)   # hard ones near the soft ones' mean
    np.testing.assert_array_equal(s.score, _scores_by_hand(s))
    s.set_assignment(np.ones(f.n_vars, bool))           # everything selected: infeasible
    assert np.all(s.w == 1)


def test_a_stalled_try_restarts_greedily_with_the_scaled_weights():
    f = random_weighted_partial(30, 60, 80, seed=4)
    s = ClauseWeightingSearch(f, seed=2, stall_flips=300, weighting="nuwls")
    s.set_assignment(np.zeros(f.n_vars, bool))
    s.run(max_flips=3000)
    assert s.tries >= 1 and s.best_key[0] == 0
    # a new try now begins from the scaled soft weights (each above 1 on this instance)
    s.new_try()
    w = s.clause_weights()
    soft = ~f.hard & (w > 0)
    np.testing.assert_array_equal(w[soft], s.start_weights[~s.hard])
    ev = evaluate(f, s.current_assignment())
    assert s.current_key == (ev.n_hard_unsat, ev.cost)
    np.testing.assert_array_equal(s.score, _scores_by_hand(s))


@pytest.mark.parametrize("unit", [False, True])
def test_nuwls_c_weights_move_the_soft_clauses_together(unit):
    # NuWLS-c: hard clauses start at 1 (here 1000) and gain 5 (5000) when falsified at a stuck
    # point (1 when unweighted); at a stuck hard-feasible point every soft clause gains its weight
    # scaled to a mean of 1 (1000): the soft weights stay k times their scaled weights, one k for all
    f = random_weighted_partial(30, 60, 80, max_weight=1 if unit else 9, seed=5)
    s = ClauseWeightingSearch(f, seed=4, stall_flips=10**9, weighting="nuwls-c")
    assert ClauseWeightingSearch(f).weighting == ("nuwls" if unit else "nuwls-c")   # the defaults
    s.set_assignment(np.zeros(f.n_vars, bool))
    s.run(max_flips=20_000)
    w = s.clause_weights()
    hard, soft = f.hard & (w > 0), ~f.hard & (w > 0)
    step = 1000 if unit else 5000
    assert np.all((w[hard] - 1000) % step == 0) and (w[hard] > 1000).any()
    scaled = f.weights[soft] * (soft.sum() / f.weights[soft].sum()) * 1000
    k = w[soft] / np.maximum(1, np.rint(scaled))
    first = 1 if unit else 0           # unweighted soft clauses start at 1 (1000), weighted at 0
    assert np.allclose(k, k[0]) and k[0] > first


def test_unknown_weighting_is_refused():
    with pytest.raises(ValueError, match="unknown weighting"):
        ClauseWeightingSearch(random_weighted_partial(10, 10, 10, seed=0), weighting="bogus")
    with pytest.raises(ValueError, match="needs hard clauses"):
        ClauseWeightingSearch(random_ksat(10, 4.0, seed=0), weighting="nuwls-c")


def test_greedy_start_obeys_the_hard_unit_clauses_it_propagates():
    # x1, x1 -> x2, x2 -> x3 (hard); soft clauses that pull the other way
    f = Formula.from_clauses([[1], [-1, 2], [-2, 3], [-1], [-2], [-3], [4, 5]],
                             weights=[0, 0, 0, 5, 5, 5, 1], hard=[True, True, True, False, False, False, False])
    s = ClauseWeightingSearch(f, seed=3)
    for _ in range(5):
        a = s.greedy_assignment()
        assert a[:3].all()
        assert evaluate(f, a).n_hard_unsat == 0


@pytest.mark.parametrize("seed", range(6))
def test_reaches_the_rc2_optimum_on_small_weighted_partial_instances(seed):
    f = random_weighted_partial(30, 40, 60, seed=seed)
    opt, _ = optimum(f, time_limit=20)
    r = solve(f, method="cwls", time_limit=None, max_flips=20_000, seed=seed)
    assert r.verified and r.n_hard_unsat == 0
    assert r.cost == opt


def test_weighted_mis_matches_rc2():
    f = weighted_mis(150, seed=2)
    opt, _ = optimum(f, time_limit=20)
    r = solve(f, method="cwls", time_limit=None, max_flips=200_000, seed=0)
    assert r.verified and r.cost == opt


def test_unweighted_maxsat_and_unit_weight_partial():
    f = random_ksat(60, 6.0, seed=4)
    r = solve(f, method="cwls", time_limit=None, max_flips=50_000, seed=0)
    assert r.verified and r.info["settings"] == "unweighted"
    assert r.cost == evaluate(f, r.assignment).cost
    g = graph_colouring(20, 3, 3.0, seed=1)
    r = solve(g, method="cwls", time_limit=None, max_flips=50_000, seed=0)
    assert r.verified and r.n_hard_unsat == 0 and r.info["settings"] == "unweighted+hard"


@pytest.mark.parametrize("big", [2**62, 2**63 - 1])
def test_huge_weights_are_exact(big):
    clauses = [[1, 2], [-1], [-2], [1, -2, 3], [-3], [2, 3], []]
    weights = np.array([big, big, 5, big - 1, 1, 3, 7], dtype=np.int64)
    hard = np.array([False, False, False, True, False, False, False])
    f = Formula.from_clauses(clauses, 3, weights, hard, weighted=True)
    r = solve(f, method="cwls", time_limit=None, max_flips=2000, seed=0)
    assert r.verified
    opt, _ = optimum(f, time_limit=10)
    assert r.cost == opt == evaluate(f, r.assignment).cost


def test_empty_tautological_and_duplicate_clauses():
    clauses = [[1, -1], [2, 2, -3], [], [3], [-2, 3, 3]]
    f = Formula.from_clauses(clauses, 3, np.array([4, 2, 9, 1, 5]), weighted=True)
    r = solve(f, method="cwls", time_limit=None, max_flips=1000, seed=0)
    assert r.verified and r.cost == 9  # only the empty clause stays falsified


def test_reproducible_whatever_the_chunking():
    f = random_weighted_partial(200, 300, 400, seed=7)

    def run(chunks):
        s = ClauseWeightingSearch(f, seed=11)
        s.set_assignment(np.zeros(f.n_vars, bool))
        for n in chunks:
            s.run(max_flips=n)
        return s.best_assignment(), s.best_key

    a1, k1 = run([30_000])
    a2, k2 = run([7_000, 11_000, 12_000])
    np.testing.assert_array_equal(a1, a2)
    assert k1 == k2
    # another seed, another walk (the best points may agree: both can reach the optimum)
    walks = []
    for seed in (11, 12):
        s = ClauseWeightingSearch(f, seed=seed)
        s.set_assignment(np.zeros(f.n_vars, bool))
        s.run(max_flips=500)
        walks.append(s.current_assignment())
    assert not np.array_equal(*walks)


def test_respects_the_deadline_and_reports_anytime():
    f = weighted_mis(3000, seed=1)
    ctx = SearchContext(f.n_vars, time_limit=0.5, seed=0)
    run_cwls(f, ctx)
    assert ctx.elapsed() < 0.5 + 0.3
    assert ctx.best_assignment is not None and len(ctx.trace) >= 1
    ev = evaluate(f, ctx.best_assignment)
    assert ctx.best_key == (ev.n_hard_unsat, ev.cost)


def test_restart_keeps_weights_and_the_best():
    f = random_weighted_partial(40, 60, 80, seed=9)
    s = ClauseWeightingSearch(f, seed=2)
    s.set_assignment(np.zeros(f.n_vars, bool))
    s.run(max_flips=3000)
    w, key = s.clause_weights(), s.best_key
    s.restart(np.ones(f.n_vars, bool))
    np.testing.assert_array_equal(s.clause_weights(), w)
    assert s.best_key <= key
    ev = evaluate(f, s.current_assignment())
    assert s.current_key == (ev.n_hard_unsat, ev.cost)


def test_smoothing_without_hard_clauses_follows_the_number_of_clauses():
    """Weighted formulas without hard clauses smooth with probability 3 / clauses, within
    [1e-3, 1e-2] (a few hundred clauses want more smoothing than NuWLS's 1e-3); formulas with
    hard clauses keep NuWLS's, and a given value wins."""
    from polystep_sat.generate import random_weighted_maxsat

    smoothing = lambda f, **p: ClauseWeightingSearch(f, seed=1, **p).settings["soft_smooth"]  # noqa: E731
    assert smoothing(random_weighted_maxsat(40, ratio=5.0, seed=1)) == 1e-2            # 200 clauses
    assert smoothing(random_weighted_maxsat(200, ratio=5.0, seed=1)) == pytest.approx(3 / 1000)
    assert smoothing(random_weighted_maxsat(2000, ratio=5.0, seed=1)) == 1e-3          # 10,000 clauses
    assert smoothing(random_weighted_maxsat(200, ratio=5.0, seed=1), soft_smooth=0.005) == 0.005
    assert smoothing(random_weighted_partial(40, 50, 80, seed=1)) == 9.9e-7


def test_unknown_parameter_is_refused():
    with pytest.raises(ValueError, match="unknown cwls parameters"):
        ClauseWeightingSearch(random_ksat(10, 4.0, seed=0), bogus=1)


def test_a_greedy_start_replaces_a_worse_given_one():
    # past 2M variables with PolyStep skipped, the polish may start from a greedy assignment
    # (MIS 5M: 124.9M against the majority polarity's 247.9M); a better given start stays
    f = weighted_mis(300, seed=2)
    nothing = np.zeros(f.n_vars, bool)              # feasible, every soft weight lost
    ctx = SearchContext(f.n_vars, time_limit=5.0, seed=0)
    run_cwls(f, ctx, init=nothing, greedy_start=True, max_flips=1)
    assert ctx.info["greedy_start"] is True
    assert ctx.best_key[0] == 0 and ctx.best_key[1] < evaluate(f, nothing).cost
    best = ctx.best_assignment.copy()
    ctx = SearchContext(f.n_vars, time_limit=5.0, seed=0)
    run_cwls(f, ctx, init=best, greedy_start=True, max_flips=1)
    assert ctx.best_key <= (0, evaluate(f, best).cost)     # never a worse start than the given one
