"""Evolution-strategy baselines: the ask/tell strategies on plain functions, and
the SAT methods against the independent evaluation."""

import sys

import numpy as np
import pytest

from polystep_sat import solve
from polystep_sat.context import SearchContext
from polystep_sat.methods.es import (FullCMAES, OpenAIES, SepCMAES, centred_ranks, run_cma_es,
                             run_openai_es)
from polystep_sat.generate import random_ksat, random_weighted_partial
from polystep_sat.verify import evaluate, hard_clauses_satisfiable

# (strategy, options, final / initial distance reached in 300 generations).
# OpenAI-ES keeps sigma fixed, so it stalls at a noise floor set by sigma.
STRATEGIES = [
    (OpenAIES, dict(sigma=0.1, lr=0.05, popsize=20), 1e-2),
    (SepCMAES, dict(sigma=0.5), 1e-6),
    (FullCMAES, dict(sigma=0.5), 1e-6),
]


def _run(es, f, generations, chunk=3):
    for _ in range(generations):
        X = np.vstack([es.ask(s, s + chunk) for s in range(0, es.popsize, chunk)])
        es.tell(f(X))


def test_centred_ranks():
    r = centred_ranks([3.0, 1.0, 2.0, 5.0])
    np.testing.assert_allclose(r, [1 / 6, -0.5, -1 / 6, 0.5])
    tied = centred_ranks([1.0, 1.0, 2.0])
    assert tied[0] == tied[1] < tied[2] and abs(tied.sum()) < 1e-12


@pytest.mark.parametrize("cls,kw,ratio", STRATEGIES)
def test_strategies_minimise_a_shifted_sphere(cls, kw, ratio):
    if cls is FullCMAES:
        pytest.importorskip("cma")
    target = np.linspace(-1, 1, 12)

    def sphere(X):
        return ((X - target) ** 2).sum(axis=1)

    es = cls(np.zeros(12), rng=np.random.default_rng(0), **kw)
    start = sphere(es.mean[None])[0]
    _run(es, sphere, 300)
    assert sphere(np.asarray(es.mean)[None])[0] < ratio * start


def test_sep_cma_learns_the_scales_of_an_ellipsoid():
    n = 10
    c = 10.0 ** (4 * np.arange(n) / (n - 1))

    def ell(X):
        return (c * (X - 1.0) ** 2).sum(axis=1)

    es = SepCMAES(np.zeros(n), sigma=0.5, rng=np.random.default_rng(1))
    _run(es, ell, 250, chunk=4)
    assert ell(es.mean[None])[0] < 1e-8
    # the learned variances follow 1/c: stiffest / softest ~ 1e-4
    assert es.diag[-1] < 1e-2 * es.diag[0]


@pytest.mark.parametrize("cls", [OpenAIES, SepCMAES])
def test_chunked_ask_regenerates_the_same_population(cls):
    es = cls(np.zeros(50), rng=np.random.default_rng(3))
    whole = es.ask()
    parts = np.vstack([es.ask(s, s + 5) for s in range(0, es.popsize, 5)])
    np.testing.assert_array_equal(whole, parts)
    if cls is OpenAIES:  # mirrored pairs
        np.testing.assert_allclose(whole[0::2] + whole[1::2], 0.0, atol=1e-12)


# ------------------------------------------------------------------ SAT methods
METHODS = [("openai-es", run_openai_es, {}), ("cma-es/sep", run_cma_es, {"variant": "sep"}),
           ("cma-es/full", run_cma_es, {"variant": "full"})]


def _ctx(n, seed=0, **kw):
    return SearchContext(n, time_limit=None, seed=seed, **kw)


@pytest.mark.parametrize("name,run,opts", METHODS)
def test_reported_costs_are_exact_and_beat_random(name, run, opts):
    if opts.get("variant") == "full":
        pytest.importorskip("cma")
    f = random_ksat(150, 4.26, seed=5)
    claims = []
    ctx = _ctx(f.n_vars, seed=1, on_improve=lambda a, cost, hard: claims.append((a.copy(), hard, cost)))
    run(f, ctx, max_generations=60, report_every=0.0, **opts)
    assert claims and ctx.info["generations"] == 60
    assert ctx.info["evaluations"] == 60 * ctx.info["popsize"]
    for a, hard, cost in claims:
        ev = evaluate(f, a)
        assert (ev.n_hard_unsat, ev.cost) == (hard, cost)
    # a uniformly random assignment falsifies m/8 clauses on average
    rng = np.random.default_rng(0)
    random_mean = np.mean([evaluate(f, rng.random(f.n_vars) < 0.5).cost for _ in range(200)])
    assert ctx.best_key[1] < 0.6 * random_mean


