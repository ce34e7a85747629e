"""The relaxed objective against brute force and against verify.evaluate."""

import itertools

import numpy as np
import pytest

from polystep_sat.formula import Formula
from polystep_sat.generate import random_ksat, random_weighted_partial
from polystep_sat.relax.objective import RelaxedObjective
from polystep_sat.verify import evaluate


def mixed_formula():
    # lengths 0..5, duplicates and a tautology, weights, one hard clause
    clauses = [[1, -2, 3], [-1], [], [2, 4, -5, 6, 1], [3, -3], [1, 1, -4], [-6, 5], [2, -1, 4, 5]]
    weights = np.array([3, 1, 2, 5, 1, 4, 7, 2])
    hard = np.zeros(len(clauses), bool)
    hard[6] = True
    return Formula.from_clauses(clauses, 6, weights, hard, weighted=True)


def brute_relaxed(f, p, hard_weight):
    total = 0.0
    for c, w, h in zip(f.clauses(), f.weights.tolist(), f.hard.tolist()):
        # the true expectation: a repeated literal counts once, a tautology is never falsified
        if any(-lit in c for lit in c):
            continue
        prod = 1.0
        for lit in set(c):
            v = abs(lit) - 1
            prod *= (1 - p[v]) if lit > 0 else p[v]
        total += (hard_weight if h else w) * prod
    return total


@pytest.mark.parametrize("f", [mixed_formula(), random_ksat(30, 4.26, seed=3),
                               random_weighted_partial(12, 10, 20, seed=1)])
def test_batch_cost_matches_brute_force(f):
    obj = RelaxedObjective(f, chunk_bytes=1)  # forces one member per chunk
    rng = np.random.default_rng(0)
    P = rng.random((5, f.n_vars))
    got = obj.batch_cost(P)
    want = [brute_relaxed(f, p, obj.hard_weight) for p in P]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert obj.hard_weight == 1 + f.total_soft_weight
    assert obj.cost(P[0]) == pytest.approx(want[0])


def test_zero_one_points_equal_exact_cost():
    f = mixed_formula()
    obj = RelaxedObjective(f)
    for bits in itertools.product([0, 1], repeat=f.n_vars):
        x = np.array(bits, bool)
        ev = evaluate(f, x)
        assert obj.cost(x.astype(float)) == pytest.approx(ev.cost + obj.hard_weight * ev.n_hard_unsat)
        assert obj.discrete_cost(x) == pytest.approx(ev.cost + obj.hard_weight * ev.n_hard_unsat)
        assert obj.exact_cost(x) == (ev.n_hard_unsat, ev.cost)


def test_gradient_is_exact_coordinate_change():
    f = mixed_formula()
    obj = RelaxedObjective(f)
    rng = np.random.default_rng(1)
    p = rng.random(f.n_vars)
    g = obj.gradient(p)
    for v in range(f.n_vars):
        q = p.copy()
        q[v] = rng.random()
        assert obj.cost(q) - obj.cost(p) == pytest.approx((q[v] - p[v]) * g[v], abs=1e-12)


def test_flip_deltas_match_reevaluation():
    for f in (mixed_formula(), random_ksat(40, 5.0, seed=2)):
        obj = RelaxedObjective(f)
        x = np.random.default_rng(2).random(f.n_vars) < 0.5
        d = obj.flip_deltas(x)
        base = obj.discrete_cost(x)
        for v in range(f.n_vars):
            y = x.copy()
            y[v] = ~y[v]
            assert obj.discrete_cost(y) - base == pytest.approx(d[v])


@pytest.mark.parametrize("fast", [True, False])
def test_pair_gradient_predicts_pair_moves_exactly(fast, monkeypatch):
    import polystep_sat.relax.objective as rel
    if not fast:
        monkeypatch.setattr(rel, "njit", None)
    for f in (mixed_formula(), random_ksat(12, 6.0, seed=4), random_weighted_partial(10, 8, 20, seed=2)):
        obj = RelaxedObjective(f)
        rng = np.random.default_rng(5)
        p = rng.random(f.n_vars)
        perm = rng.permutation(f.n_vars)
        partner = np.full(f.n_vars, -1)
        a, b = perm[0:f.n_vars - 1:2], perm[1::2]
        partner[a], partner[b] = b, a
        x = rng.random(f.n_vars) < 0.5
        g, h, cost = obj.pair_gradient(p, partner, x)
        assert cost == pytest.approx(obj.discrete_cost(x))
        np.testing.assert_allclose(g, obj.gradient(p), atol=1e-12)
        base = obj.cost(p)
        for va, vb in zip(a, b):
            q = p.copy()
            q[va], q[vb] = rng.random(), rng.random()
            da, db = q[va] - p[va], q[vb] - p[vb]
            assert obj.cost(q) - base == pytest.approx(da * g[va] + db * g[vb] + da * db * h[va], abs=1e-12)
            assert h[va] == pytest.approx(h[vb])


def test_float32_kernel_close_to_float64():
    f = random_ksat(300, 4.26, seed=8)
    o64 = RelaxedObjective(f, kernel_precision="float64")
    o32 = RelaxedObjective(f, kernel_precision="float32")
    rng = np.random.default_rng(0)
    p = rng.random(f.n_vars)
    partner = rng.permutation(f.n_vars).reshape(-1, 2)
    part = np.full(f.n_vars, -1)
    part[partner[:, 0]], part[partner[:, 1]] = partner[:, 1], partner[:, 0]
    g64, h64, c64 = o64.pair_gradient(p, part, p > 0.5)
    g32, h32, c32 = o32.pair_gradient(p, part, p > 0.5)
    np.testing.assert_allclose(g32, g64, atol=1e-5)
    np.testing.assert_allclose(h32, h64, atol=1e-5)
    assert c32 == c64 == o64.discrete_cost(p > 0.5)
    with pytest.raises(ValueError):
        RelaxedObjective(f, kernel_precision="half")


@pytest.mark.parametrize("warm_kernel", [False, True])
def test_set_clause_weights_matches_an_objective_built_with_those_weights(warm_kernel):
    base = random_weighted_partial(40, 60, 80, seed=5)
    rng = np.random.default_rng(1)
    new_w = rng.integers(1, 50, size=base.n_clauses)
    reweighted = Formula(base.n_vars, base.indptr, base.literals, new_w, np.zeros(base.n_clauses, bool),
                         weighted=True)
    dynamic = RelaxedObjective(base)
    reference = RelaxedObjective(reweighted)
    p = rng.random(base.n_vars)
    partner = np.arange(base.n_vars) ^ 1
    x = rng.random(base.n_vars) < 0.5
    if warm_kernel:
        dynamic.pair_gradient(p, partner, x)  # the kernel's flat copy exists before the change
    dynamic.set_clause_weights(new_w)
    assert dynamic.cost(p) == pytest.approx(reference.cost(p))
    for got, want in zip(dynamic.pair_gradient(p, partner, x), reference.pair_gradient(p, partner, x)):
        np.testing.assert_allclose(got, want, rtol=1e-9)
    np.testing.assert_allclose(dynamic.gradient(p), reference.gradient(p), rtol=1e-9)
    # exact costs stay those of the original weights
    assert dynamic.exact_cost(x) == (evaluate(base, x).n_hard_unsat, evaluate(base, x).cost)
    with pytest.raises(ValueError, match="shape"):
        dynamic.set_clause_weights(new_w[:-1])
