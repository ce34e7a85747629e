"""WalkSAT: bookkeeping against verify.evaluate, quality against PySAT/RC2, reproducibility."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from polystep_sat import solve
from polystep_sat.context import SearchContext
from polystep_sat.formula import Formula
from polystep_sat.generate import random_ksat, random_weighted_partial
from polystep_sat.verify import evaluate, hard_clauses_satisfiable, optimum
from polystep_sat.methods.walksat import WalkSAT, run_walksat, walksat_polish


def key_of(f, a):
    ev = evaluate(f, a)
    return ev.n_hard_unsat, ev.cost


def check_consistent(f, ws):
    """The kernel's current and best keys match an independent evaluation."""
    assert ws.current_key == key_of(f, ws.a.astype(bool))
    a, h, c = ws.best()
    assert (h, c) == key_of(f, a)
    if ws.s.exact:
        assert ws.best_key == (h, c)
    return a, h, c


def odd_formula(seed=0, n=12, m=60, weighted=True, with_hard=True):
    """Clauses of length 0..6 with repeated literals, tautologies and empty clauses."""
    rng = np.random.default_rng(seed)
    clauses = []
    for _ in range(m):
        k = int(rng.integers(0, 7))
        c = [int(v) * (1 if rng.random() < 0.5 else -1) for v in rng.integers(1, n + 1, size=k)]
        if c and rng.random() < 0.2:
            c.append(c[0])            # a repeated literal
        if c and rng.random() < 0.1:
            c.append(-c[-1])          # a tautology
        clauses.append(c)
    weights = rng.integers(0, 20, size=m) if weighted else None
    hard = (rng.random(m) < 0.2) if with_hard else None
    return Formula.from_clauses(clauses, n, weights, hard, weighted=weighted)


@pytest.mark.parametrize("make", [
    lambda: random_ksat(200, 4.26, seed=3),
    lambda: random_ksat(60, 6.0, seed=4),
    lambda: random_weighted_partial(50, 150, 120, seed=5),
    lambda: odd_formula(1),
    lambda: odd_formula(2, weighted=False, with_hard=False),
    lambda: odd_formula(3, weighted=True, with_hard=False),
])
def test_bookkeeping_matches_evaluate(make):
    f = make()
    ws = WalkSAT(f, noise=0.4, seed=7)
    rng = np.random.default_rng(0)
    ws.set_assignment(rng.random(f.n_vars) < 0.5)
    check_consistent(f, ws)
    for flips in [1, 7, 100, 1000, 20_000]:
        ws.run(max_flips=flips)
        check_consistent(f, ws)
    ws.restart()
    check_consistent(f, ws)
    ws.run(max_flips=5000)
    check_consistent(f, ws)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), weighted=st.booleans(), with_hard=st.booleans(),
       flips=st.integers(0, 3000), noise=st.floats(0.0, 1.0))
def test_random_odd_formulas(seed, weighted, with_hard, flips, noise):
    f = odd_formula(seed, n=8, m=40, weighted=weighted, with_hard=with_hard)
    ws = WalkSAT(f, noise=noise, seed=seed)
    start = np.random.default_rng(seed).random(f.n_vars) < 0.5
    ws.set_assignment(start)
    ws.run(max_flips=flips)
    a, h, c = check_consistent(f, ws)
    assert (h, c) <= key_of(f, start)     # the best is never worse than the start


def test_best_survives_long_plateaus_and_restarts():
    # over-constrained and tiny: the log of flips (>= 65536 entries) overflows
    # many times between improvements, so the full-copy path is exercised too
    f = random_ksat(30, 8.0, seed=11)
    ws = WalkSAT(f, noise=0.6, seed=1)
    ws.set_assignment(np.zeros(f.n_vars, bool))
    ws.run(max_flips=400_000)
    check_consistent(f, ws)
    for _ in range(3):
        ws.restart()
        ws.run(max_flips=70_000)
        check_consistent(f, ws)


