"""The scaling-study harness: rows, verification, failures, resume, files, Dask."""

from __future__ import annotations

import csv
import os
import signal
import time

import numpy as np
import pytest

from polystep_sat import study
from polystep_sat.generate import random_ksat
from polystep_sat.result import SATISFIABLE, Result
from polystep_sat.verify import evaluate

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TINY = ["--methods", "random,exact", "--seeds", "2", "--time-limit", "0.3", "--no-progress"]


def _csv(out):
    with open(out / study.CSV_NAME, newline="") as f:
        return list(csv.DictReader(f))


def _assert_pngs(out):
    for name in ("satisfied_fraction.png", "wall_time.png", "peak_memory.png"):
        data = (out / name).read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 5000, name


# ----------------------------------------------------------------- helpers: plan, parse

def test_parse_sizes():
    assert study.parse_sizes("100, 1k,1e4,1M") == [100, 1000, 10000, 1_000_000]
    for bad in ("", "abc", "0", "1.5"):
        with pytest.raises(ValueError):
            study.parse_sizes(bad)


def test_plan_gives_every_method_the_same_instance_per_size_and_seed():
    specs = study.plan_generated([50, 100], ["random", "exact"], 3, [0.5, 2.0], ratio=4.0, study_seed=7)
    assert len(specs) == 2 * 3 * 2
    by = {}
    for s in specs:
        by.setdefault((s.size, s.seed), set()).add((s.instance, s.instance_seed))
        assert s.time_limit == (0.5 if s.size == 50 else 2.0) and s.clauses == round(4.0 * s.size)
    assert all(len(v) == 1 for v in by.values())                      # one instance per (size, seed)
    assert len({next(iter(v))[1] for v in by.values()}) == len(by)     # and they all differ
    again = study.plan_generated([50, 100], ["random", "exact"], 3, [0.5, 2.0], ratio=4.0, study_seed=7)
    assert [s.instance_seed for s in again] == [s.instance_seed for s in specs]
    other = study.plan_generated([50], ["random"], 1, 1.0, study_seed=8)
    assert other[0].instance_seed != specs[0].instance_seed
    with pytest.raises(ValueError):
        study.plan_generated([50, 100], ["random"], 1, [1.0, 2.0, 3.0])


# ----------------------------------------------------------------- a tiny study, end to end

def test_tiny_local_study_writes_verified_rows_table_and_plots(tmp_path):
    out = tmp_path / "study"
    code = study.main(["--sizes", "40,80", *TINY, "--workers", "2", "--out", str(out), "--save-assignments"])
    assert code == study.EXIT_OK
    rows = study.read_rows(out / study.CSV_NAME)
    assert len(rows) == 2 * 2 * 2
    assert {(r["size"], r["method"], r["seed"]) for r in rows} == {
        (n, m, s) for n in (40, 80) for m in ("random", "exact") for s in (0, 1)}
    for r in rows:
        assert r["verified"] and r["error"] == "" and r["cost"] == r["claimed_cost"]
        assert r["clauses"] == round(4.26 * r["size"]) and r["time_limit"] == 0.3
        assert r["wall_time"] > 0 and r["peak_memory_mb"] > 10
        assert r["satisfied_fraction"] == pytest.approx(1 - r["n_unsat"] / r["clauses"])
    # Same instance for both methods: the exact optimum is never worse than random sampling.
    for n in (40, 80):
        for s in (0, 1):
            pair = {r["method"]: r for r in rows if r["size"] == n and r["seed"] == s}
            assert pair["random"]["instance_seed"] == pair["exact"]["instance_seed"]
            assert pair["exact"]["cost"] <= pair["random"]["cost"]
    # The CSV agrees with an independent re-evaluation of each saved assignment.
    for r in rows:
        f = random_ksat(r["size"], r["ratio"], k=3, seed=r["instance_seed"])
        packed = np.load(study.assignment_path(out / "assignments", r))
        ev = evaluate(f, np.unpackbits(packed, count=f.n_vars).astype(bool))
        assert ev.cost == r["cost"] and ev.n_unsat == r["n_unsat"]
    assert all(c["ok"] for c in study.recheck(out)) and len(study.recheck(out)) == 8
    md = (out / study.SUMMARY_NAME).read_text()
    assert "| 40 | 170 | random | 0.3 | 2/2 |" in md and "| 80 | 341 | exact | 0.3 | 2/2 |" in md
    assert "failed" not in md
    _assert_pngs(out)


# ----------------------------------------------------------------- failures are rows

def _wrong_cost_solve(formula, method, time_limit, seed, backend):
    a = np.zeros(formula.n_vars, dtype=bool)
    ev = evaluate(formula, a)
    return Result(a, ev.cost + 1, ev.n_unsat, 0, SATISFIABLE, True, method=method, n_vars=formula.n_vars,
                  n_clauses=formula.n_clauses, satisfied_fraction=0.0, seed=seed)


