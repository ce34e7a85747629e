"""The SAT side beside the search: proofs and bounds end runs, models are shared
both ways, nothing unproven is called optimal, the sides take turns on one core,
no child process outlives the run."""

import signal
import threading
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from polystep_sat import solve
from polystep_sat.context import SearchContext
from polystep_sat.methods import auto
from polystep_sat.methods.walksat import WalkSAT
from polystep_sat.portfolio.messages import decode, encode
from polystep_sat.portfolio.sat_search import SatSearch
from polystep_sat.portfolio.sharing import Turns, share
from polystep_sat.portfolio.side import worth_starting
from polystep_sat.generate import random_ksat, random_weighted_partial, weighted_mis, weighted_set_cover
from polystep_sat.dimacs import write_dimacs
from polystep_sat.result import OPTIMUM, SATISFIABLE
from polystep_sat.verify import evaluate, optimum

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "polystep_sat.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, **kw)


def test_first_example_is_proven_optimal():
    t0 = time.perf_counter()
    p = _cli("solve", "instances/maxcut-gnp30.cnf", "--time-limit", "20")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 30, err
    lines = out.splitlines()
    assert "s OPTIMUM FOUND" in lines
    assert [ln for ln in lines if ln.startswith("o ")][-1] == "o 42"
    assert time.perf_counter() - t0 < 15  # ended by the proof, not by the time limit


@pytest.mark.parametrize("make", [lambda: weighted_mis(300, seed=2), lambda: weighted_set_cover(200, seed=1)])
def test_default_solve_proves_the_optimum_and_stops(make):
    f = make()
    want, _ = optimum(f, time_limit=30)
    t0 = time.perf_counter()
    r = solve(f, time_limit=30, seed=0)
    assert time.perf_counter() - t0 < 20
    assert r.status == OPTIMUM and r.verified and r.cost == want
    assert r.lower_bound == want and r.gap == 0 and r.found_by in ("search", "sat")
    assert r.info["sat_side"].startswith("proved the optimum") or r.info["first_try"].startswith("proved")


@pytest.fixture
def no_first_try(monkeypatch):
    """The SAT side in its child only (no first try in the search's process)."""
    from polystep_sat.portfolio import first_try

    monkeypatch.setattr(first_try, "FIRST_TRY_MAX_LITERALS", 0)


@pytest.mark.parametrize("make", [lambda: weighted_mis(300, seed=2), lambda: weighted_set_cover(200, seed=1)])
def test_the_child_proves_the_optimum_when_the_first_try_does_not_run(make, no_first_try):
    f = make()
    want, _ = optimum(f, time_limit=30)
    r = solve(f, time_limit=30, seed=0)
    assert r.status == OPTIMUM and r.verified and r.cost == want
    assert "first_try" not in r.info and r.info["sat_side"].startswith("proved the optimum")


def test_a_small_formula_is_proven_in_process_before_any_child_or_search_starts():
    f = weighted_mis(300, seed=2)
    want, _ = optimum(f, time_limit=30)
    before = set(p.pid for p in psutil.Process().children(recursive=True))
    r = solve(f, time_limit=30, seed=0)
    assert r.status == OPTIMUM and r.verified and r.cost == want and r.lower_bound == want
    assert r.info["first_try"].startswith("proved the optimum")
    assert r.info["sat_side"] == "not started: proved in this process"
    assert "polystep_steps" not in r.info          # the search never ran
    assert set(p.pid for p in psutil.Process().children(recursive=True)) <= before


def test_a_stop_ends_the_first_try_at_once():
    from polystep_sat.portfolio import first_try

    f = weighted_mis(2000, seed=1)
    stop = threading.Event()
    ctx = SearchContext(f.n_vars, time_limit=30, stop_event=stop)
    threading.Timer(0.15, stop.set).start()
    t0 = time.perf_counter()
    assert not first_try.first_try(f, ctx)
    # well short of its FIRST_TRY_SECONDS (1 s here); the slack is for a loaded CI machine
    assert time.perf_counter() - t0 < 0.15 + 0.5
    assert first_try.FIRST_TRY_SECONDS >= 0.15 + 0.5 + 0.3
    assert ctx.proven_cost is None


