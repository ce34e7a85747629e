"""The SAT pipeline: exact sparse cost matrices, rounding, and solve(method="polystep")."""

import time

import numpy as np
import pytest

from polystep_sat import solve
from polystep_sat.backend import BackendUnavailable, cupy_available
from polystep_sat.context import SearchContext
from polystep_sat.formula import Formula
from polystep_sat.generate import random_ksat, random_weighted_partial
from polystep_sat.methods.polystep_pipeline import SatCostMatrix, run_polystep
from polystep_sat.optim.polystep import PolyStep
from polystep_sat.relax.objective import RelaxedObjective
from polystep_sat.relax.rounding import best_rounding, threshold
from polystep_sat.verify import evaluate, optimum


def small_formulas():
    return [random_ksat(14, 6.0, seed=1),
            random_weighted_partial(12, 8, 25, seed=3),
            Formula.from_clauses([[1, -2], [2, 3, -4, 5], [-1, -5], [4], [-3, 2, 1], [5, -4]], 5,
                                 np.array([2, 1, 3, 1, 5, 4]))]


@pytest.mark.parametrize("kind", ["relaxed", "rounded"])
@pytest.mark.parametrize("fi", range(3))
def test_cost_matrix_is_the_exact_change_of_moving_one_particle(kind, fi):
    f = small_formulas()[fi]
    obj = RelaxedObjective(f)
    cm = SatCostMatrix(obj, kind, tie_weight=0.0)
    opt = PolyStep(np.random.default_rng(fi).random(f.n_vars), radius=0.6, bounds=(0, 1), seed=fi)
    for _ in range(3):
        prop = opt.ask()
        C = cm(opt.x, prop.indices, prop.points)
        x = opt.x
        base = obj.cost(x) if kind == "relaxed" else obj.discrete_cost(x > 0.5)
        assert cm.rounded_cost == pytest.approx(obj.discrete_cost(x > 0.5))
        for p in range(prop.shape[0]):
            for q in range(prop.shape[1]):
                y = x.copy()
                y[prop.indices[p]] = prop.points[p, q]
                new = obj.cost(y) if kind == "relaxed" else obj.discrete_cost(y > 0.5)
                assert C[p, q] == pytest.approx(new - base, abs=1e-9)
        opt.tell(C)


def test_rounding_prefers_the_cheapest_candidate():
    f = random_ksat(30, 4.0, seed=2)
    obj = RelaxedObjective(f)
    p = np.random.default_rng(0).random(f.n_vars)
    good = solve(f, method="walksat", time_limit=0.5, seed=0).assignment
    x, cost = best_rounding(obj, p, n_samples=3, rng=np.random.default_rng(1), candidates=[good])
    assert cost == obj.discrete_cost(x) <= min(obj.discrete_cost(threshold(p)), obj.discrete_cost(good))


@pytest.mark.parametrize("polish", [True, False])
def test_solve_polystep_verified_and_better_than_random(polish):
    f = random_ksat(300, 4.26, seed=5)
    r = solve(f, method="polystep", time_limit=1.5, seed=0, polish=polish)
    assert r.verified and r.cost == evaluate(f, r.assignment).cost
    assert r.satisfied_fraction > 0.97           # a random assignment gives ~0.875
    assert r.info["polystep_steps"] > 10
    assert r.trace                                 # anytime: improvements were reported


def test_polystep_alone_is_deterministic_without_a_time_limit():
    f = random_ksat(200, 4.26, seed=6)
    a = solve(f, method="polystep", time_limit=None, seed=3, polish=False, max_steps=40)
    b = solve(f, method="polystep", time_limit=None, seed=3, polish=False, max_steps=40)
    c = solve(f, method="polystep", time_limit=None, seed=4, polish=False, max_steps=40)
    assert a.cost == b.cost and np.array_equal(a.assignment, b.assignment)
    assert a.info["polystep_steps"] == 40
    assert not np.array_equal(a.assignment, c.assignment)


