"""Baselines on random 3-SAT (ratio 4.26): speed and clause satisfaction against time.

One function per benchmark section; each returns rows (dicts) in a long format
that every section shares, so sections can be re-run on their own and merged
into the same results:

    flock /tmp/polystep-bench.lock python benchmarks/bench_baselines.py
    flock /tmp/polystep-bench.lock python benchmarks/bench_baselines.py --only walksat-flips
    python benchmarks/bench_baselines.py --quick          # small sizes, seconds

Writes ``benchmarks/results/baselines.csv`` (all rows, merged: a section that is
run replaces its old rows) and ``benchmarks/results/baselines.md``.
Instances are generated in memory: ``random_ksat(n, 4.26, seed=0)``.
To add a method (an ES, ...), write ``bench_<name>(args) -> rows`` and list it
in ``SECTIONS``; ``satisfaction_vs_time`` works for any registered method.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from polystep_sat import solve
from polystep_sat.formula import Formula
from polystep_sat.generate import random_ksat

RESULTS = Path(__file__).resolve().parent / "results"
RATIO = 4.26
FIELDS = ["section", "method", "n_vars", "n_clauses", "ratio", "seed", "params", "seconds", "metric", "value",
          "load_avg", "date"]

_FORMULAS = {}


def formula(n: int, seed: int = 0):
    """The benchmark instance, generated once per process."""
    key = (n, seed)
    if key not in _FORMULAS:
        _FORMULAS.clear()  # keep at most one big instance in memory
        _FORMULAS[key] = random_ksat(n, RATIO, seed=seed)
    return _FORMULAS[key]


def _row(section, method, f, seed, params, seconds, metric, value):
    return dict(section=section, method=method, n_vars=f.n_vars, n_clauses=f.n_clauses, ratio=RATIO, seed=seed,
                params=params, seconds=round(float(seconds), 3), metric=metric, value=value,
                load_avg=round(os.getloadavg()[0], 2), date=time.strftime("%Y-%m-%d %H:%M"))


def satisfaction_vs_time(section, method, n, time_limit, checkpoints, seed=0, params="", **options):
    """Run ``solve(method=...)`` once and read the best clause satisfaction at
    each checkpoint (seconds since the search context started, setup included)
    from the anytime trace."""
    f = formula(n)
    # a fresh Formula object over the same arrays: nothing cached by an earlier
    # run (sparse views, WalkSAT's occurrence lists), so setup is counted
    f = Formula(f.n_vars, f.indptr, f.literals, f.weights, f.hard, weighted=f.weighted)
    t0 = time.perf_counter()
    res = solve(f, method=method, time_limit=time_limit, seed=seed, **options)
    wall = time.perf_counter() - t0
    assert res.verified, f"{method}: result not verified"
    rows = []
    for t in checkpoints:
        if t > time_limit + 1e-9:
            continue
        costs = [c for s, c in res.trace if s <= t]
        frac = 1.0 - min(costs) / f.n_clauses if costs else float("nan")
        rows.append(_row(section, method, f, seed, params, t, "satisfied_fraction", round(frac, 6)))
    rows.append(_row(section, method, f, seed, params, wall, "final_satisfied_fraction",
                     round(res.satisfied_fraction, 6)))
    rows.append(_row(section, method, f, seed, params, wall, "final_cost", res.cost))
    for key, digits in (("flips", None), ("flips_per_second", None), ("setup_seconds", 3)):
        if key in res.info:
            rows.append(_row(section, method, f, seed, params, wall, key, round(float(res.info[key]), digits)))
    print(f"  {method} n={n} {params}: {res.satisfied_fraction:.5f} satisfied after {wall:.1f} s "
          f"(cost {res.cost}, info {res.info})", flush=True)
    return rows


# ------------------------------------------------------------------- WalkSAT
def bench_walksat_flips(args):
    """Flips per second of the WalkSAT kernel at 10k and 1M variables
    (wall clock and process CPU time, from a random start, setup excluded)."""
    from polystep_sat.methods.walksat import WalkSAT

    rows = []
    for n in args.flip_sizes:
        f = formula(n)
        ws = WalkSAT(f, noise=0.3, seed=1)
        ws.set_assignment(np.random.default_rng(0).random(n) < 0.5)
        ws.run(max_flips=1000)  # load the compiled kernel
        t0, c0 = time.perf_counter(), time.process_time()
        k = ws.run(deadline=t0 + args.flip_seconds)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        sat = 1.0 - ws.best_key[1] / f.n_clauses
        print(f"  walksat n={n}: {k / wall / 1e6:.3f}M flips/s wall, {k / cpu / 1e6:.3f}M/s cpu, "
              f"{k} flips in {wall:.1f} s, best {sat:.5f}", flush=True)
        rows.append(_row("walksat-flips", "walksat", f, 0, "noise=0.3", wall, "flips_per_second_wall",
                         round(k / wall)))
        rows.append(_row("walksat-flips", "walksat", f, 0, "noise=0.3", cpu, "flips_per_second_cpu",
                         round(k / cpu)))
    return rows


def bench_walksat_noise(args):
    """Noise tuning: clause satisfaction after a fixed time at 100k variables."""
    rows = []
    for noise in args.noises:
        rows += satisfaction_vs_time("walksat-noise", "walksat", args.noise_n, args.noise_seconds,
                                     [args.noise_seconds], params=f"noise={noise}", noise=noise)
    return rows


def bench_walksat_time(args):
    """Clause satisfaction against time at 1M variables (one run per noise)."""
    rows = []
    for noise in args.time_noises:
        rows += satisfaction_vs_time("walksat-time", "walksat", args.time_n, args.time_limit, args.checkpoints,
                                     params=f"noise={noise}", noise=noise)
    return rows


SECTIONS = {
    "walksat-flips": bench_walksat_flips,
    "walksat-noise": bench_walksat_noise,
    "walksat-time": bench_walksat_time,
}


# ------------------------------------------------------------------- output
def merge_and_write(new_rows, sections_run):
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "baselines.csv"
    old = []
    if path.exists():
        with open(path, newline="") as fh:
            old = [r for r in csv.DictReader(fh) if r["section"] not in sections_run]
    rows = old + [{k: str(v) for k, v in r.items()} for r in new_rows]
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    (RESULTS / "baselines.md").write_text(markdown(rows))
    print(f"wrote {path} and {RESULTS / 'baselines.md'}")


def markdown(rows):
    out = ["# Baselines on random 3-SAT, ratio 4.26", "",
           f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared with "
           "other jobs: see load_avg in the CSV). Produced by `benchmarks/bench_baselines.py`; "
           "instances `random_ksat(n, 4.26, seed=0)`, solver seed 0.", ""]
    sections = []
    for r in rows:
        if r["section"] not in sections:
            sections.append(r["section"])
    for sec in sections:
        rs = [r for r in rows if r["section"] == sec]
        out.append(f"## {sec}")
        out.append("")
        doc = SECTIONS[sec].__doc__ if sec in SECTIONS else None
        if doc:
            out += [" ".join(doc.split()), ""]
        # one line per (method, n, params); the metrics (and checkpoints) as columns
        cols, lines = [], {}
        for r in rs:
            col = r["metric"] if r["metric"] != "satisfied_fraction" else f"sat@{float(r['seconds']):g}s"
            if col not in cols:
                cols.append(col)
            lines.setdefault((r["method"], r["n_vars"], r["params"]), {})[col] = r["value"]
        out.append("| method | n_vars | params | " + " | ".join(cols) + " |")
        out.append("| --- | --- | --- | " + " | ".join("---" for _ in cols) + " |")
        for (m, n, p), vals in lines.items():
            out.append(f"| {m} | {n} | {p} | " + " | ".join(vals.get(c, "") for c in cols) + " |")
        out.append("")
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", choices=list(SECTIONS), help="sections to run (default: all)")
    ap.add_argument("--quick", action="store_true", help="small sizes and short runs (a smoke test)")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    args.flip_sizes = [10_000, 1_000_000]
    args.flip_seconds = 10.0
    args.noises = [0.2, 0.25, 0.3, 0.35, 0.4, 0.567]
    args.noise_n, args.noise_seconds = 100_000, 10.0
    args.time_noises = [0.3, 0.567]
    args.time_n, args.time_limit = 1_000_000, 60.0
    args.checkpoints = [1, 3, 10, 30, 60]
    if args.quick:
        args.flip_sizes, args.flip_seconds = [10_000], 1.0
        args.noises, args.noise_n, args.noise_seconds = [0.3, 0.567], 10_000, 1.0
        args.time_n, args.time_limit, args.checkpoints = 10_000, 2.0, [0.5, 1, 2]
    sections = args.only or list(SECTIONS)
    rows = []
    for name in sections:
        print(f"[{name}]", flush=True)
        rows += SECTIONS[name](args)
    if not args.no_write and not args.quick:
        merge_and_write(rows, set(sections))
    elif args.quick:
        print(markdown([{k: str(v) for k, v in r.items()} for r in rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