def test_huge_weights_are_exact():
    rng = np.random.default_rng(0)
    f0 = random_ksat(40, 5.0, seed=2)
    w = rng.integers(2**60, 2**63 - 1, size=f0.n_clauses, dtype=np.int64)
    f = Formula(f0.n_vars, f0.indptr, f0.literals, w, weighted=True)
    ws = WalkSAT(f, seed=3)
    assert not ws.s.exact
    start = rng.random(f.n_vars) < 0.5
    assert key_of(f, start)[1] > 2**63          # costs beyond int64
    ws.set_assignment(start)
    ws.run(max_flips=5000)
    a, h, c = ws.best()
    assert (h, c) == key_of(f, a) and c < key_of(f, start)[1]
    res = solve(f, method="walksat", time_limit=1, seed=0, max_flips=5000)
    assert res.verified


def satisfiable_3sat(n, ratio, seed):
    from pysat.solvers import Solver

    f = random_ksat(n, ratio, seed=seed)
    with Solver(name="minisat22", bootstrap_with=list(f.clauses())) as s:
        return f if s.solve() else None


def test_finds_models_of_satisfiable_instances():
    found = 0
    for seed in range(12):
        f = satisfiable_3sat(100, 4.0, seed)
        if f is None:
            continue
        ctx = SearchContext(f.n_vars, time_limit=10, seed=seed)
        run_walksat(f, ctx, noise=0.5, max_flips=2_000_000)
        assert ctx.best_key == key_of(f, ctx.best_assignment)
        assert ctx.best_key == (0, 0)
        found += 1
        if found == 4:
            break
    assert found == 4


def test_reaches_rc2_optimum_on_small_overconstrained():
    hits = 0
    for seed in range(5):
        f = random_ksat(40, 6.0, seed=100 + seed)
        opt, _ = optimum(f, time_limit=30)
        assert opt is not None
        ctx = SearchContext(f.n_vars, time_limit=5, seed=seed)
        run_walksat(f, ctx, noise=0.3, max_flips=300_000)
        assert ctx.best_key == key_of(f, ctx.best_assignment)
        assert ctx.best_key[1] >= opt
        hits += ctx.best_key[1] == opt
    assert hits >= 4


def test_partial_maxsat_keeps_hard_clauses():
    for seed in range(4):
        f = random_weighted_partial(60, 200, 150, seed=seed)
        feasible, _ = hard_clauses_satisfiable(f)
        assert feasible
        # from a random start, it must reach a hard-feasible point by itself
        ctx = SearchContext(f.n_vars, time_limit=10, seed=seed)
        run_walksat(f, ctx, max_flips=200_000)
        assert ctx.best_key == key_of(f, ctx.best_assignment)
        assert ctx.best_key[0] == 0
        # through solve (which starts from a hard-feasible assignment)
        res = solve(f, method="walksat", time_limit=0.5, seed=seed)
        assert res.verified and res.n_hard_unsat == 0
        assert res.cost <= ctx.best_key[1] + 20


def test_weighted_beats_random_and_matches_rc2_small():
    f = random_weighted_partial(30, 60, 80, seed=9)
    opt, _ = optimum(f, time_limit=30)
    res = solve(f, method="walksat", time_limit=2, seed=1, max_flips=300_000)
    assert res.verified and res.n_hard_unsat == 0
    assert res.cost == opt


def test_empty_clauses_count_as_constants():
    f = Formula.from_clauses([[], [1, 2], [-1], [], [1, -1]], 2, weights=[5, 1, 1, 2, 9],
                             hard=[False, False, False, True, False], weighted=True)
    ctx = SearchContext(f.n_vars, time_limit=5, seed=0)
    run_walksat(f, ctx, max_flips=1000)
    assert ctx.best_key == (1, 5)       # the hard empty clause and the soft one of weight 5
    assert key_of(f, ctx.best_assignment) == (1, 5)
    assert ctx.info["solved"]