def test_partial_maxsat_keeps_hard_clauses():
    f = random_weighted_partial(40, 60, 80, seed=4)
    r = solve(f, method="polystep", time_limit=1.0, seed=1)
    ev = evaluate(f, r.assignment)
    assert r.verified and ev.n_hard_unsat == 0 and r.cost == ev.cost


def test_rounded_objective_runs():
    f = random_ksat(200, 4.26, seed=7)
    r = solve(f, method="polystep", time_limit=1.0, seed=0, objective="rounded", polish=False)
    assert r.verified and r.satisfied_fraction > 0.95


def test_over_constrained_instance_reaches_the_rc2_optimum():
    from polystep_sat.verify import optimum

    f = random_ksat(40, 6.0, seed=11)
    opt, _ = optimum(f, time_limit=30)
    assert opt is not None
    r = solve(f, method="polystep", time_limit=1.5, seed=0)
    assert r.cost == opt


def test_tiny_formulas():
    for f in (Formula.from_clauses([[1]], 1), Formula.from_clauses([[1, -1], [2], []], 3)):
        r = solve(f, method="polystep", time_limit=0.5, seed=0)
        assert r.verified and r.cost == evaluate(f, r.assignment).cost


def test_stop_request_ends_the_run_quickly():
    import threading
    import time

    f = random_ksat(2000, 4.26, seed=1)
    ev = threading.Event()
    threading.Timer(0.3, ev.set).start()
    t = time.perf_counter()
    r = solve(f, method="polystep", time_limit=30, seed=0, stop_event=ev)
    assert time.perf_counter() - t < 3.0
    assert r.verified


def test_bad_options():
    f = random_ksat(20, 4.0, seed=1)
    ctx = SearchContext(f.n_vars, time_limit=1, seed=0)
    for bad in (dict(objective="x"), dict(polish_share=1.5), dict(max_steps=0)):
        with pytest.raises(ValueError):
            run_polystep(f, ctx, **bad)


@pytest.mark.skipif(cupy_available(), reason="CuPy and a GPU are present")
def test_cupy_backend_fails_clearly_without_gpu():
    with pytest.raises(BackendUnavailable, match="cupy"):
        solve(random_ksat(20, 4.0, seed=1), method="polystep", backend="cupy", time_limit=1)


@pytest.mark.skipif(not cupy_available(), reason="needs CuPy and a GPU")
def test_cupy_backend_matches_numpy_costs():
    import cupy

    f = random_ksat(500, 4.26, seed=3)
    on, oc = RelaxedObjective(f), RelaxedObjective(f, backend="cupy")
    p = np.random.default_rng(0).random(f.n_vars)
    partner = np.full(f.n_vars, -1, np.int32)
    partner[0:250], partner[250:500] = np.arange(250, 500), np.arange(0, 250)
    gn, hn, cn = on.pair_gradient(p, partner, p > 0.5)
    gc, hc, cc = oc.pair_gradient(cupy.asarray(p), cupy.asarray(partner), cupy.asarray(p > 0.5))
    np.testing.assert_allclose(gn, gc.get(), atol=1e-9)
    np.testing.assert_allclose(hn, hc.get(), atol=1e-9)
    assert cn == pytest.approx(cc)
    r = solve(f, method="polystep", backend="cupy", time_limit=2, seed=0)
    assert r.verified and r.satisfied_fraction > 0.98


def test_array_path_without_numba_kernel(monkeypatch):
    # the bucketed array code is what runs on CuPy: exercise it with NumPy
    import polystep_sat.relax.objective as rel

    monkeypatch.setattr(rel, "njit", None)
    f = random_weighted_partial(60, 50, 100, seed=9)
    r = solve(f, method="polystep", time_limit=1.0, seed=2)
    ev = evaluate(f, r.assignment)
    assert r.verified and ev.n_hard_unsat == 0