def test_a_proof_in_the_first_try_never_loads_numpy_random():
    # the run's random stream is made on first use: 28 ms of a 0.3 s proof otherwise
    code = ("import sys; from polystep_sat import solve; "
            "r = solve('instances/wpms-40.wcnf', time_limit=10, seed=3); "
            "print(r.status, r.info['first_try'].startswith('proved'), 'numpy.random' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.split() == ["OPTIMUM", "FOUND", "True", "False"], out.stderr[-2000:]


def test_a_first_try_without_a_proof_keeps_its_time_and_hands_over(monkeypatch):
    from polystep_sat.portfolio import first_try

    import gc

    monkeypatch.setattr(first_try, "FIRST_TRY_SECONDS", 0.05)
    f = weighted_mis(2000, seed=1)          # RC2 needs seconds here
    ctx = SearchContext(f.n_vars, time_limit=30)
    gc.collect()   # the earlier tests' garbage: a full collection inside the set-up took 0.07 s
    t0 = time.perf_counter()
    assert not first_try.first_try(f, ctx)
    assert time.perf_counter() - t0 < 0.05 + 0.5   # SatSearch's set-up, then RC2 stops at its deadline
    assert ctx.info["first_try"].startswith("no proof") and ctx.proven_cost is None
    assert ctx.best_key is not None and ctx.best_key[0] == 0   # its model of the hard clauses stays
    r = solve(f, time_limit=3, seed=0)
    assert r.info["first_try"].startswith("no proof") and r.info["sat_side"] != "not started: proved in this process"
    assert r.verified and r.status in (OPTIMUM, SATISFIABLE)


def test_search_alone_has_no_sat_side():
    f = weighted_mis(300, seed=2)
    r = solve(f, method="polystep", time_limit=1.0, seed=0)
    assert "sat_side" not in r.info and r.lower_bound is None
    assert r.status == SATISFIABLE and r.found_by == "search"


def test_memory_rule_keeps_the_sat_side_off_formulas_it_cannot_hold():
    f = weighted_mis(2000, seed=1)
    assert worth_starting(f) and not worth_starting(f, max_literals=f.n_literals - 1)
    r = solve(f, time_limit=1.5, seed=0, exact=True)
    assert r.info["sat_side"] != "not started: the formula does not fit its memory cap"


@pytest.mark.parametrize("seed", range(5))
def test_never_called_optimal_without_proof(seed):
    f = random_weighted_partial(40, 50, 80, seed=seed)
    want, _ = optimum(f, time_limit=30)
    r = solve(f, time_limit=5, seed=seed)
    assert r.verified and r.cost == evaluate(f, r.assignment).cost
    if r.status == OPTIMUM:
        assert r.cost == want and r.lower_bound == want


class _FakeSide:
    """Stands in for the child: each messages() call hands out the next batch; then it is done."""

    def __init__(self, formula, batches):
        self.formula, self._batches, self.sent = formula, list(batches), []
        self.finished = False
        self.paused = False

    def messages(self, timeout):
        if not self._batches:
            self.finished = True
            return []
        return self._batches.pop(0)

    def send_incumbent(self, cost, a):
        self.sent.append(cost)

    def pause(self):
        self.paused = True

    def resume(self):
        self.paused = False


def test_a_model_that_does_not_check_out_is_refused():
    f = weighted_mis(40, seed=3)
    want, a = optimum(f, time_limit=30)
    ctx = SearchContext(f.n_vars, time_limit=5)
    side = _FakeSide(f, [[("opt", want - 1, a)]])  # a claim the evaluation contradicts
    share(side, ctx, threading.Event())
    assert ctx.best_key is None and ctx.proven_cost is None
    assert "does not check out" in ctx.info["sat_side"]


def test_the_first_try_drops_a_claim_that_does_not_check_out(monkeypatch):
    from polystep_sat.portfolio import first_try, sat_search

    f = weighted_mis(40, seed=3)
    want, a = optimum(f, time_limit=30)

    def lying_core_guided(self, deadline):   # a backend that claims an optimum below the truth
        self.emit("opt", want - 1, a)
        return True

    monkeypatch.setattr(sat_search.SatSearch, "core_guided", lying_core_guided)
    ctx = SearchContext(f.n_vars, time_limit=5)
    assert not first_try.first_try(f, ctx)
    assert ctx.proven_cost is None and "does not check out" in ctx.info["sat_side"]
    r = solve(f, time_limit=3, seed=0)           # and the run goes on to a checked answer
    assert r.verified and r.cost >= want and r.info["first_try"].startswith("no proof")


def test_models_and_bounds_are_shared_both_ways():
    f = weighted_mis(40, seed=3)
    want, a = optimum(f, time_limit=30)
    worse = np.zeros(f.n_vars, dtype=bool)  # the empty set: hard-feasible, costly
    ctx = SearchContext(f.n_vars, time_limit=5)
    ctx.report(worse, 0, evaluate(f, worse).cost)  # the search's incumbent
    side = _FakeSide(f, [[], [("lb", want - 5, None), ("model", want, a)]])
    share(side, ctx, threading.Event())
    # the incumbent went to the SAT side; its model became the best and the local search's start
    assert side.sent == [evaluate(f, worse).cost]
    assert ctx.best_key == (0, want) and ctx.best_source == "sat" and ctx.lower_bound == want - 5
    assert ctx.take_start() is not None and ctx.proven_cost is None
    ctx.raise_lower_bound(want)  # a bound the best meets: proven, the search stops
    assert ctx.proven_cost == want and ctx.stopped()


def test_a_local_search_restarts_from_an_offered_start():
    f = weighted_mis(200, seed=4)
    want, a = optimum(f, time_limit=30)
    ctx = SearchContext(f.n_vars, time_limit=None)
    ctx.offer_start(a)
    ws = WalkSAT(f, seed=1)
    ws.set_assignment(np.zeros(f.n_vars, dtype=bool))
    ws.run(max_flips=2_000, ctx=ctx)
    assert ws.restarts == 1 and ctx.start_offer is None
    assert ws.best_key == (0, want)


def test_no_hard_model_without_hard_clauses():
    """A SAT solver's model of no clauses is only its phases: sent as the best known at the
    first moment, it became the local search's start after PolyStep (random 3-SAT, 100k: the
    default 489-634 falsified against the search alone's 357-379). With hard clauses, a model."""
    for f, expected in ((random_ksat(300, 4.26, seed=2), []), (weighted_mis(60, seed=1), ["model"])):
        sent = []
        SatSearch(f, lambda kind, cost, a: sent.append(kind)).hard_model(time.perf_counter() + 5)
        assert sent[:1] == expected


def test_turns_on_one_core_pause_one_side_at_a_time():
    f = weighted_mis(40, seed=3)
    ctx = SearchContext(f.n_vars, time_limit=5)
    side = _FakeSide(f, [[]] * 1000)
    turns = Turns(side, ctx, first=0.05, slice_seconds=0.05)
    assert not ctx._may_run.is_set() and not side.paused  # the SAT side goes first
    seen = set()
    deadline = time.time() + 1
    while time.time() < deadline:
        turns.tick()
        seen.add((ctx._may_run.is_set(), side.paused))
        time.sleep(0.01)
    assert seen == {(False, False), (True, True)}  # never both running, never both waiting
    turns.end()
    assert not ctx.should_stop()


@pytest.mark.parametrize("first", [0.4, 2.0])
def test_the_first_turn_lasts_while_the_sat_side_brings_something(first):
    f = weighted_mis(40, seed=3)
    ctx = SearchContext(f.n_vars, time_limit=5)
    turns = Turns(_FakeSide(f, []), ctx, first=first, slice_seconds=0.1)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.6 and turns.sat_turn:   # something new every 0.03 s...
        turns.tick(useful=True)
        time.sleep(0.03)
    if first < 0.6:
        assert not turns.sat_turn and time.perf_counter() - t0 < first + 0.1   # ...up to `first`
    else:
        assert turns.sat_turn                                       # ...keeps the core
        t1 = time.perf_counter()
        while turns.sat_turn and time.perf_counter() - t1 < 2:
            turns.tick()
            time.sleep(0.01)
        assert 0.05 <= time.perf_counter() - t1 < 0.2               # until a slice with nothing new
    assert ctx._may_run.is_set()
    turns.end()


def test_a_sat_side_with_nothing_to_offer_steps_aside_on_one_core():
    f = weighted_mis(40, seed=3)
    ctx = SearchContext(f.n_vars, time_limit=5)
    turns = Turns(_FakeSide(f, []), ctx, first=0.0, slice_seconds=0.01, sat_share=0.5, min_share=0.1)
    cost = 10**9
    deadline = time.time() + 10
    while turns.share > 0.1 and time.time() < deadline:
        turns.tick()
        if not turns.sat_turn:   # the search improves on each of its turns
            cost -= 1
            ctx.report(np.zeros(f.n_vars, dtype=bool), 0, cost)
        time.sleep(0.002)
    assert turns.share == 0.1  # idle SAT turns shrank its share to the floor
    deadline = time.time() + 10
    while turns.share < 0.5 and time.time() < deadline:   # now neither side finds anything...
        turns.tick()
        time.sleep(0.002)
    assert turns.share == 0.5  # ...and the turns drift back to even
    while not turns.sat_turn:
        turns.tick()
    turns.tick(useful=True)    # a SAT turn that brings a better model...
    while turns.sat_turn:
        turns.tick()
    assert turns.share == 0.5  # ...earns its share back
    turns.end()


def test_on_one_core_the_first_try_counts_as_the_sat_sides_first_turn(monkeypatch):
    """The first try runs the SAT side's first phases; the child's first turn only tops it up
    to FIRST_TURN_SECONDS from when the first try began."""
    from polystep_sat.portfolio.sharing import FIRST_TURN_SECONDS

    monkeypatch.setattr(auto, "cores", lambda: 1)
    firsts = []

    def recording(side, ctx, first):
        firsts.append(first)
        return Turns(side, ctx, first=first)

    def slow_first_try(formula, ctx):
        time.sleep(0.8)
        return False

    monkeypatch.setattr(auto, "Turns", recording)
    monkeypatch.setattr(auto, "first_try", slow_first_try)
    r = solve(weighted_mis(60, seed=1), time_limit=4, seed=0)
    assert r.info["sat_side_turns"] is True
    assert firsts and 0.0 <= firsts[0] <= FIRST_TURN_SECONDS - 0.8


def test_pinned_to_one_core_the_default_still_proves(monkeypatch, no_first_try):
    monkeypatch.setattr(auto, "cores", lambda: 1)
    f = weighted_mis(300, seed=2)
    want, _ = optimum(f, time_limit=30)
    r = solve(f, time_limit=20, seed=0)
    assert r.info["sat_side_turns"] is True
    assert r.status == OPTIMUM and r.cost == want


@pytest.mark.parametrize("make", [lambda: random_weighted_partial(40, 50, 80, seed=1),
                                  lambda: weighted_set_cover(60, seed=2)])
def test_sat_search_phases_report_sound_models_bounds_and_optima(make):
    f = make()
    want, _ = optimum(f, time_limit=30)
    log = []
    search = SatSearch(f, lambda kind, cost, a: log.append((kind, cost, a)))
    search.run(time.perf_counter() + 20)
    for kind, cost, a in log:
        if kind == "lb":
            assert cost <= want
        else:
            ev = evaluate(f, a)
            assert ev.n_hard_unsat == 0 and ev.cost == cost >= want
    assert log[-1][0] == "opt" and log[-1][1] == want


@pytest.mark.parametrize("seed", range(6))
def test_rc2_hardened_from_an_incumbent_proves_the_same_optimum_and_only_sound_bounds(seed):
    f = weighted_set_cover(40, seed=seed) if seed % 2 else random_weighted_partial(30, 40, 60, seed=seed)
    want, a = optimum(f, time_limit=30)
    assert evaluate(f, a).cost == want
    # an incumbent at the optimum itself (RC2 hardens every clause heavier than the gap to it)
    for offered in (a, None):
        log = []
        search = SatSearch(f, lambda kind, cost, x: log.append((kind, cost, x)), core_share=1.0)
        if offered is not None:
            search.offer(want, offered)
        assert search.core_guided(time.perf_counter() + 20)
        assert all(cost <= want for kind, cost, _ in log if kind == "lb")
        assert log[-1][0] == "opt" and log[-1][1] == want and evaluate(f, log[-1][2]).cost == want


@pytest.mark.parametrize("seed", range(6))
def test_rc2_in_weight_bands_proves_the_optimum_of_many_level_formulas(seed, monkeypatch):
    # 30-40 weight levels in bands of a factor 2, AtMost1 detection after the first level only
    # where it found something, and a time cap on minimisation (tiny here: cores kept as found)
    import polystep_sat.portfolio.anytime_rc2 as anytime_rc2
    import polystep_sat.portfolio.sat_search as sat_search
    from polystep_sat.generate import many_level_partial

    if seed % 2:
        monkeypatch.setattr(anytime_rc2, "MINIMIZE_SECONDS_PER_CORE", 1e-4)
    f = many_level_partial(36, levels=30 + seed, seed=seed)
    want, _ = optimum(f, time_limit=30, stratified=True)   # PySAT's own RC2, a level per weight
    levels = []
    real = sat_search.anytime_rc2

    def counted(search):
        rc2 = real(search)
        step = rc2.next_level
        rc2.next_level = lambda: (step(), levels.append(rc2.levl))
        return rc2

    monkeypatch.setattr(sat_search, "anytime_rc2", counted)
    log = []
    search = SatSearch(f, lambda kind, cost, x: log.append((kind, cost, x)), core_share=1.0)
    assert search.core_guided(time.perf_counter() + 20)
    assert all(cost <= want for kind, cost, _ in log if kind == "lb")
    assert log[-1][0] == "opt" and log[-1][1] == want and evaluate(f, log[-1][2]).cost == want
    assert len(levels) <= 8          # weights 11..11 * levels: about log2(levels) + 1 bands, not 30


def test_rc2_leaves_the_searchs_clauses_as_they_were():
    # RC2 appends a selector to each soft clause of two or more literals, in place: the
    # linear search, which reads them after RC2, must see the formula's own clauses
    f = random_weighted_partial(40, 60, 120, seed=3)
    search = SatSearch(f, lambda kind, cost, x: None, core_share=1.0)
    hard, soft = [c[:] for c in search.hard], [c[:] for c in search.soft]
    assert any(len(c) > 1 for c in soft)
    search.core_guided(time.perf_counter() + 10)
    assert search.hard == hard and search.soft == soft


def test_core_minimisation_stops_once_it_has_been_tried_and_removed_nothing():
    # (Security test1 and test54: none of 405 and 265 minimisation calls removed a literal)
    from polystep_sat.portfolio.anytime_rc2 import MINIMIZE_MIN_YIELD, MINIMIZE_TRIAL_SECONDS, anytime_rc2

    f = random_weighted_partial(40, 60, 120, seed=3)
    search = SatSearch(f, lambda kind, cost, x: None, core_share=1.0)
    for tried, removed, minimised in ((0.5, 0, False), (0.5, MINIMIZE_MIN_YIELD * 100 + 1, True),
                                      (MINIMIZE_TRIAL_SECONDS / 2, 0, True)):
        rc2 = anytime_rc2(search)
        calls = []

        def counted(assumptions=(), real=rc2._call_oracle, **kw):
            calls.append(assumptions)
            return real(list(assumptions), **kw)

        rc2._call_oracle = counted
        rc2._started = time.perf_counter() - 100           # the share rule would allow it
        rc2._minimizing, rc2._minimize_calls, rc2._minimize_removed = tried, 100, removed
        rc2.core = list(rc2.wght)[:6]                        # selectors of soft clauses
        rc2.minimize_core()
        assert bool(calls) == minimised, (tried, removed)
        assert rc2._minimize_calls == 100 + len(calls)
        rc2.delete()


@pytest.mark.parametrize("seed", range(4))
def test_an_incumbent_offered_while_rc2_runs_hardens_soundly(seed):
    f = weighted_set_cover(60, seed=seed)
    want, a = optimum(f, time_limit=30)
    for delay in (0.0, 0.01, 0.05):
        log = []
        search = SatSearch(f, lambda kind, cost, x: log.append((kind, cost, x)), core_share=1.0, watch_every=0.01)
        timer = threading.Timer(delay, search.offer, args=(want, a))
        timer.start()
        assert search.core_guided(time.perf_counter() + 20)
        timer.join()
        assert all(cost <= want for kind, cost, _ in log if kind == "lb")
        assert log[-1][0] == "opt" and log[-1][1] == want and evaluate(f, log[-1][2]).cost == want


def test_a_stop_during_core_exhaustion_leaves_rc2s_bound_as_it_was():
    """PySAT's SAT solvers answer None to a call cut by an interrupt still pending from
    before it; RC2's core exhaustion reads that as UNSAT and raises its cost. Once a stop is
    asked, ours raises RC2Stopped there instead."""
    from polystep_sat.portfolio.anytime_rc2 import RC2Stopped, anytime_rc2

    class CutOnceInterrupted:
        """A SAT solver whose calls are cut while an interrupt is pending (PySAT's on hard calls)."""

        def __init__(self, oracle):
            self._oracle, self.pending = oracle, False

        def interrupt(self):
            self.pending = True

        def clear_interrupt(self):
            self.pending = False

        def solve_limited(self, assumptions=[], expect_interrupt=False):
            return None if self.pending else self._oracle.solve_limited(assumptions=assumptions)

        def get_status(self):
            return None if self.pending else self._oracle.get_status()

        def __getattr__(self, name):
            return getattr(self._oracle, name)

    f = weighted_set_cover(60, seed=0)
    want, _ = optimum(f, time_limit=30)
    search = SatSearch(f, lambda *a: None)

    def interrupted_in_a_core(rc2, k):
        rc2.oracle = CutOnceInterrupted(rc2.oracle)
        cores, process = [0], rc2.process_core

        def process_core():
            cores[0] += 1
            if cores[0] == k and len(rc2.core) > 1:   # a core that will be exhausted
                rc2.interrupt()
            return process()

        rc2.process_core = process_core
        return rc2

    stopped = 0
    for k in range(1, 40):
        ours = interrupted_in_a_core(anytime_rc2(search), k)
        try:
            ours.compute(expect_interrupt=True)
        except RC2Stopped:
            stopped += 1
        assert ours.cost <= want  # (PySAT's RC2, run the same way, ends above the optimum for some k)
    assert stopped > 0


@pytest.mark.parametrize("at", [0.05, 0.5, 1.5])
def test_a_stop_ends_rc2_at_its_next_call_or_propagation(at):
    from polystep_sat.portfolio.anytime_rc2 import RC2Stopped, anytime_rc2

    f = weighted_mis(3000, seed=1)      # RC2 takes seconds here, AtMost1 detection 0.3 s of them
    search = SatSearch(f, lambda *a: None)
    rc2 = anytime_rc2(search)
    threading.Timer(at, rc2.interrupt).start()
    t0 = time.perf_counter()
    with pytest.raises(RC2Stopped):
        rc2.compute(expect_interrupt=True)
    assert time.perf_counter() - t0 < at + 0.15


def test_linear_search_with_big_weights_improves_and_keeps_its_deadline():
    f = random_weighted_partial(30, 40, 60, seed=3)
    f.weights[~f.hard] = f.weights[~f.hard] * 1_000_003 + 7  # a resolution far above 1
    want, _ = optimum(f, time_limit=30)
    log = []
    search = SatSearch(f, lambda kind, cost, a: log.append((kind, cost)))
    search.hard_model(time.perf_counter() + 5)
    t0 = time.perf_counter()
    search.linear_search(t0 + 3)
    assert time.perf_counter() - t0 < 3 + 2  # one encoding build (~1 s) may pass the deadline
    models = [c for k, c in log if k == "model"]
    assert len(models) > 2 and models == sorted(set(models), reverse=True) and models[-1] >= want
    assert all(c == want for k, c in log if k == "opt")


@pytest.mark.parametrize("seed, offered", [(1, False), (2, False), (3, False), (1, True)])
def test_linear_search_level_by_level_is_sound_and_still_proves(seed, offered):
    # 3 weight levels: the linear search first bounds each level's count, heaviest
    # first, then the weighted sum (where an unsatisfiable bound is a proof)
    from polystep_sat.portfolio.sat_search import _levels

    f = random_weighted_partial(40, 60, 90, seed=seed)
    soft = ~f.hard
    f.weights[soft] = np.array([1, 3, 9])[np.arange(soft.sum()) % 3]
    assert _levels(f.weights[soft]) == [9, 3, 1]
    want, best = optimum(f, time_limit=30)
    log = []
    search = SatSearch(f, lambda kind, cost, a: log.append((kind, cost, a)))
    search.hard_model(time.perf_counter() + 5)
    if offered:   # the search's incumbent waits while the levels run, and is not lost
        search.offer(want, best)
    search.linear_search(time.perf_counter() + 20)
    if offered:
        assert log[-1][0] == "opt" and log[-1][1] == want == evaluate(f, log[-1][2]).cost
        return
    models = [c for k, c, a in log if k == "model"]
    assert models == sorted(set(models), reverse=True)
    for kind, cost, a in log:
        ev = evaluate(f, a)
        assert ev.n_hard_unsat == 0 and ev.cost == cost >= want
    assert log[-1][0] == "opt" and log[-1][1] == want


def test_levels_only_for_a_few_distinct_weights():
    from polystep_sat.portfolio.sat_search import MAX_LEVELS, _levels

    assert _levels(np.array([5, 5, 5])) == []                      # unweighted: one count already
    assert _levels(np.array([2, 100, 2, 7])) == [100, 7, 2]
    assert _levels(np.arange(1, MAX_LEVELS + 2)) == []              # many weights: the weighted sum


def test_a_stratum_the_incumbent_satisfies_whole_stays_satisfied(monkeypatch):
    """A tiny encoding budget makes the search take the heavy clause alone first; the
    incumbent satisfies it, so it is frozen (kept satisfied) while the light clauses are
    improved. Dropping it instead, the light search only finds models that break it."""
    from polystep_sat.formula import Formula
    from polystep_sat.portfolio import sat_search

    monkeypatch.setattr(sat_search, "MAX_TOTALIZER_SIZE", 5)
    f = Formula.from_clauses([[1, 2], [-1], [-2], [-3]], n_vars=3, weights=[1000, 1, 1, 1],
                             hard=[False] * 4, weighted=True)
    log = []
    search = SatSearch(f, lambda kind, cost, a: log.append((kind, cost)))
    search.offer(3, np.array([True, True, True]))   # heavy clause satisfied, light cost 3
    search._take_offer()
    search.linear_search(time.perf_counter() + 10)
    assert ("model", 1) in log and search.best[0] == 1


def test_unweighted_formula_too_big_to_encode_leaves_the_linear_search_at_once(monkeypatch):
    from polystep_sat.portfolio import sat_search

    monkeypatch.setattr(sat_search, "MAX_TOTALIZER_SIZE", 10)
    f = random_ksat(200, 4.26, seed=4)   # unweighted: no coarser resolution exists
    search = SatSearch(f, lambda *a: None)
    start = np.zeros(f.n_vars, dtype=bool)   # an incumbent (no hard clauses: no hard model)
    search.offer(evaluate(f, start).cost, start)
    t0 = time.perf_counter()
    search.linear_search(t0 + 10)
    assert time.perf_counter() - t0 < 2


class _StalledRC2:
    """What the bound watcher sees of RC2: a cost that rises only while ``rising``."""

    def __init__(self, rising):
        self.cost, self.rising, self.interrupted_at = 0, rising, None
        self.ubnd = 10**18

    def interrupt(self):
        self.interrupted_at = time.process_time()


@pytest.mark.parametrize("rising", [False, True])
def test_core_guided_search_steps_aside_when_its_bound_stalls(monkeypatch, rising):
    from polystep_sat.portfolio import sat_search

    monkeypatch.setattr(sat_search, "CORE_STALL_SECONDS", 0.3)
    f = random_weighted_partial(20, 20, 30, seed=5)
    search = SatSearch(f, lambda *a: None)
    rc2, stop = _StalledRC2(rising), threading.Event()
    watch = threading.Thread(target=search._watch_bound, args=(rc2, stop), daemon=True)
    watch.start()
    t0 = time.process_time()
    while time.process_time() - t0 < 1.5 and rc2.interrupted_at is None:   # CPU time: RC2 at work
        if rising:
            rc2.cost += 1
        sum(range(10_000))
    stop.set()
    watch.join()
    if rising:
        assert rc2.interrupted_at is None
    else:
        assert rc2.interrupted_at is not None and rc2.interrupted_at - t0 < 1.2


def test_core_guided_search_steps_aside_when_its_bound_cannot_meet_the_best_cost_in_time():
    f = random_weighted_partial(20, 20, 30, seed=5)
    search = SatSearch(f, lambda *a: None)
    # (CPU seconds, wall seconds, bound): 12 in the last second
    history = [(0.0, 0.0, 0), (0.5, 0.5, 40), (1.0, 1.0, 50), (1.5, 1.5, 52)]
    assert not search._out_of_pace(history, 3.0)            # no best cost known yet
    search.offer(100, np.zeros(f.n_vars, dtype=bool))       # an offered incumbent counts too
    assert search._out_of_pace(history, 3.0)                # 48 to go at 12/s: 4 s > 3 s left
    assert not search._out_of_pace(history, 5.0)
    assert not search._out_of_pace(history[:2], 0.1)        # too early to judge a pace
    paused = [(c, 4 * w, b) for c, w, b in history]         # one core: the same CPU time took 4x the wall
    assert search._out_of_pace(paused, 5.0)                 # 12 per 4 s: 16 s > 5 s left
    flat = [(c, w, 52) for c, w, _ in history]
    assert not search._out_of_pace(flat, 0.1)               # no rise at all: the stall rule's case
    search.best = (54, np.zeros(f.n_vars, dtype=bool))      # the bound is within 5% of the best cost:
    assert not search._out_of_pace(history, 0.1)            # near the optimum RC2 keeps its time


@pytest.mark.parametrize("share, min_share, interrupted", [
    (None, 0.02, False),   # no share of time given: only the stall rule
    (30.0, 0.02, True),    # far too slow for 30 s
    (30.0, 1 / 3, False),  # ...but RC2 first gets a third of its time (10 s here)
])
def test_bound_watcher_interrupts_a_slow_bound_after_its_first_share(monkeypatch, share, min_share, interrupted):
    from polystep_sat.portfolio import sat_search

    monkeypatch.setattr(sat_search, "CORE_PACE_WINDOW", 0.2)
    monkeypatch.setattr(sat_search, "CORE_PACE_MIN_SHARE", min_share)
    f = random_weighted_partial(20, 20, 30, seed=5)
    search = SatSearch(f, lambda *a: None)
    search.best = (10**9, np.zeros(f.n_vars, dtype=bool))
    rc2, stop = _StalledRC2(True), threading.Event()
    end = None if share is None else time.perf_counter() + share
    watch = threading.Thread(target=search._watch_bound, args=(rc2, stop, end), daemon=True)
    watch.start()
    t0 = time.process_time()
    while time.process_time() - t0 < 1.5 and rc2.interrupted_at is None:   # RC2 at work
        rc2.cost += 1                                   # ~10,000 a CPU second: far from 10**9 in 30 s
        sum(range(10_000))
    stop.set()
    watch.join()
    assert (rc2.interrupted_at is not None) == interrupted


def test_a_prestarted_child_does_the_next_sides_work_or_is_ended():
    from polystep_sat.portfolio import side as side_mod

    f = random_weighted_partial(30, 60, 20, seed=2)
    side_mod.prestart()
    early = side_mod._PRESTARTED
    try:
        assert early is not None and early.poll() is None
        time.sleep(2.0)   # it waits for work: its time limit counts from the work's arrival, not its start
        sat = side_mod.SatSide(f, time_limit=1.5)
        try:
            assert sat.pid == early.pid and side_mod._PRESTARTED is None
            got, t0 = [], time.time()
            while not sat.finished and time.time() - t0 < 20:
                got += sat.messages(0.1)
            assert [cost for kind, cost, a in got if kind == "opt"] == [optimum(f)[0]]
        finally:
            sat.stop()
        side_mod.prestart()   # one no side takes ends with the run
        unused = side_mod._PRESTARTED
        side_mod.stop_all()
        assert unused.poll() is not None and side_mod._PRESTARTED is None
    finally:
        side_mod.drop_prestarted()


def test_no_child_starts_from_the_solve_thread_once_the_command_line_has_answered():
    from polystep_sat.portfolio import side as side_mod

    f = random_weighted_partial(10, 10, 10, seed=1)
    seen = {}

    def solve_thread():   # the command line's solve thread, still at work after the answer
        side_mod.prestart()
        seen["prestarted"] = side_mod._PRESTARTED
        try:
            side_mod.SatSide(f, time_limit=5)
        except side_mod.SideClosed:
            seen["refused"] = True

    worker = threading.Thread(target=solve_thread)
    side_mod.stop_all(closing=worker)
    worker.start()
    worker.join()
    assert seen == {"prestarted": None, "refused": True} and not side_mod._LIVE
    other = side_mod.SatSide(f, time_limit=5)   # other threads (a later solve) still may
    other.stop()


def test_messages_round_trip_and_refuse_garbage():
    a = np.array([True, False, True, True, False, False, True, False, True])
    kind, cost, b = decode(encode("model", 12, a), a.size)
    assert (kind, cost) == ("model", 12) and np.array_equal(a, b)
    assert decode(encode("lb", 3), a.size) == ("lb", 3, None)
    for bad in ("", "hello 1", "model x", "model 1 zz", "model 1 00"):
        assert decode(bad, a.size) is None


def _children(pid):
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _wait_for_children(p, seconds=30):
    """The solver's child processes, once it has any (the SAT side)."""
    deadline = time.time() + seconds
    while True:
        assert time.time() < deadline and p.poll() is None
        kids = _children(p.pid)
        if kids:
            return kids
        time.sleep(0.2)


def test_sigterm_leaves_no_child_behind(tmp_path):
    # 70 variables at ratio 6: RC2 does not finish in minutes, and the memory rule starts it
    f = random_ksat(70, 6.0, seed=0)
    assert worth_starting(f)
    path = tmp_path / "hard.cnf"
    write_dimacs(f, path)
    p = _cli("solve", str(path), "--time-limit", "60")
    head = []
    for line in p.stdout:          # the first answer, so that the signal finds one to print
        head.append(line)          # (a SIGTERM before it is rightly answered "s UNKNOWN")
        if line.startswith("o "):
            break
    kids = _wait_for_children(p)
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=30)
    assert p.returncode in (10, 30) and "s " in out, "".join(head) + out
    gone, alive = psutil.wait_procs(kids, timeout=10)
    assert not alive