def test_wrong_cost_and_raising_method_are_rows_marked_not_verified(tmp_path, monkeypatch):
    import polystep_sat.solver as solve_module

    specs = study.plan_generated([30], ["random", "no-such-method"], 1, 0.2)
    outcome = study.run_study(specs, tmp_path, workers=0, progress=False, plots=False)
    assert outcome.failed == 1 and outcome.ran == 2
    rows = {r["method"]: r for r in study.read_rows(tmp_path / study.CSV_NAME)}
    assert rows["random"]["verified"]
    bad = rows["no-such-method"]
    assert not bad["verified"] and bad["status"] == "ERROR" and "unknown method" in bad["error"]
    assert bad["size"] == 30 and bad["cost"] is None

    monkeypatch.setattr(solve_module, "solve", _wrong_cost_solve)
    out2 = tmp_path / "liar"
    outcome = study.run_study(study.plan_generated([30], ["random"], 1, 0.2), out2, workers=0, progress=False,
                              plots=False)
    (row,) = study.read_rows(out2 / study.CSV_NAME)
    assert outcome.failed == 1 and not row["verified"]
    assert "claimed cost" in row["error"] and row["claimed_cost"] == row["cost"] + 1
    assert "Runs that failed or did not verify" in (out2 / study.SUMMARY_NAME).read_text()


# Targets for the spawned workers (importable by name from this module).
def crash_target(spec):
    os._exit(3)


def hang_target(spec):
    time.sleep(60)