def test_cupy_code_path_with_a_numpy_stand_in(monkeypatch):
    """Everything the CuPy backend runs (no numba kernel, RandomState, array
    code only), driven by a stand-in module that is NumPy under another name."""
    import types

    import importlib

    import polystep_sat.methods.polystep_pipeline as pl
    import polystep_sat.relax.objective as rel

    sv = importlib.import_module("polystep_sat.solver")

    fake = types.ModuleType("fakecupy")
    fake.__dict__.update({k: v for k, v in np.__dict__.items() if not k.startswith("__")})

    def gam(name="numpy"):
        return fake if name == "cupy" else np

    for mod in (pl, rel, sv):
        monkeypatch.setattr(mod, "get_array_module", gam)
    f = random_ksat(400, 4.26, seed=3)
    r = solve(f, method="polystep", backend="cupy", time_limit=None, seed=0, polish=False, max_steps=60)
    assert r.verified and r.satisfied_fraction > 0.97
    assert r.info["backend"] == "cupy" and r.info["polystep_steps"] == 60
    r2 = solve(f, method="polystep", backend="numpy", time_limit=None, seed=0, polish=False, max_steps=60)
    # same algorithm, different random streams (RandomState vs Generator): similar quality
    assert abs(r.n_unsat - r2.n_unsat) <= 0.01 * f.n_clauses


def test_the_polish_noise_is_lower_on_large_formulas():
    from polystep_sat.generate import graph_colouring
    from polystep_sat.methods.polystep_pipeline import LARGE_NOISE, SMALL_NOISE, polish_noise

    assert polish_noise(random_ksat(2_000, 4.26, seed=0)) == SMALL_NOISE
    assert polish_noise(random_ksat(100_000, 4.26, seed=0)) == SMALL_NOISE     # 3-SAT at 100k: 0.3 did better
    assert polish_noise(graph_colouring(60_000, seed=0)) == LARGE_NOISE       # hard clauses, 50k variables up
    assert polish_noise(random_ksat(500_000, 3.0, seed=0)) == LARGE_NOISE
    r = solve(random_ksat(300, 4.26, seed=1), method="polystep", time_limit=1.5, seed=0)
    assert r.info["walksat_noise"] == SMALL_NOISE
    r = solve(random_ksat(300, 4.26, seed=1), method="polystep", time_limit=1.5, seed=0, noise=0.45)
    assert r.info["walksat_noise"] == 0.45


def test_engine_choice_follows_the_weights():
    from polystep_sat.generate import graph_colouring, weighted_mis
    from polystep_sat.methods.polystep_pipeline import choose_engine

    assert choose_engine(random_ksat(50, 4.0, seed=0)) == "race"        # equal weights: WalkSAT and cwls race
    assert choose_engine(graph_colouring(10, seed=0)) == "race"         # unit soft weights, hard clauses
    # past RACE_MAX_LITERALS (1.28M literals here) WalkSAT won every race measured: no race
    assert choose_engine(random_ksat(100_000, 4.26, seed=0)) == "walksat"
    assert choose_engine(weighted_mis(50, seed=0)) == "cwls"
    assert choose_engine(weighted_mis(50, seed=0), "walksat") == "walksat"
    with pytest.raises(ValueError, match="unknown engine"):
        choose_engine(weighted_mis(50, seed=0), "tabu")


@pytest.mark.parametrize("make, winner", [(lambda: random_ksat(2000, 4.26, seed=2), "walksat"),
                                          (lambda: _unweighted_partial_where_cwls_wins(), "cwls")])
def test_equal_weights_race_walksat_and_cwls_and_the_one_ahead_goes_on(make, winner):
    f = make()
    # a flip budget, not a time limit: on a loaded CI machine a timed race's slices
    # shrank until cwls came out ahead on random 3-SAT; the budget makes it the same race
    r = solve(f, method="polystep", time_limit=None, seed=0, max_steps=100)
    race = r.info["race"]
    assert r.verified and race["winner"] == r.info["engine"] == winner
    loser = "cwls" if winner == "walksat" else "walksat"
    assert tuple(race[winner]) <= tuple(race[loser])
    assert (r.n_hard_unsat, r.cost) <= tuple(race[winner])   # the winner went on from its best