def test_reproducible_for_a_seed():
    f = random_ksat(500, 4.26, seed=1)

    def go(seed):
        ctx = SearchContext(f.n_vars, time_limit=60, seed=seed)
        run_walksat(f, ctx, max_flips=200_000, restart_flips=50_000)
        return ctx.best_key, ctx.best_assignment, [k[1:] for k in ctx.trace]

    k1, a1, _ = go(5)
    k2, a2, _ = go(5)
    assert k1 == k2 and np.array_equal(a1, a2)
    k3, a3, _ = go(6)
    assert not np.array_equal(a1, a3)


def test_chunking_does_not_change_the_walk():
    f = random_ksat(300, 4.26, seed=2)
    start = np.random.default_rng(0).random(f.n_vars) < 0.5
    one = WalkSAT(f, seed=3)
    one.set_assignment(start)
    one.run(max_flips=30_000)
    many = WalkSAT(f, seed=3)
    many.set_assignment(start)
    for _ in range(30):
        many.run(max_flips=1000)
    assert np.array_equal(one.a, many.a)
    assert np.array_equal(one.best_assignment(), many.best_assignment())


def test_polish_never_worse_and_reports():
    f = random_ksat(400, 4.26, seed=3)
    a0 = np.random.default_rng(1).random(f.n_vars) < 0.5
    ctx = SearchContext(f.n_vars, time_limit=None, seed=0)
    a, h, c = walksat_polish(f, a0, ctx, flips=20_000)
    assert (h, c) == key_of(f, a)
    assert c < key_of(f, a0)[1]
    assert ctx.best_key == (h, c)
    assert ctx.info["polish_flips"] > 0
    with pytest.raises(ValueError):
        walksat_polish(f, a0, SearchContext(f.n_vars, seed=0))   # no limit at all


def test_solve_walksat_is_verified():
    f = random_ksat(1000, 4.26, seed=4)
    res = solve(f, method="walksat", time_limit=1, seed=0)
    assert res.verified
    assert res.satisfied_fraction > 0.99
    assert res.info["flips"] > 0 and res.info["flips_per_second"] > 0
    assert res.cost == evaluate(f, res.assignment).cost


def test_bad_options():
    f = random_ksat(20, 4.0, seed=0)
    with pytest.raises(ValueError):
        WalkSAT(f, noise=1.5)
    with pytest.raises(ValueError):
        run_walksat(f, SearchContext(f.n_vars, seed=0))          # no limit
    with pytest.raises(ValueError):
        run_walksat(f, SearchContext(f.n_vars, time_limit=1, seed=0), restart_flips=0)


@pytest.mark.parametrize("weighted", [False, True])
def test_set_up_in_slices_builds_the_same_structure(monkeypatch, weighted):
    # at 10M variables the set-up runs in slices so that a deadline can end it;
    # slicing must not change what it builds (occurrence order included)
    import polystep_sat.methods.clause_index as ci
    import polystep_sat.methods.walksat as ws_mod

    f = random_weighted_partial(300, 1000, 800, seed=4) if weighted else random_ksat(300, 4.2, seed=4)
    whole = ws_mod._Structure(f)
    monkeypatch.setattr(ci, "CHUNK_LITERALS", 37)
    asked = []
    sliced = ws_mod._Structure(f, stop=lambda: asked.append(1) and False)
    assert len(asked) > 4 * f.n_literals // 37   # asked at every slice of every pass
    for name in ("cptr", "clits", "optr", "occ", "cw", "active_idx"):
        assert np.array_equal(getattr(whole, name), getattr(sliced, name)), name
    a = np.random.default_rng(0).random(f.n_vars) < 0.5
    one, many = WalkSAT(f, seed=1), WalkSAT(f, seed=1)
    monkeypatch.setattr(ci, "CHUNK_LITERALS", 1 << 22)
    one.set_assignment(a)
    monkeypatch.setattr(ci, "CHUNK_LITERALS", 37)
    many.set_assignment(a, stop=lambda: False)
    assert np.array_equal(one.nt, many.nt) and np.array_equal(one.st, many.st)
    assert one.best()[2] == many.best()[2] == evaluate(f, a).cost


