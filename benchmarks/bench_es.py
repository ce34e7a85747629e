"""Evolution-strategy baselines (OpenAI-ES, CMA-ES) on random 3-SAT, ratio 4.26.

Each run goes through ``solve(f, method=..., time_limit=T, seed=0)`` in a fresh
subprocess (so its peak memory is its own), on ``random_ksat(n, 4.26, seed=0)``
generated in memory. Recorded per run: clause satisfaction at checkpoints (from
the anytime trace; seconds since the search context started, setup included),
the final verified figure, generations, evaluations, the wall time of
``solve`` (imports, setup and verification included) and of the search alone
against the limit, RSS before ``solve`` and the peak RSS during it (sampled every 20 ms),
and the process peak (``ru_maxrss``, instance generation included). A random
assignment's figure on the same instance is the floor.

    flock /tmp/polystep-bench.lock python benchmarks/bench_es.py            # 10k, 100k, 1M; 60 s
    python benchmarks/bench_es.py --quick                                   # 2k, 3 s, no files
    python benchmarks/bench_es.py --backend cupy --results DIR              # on a GPU machine

Writes ``benchmarks/results/es.csv`` and ``benchmarks/results/es.md`` (rows for
configurations not re-run are kept, e.g. after ``--sizes 1000000``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
RATIO = 4.26
CHECKPOINTS = [1, 3, 10, 30, 60]
FIELDS = ["method", "variant", "backend", "device", "n_vars", "n_clauses", "time_limit", "seed", "wall_s", "search_s", "sat_final", "cost",
          "random_sat", "generations", "evaluations", "popsize", "setup_s", "rss_before_mb",
          "peak_rss_solve_mb", "peak_rss_process_mb", "load_avg", "date"] + [f"sat@{t}s" for t in CHECKPOINTS]


def _device(backend):
    if backend == "cupy":
        import cupy
        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        return name.decode() if isinstance(name, bytes) else str(name)
    return f"{platform.machine()} CPU, {os.cpu_count()} cores"


def one_run(method: str, n: int, time_limit: float, seed: int, backend: str = "numpy") -> dict:
    """One measured run (called in a subprocess)."""
    import numpy as np
    import psutil

    from polystep_sat import solve
    from polystep_sat.generate import random_ksat
    from polystep_sat.verify import evaluate

    f = random_ksat(n, RATIO, seed=0)
    rnd = evaluate(f, np.random.default_rng(seed).random(n) < 0.5)
    proc = psutil.Process()
    before = proc.memory_info().rss
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.wait(0.02):
            peak[0] = max(peak[0], proc.memory_info().rss)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.perf_counter()
    res = solve(f, method=method, time_limit=time_limit, seed=seed, backend=backend)
    wall = time.perf_counter() - t0
    done.set()
    th.join()
    assert res.verified, "result not verified"
    row = dict(method=method, variant=res.info.get("es", method), backend=backend, device=_device(backend), n_vars=n, n_clauses=f.n_clauses,
               time_limit=time_limit, seed=seed, wall_s=round(wall, 2),
               search_s=round(res.timings.get("search", float("nan")), 2),
               sat_final=round(res.satisfied_fraction, 6), cost=res.cost,
               random_sat=round(1 - rnd.n_unsat / f.n_clauses, 6),
               generations=res.info.get("generations"), evaluations=res.info.get("evaluations"),
               popsize=res.info.get("popsize"),
               setup_s=round(sum(v for k, v in res.timings.items() if k in ("es_setup", "import_cma")), 2),
               rss_before_mb=round(before / 2**20), peak_rss_solve_mb=round(peak[0] / 2**20),
               peak_rss_process_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
               load_avg=round(os.getloadavg()[0], 2), date=time.strftime("%Y-%m-%d %H:%M"))
    for t in CHECKPOINTS:
        costs = [c for s, c in res.trace if s <= t]
        row[f"sat@{t}s"] = (round(1 - min(costs) / f.n_clauses, 6) if costs and t <= time_limit else "")
    return row


def run_in_subprocess(method, n, time_limit, seed, backend):
    cmd = [sys.executable, __file__, "--one", method, str(n), str(time_limit), str(seed), backend]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{method} n={n} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def markdown(rows):
    out = ["# Evolution-strategy baselines on random 3-SAT, ratio 4.26", "",
           f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, shared with other "
           "jobs (load_avg in the CSV). Produced by `flock /tmp/polystep-bench.lock python "
           "benchmarks/bench_es.py`; instance `random_ksat(n, 4.26, seed=0)`, solver seed 0, one run each, "
           "default options (pure ES, threshold rounding of the mean, no polish). "
           "`random` = one uniformly random assignment on the same instance. "
           "Memory: RSS before solve (instance loaded) and the peak during solve.", "",
           "| method | device | n_vars | limit s | wall s | search s | satisfied | random | gens | evals | pop | "
           + " | ".join(f"@{t}s" for t in CHECKPOINTS) + " | RSS before MB | peak in solve MB |",
           "| --- " * (13 + len(CHECKPOINTS)) + "|"]
    for r in rows:
        cps = " | ".join(str(r.get(f"sat@{t}s", "")) for t in CHECKPOINTS)
        out.append(f"| {r['variant']} | {r['device']} | {r['n_vars']} | {r['time_limit']} | {r['wall_s']} | {r['search_s']} | {r['sat_final']} | "
                   f"{r['random_sat']} | {r['generations']} | {r['evaluations']} | {r['popsize']} | {cps} | "
                   f"{r['rss_before_mb']} | {r['peak_rss_solve_mb']} |")
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--one", nargs=5, metavar=("METHOD", "N", "LIMIT", "SEED", "BACKEND"), help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="2k variables, 3 s runs, print only")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--methods", nargs="+", default=["openai-es", "cma-es"])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backend", default="numpy", choices=["numpy", "cupy"])
    ap.add_argument("--results", type=Path, default=RESULTS, help="folder for es.csv / es.md")
    args = ap.parse_args(argv)
    if args.one:
        m, n, t, s, b = args.one
        print(json.dumps(one_run(m, int(n), float(t), int(s), b)))
        return 0
    if args.quick:
        args.sizes, args.time_limit = [2000], 3.0
    rows = []
    for n in args.sizes:
        for m in args.methods:
            r = run_in_subprocess(m, n, args.time_limit, args.seed, args.backend)
            print(f"{r['variant']:>14} {args.backend} n={n:>8}: {r['sat_final']:.5f} satisfied (random {r['random_sat']:.5f}) "
                  f"in {r['wall_s']} s (limit {args.time_limit}), {r['generations']} generations, "
                  f"{r['evaluations']} evaluations, peak RSS in solve {r['peak_rss_solve_mb']} MB "
                  f"(before {r['rss_before_mb']} MB)", flush=True)
            rows.append(r)
    if args.quick:
        print(markdown(rows))
        return 0
    out = args.results
    out.mkdir(parents=True, exist_ok=True)
    # Rows of (backend, method, n, limit, seed) not re-run this time are kept.
    def key(r):
        return (r.get("backend") or "numpy", r["method"], str(r["n_vars"]), str(r["time_limit"]), str(r["seed"]))

    done = {key(r) for r in rows}
    if (out / "es.csv").exists():
        with open(out / "es.csv", newline="") as fh:
            old = [r for r in csv.DictReader(fh) if key(r) not in done]
        for r in old:  # rows written before the backend/device columns existed
            r["backend"] = r.get("backend") or "numpy"
            r["device"] = r.get("device") or "x86_64 CPU, 2 cores"
        rows = sorted(old + rows, key=lambda r: (r["backend"] != "numpy", float(r["time_limit"]),
                                                 int(r["n_vars"]), r["method"] != "openai-es"))
    with open(out / "es.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS, restval="")
        w.writeheader()
        w.writerows(rows)
    (out / "es.md").write_text(markdown(rows))
    print(f"wrote {out / 'es.csv'} and {out / 'es.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