@pytest.mark.parametrize("free_cores, side_by_side", [(2, True), (1, False)])
def test_a_timed_race_runs_both_searches_at_once_when_a_core_is_free(monkeypatch, free_cores, side_by_side):
    from polystep_sat.methods import polystep_pipeline as pp

    spans = {}   # search -> (first chunk's start, last chunk's end) within the race
    real = pp._race_side_by_side

    def timed(name, run):
        def wrapped(*args, **kwargs):
            t0 = time.perf_counter()
            done = run(*args, **kwargs)
            spans[name] = (spans.get(name, (t0, 0))[0], time.perf_counter(), done)
            return done
        return wrapped

    def recorded(ws, cw, ctx):
        ws.run, cw.run = timed("walksat", ws.run), timed("cwls", cw.run)
        real(ws, cw, ctx)

    monkeypatch.setattr(pp, "cores", lambda: free_cores)
    monkeypatch.setattr(pp, "_race_side_by_side", recorded)
    r = solve(random_ksat(3000, 4.26, seed=3), method="polystep", time_limit=2.0, seed=0)
    race = r.info["race"]
    assert r.verified and r.info["engine"] == race["winner"]
    assert (r.n_hard_unsat, r.cost) <= min(tuple(race["walksat"]), tuple(race["cwls"]))
    assert bool(spans) == side_by_side
    if side_by_side:   # both flipped, over the same stretch of time
        (s_ws, e_ws, f_ws), (s_cw, e_cw, f_cw) = spans["walksat"], spans["cwls"]
        assert f_ws > 0 and f_cw > 0
        assert max(s_ws, s_cw) < min(e_ws, e_cw)


@pytest.mark.parametrize("solver", ["walksat", "cwls"])
def test_a_solved_search_ends_the_race_side_by_side_at_once(solver):
    from polystep_sat.methods.polystep_pipeline import _race_side_by_side

    class Search:   # the race's side of a local search: run() until the deadline, until() or solved
        def __init__(self, solves):
            self.solves, self.solved = solves, False

        def run(self, deadline, ctx, until):
            while time.perf_counter() < deadline and not until():
                if self.solves:   # nothing left to satisfy (a cost above 0 is possible: no stop from ctx)
                    self.solved = True
                    return
                time.sleep(0.01)

    ctx = SearchContext(10, time_limit=30, seed=0)
    t0 = time.perf_counter()
    _race_side_by_side(Search(solver == "walksat"), Search(solver == "cwls"), ctx)   # else RACE_SHARE of 30 s
    assert time.perf_counter() - t0 < 1.0 and not ctx.should_stop()


def test_the_race_leaves_the_core_of_a_running_sat_side_alone(monkeypatch):
    from polystep_sat.methods import auto
    from polystep_sat.methods import polystep_pipeline as pp

    monkeypatch.setattr(auto, "cores", lambda: 2)
    monkeypatch.setattr(pp, "cores", lambda: 2)
    monkeypatch.setattr(pp, "_race_side_by_side", lambda *a: pytest.fail("the race took the SAT side's core"))
    seen = []
    real_run = pp.run_polystep

    def run(formula, ctx, **kw):
        seen.append(ctx.search_cores)
        return real_run(formula, ctx, **kw)

    monkeypatch.setattr(pp, "run_polystep", run)
    # unweighted with hard clauses, not proven by the first try: the SAT side starts, then the race
    from polystep_sat.generate import graph_colouring
    f = graph_colouring(3000, seed=1)
    r = solve(f, method="auto", time_limit=3.0, seed=0)
    assert r.verified and seen == [1] and "race" in r.info