def test_a_stop_during_the_set_up_ends_it_between_slices(monkeypatch):
    import polystep_sat.methods.clause_index as ci
    import polystep_sat.methods.walksat as ws_mod

    f = random_ksat(2000, 4.2, seed=6)
    monkeypatch.setattr(ci, "CHUNK_LITERALS", 500)
    calls = []

    def stop():
        calls.append(1)
        return len(calls) >= 3

    with pytest.raises(ci.SetupInterrupted):
        ws_mod._Structure(f, stop=stop)
    assert len(calls) == 3                       # it ended at the first "yes"
    assert f not in ws_mod._STRUCTURES           # nothing half-built is kept
    # the method: a stop request during the set-up ends it with the answers so far
    ctx = SearchContext(f.n_vars, seed=0, time_limit=60)
    first = np.zeros(f.n_vars, dtype=bool)
    ctx.report(first, 0, evaluate(f, first).cost)
    monkeypatch.setattr(ctx, "should_stop", stop)
    calls.clear()
    run_walksat(f, ctx)
    assert ctx.info["setup_interrupted"] and len(calls) == 3
    assert ctx.best_key == (0, evaluate(f, first).cost)


def test_the_pick_drawn_a_step_early_stays_uniform():
    """The kernel draws the next step's clause before a flip (to prefetch it); after
    the flip, the pick must still be uniform over the clauses falsified then."""
    from polystep_sat.methods.local_search import xs_below, xs_next
    from polystep_sat.methods.walksat import ahead_slot

    m = 12
    counts = np.zeros(m, np.int64)
    x = np.uint64(0x9E3779B97F4A7C15)       # (the kernels keep x a uint64)
    trials = 40_000
    for _ in range(trials):
        fl = [0, 1, 2, 3, 4, 5, 6, 7]
        x = np.uint64(xs_next(x))
        nxt = fl[xs_below(x, len(fl))]      # the early draw, as the kernel makes it
        # the flip, as the kernel keeps its list: 2 and 5 satisfied (the last one
        # moves into the hole), then 9 and 10 falsified (appended)
        for d in (2, 5):
            fl[fl.index(d)] = fl[-1]
            fl.pop()
        fl += [9, 10]
        slot, x = ahead_slot(x, len(fl), 2, nxt not in (2, 5))
        x = np.uint64(x)
        counts[nxt if slot < 0 else fl[slot]] += 1
    falsified = [0, 1, 3, 4, 6, 7, 9, 10]
    assert counts[[2, 5, 8, 11]].sum() == 0
    expected = trials / len(falsified)
    chi2 = float((((counts[falsified] - expected) ** 2) / expected).sum())
    assert chi2 < 24.3      # chi-square, 7 degrees of freedom, p = 0.001


@pytest.mark.parametrize("make", [
    lambda: random_ksat(300, 4.26, seed=8),
    lambda: odd_formula(4, weighted=True, with_hard=False),
    lambda: odd_formula(5, weighted=False, with_hard=False),
])
def test_the_prefetching_steps_keep_the_bookkeeping_and_the_chunking(make):
    """The steps that draw ahead (on by size: forced here on small formulas) keep
    counts and lists right, and a walk does not depend on how it is chunked."""
    f = make()
    start = np.random.default_rng(1).random(f.n_vars) < 0.5

    def walk(chunks):
        ws = WalkSAT(f, noise=0.3, seed=9)
        ws.ahead = True
        ws.set_assignment(start)
        for n in chunks:
            ws.run(max_flips=n)
            check_consistent(f, ws)
        return ws

    one, many = walk([6_000]), walk([1, 7, 992, 1000, 4000])
    assert np.array_equal(one.a, many.a)
    assert np.array_equal(one.best_assignment(), many.best_assignment())
    assert WalkSAT(f).ahead is False          # below AHEAD_MIN_LITERALS: the plain steps
