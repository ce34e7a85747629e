"""How often a search reaches each cost on one file, seed after seed.

For a file where single runs fall either way (the Ramsey file of real-dev
reaches 232 or stays at 236), one run per side says little; this runs the
same method with many seeds, in this process, one run after the other, and
tabulates the costs reached:

* by time: ``--methods`` with ``--seconds`` (``solve(f, method=..., time_limit=...)``);
* by flips: ``--flips`` runs the clause-weighting search alone from a random
  start for that many flips (no clock involved), with ``--stall-flips``
  setting the flips without a better point after which a new try begins
  (NuWLS's restart; ``cwls.STALL_FLIPS``) and ``--params`` the search's
  parameter sets to compare (a row each).

Pin it to one core (``taskset -c 0``) for the by-time rows to mean what the
guard's one-core runs mean. FILE may also be ``gen:CALL``, a call of a
generator of :mod:`polystep_sat.generate` (``gen:ramsey_formula(12, levels=3, seed=1)``).
Writes ``<out>.md`` and ``<out>.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def by_time(formula, method: str, seconds: float, seeds) -> list[int]:
    from polystep_sat import solve

    return [int(solve(formula, method=method, time_limit=seconds, seed=s).cost) for s in seeds]


def by_flips(formula, flips: int, stall_flips: int, seeds, params=None) -> list[int]:
    import polystep_sat.methods.cwls as cwls

    saved = cwls.STALL_FLIPS
    cwls.STALL_FLIPS = stall_flips
    try:
        out = []
        for s in seeds:
            search = cwls.ClauseWeightingSearch(formula, seed=s, **(params or {}))
            search.set_assignment(np.random.default_rng(s).random(formula.n_vars) < 0.5)
            search.run(max_flips=flips)
            out.append(int(search.best_key[1]) if search.best_key[0] == 0 else -1)
        return out
    finally:
        cwls.STALL_FLIPS = saved


def load(spec: str):
    """The formula of ``spec`` (a file, or ``gen:CALL``) and a name for it."""
    if spec.startswith("gen:"):
        from polystep_sat import generate

        call = spec[4:]
        return eval(call, {"__builtins__": {}}, vars(generate)), call   # noqa: S307 - our own command line
    from polystep_sat.dimacs import read_dimacs

    return read_dimacs(spec), Path(spec).name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", help="a DIMACS file, or gen:CALL (a generator call)")
    ap.add_argument("--methods", default="polystep", help="comma-separated methods for the by-time rows")
    ap.add_argument("--seconds", default="", help="comma-separated time limits (by-time rows)")
    ap.add_argument("--flips", default="", help="comma-separated flip counts (cwls by flips)")
    ap.add_argument("--stall-flips", default="10000000", help="comma-separated; with --flips")
    ap.add_argument("--params", default="[{}]",
                    help='with --flips: a JSON list of cwls parameter sets, a row each ({}: the defaults), '
                         'e.g. \'[{}, {"soft_smooth": 0.001}]\'')
    ap.add_argument("--seeds", type=int, default=10, help="seeds 1..N")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "hit_rate")
    args = ap.parse_args()

    formula, name = load(args.file)
    seeds = range(1, args.seeds + 1)
    rows = []
    for method in [m for m in args.methods.split(",") if m] if args.seconds else []:
        for sec in [float(x) for x in args.seconds.split(",") if x]:
            t = time.perf_counter()
            costs = by_time(formula, method, sec, seeds)
            rows.append(dict(run=f"{method}, {sec:g} s", costs=costs, wall=time.perf_counter() - t))
            print(rows[-1]["run"], sorted(Counter(costs).items()), flush=True)
    for flips in [int(float(x)) for x in args.flips.split(",") if x]:
        for stall in [int(float(x)) for x in args.stall_flips.split(",") if x]:
            for params in json.loads(args.params):
                t = time.perf_counter()
                costs = by_flips(formula, flips, stall, seeds, params)
                shown = ", " + ", ".join(f"{k}={v}" for k, v in params.items()) if params else ""
                rows.append(dict(run=f"cwls, {flips:,} flips, new try after {stall:,}{shown}", costs=costs,
                                 wall=time.perf_counter() - t))
                print(rows[-1]["run"], sorted(Counter(costs).items()), flush=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out.with_suffix(".csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["run", "seed", "cost"])
        for r in rows:
            for s, c in zip(seeds, r["costs"]):
                w.writerow([r["run"], s, c])
    best = min((c for r in rows for c in r["costs"] if c >= 0), default=None)
    lines = [f"# Costs reached, seed by seed: {name}", "",
             "Command: `python " + " ".join([Path(sys.argv[0]).as_posix()] + sys.argv[1:]) + "`  ",
             f"Machine: {time.strftime('%Y-%m-%d %H:%M')}, runs one after the other in one process; "
             f"seeds 1-{args.seeds}.", "",
             f"| run | runs at the best cost seen ({best}) | mean | costs (cost: runs) | wall (s) |",
             "|---|---:|---:|---|---:|"]
    for r in rows:
        counts = Counter(r["costs"])
        lines.append(f"| {r['run']} | {counts.get(best, 0)} of {len(r['costs'])} | {np.mean(r['costs']):.2f} | "
                     + ", ".join(f"{c}: {k}" for c, k in sorted(counts.items())) + f" | {r['wall']:.1f} |")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