def _unweighted_partial_where_cwls_wins():
    from pathlib import Path

    from polystep_sat.dimacs import read_dimacs

    # extension enforcement (MaxSAT Evaluation): cwls 6-7 at the race's end, WalkSAT 18-23
    # (flip budget, seeds 0-2)
    return read_dimacs(Path(__file__).resolve().parent.parent / "instances" / "real" /
                       "extension-enforcement__extension-enforcement_non-strict_stb_150_0.05_2_8_4.wcnf.xz")


@pytest.mark.parametrize("kicks", [0, 2])
def test_weighted_pipeline_with_dynamic_weights_reaches_the_optimum(kicks):
    from polystep_sat.generate import weighted_mis

    f = weighted_mis(120, seed=4)
    opt, _ = optimum(f, time_limit=20)
    r = solve(f, method="polystep", time_limit=2.0, seed=1, kicks=kicks)
    assert r.verified and r.n_hard_unsat == 0 and r.info["engine"] == "cwls"
    assert r.cost == opt
    if kicks:
        assert "kicks_taken" in r.info


def test_past_its_size_limit_the_cpu_pipeline_leaves_the_time_to_the_local_search(monkeypatch):
    from polystep_sat.generate import random_ksat, weighted_mis
    from polystep_sat.methods import polystep_pipeline

    monkeypatch.setattr(polystep_pipeline, "POLYSTEP_MAX_LITERALS", 0)
    monkeypatch.setattr(polystep_pipeline, "POLYSTEP_MAX_LITERALS_PARTIAL", 0)
    for f, engine in ((random_ksat(300, 4.26, seed=1), "walksat"), (weighted_mis(200, seed=1), "cwls")):
        r = solve(f, method="polystep", time_limit=1.0, seed=0)
        assert "polystep_skipped" in r.info and r.info["engine"] == engine
        assert r.verified and r.n_hard_unsat == 0 and "polystep_steps" not in r.info


def test_past_its_size_limit_the_local_search_starts_from_the_given_start(monkeypatch):
    # at 10M variables the command line's first answer (majority polarity) is half
    # a random assignment's cost: the local search starts there, not at random
    from polystep_sat.generate import random_ksat
    from polystep_sat.methods import polystep_pipeline, walksat

    monkeypatch.setattr(polystep_pipeline, "POLYSTEP_MAX_LITERALS", 0)
    monkeypatch.setattr(polystep_pipeline, "POLYSTEP_MAX_LITERALS_PARTIAL", 0)
    seen = []
    real = walksat.run_walksat
    monkeypatch.setattr(walksat, "run_walksat", lambda f, ctx, **kw: seen.append(kw.get("init")) or real(f, ctx, **kw))
    f = random_ksat(300, 4.26, seed=1)
    start = np.arange(300) % 3 == 0
    r = solve(f, method="polystep", time_limit=0.5, seed=0, start=start)
    assert r.verified and np.array_equal(seen[-1], start)
    solve(f, method="polystep", time_limit=0.5, seed=0)
    assert seen[-1] is None                      # no start given: at random, as before
    with pytest.raises(ValueError, match="start has shape"):
        solve(f, method="polystep", time_limit=0.5, start=start[:10])


def test_without_a_model_in_time_a_hard_feasible_start_is_the_best_known(monkeypatch):
    # at 2M variables the hard check gives up loading the solver; the caller's start (the
    # command line's majority polarity) is then where the search begins, not PolyStep's
    # rounding, infeasible at that size
    import polystep_sat.solver as solver_module
    from polystep_sat.generate import weighted_mis

    monkeypatch.setattr(solver_module, "hard_clauses_satisfiable", lambda formula, budget, **_: (None, None))
    f = weighted_mis(400, seed=3)
    start = np.zeros(f.n_vars, bool)                 # nothing selected: feasible, every weight lost
    reports = []
    r = solve(f, method="polystep", time_limit=1.5, seed=0, start=start,
              on_improve=lambda a, cost, hard_unsat: reports.append((hard_unsat, cost)))
    assert reports[0] == (0, int(f.weights[~f.hard].sum()))
    assert r.verified and r.n_hard_unsat == 0 and r.cost < reports[0][1]
