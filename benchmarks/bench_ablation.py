"""Ablation of the PolyStep pipeline: what PolyStep adds to the local search.

Families (``--family``): random 3-SAT at ratio 4.26 (``ksat``, the default),
and the structured weighted partial families of ``polystep_sat.generate``:
weighted maximum independent set (``mis``), weighted set cover
(``setcover``), graph colouring (``colouring``); a size is a number of
variables. For each size, at the same wall time, one run each (seed fixed),
every run in its own subprocess so that peak memory (the child's own max
RSS) is its own:

* ``polystep``  -- PolyStep alone (relaxed objective, threshold rounding, no polish)
* ``polish``    -- the polish alone (WalkSAT kernel) from a uniformly random start
* ``cwls``      -- the clause-weighting local search alone (method ``cwls``)
* ``pipeline``  -- the full pipeline: PolyStep, rounding, local-search polish
* ``walksat``   -- the WalkSAT baseline method
* ``auto``      -- the default method: the pipeline with the SAT side beside it
                   (its child's peak memory is reported apart)

Satisfied fractions come from an independent re-evaluation
(``polystep_sat.verify.evaluate``). Then the over-constrained check: MAX-3-SAT
with 60 variables at ratio 6, 10 instances, the pipeline for 3 s each against
the RC2 optimum (RC2 given a longer limit; instances where it does not finish
are skipped and counted).

Usage::

    flock /tmp/polystep-bench.lock python benchmarks/bench_ablation.py
    python benchmarks/bench_ablation.py --sizes 10000 --seconds 5 --no-rc2
    python benchmarks/bench_ablation.py --family mis --sizes 2000,50000 --seconds 30 --no-rc2 \\
        --configs polystep,cwls,pipeline --out benchmarks/results/ablation_mis.md
    python benchmarks/bench_ablation.py --backend cupy --sizes 100000,1000000 --seconds 60 \\
        --out benchmarks/results/ablation_gpu.md

With ``--backend cupy`` the PolyStep phase (configs ``polystep`` and
``pipeline``) runs on the GPU; the WalkSAT configs stay on the CPU. Nothing on
the hot path imports PySAT (only the RC2 check does; it is skipped when PySAT
is missing).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

CONFIGS = ("polystep", "polish", "cwls", "pipeline", "walksat", "auto")
FAMILIES = ("ksat", "mis", "setcover", "colouring")
DEFAULT_SECONDS = {10_000: 10.0, 100_000: 30.0, 1_000_000: 60.0}
RATIO = 4.26


# ---------------------------------------------------------------- one run (child)
def make_instance(family: str, n: int, instance_seed: int):
    """The instance of ``family`` with about ``n`` variables."""
    from polystep_sat import generate

    if family == "ksat":
        return generate.random_ksat(n, RATIO, seed=instance_seed)
    return generate.structured_family(family, n, seed=instance_seed)


def run_one(config: str, n: int, seconds: float, seed: int, instance_seed: int, backend: str,
            options: dict, family: str = "ksat") -> dict:
    """Run one configuration in this process and return its figures."""
    import resource


    from polystep_sat.context import SearchContext
    from polystep_sat.verify import evaluate

    t0 = time.perf_counter()
    f = make_instance(family, n, instance_seed)
    t_gen = time.perf_counter() - t0
    info = {}
    t0 = time.perf_counter()
    if config == "polish":
        from polystep_sat.methods.walksat import walksat_polish as polish

        ctx = SearchContext(n, time_limit=seconds, seed=seed)
        start = ctx.rng.random(n) < 0.5
        a, _, _ = polish(f, start, ctx)
        info = dict(ctx.info)
    else:
        from polystep_sat.solver import solve

        if config in ("walksat", "cwls", "auto"):  # auto: the default, the SAT side beside the pipeline
            r = solve(f, method=config, time_limit=seconds, seed=seed)
        else:
            opts = dict(options)
            if config == "polystep":
                opts["polish"] = False
            r = solve(f, method="polystep", time_limit=seconds, seed=seed, backend=backend, **opts)
        a = r.assignment
        info = {k: v for k, v in r.info.items() if isinstance(v, (int, float, str, bool))}
    wall = time.perf_counter() - t0
    ev = evaluate(f, a)
    return dict(config=config, family=family, n_vars=f.n_vars, n_clauses=f.n_clauses, seconds=seconds, seed=seed,
                backend=backend if config in ("polystep", "pipeline") else "numpy",
                wall_s=round(wall, 2), gen_s=round(t_gen, 2), unsat=ev.n_unsat, cost=ev.cost,
                hard_unsat=ev.n_hard_unsat,
                satisfied=1.0 - ev.n_unsat / max(f.n_soft, 1),
                peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                child_peak_mb=round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
                info=info)


def spawn(config, n, seconds, seed, instance_seed, backend, options, family="ksat") -> dict:
    """Run one configuration in a fresh interpreter (own peak memory)."""
    cmd = [sys.executable, __file__, "--child", json.dumps(dict(
        config=config, n=n, seconds=seconds, seed=seed, instance_seed=instance_seed,
        backend=backend, options=options, family=family))]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return dict(config=config, n_vars=n, seconds=seconds, error=p.stderr.strip().splitlines()[-1:])
    return json.loads(p.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- RC2 check
def rc2_check(n_instances=10, n_vars=60, ratio=6.0, seconds=3.0, rc2_limit=120.0, seed=0, backend="numpy"):
    """The pipeline (and WalkSAT) against RC2 optima on over-constrained MAX-3-SAT."""
    try:
        import pysat  # noqa: F401
    except ImportError:
        return None
    from polystep_sat.generate import random_ksat
    from polystep_sat.solver import solve
    from polystep_sat.verify import optimum

    rows = []
    for i in range(n_instances):
        f = random_ksat(n_vars, ratio, seed=1000 + i)
        t = time.perf_counter()
        opt, _ = optimum(f, time_limit=rc2_limit)
        t_rc2 = time.perf_counter() - t
        row = dict(instance=i, optimum=opt, rc2_s=round(t_rc2, 2))
        if opt is not None:
            for method in ("polystep", "walksat"):
                kw = dict(backend=backend) if method == "polystep" else {}
                r = solve(f, method=method, time_limit=seconds, seed=seed, **kw)
                first = next((t for t, c in r.trace if c == opt), None)
                row[method] = r.cost
                row[method + "_first_s"] = None if first is None else round(first, 3)
        rows.append(row)
    return rows


# ---------------------------------------------------------------- report
def cost_table(rows):
    """Structured families: falsified soft weight (lower is better), hard clauses falsified."""
    head = "| family | n_vars | clauses | config | time limit (s) | wall (s) | cost | hard falsified | peak RSS (MB) |"
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r.get('family', '')} | {r['n_vars']:,} | | {r['config']} | {r['seconds']:g} "
                         f"| failed: {r['error']} | | | |")
            continue
        lines.append(f"| {r['family']} | {r['n_vars']:,} | {r['n_clauses']:,} | {r['config']} | {r['seconds']:g} "
                     f"| {r['wall_s']:.1f} | {r['cost']:,} | {r['hard_unsat']} | {r['peak_mb']:,.0f} |")
    return "\n".join(lines)


def table(rows):
    head = ("| n_vars | clauses | config | backend | time limit (s) | wall (s) | unsat | satisfied | peak RSS (MB) "
            "| child processes' peak RSS (MB) |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['n_vars']:,} | | {r['config']} | | {r['seconds']:g} | failed: {r['error']} | | | | |")
            continue
        lines.append(f"| {r['n_vars']:,} | {r['n_clauses']:,} | {r['config']} | {r['backend']} | {r['seconds']:g} "
                     f"| {r['wall_s']:.1f} | {r['unsat']:,} | {100 * r['satisfied']:.3f}% | {r['peak_mb']:,.0f} "
                     f"| {r.get('child_peak_mb', 0):,.0f} |")
    return "\n".join(lines)


def rc2_table(rows, seconds):
    lines = ["| instance | RC2 optimum | RC2 time (s) | pipeline cost | pipeline first hit (s) "
             "| WalkSAT cost | WalkSAT first hit (s) |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["optimum"] is None:
            lines.append(f"| {r['instance']} | RC2 did not finish ({r['rc2_s']} s) | | skipped | | skipped | |")
            continue
        lines.append(f"| {r['instance']} | {r['optimum']} | {r['rc2_s']} | {r['polystep']} | {r['polystep_first_s']} "
                     f"| {r['walksat']} | {r['walksat_first_s']} |")
    done = [r for r in rows if r["optimum"] is not None]
    hits = sum(r["polystep"] == r["optimum"] for r in done)
    whits = sum(r["walksat"] == r["optimum"] for r in done)
    lines.append("")
    lines.append(f"Pipeline reached the RC2 optimum on {hits} of {len(done)} instances within {seconds:g} s "
                 f"(WalkSAT: {whits} of {len(done)}); {len(rows) - len(done)} skipped (RC2 unfinished).")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--family", default="ksat", choices=FAMILIES)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--seconds", default=None,
                    help="one value for all sizes, or one per size (comma-separated); "
                         "default 10 s at 10k, 30 s at 100k, 60 s at 1M")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--backend", default="numpy", choices=("numpy", "cupy"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--instance-seed", type=int, default=1)
    ap.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                    help="extra option for the polystep configs (e.g. polish_share=0.3)")
    ap.add_argument("--no-rc2", action="store_true", help="skip the 60-variable RC2 check")
    ap.add_argument("--rc2-only", action="store_true")
    ap.add_argument("--out", default="benchmarks/results/ablation.md")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        job = json.loads(args.child)
        print(json.dumps(run_one(job["config"], job["n"], job["seconds"], job["seed"], job["instance_seed"],
                                 job["backend"], job["options"], job.get("family", "ksat"))))
        return 0

    options = {}
    for kv in args.option:
        k, _, v = kv.partition("=")
        options[k] = json.loads(v) if v[:1] in "0123456789-[{tf" and v not in ("", "-") else v
    sizes = [int(s) for s in args.sizes.split(",") if s] if not args.rc2_only else []
    if args.seconds is None:
        secs = [DEFAULT_SECONDS.get(n, 30.0) for n in sizes]
    else:
        vals = [float(s) for s in args.seconds.split(",")]
        secs = vals * len(sizes) if len(vals) == 1 else vals
        if len(secs) != len(sizes):
            ap.error("--seconds needs one value or one per size")
    configs = [c for c in args.configs.split(",") if c]
    for c in configs:
        if c not in CONFIGS:
            ap.error(f"unknown config {c!r}; choose from {', '.join(CONFIGS)}")

    rows = []
    for n, s in zip(sizes, secs):
        for c in configs:
            r = spawn(c, n, s, args.seed, args.instance_seed, args.backend, options, args.family)
            rows.append(r)
            if "error" in r:
                print(f"{n:>9,} {c:<9} FAILED {r['error']}", flush=True)
            else:
                print(f"{n:>9,} {c:<9} {s:5.0f} s  wall {r['wall_s']:6.1f} s  unsat {r['unsat']:>8,}  "
                      f"cost {r['cost']:>12,}  hard {r['hard_unsat']}  "
                      f"satisfied {100 * r['satisfied']:.3f}%  peak {r['peak_mb']:,.0f} MB", flush=True)

    rc2_rows = None
    if not args.no_rc2:
        rc2_rows = rc2_check(backend=args.backend, seed=args.seed)
        if rc2_rows is None:
            print("RC2 check skipped: PySAT is not installed")
        else:
            print(rc2_table(rc2_rows, 3.0))

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = "python benchmarks/bench_ablation.py " + " ".join(a for a in (argv or sys.argv[1:]))
    title = f"random 3-SAT, ratio {RATIO}" if args.family == "ksat" else f"structured family {args.family!r}"
    md = [f"# PolyStep ablation: {title}", "",
          f"Command: `{cmd.strip()}`  ", f"Machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; backend {args.backend}; {time.strftime('%Y-%m-%d %H:%M')}  ",
          f"One run per cell, seed {args.seed}, instance seed {args.instance_seed}; same wall time per size. "
          "Satisfied = 1 - unsat / clauses, re-evaluated independently; peak RSS of the run's own process "
          "(instance generation included).", ""]
    if rows:
        md += [table(rows) if args.family == "ksat" else cost_table(rows), ""]
        if options:
            md += [f"Pipeline options: `{options}`", ""]
    if rc2_rows is not None:
        md += ["## Over-constrained MAX-3-SAT, 60 variables, ratio 6 (RC2 optimum, 3 s per run)", "",
               rc2_table(rc2_rows, 3.0), ""]
    out.write_text("\n".join(md))
    if rows:
        with open(out.with_suffix(".csv"), "w", newline="") as fh:
            keys = ["family", "n_vars", "n_clauses", "config", "backend", "seconds", "seed", "wall_s", "gen_s", "unsat",
                    "cost", "hard_unsat", "satisfied", "peak_mb", "child_peak_mb", "polystep_steps", "polystep_rounded_cost", "polish_flips", "flips",
                    "error"]
            w = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
            w.writeheader()
            for r in rows:
                w.writerow({**r.get("info", {}), **r})
    if rc2_rows is not None:
        with open(out.with_name(out.stem + "_rc2.csv"), "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["instance", "optimum", "rc2_s", "polystep", "polystep_first_s",
                                               "walksat", "walksat_first_s"])
            w.writeheader()
            w.writerows(rc2_rows)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