def hog_target(spec):
    block = np.ones(300 * 2**20 // 8)  # 300 MB, touched
    time.sleep(60)
    return block.size


def test_crash_timeout_and_memory_kill_are_rows(tmp_path):
    rows = []
    spec = study.plan_generated([20], ["random"], 1, 0.1)[0]
    study.run_local([spec], rows.append, workers=1, target=crash_target)
    study.run_local([spec], rows.append, workers=1, target=hang_target, run_timeout=1.0)
    study.run_local([spec], rows.append, workers=1, target=hog_target, max_memory_mb=150)
    crashed, timed_out, hog = rows
    assert crashed["status"] == "CRASHED" and "status 3" in crashed["error"] and not crashed["verified"]
    assert timed_out["status"] == "TIMEOUT" and not timed_out["verified"]
    assert hog["status"] == "MEMORY" and "--max-memory-mb 150" in hog["error"] and not hog["verified"]
    for r in rows:  # still labelled with the run they belong to
        assert r["instance"] == spec.instance and r["method"] == "random" and r["size"] == 20


# ----------------------------------------------------------------- resume and interrupts

def test_resume_skips_finished_runs_and_survives_a_torn_line(tmp_path):
    calls = []

    def counting(spec):
        calls.append(spec.key)
        return study.run_one(spec)

    first = study.plan_generated([20], ["random"], 2, 0.1)
    study.run_study(first, tmp_path, workers=0, progress=False, plots=False, target=counting)
    assert len(calls) == 2
    with open(tmp_path / study.CSV_NAME, "a") as f:
        f.write("random-3sat-n99,99,4")  # a row cut short by a kill
    both = study.plan_generated([20, 30], ["random"], 2, 0.1)
    outcome = study.run_study(both, tmp_path, workers=0, progress=False, plots=False, target=counting)
    assert outcome.skipped == 2 and outcome.ran == 2 and len(calls) == 4
    assert set(calls[2:]) == {s.key for s in both[2:]}
    rows = study.read_rows(tmp_path / study.CSV_NAME)
    assert len(rows) == 4 and all(r["verified"] for r in rows)
    # A different time limit is a different run.
    study.run_study(study.plan_generated([20], ["random"], 1, 0.2), tmp_path, workers=0, progress=False,
                    plots=False, target=counting)
    assert len(calls) == 5
    # --no-resume starts over and keeps the old CSV aside.
    study.run_study(first, tmp_path, workers=0, progress=False, plots=False, resume=False, target=counting)
    assert len(calls) == 7 and (tmp_path / (study.CSV_NAME + ".bak")).exists()
    assert len(_csv(tmp_path)) == 2


def test_interrupt_keeps_finished_rows_and_resume_completes(tmp_path):
    specs = study.plan_generated([20, 30], ["random"], 2, 0.1)

    def interrupted_at_third(spec):
        if spec.key == specs[2].key:
            raise KeyboardInterrupt
        return study.run_one(spec)

    outcome = study.run_study(specs, tmp_path, workers=0, progress=False, plots=False, target=interrupted_at_third)
    assert outcome.interrupted and outcome.ran == 2
    assert len(study.read_rows(tmp_path / study.CSV_NAME)) == 2
    assert (tmp_path / study.SUMMARY_NAME).exists()
    outcome = study.run_study(specs, tmp_path, workers=0, progress=False, plots=False)
    assert not outcome.interrupted and outcome.skipped == 2 and outcome.ran == 2 and outcome.failed == 0


def test_sigterm_stops_a_local_study_and_keeps_rows(tmp_path):
    """SIGTERM in the parent: workers are stopped, finished rows stay."""
    import threading

    specs = study.plan_generated([20], ["random"], 6, 1.0)
    csv_path = tmp_path / study.CSV_NAME

    def term_after_first_row():
        # a signal once a row is on disk and more runs remain (not a fixed
        # delay: worker start-up time varies with the machine's load)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if len(study.read_rows(csv_path)) >= 1:
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
            except (OSError, ValueError):  # not there yet, or a row half-written
                pass
            time.sleep(0.02)

    watcher = threading.Thread(target=term_after_first_row, daemon=True)
    watcher.start()
    outcome = study.run_study(specs, tmp_path, workers=1, progress=False, plots=False)
    watcher.join()
    assert outcome.interrupted and 0 < outcome.ran < len(specs)
    rows = study.read_rows(tmp_path / study.CSV_NAME)
    assert len(rows) == outcome.ran and all(r["verified"] for r in rows)


# ----------------------------------------------------------------- instance files

def test_study_over_instance_files(tmp_path):
    from polystep_sat.dimacs import write_dimacs

    inst = tmp_path / "inst"
    inst.mkdir()
    write_dimacs(random_ksat(25, 4.0, seed=1), inst / "a.cnf")
    write_dimacs(random_ksat(35, 4.0, seed=2), inst / "b.cnf.gz")
    (inst / "notes.txt").write_text("not an instance")
    assert study.peek_header(str(inst / "b.cnf.gz")) == (35, 140)
    out = tmp_path / "out"
    code = study.main(["--instances", str(inst), *TINY, "--seeds", "1", "--workers", "0", "--out", str(out)])
    assert code == study.EXIT_OK
    rows = study.read_rows(out / study.CSV_NAME)
    assert sorted((r["size"], r["clauses"], r["method"]) for r in rows) == [
        (25, 100, "exact"), (25, 100, "random"), (35, 140, "exact"), (35, 140, "random")]
    assert all(r["verified"] and r["instance_seed"] is None for r in rows)
    assert {os.path.basename(r["instance"]) for r in rows} == {"a.cnf", "b.cnf.gz"}
    # A glob works too, and an empty match is a usage error.
    assert study.find_instances(str(inst / "*.cnf")) == [str(inst / "a.cnf")]
    assert study.main(["--instances", str(tmp_path / "none*.cnf"), "--out", str(out)]) == study.EXIT_USAGE


# ----------------------------------------------------------------- Dask

def test_dask_path_with_a_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        out = tmp_path / "dask"
        code = study.main(["--sizes", "30,60", "--methods", "random,exact,no-such", "--seeds", "1",
                           "--time-limit", "0.2", "--no-progress", "--scheduler", cluster.scheduler_address,
                           "--out", str(out)])
        assert code == study.EXIT_USAGE  # unknown methods are refused before anything runs
        code = study.main(["--sizes", "30,60", *TINY, "--scheduler", cluster.scheduler_address,
                           "--out", str(out)])
        assert code == study.EXIT_OK
        specs = study.plan_generated([30], ["nope"], 1, 0.2)
        outcome = study.run_study(specs, out, scheduler=cluster.scheduler_address, progress=False)
        assert outcome.failed == 1
    rows = study.read_rows(out / study.CSV_NAME)
    assert len(rows) == 2 * 2 * 2 + 1
    good = [r for r in rows if r["method"] != "nope"]
    assert all(r["verified"] and r["peak_memory_mb"] > 0 for r in good)
    (bad,) = [r for r in rows if r["method"] == "nope"]
    assert not bad["verified"] and "unknown method" in bad["error"]
    _assert_pngs(out)


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("distributed")
    specs = study.plan_generated([20], ["random"], 1, 0.1)
    with pytest.raises(RuntimeError, match="cannot reach the Dask scheduler"):
        study.run_dask(specs, print, "tcp://127.0.0.1:9", connect_timeout=1)


def test_missing_dask_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(RuntimeError, match=r"polystep-sat\[dask\]"):
        study.run_dask([], print, "tcp://127.0.0.1:9")


# ----------------------------------------------------------------- the command line

def test_cli_wiring_and_usage_errors(tmp_path, capsys):
    from polystep_sat import cli

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        out = tmp_path / "cli"
        assert cli.main(["scale", "--sizes", "20", *TINY, "--seeds", "1", "--workers", "0",
                         "--out", str(out)]) == 0
        assert len(_csv(out)) == 2 and "| 20 | 85 | random |" in capsys.readouterr().out
        assert cli.main(["scale", "--sizes", "20", "--methods", "bogus", "--out", str(out)]) == 2
        assert "unknown method" in capsys.readouterr().err
    finally:
        for s, h in saved.items():
            signal.signal(s, h)
    for argv in (["--out", str(out)],
                 ["--sizes", "10", "--instances", str(out), "--out", str(out)],
                 ["--sizes", "10,20", "--time-limit", "1,2,3", "--out", str(out)],
                 ["--sizes", "10", "--time-limit", "0", "--out", str(out)]):
        assert study.main(argv) == study.EXIT_USAGE, argv
