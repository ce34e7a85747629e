"""The exact side beside the search: proofs end runs, nothing unproven is called
optimal, no child process outlives the run."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from polystep_sat import solve
from polystep_sat.exact_side import ExactSide, worth_starting
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
    assert r.lower_bound == want and r.gap == 0 and r.found_by in ("search", "exact")
    assert r.info["exact_side"] == "proved the optimum"


def test_search_alone_has_no_exact_side():
    f = weighted_mis(300, seed=2)
    r = solve(f, method="polystep", time_limit=1.0, seed=0)
    assert "exact_side" not in r.info and r.lower_bound is None
    assert r.status == SATISFIABLE and r.found_by == "search"


def test_size_rule_keeps_rc2_off_large_instances():
    big = random_ksat(50_000, 4.26, seed=0)
    assert not worth_starting(big) and worth_starting(weighted_mis(2000, seed=1))
    r = solve(big, time_limit=1.0, seed=0)
    assert r.info["exact_side"].startswith("not started")


@pytest.mark.parametrize("seed", range(5))
def test_never_called_optimal_without_proof(seed):
    f = random_weighted_partial(40, 50, 80, seed=seed)
    want, _ = optimum(f, time_limit=30)
    r = solve(f, time_limit=5, seed=seed)
    assert r.verified and r.cost == evaluate(f, r.assignment).cost
    if r.status == OPTIMUM:
        assert r.cost == want and r.lower_bound == want


def test_an_answer_that_does_not_check_out_is_refused():
    f = weighted_mis(40, seed=3)
    side = ExactSide(f, time_limit=30)
    try:
        deadline = time.time() + 30
        while not side.wait(0.1):
            assert time.time() < deadline
        cost, a = side.result()
        assert cost == evaluate(f, a).cost
        side._answer = (cost - 1, side._answer[1])  # a claim the evaluation contradicts
        assert side.result() is None
    finally:
        side.stop()
    assert not side.alive()


def _children(pid):
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _wait_for_children(p, seconds=30):
    """The solver's child processes, once it has any (the RC2 child)."""
    deadline = time.time() + seconds
    while True:
        assert time.time() < deadline and p.poll() is None
        kids = _children(p.pid)
        if kids:
            return kids
        time.sleep(0.2)


def test_sigterm_leaves_no_child_behind(tmp_path):
    # 70 variables at ratio 6: RC2 does not finish in minutes, and the size rule starts it
    f = random_ksat(70, 6.0, seed=0)
    assert worth_starting(f)
    path = tmp_path / "hard.cnf"
    write_dimacs(f, path)
    p = _cli("solve", str(path), "--time-limit", "60")
    kids = _wait_for_children(p)
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=30)
    assert p.returncode in (10, 30) and "s " in out
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
