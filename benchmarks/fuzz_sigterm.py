"""Fuzz the CLI's output contract under SIGTERM, as a MaxSAT Evaluation harness would.

For each of N random small formulas (CNF, old WCNF, new WCNF; with hard,
weighted, empty and duplicate-literal clauses), run ``polystep-sat solve`` as a
subprocess, send SIGTERM at a random moment 0.1-1 s after start and SIGKILL one
second later, and check the output: one s line, exit code matching it, the last
o line equal to the v assignment's true cost, no false OPTIMUM (checked
against RC2), no short v line, no traceback, ended before SIGKILL.

    python benchmarks/fuzz_sigterm.py --count 1000 --jobs 2

Writes benchmarks/results/fuzz_sigterm.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from polystep_sat.contract import contract_violations
from polystep_sat.dimacs import write_dimacs
from polystep_sat.formula import Formula
from polystep_sat.verify import hard_clauses_satisfiable, optimum

RESULTS = Path(__file__).resolve().parent / "results"
METHODS = ["auto", "polystep", "cwls", "walksat", "openai-es", "cma-es", "random"]


def random_formula(rng) -> tuple[Formula, str]:
    """A small random formula and the file format to write it in."""
    n = int(rng.integers(1, 40))
    m = int(rng.integers(0, 6 * n + 2))
    clauses = []
    for _ in range(m):
        k = int(rng.choice([0, 1, 2, 3, 3, 3, 4], p=[0.02, 0.1, 0.2, 0.3, 0.18, 0.1, 0.1]))
        c = [int(v) * (1 if rng.random() < 0.5 else -1) for v in rng.integers(1, n + 1, size=k)]
        clauses.append(c)  # duplicates and tautologies happen by chance
    fmt = rng.choice(["cnf", "wcnf-old", "wcnf"])
    if fmt == "cnf":
        return Formula.from_clauses(clauses, n_vars=n), "cnf"
    hard = rng.random(m) < rng.choice([0.0, 0.3, 0.7])
    big = rng.random() < 0.2
    weights = rng.integers(1, 2**62 if big else 20, size=m, dtype=np.int64)
    weights[rng.random(m) < 0.05] = 0
    return Formula.from_clauses(clauses, n_vars=n, weights=weights, hard=hard, weighted=True), fmt


def run_one(i: int, seed: int, workdir: str) -> dict:
    rng = np.random.default_rng([seed, i])
    formula, fmt = random_formula(rng)
    ext = ".cnf" if fmt == "cnf" else ".wcnf"
    path = os.path.join(workdir, f"f{i}{ext}")
    write_dimacs(formula, path, fmt="wcnf-old" if fmt == "wcnf-old" else None)
    method = str(rng.choice(METHODS))
    t_term = float(rng.uniform(0.1, 1.0))
    cmd = [sys.executable, "-m", "polystep_sat.cli", "solve", path, "--method", method,
           "--time-limit", "30", "--seed", str(i), "--no-progress"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = False
    try:
        out, err = proc.communicate(timeout=t_term)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=1.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            killed = True
    wall = time.perf_counter() - t0
    opt, _ = optimum(formula, time_limit=20)
    feasible = None
    if formula.is_partial:
        feasible, _ = hard_clauses_satisfiable(formula, time_limit=20)
    bad = [] if not killed else ["not ended within 1 s of SIGTERM (SIGKILLed)"]
    if proc.returncode is not None and proc.returncode < 0 and not killed:
        bad.append(f"died of signal {-proc.returncode}")
    if "Traceback" in err:
        bad.append("traceback on stderr: " + err.strip().splitlines()[-1])
    if not killed and proc.returncode >= 0:
        bad += contract_violations(out, proc.returncode, formula, optimum=opt, hard_feasible=feasible)
    status = next((l[2:] for l in out.splitlines() if l.startswith("s ")), None)
    return {"i": i, "fmt": fmt, "method": method, "n_vars": formula.n_vars, "n_clauses": formula.n_clauses,
            "sigterm_at": round(t_term, 3), "wall": round(wall, 3), "exit": proc.returncode,
            "status": status, "violations": bad}


def interpreter_start_seconds(repeats: int = 7) -> float:
    """Median wall time of a bare ``python -c pass``: before that much time has
    passed, no handler of ours can exist and SIGTERM's default action kills."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(RESULTS / "fuzz_sigterm"))
    args = ap.parse_args(argv)
    t_start = interpreter_start_seconds()
    t0 = time.time()
    with tempfile.TemporaryDirectory() as d, ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda i: run_one(i, args.seed, d), range(args.count)))
    bad = [r for r in rows if r["violations"]]
    early_deaths = [r for r in bad if r["violations"] == ["died of signal 15"] and r["sigterm_at"] < 2 * t_start]
    by_status = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    lines = [
        "# SIGTERM fuzz of the output contract", "",
        f"`python benchmarks/fuzz_sigterm.py --count {args.count} --jobs {args.jobs} --seed {args.seed}`", "",
        f"- formulas: {len(rows)} (cnf / old wcnf / new wcnf, random methods), SIGTERM at 0.1-1 s, SIGKILL 1 s later",
        f"- contract violations: **{len(bad)}**",
        f"- of which killed by SIGTERM's default action before the interpreter could run our handler "
        f"(SIGTERM earlier than twice a bare `python -c pass`, {t_start:.3f} s median here): {len(early_deaths)}",
        f"- final status counts: {by_status}",
        f"- slowest end after SIGTERM: {max(r['wall'] - r['sigterm_at'] for r in rows):.3f} s",
        f"- wall time of the fuzz: {time.time() - t0:.0f} s", "",
    ]
    for r in bad[:20]:
        lines.append(f"- #{r['i']} {r['fmt']} {r['method']} at {r['sigterm_at']} s: {r['violations']}")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out + ".md").write_text(text)
    Path(args.out + ".json").write_text(json.dumps(rows, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
