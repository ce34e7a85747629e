"""WalkSAT's noise, by flips: the polish's descent from one PolyStep start.

For one formula: PolyStep alone (``polish=False``) for ``--polystep-seconds``
gives a start; from it, WalkSAT runs ``--flips`` flips for each noise and
seed, and the falsified cost is recorded half-way and at the end. Counting
flips, not seconds, keeps the comparison free of the machine's speed (two of
these may run at once). The formula: a number (random 3-SAT with that many
variables, ratio 4.26, instance seed 1), a DIMACS file, or ``gen:CALL`` (a
generator of :mod:`polystep_sat.generate`). Writes ``<out>.md`` and ``<out>.csv``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def load(spec: str):
    """A number: random 3-SAT with that many variables; else as bench_hit_rate reads it."""
    if spec.isdigit():
        from polystep_sat import generate

        return generate.random_ksat(int(spec), 4.26, seed=1), f"random 3-SAT, {int(spec):,} variables"
    from bench_hit_rate import load as load_file_or_generator

    return load_file_or_generator(spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("formula", help="a variable count (random 3-SAT), a DIMACS file, or gen:CALL")
    ap.add_argument("--flips", type=float, default=10e6)
    ap.add_argument("--polystep-seconds", type=float, default=5.0)
    ap.add_argument("--noises", default="0.3,0.2")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "noise")
    args = ap.parse_args()

    from polystep_sat import solve
    from polystep_sat.methods.walksat import WalkSAT

    formula, name = load(args.formula)
    start = solve(formula, method="polystep", time_limit=args.polystep_seconds, seed=0, polish=False)
    flips = int(args.flips)
    rows = []
    for noise in [float(x) for x in args.noises.split(",")]:
        for seed in [int(x) for x in args.seeds.split(",")]:
            ws = WalkSAT(formula, noise=noise, seed=seed)
            ws.set_assignment(start.assignment)
            ws.run(max_flips=flips // 2)
            half = int(ws.best_key[1])
            ws.run(max_flips=flips - flips // 2)
            rows.append(dict(noise=noise, seed=seed, half=half, end=int(ws.best_key[1]), hard=int(ws.best_key[0])))
            print(rows[-1], flush=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out.with_suffix(".csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = [f"# WalkSAT's noise by flips: {name}", "",
             "Command: `python " + " ".join([Path(sys.argv[0]).as_posix()] + sys.argv[1:]) + "`  ",
             f"Machine: {time.strftime('%Y-%m-%d %H:%M')}. Start: PolyStep alone for {args.polystep_seconds:g} s "
             f"(cost {start.cost:,}); then {flips:,} WalkSAT flips per row.", "",
             f"| noise | seed | cost after {flips // 2:,} flips | cost after {flips:,} | hard clauses falsified |",
             "|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['noise']:g} | {r['seed']} | {r['half']:,} | {r['end']:,} | {r['hard']} |" for r in rows]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
