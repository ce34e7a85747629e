"""The generic PolyStep optimizer on synthetic functions with known behaviour."""

import numpy as np
import pytest

from polystep_sat.optim.polystep import PolyStep, minimize, polytope_vertices, schedule_value, softmax_weights


def sphere(x):
    return float(np.sum(x ** 2))


def rastrigin(x):
    return float(10 * x.size + np.sum(x ** 2 - 10 * np.cos(2 * np.pi * x)))


def staircase(x):
    # piecewise constant: the gradient is zero almost everywhere
    return float(np.sum(np.floor(np.abs(x) * 2)))


def test_sphere_converges_near_zero():
    r = minimize(sphere, np.full(10, 3.0), maxiter=200, radius=1.0, final_radius=1e-3,
                 epsilon=0.3, final_epsilon=0.05, seed=0)
    assert r.fun < 1e-3
    assert r.nit == 200 and r.nfev > 200 * 5 * 4
    assert np.all(np.abs(r.x) < 0.05)


@pytest.mark.parametrize("subspace,polytope,d", [("blocks", "simplex", 3), ("projection", "cross", 2),
                                                  ("fixed", "cube", 2)])
def test_sphere_other_geometries(subspace, polytope, d):
    r = minimize(sphere, np.full(12, 2.0), maxiter=300, radius=1.0, final_radius=1e-3, particle_dim=d,
                 polytope=polytope, subspace=subspace, block_size=6, seed=1)
    assert r.fun < 1e-2


def test_rastrigin_finds_a_good_basin():
    x0 = np.full(4, 3.3)
    r = minimize(rastrigin, x0, maxiter=300, radius=2.0, final_radius=1e-3, epsilon=0.3,
                 final_epsilon=0.02, probes=4, bounds=(-5.12, 5.12), seed=0)
    # the start sits near a local minimum of value ~36-96; the global one is 0
    assert rastrigin(x0) > 90
    assert r.fun < 5.0
    assert np.all(np.abs(r.x) <= 5.12)


def test_staircase_progresses_without_gradients():
    x0 = np.full(6, 4.2)
    r = minimize(staircase, x0, maxiter=100, radius=1.0, final_radius=0.1, epsilon=0.5,
                 final_epsilon=0.05, seed=0)
    assert staircase(x0) == 48
    assert r.fun == 0


def test_seed_reproducibility_and_independence():
    a = minimize(rastrigin, np.full(5, 2.5), maxiter=50, seed=7)
    b = minimize(rastrigin, np.full(5, 2.5), maxiter=50, seed=7)
    c = minimize(rastrigin, np.full(5, 2.5), maxiter=50, seed=8)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.fun == b.fun
    assert not np.array_equal(a.x, c.x)


def test_schedules_decay():
    opt = PolyStep(np.zeros(4), radius=2.0, final_radius=0.1, epsilon=1.0, final_epsilon=0.01,
                   probe_radius=3.0, final_probe_radius=0.3, n_steps=11, seed=0)
    r, e, pr = [], [], []
    for _ in range(11):
        r.append(opt.current_radius)
        e.append(opt.current_epsilon)
        pr.append(opt.current_probe_radius)
        prop = opt.ask()
        opt.tell(np.zeros(prop.shape))
    for seq, start, end in ((r, 2.0, 0.1), (e, 1.0, 0.01), (pr, 3.0, 0.3)):
        assert seq[0] == pytest.approx(start) and seq[-1] == pytest.approx(end)
        assert all(a >= b for a, b in zip(seq, seq[1:])) and seq[5] < start
    assert schedule_value("linear", 1.0, 0.0, 0.25) == pytest.approx(0.75)
    assert schedule_value("cosine", 1.0, 0.0, 0.5) == pytest.approx(0.5)
    assert schedule_value("constant", 1.0, 0.0, 0.9) == 1.0
    opt.progress = 1.0  # time-based runs set progress themselves
    assert opt.current_radius == pytest.approx(0.1)


def test_polytopes_are_centred_unit_sets():
    for kind, d, nv in (("cross", 3, 6), ("simplex", 3, 4), ("cube", 3, 8), ("simplex", 1, 2)):
        v = polytope_vertices(kind, d)
        assert v.shape == (nv, d)
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0)
        np.testing.assert_allclose(v.mean(axis=0), 0.0, atol=1e-12)


def test_softmax_is_scale_free_and_uniform_when_flat():
    c = np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 1.0, 0.0, 2.0]])
    np.testing.assert_allclose(softmax_weights(np, c, 0.5), softmax_weights(np, 1e-6 * c, 0.5))
    np.testing.assert_allclose(softmax_weights(np, np.ones((2, 4)), 0.1), 0.25)
    w = softmax_weights(np, c, 1e-3)
    assert w[0, 0] == pytest.approx(1.0) and w[1, 2] == pytest.approx(1.0)


def test_ask_tell_barycentre_bounds_and_momentum():
    opt = PolyStep(np.full(6, 0.9), radius=0.5, bounds=(0.0, 1.0), epsilon=1e-4, momentum=0.5, seed=3)
    for _ in range(5):
        prop = opt.ask()
        assert prop.points.min() >= 0.0 and prop.points.max() <= 1.0
        # cost = sum of coordinates of the moved particle: the barycentre goes down
        opt.tell(prop.points.sum(axis=2))
        assert opt.x.min() >= 0.0 and opt.x.max() <= 1.0
    assert opt.x.max() < 0.5
    with pytest.raises(RuntimeError):
        opt.tell(np.zeros((3, 4)))


def test_update_fraction_moves_only_some_particles():
    opt = PolyStep(np.zeros(1000), radius=1.0, update_fraction=0.3, seed=0)
    prop = opt.ask()
    opt.tell(prop.points.sum(axis=2))
    moved = np.mean(opt.x != 0)
    assert 0.2 < moved < 0.4


def test_cost_matrix_and_fun_batch_fronts_agree():
    x0 = np.full(6, 2.0)
    r1 = minimize(sphere, x0, maxiter=30, seed=2)
    r2 = minimize(x0=x0, fun_batch=lambda X: np.sum(X ** 2, axis=1), maxiter=30, seed=2)

    def cm(x, idx, pts):  # changes only: rows may be shifted by a constant
        return np.sum(pts ** 2, axis=2) - np.sum(x[idx] ** 2, axis=1)[:, None]

    r3 = minimize(sphere, x0, cost_matrix=cm, maxiter=30, seed=2)
    np.testing.assert_allclose(r1.x, r2.x)
    np.testing.assert_allclose(r1.x, r3.x)


@pytest.mark.parametrize("bad", [dict(radius=0), dict(epsilon=-1), dict(probes=0), dict(update_fraction=0),
                                 dict(momentum=1.0), dict(schedule="step"), dict(subspace="x"),
                                 dict(polytope="sphere"), dict(bounds=(1.0, 0.0))])
def test_bad_options_are_rejected(bad):
    with pytest.raises(ValueError):
        PolyStep(np.zeros(4), **bad).ask()