def test_a_script_without_a_main_guard_runs_once(tmp_path):
    # the child must not re-run the caller's script (multiprocessing's spawn would)
    script = tmp_path / "user_script.py"
    marker = tmp_path / "runs.txt"
    script.write_text(
        "from polystep_sat import solve\n"
        f"open({str(marker)!r}, 'a').write('run\\n')\n"
        "r = solve('instances/maxcut-gnp30.cnf', time_limit=20)\n"
        "print(r.status, r.cost, r.found_by)\n")
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[:3] == ["OPTIMUM", "FOUND", "42"]
    assert marker.read_text() == "run\n"


def test_a_harness_that_terminates_the_children_first_sees_all_gone_within_a_second(tmp_path):
    # The MaxSAT Evaluation regression suite's checker: SIGTERM to every child, then to the
    # solver, then everything must be gone (a zombie counts as alive) within 1 s.
    f = random_ksat(70, 6.0, seed=1)
    path = tmp_path / "hard.cnf"
    write_dimacs(f, path)
    p = _cli("solve", str(path), "--time-limit", "60")
    kids = _wait_for_children(p)
    solver = psutil.Process(p.pid)
    for k in kids:
        k.terminate()
    solver.terminate()
    gone, alive = psutil.wait_procs([solver] + kids, timeout=1.0)
    assert not alive
    out, _ = p.communicate(timeout=10)
    assert "s SATISFIABLE" in out.splitlines()


def test_cost_zero_ends_the_search_without_claiming_a_proof_from_the_sat_side():
    ctx = SearchContext(4, time_limit=60)
    ctx.report(np.ones(4, bool), 0, 3)
    assert not ctx.stopped()
    ctx.report(np.zeros(4, bool), 1, 0)      # cost 0 with a hard clause falsified: not done
    assert not ctx.stopped()
    ctx.report(np.zeros(4, bool), 0, 0)
    assert ctx.stopped() and ctx.proven_cost is None and ctx.lower_bound is None

