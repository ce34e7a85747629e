"""WalkSAT's flips per second, by formula: the kernel's speed where the polish runs.

For each formula: WalkSAT (the polish's noise for that formula) from a random
start, ``--warm`` flips untimed (so the timed flips run where a polish does,
with few clauses falsified), then ``--flips`` flips timed, ``--reps`` times.
It prints and records the rate and the cost reached, so two versions of the
kernel compare as a ratio measured one after the other (run this file from a
git worktree of the older commit, with PYTHONPATH pointing at it).

A formula: a number (random 3-SAT with that many variables, ratio 4.26,
instance seed 1), a DIMACS file, or ``gen:CALL`` (a generator of
:mod:`polystep_sat.generate`). Writes ``<out>.md`` and ``<out>.csv``.

    python benchmarks/bench_walksat_rate.py 10000 100000 1000000 \
        benchmarks/.data/structured/colouring_500000_s1.wcnf --out benchmarks/results/walksat_rate
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("formulas", nargs="+", help="variable counts (random 3-SAT), DIMACS files, or gen:CALL")
    ap.add_argument("--warm", type=float, default=5e6, help="untimed flips first (default 5M)")
    ap.add_argument("--flips", type=float, default=10e6, help="timed flips per repetition (default 10M)")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "walksat_rate")
    args = ap.parse_args()

    import numpy as np

    import polystep_sat
    from bench_noise import load
    from polystep_sat.methods.polystep_pipeline import polish_noise
    from polystep_sat.methods.walksat import WalkSAT

    code = Path(polystep_sat.__file__).resolve().parent.parent
    commit = subprocess.run(["git", "-C", str(code), "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    rows = []
    for spec in args.formulas:
        formula, name = load(spec)
        noise = polish_noise(formula)
        for rep in range(args.reps):
            ws = WalkSAT(formula, noise=noise, seed=args.seed + rep)
            ws.set_assignment(np.random.default_rng(args.seed + rep).random(formula.n_vars) < 0.5)
            ws.run(max_flips=int(args.warm))
            t0 = time.perf_counter()
            done = ws.run(max_flips=int(args.flips))
            dt = time.perf_counter() - t0
            h, cost = ws.best_key
            row = dict(formula=name, n_vars=formula.n_vars, noise=noise, rep=rep, flips=done,
                       seconds=round(dt, 3), flips_per_second=round(done / dt), hard=h, cost=cost)
            rows.append(row)
            print(row, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out.with_suffix(".csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    cmd = " ".join(["python", "benchmarks/bench_walksat_rate.py"] + sys.argv[1:])
    lines = [f"# WalkSAT's flips per second (code {commit})", "",
             f"Command: `{cmd}`  ",
             f"Machine: {time.strftime('%Y-%m-%d %H:%M')}. From a random start, {int(args.warm):,} flips untimed, "
             f"then {int(args.flips):,} timed per row.", "",
             "| formula | variables | noise | rep | flips/s | cost after | hard falsified |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['formula']} | {r['n_vars']:,} | {r['noise']} | {r['rep']} | {r['flips_per_second']:,} "
                     f"| {r['cost']:,} | {r['hard']} |")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