@pytest.mark.parametrize("name,run,opts", METHODS[:2])
def test_reproducible_and_independent_of_chunking(name, run, opts):
    f = random_ksat(120, 4.26, seed=2)
    results = []
    for memory in (None, 8 * 120):  # default, and one candidate row per chunk
        ctx = _ctx(f.n_vars, seed=7)
        extra = {} if memory is None else {"memory_bytes": memory}
        run(f, ctx, max_generations=25, **opts, **extra)
        results.append((ctx.best_key, ctx.best_assignment, ctx.info["members_per_chunk"]))
    (k1, a1, c1), (k2, a2, c2) = results
    assert c1 > 1 and c2 == 1
    assert k1 == k2 and np.array_equal(a1, a2)
    ctx = _ctx(f.n_vars, seed=8)
    run(f, ctx, max_generations=25, **opts)
    assert ctx.info["generations"] == 25  # a different seed still runs (and may differ)


@pytest.mark.parametrize("method,opts", [("openai-es", {}), ("cma-es", {}), ("cma-es", {"variant": "sep"})])
def test_solve_returns_verified_results(method, opts):
    if method == "cma-es" and not opts:
        pytest.importorskip("cma")
    f = random_ksat(100, 4.26, seed=3)
    res = solve(f, method=method, time_limit=None, seed=0, max_generations=20, **opts)
    assert res.verified and res.n_hard_unsat == 0
    assert res.cost == evaluate(f, res.assignment).cost
    assert res.info["generations"] == 20 and res.info["es"].startswith(method)


def test_stops_with_the_context():
    f = random_ksat(200, 4.26, seed=4)
    ctx = SearchContext(f.n_vars, time_limit=0.5, seed=0)
    run_openai_es(f, ctx)
    assert ctx.best_assignment is not None and ctx.info["finished"] is False
    assert ctx.elapsed() < 5.0


@pytest.mark.parametrize("run", [run_openai_es, run_cma_es])
def test_partial_maxsat_keeps_a_hard_feasible_answer(run):
    f = random_weighted_partial(60, n_hard=200, n_soft=120, seed=11)
    feasible, a0 = hard_clauses_satisfiable(f, 10.0)
    assert feasible
    ctx = _ctx(f.n_vars, seed=0)
    ctx.initial_assignment = a0
    run(f, ctx, max_generations=15, report_every=0.0)
    assert ctx.best_key[0] == 0
    ev = evaluate(f, ctx.best_assignment)
    assert (ev.n_hard_unsat, ev.cost) == ctx.best_key
    res = solve(f, method="openai-es" if run is run_openai_es else "cma-es", time_limit=None, seed=0,
                max_generations=15)
    assert res.verified and res.n_hard_unsat == 0


def test_polish_option_uses_the_pipeline_polish():
    f = random_ksat(200, 4.26, seed=6)
    pure = _ctx(f.n_vars, seed=0)
    run_openai_es(f, pure, max_generations=5)
    polished = _ctx(f.n_vars, seed=0)
    run_openai_es(f, polished, max_generations=5, polish=True)
    assert polished.best_key <= pure.best_key
    ev = evaluate(f, polished.best_assignment)
    assert (ev.n_hard_unsat, ev.cost) == polished.best_key


def test_missing_cma_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "cma", None)  # import cma -> ImportError
    f = random_ksat(20, 4.26, seed=0)
    with pytest.raises(ImportError, match=r"polystep-sat\[es\]"):
        run_cma_es(f, _ctx(f.n_vars), variant="full", max_generations=1)
    ctx = _ctx(f.n_vars)
    run_cma_es(f, ctx, variant="sep", max_generations=2)  # sep needs nothing extra
    assert ctx.info["es"] == "cma-es/sep"


def test_option_validation():
    f = random_ksat(20, 4.26, seed=0)
    with pytest.raises(ValueError, match="variant"):
        run_cma_es(f, _ctx(f.n_vars), variant="diag")
    with pytest.raises(ValueError):
        OpenAIES(np.zeros(3), sigma=0.0)


@pytest.mark.parametrize("run,opts", [(run_openai_es, {}), (run_cma_es, {"variant": "sep"})])
def test_cupy_backend(run, opts):
    from polystep_sat.backend import cupy_available

    if not cupy_available():
        pytest.skip("CuPy with a CUDA GPU is not available")
    f = random_ksat(300, 4.26, seed=9)
    ctx = SearchContext(f.n_vars, time_limit=None, seed=0, backend="cupy")
    run(f, ctx, max_generations=40, **opts)
    ev = evaluate(f, ctx.best_assignment)
    assert (ev.n_hard_unsat, ev.cost) == ctx.best_key
    assert ctx.best_key[1] < 0.7 * f.n_clauses / 8
