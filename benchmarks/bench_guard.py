"""The answer contract as a benchmark: never late, never worse than our own search.

For every run of the default (``polystep-sat solve FILE --time-limit S``) two checks:

* **on time**: the process exits by itself within S + 0.2 s of its spawn (no signal;
  it gets SIGTERM only at S + 2 s, and that counts as late too);
* **no worse than the search alone**: its verified cost is at most that of
  ``--method polystep`` run the same way (same cores, same seed) with half the limit.

Every answer is checked independently (bench_real.check: the last ``v`` line evaluated
on the formula). A run is a violation when it is late, has no verified answer, or
costs more than the search alone; every violation is listed.

Instances: every file of the folders given (``instances/real-dev instances/real``), at
each ``--seconds`` limit, each ``--seeds`` seed, on one core (``taskset -c 0``) and on
two, and ``--generated N`` formulas of varied shapes (generate.py: weighted random
MAX-3-SAT, Ramsey-like, weighted clique, many weight levels, weighted partial,
MIS / set cover / colouring, unweighted 3-SAT; 30 to 5,000 variables) at
``--generated-seconds``, alternately on one core and on two.

    python benchmarks/bench_guard.py instances/real-dev instances/real --seconds 2,10 --seeds 1,2,3 \\
        --generated 300 --out benchmarks/results/guard

Results: ``<out>.md`` (summary and violations) and ``<out>.csv`` (one row per pair of runs).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_real import check, compile_package, list_instances, load_formula, run_command  # noqa: E402

# The process must end this long after its limit at the latest.
LATE_AFTER = 0.2
# SIGTERM this long after the limit (a run that needs it is late anyway).
SIGNAL_AFTER = 2.0


def generated(count: int, seed: int = 0):
    """``count`` formulas of varied shapes: (name, Formula)."""
    from polystep_sat import generate as g

    rng = np.random.default_rng(seed)
    makers = [
        lambda s: ("wmaxsat", g.random_weighted_maxsat(int(rng.integers(30, 300)), ratio=float(rng.uniform(3, 7)),
                                                       levels=int(rng.integers(1, 9)), seed=s)),
        lambda s: ("ramsey", g.ramsey_formula(int(rng.integers(6, 13)), levels=int(rng.integers(1, 6)), seed=s)),
        lambda s: ("clique", g.weighted_clique(int(rng.integers(20, 120)), float(rng.uniform(0.3, 0.9)),
                                               levels=int(rng.integers(1, 40)), seed=s)),
        lambda s: ("manylevels", g.many_level_partial(int(rng.integers(50, 300)), levels=int(rng.integers(2, 80)),
                                                      seed=s)),
        lambda s: ("wpartial", g.random_weighted_partial(int(rng.integers(50, 400)), n_hard=int(rng.integers(20, 800)),
                                                         n_soft=int(rng.integers(50, 800)),
                                                         max_weight=int(rng.integers(1, 1000)), seed=s)),
        lambda s: ("mis", g.weighted_mis(int(rng.integers(100, 5000)), seed=s)),
        lambda s: ("setcover", g.weighted_set_cover(int(rng.integers(100, 3000)), seed=s)),
        lambda s: ("colouring", g.graph_colouring(int(rng.integers(25, 1000)), seed=s)),
        lambda s: ("3sat", g.random_ksat(int(rng.integers(50, 2000)), ratio=float(rng.uniform(3.5, 6)), seed=s)),
    ]
    for i in range(count):
        name, f = makers[i % len(makers)](i)
        yield f"{name}-{i}", f


def run_pair(path: Path, formula, seconds: float, seed: int, taskset: str | None) -> dict:
    pin = ["taskset", "-c", taskset] if taskset else []
    base = pin + [sys.executable, "-m", "polystep_sat.cli", "solve", str(path), "--seed", str(seed), "--no-progress"]
    default = run_command(base + ["--time-limit", str(seconds)], seconds + SIGNAL_AFTER)
    alone = run_command(base + ["--time-limit", str(seconds / 2), "--method", "polystep"], seconds / 2 + SIGNAL_AFTER)
    d, a = check(formula, default), check(formula, alone)
    late = bool(default["signalled"]) or default["wall_s"] > seconds + LATE_AFTER
    # no answer is worse unless the hard clauses are infeasible (and then the search alone must not answer)
    unsat = d["status"] == "UNSATISFIABLE" and not a["answer"]
    worse = (not d["answer"] and not unsat) or (a["answer"] and d["answer"] and d["cost"] > a["cost"])
    return dict(file=path.name, seconds=seconds, seed=seed, cores=1 if taskset else 2,
                wall_s=round(default["wall_s"], 3), signalled=default["signalled"], cost=d["cost"],
                status=d["status"], search_alone_cost=a["cost"], search_alone_wall_s=round(alone["wall_s"], 3),
                left_behind=default["left_behind"], late=late, worse=worse,
                violation=late or worse or default["left_behind"] > 0)


def markdown(rows, command) -> str:
    lines = [f"# The answer contract: on time, never worse than the search alone\n", f"`{command}`\n"]
    groups = {}
    for r in rows:
        key = ("generated" if r["file"].startswith("gen:") else "files", r["seconds"], r["cores"])
        groups.setdefault(key, []).append(r)
    lines.append("| set | limit (s) | cores | runs | late | worse than search alone | left behind | slowest exit (s) |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for (kind, s, c), rs in sorted(groups.items()):
        lines.append(f"| {kind} | {s:g} | {c} | {len(rs)} | {sum(r['late'] for r in rs)} | "
                     f"{sum(r['worse'] for r in rs)} | {sum(r['left_behind'] > 0 for r in rs)} | "
                     f"{max(r['wall_s'] for r in rs):.2f} |")
    bad = [r for r in rows if r["violation"]]
    lines.append(f"\n**Violations: {len(bad)} of {len(rows)} runs.**\n")
    if bad:
        lines.append("| file | limit | cores | seed | exit (s) | signal | cost | search alone |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for r in bad:
            lines.append(f"| {r['file']} | {r['seconds']:g} | {r['cores']} | {r['seed']} | {r['wall_s']:.2f} | "
                         f"{r['signalled'] or '-'} | {r['cost']} | {r['search_alone_cost']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--seconds", default="2,10")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--cores", default="1,2", help="1: pinned to CPU 0; 2: both cores")
    ap.add_argument("--generated", type=int, default=0)
    ap.add_argument("--generated-seconds", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "guard")
    args = ap.parse_args(argv)
    command = "python benchmarks/bench_guard.py " + " ".join(sys.argv[1:] if argv is None else argv)
    compile_package()
    rows = []
    cores = [int(c) for c in args.cores.split(",")]

    def done(r):
        rows.append(r)
        if r["violation"]:
            print(f"VIOLATION {r}", flush=True)

    for folder in args.dirs:
        for path in list_instances(folder, []):
            formula, _ = load_formula(path)
            for s in [float(x) for x in args.seconds.split(",")]:
                for c in cores:
                    for seed in [int(x) for x in args.seeds.split(",")]:
                        done(run_pair(path, formula, s, seed, "0" if c == 1 else None))
            print(f"{path.name}: {sum(r['violation'] for r in rows)} violations so far", flush=True)
    if args.generated:
        from polystep_sat.dimacs import write_dimacs

        with tempfile.TemporaryDirectory() as tmp:
            for i, (name, f) in enumerate(generated(args.generated)):
                path = Path(tmp) / f"{name}.wcnf"
                write_dimacs(f, path)
                r = run_pair(path, f, args.generated_seconds, 1, "0" if i % 2 == 0 else None)
                r["file"] = f"gen:{name}"
                done(r)
                if i % 25 == 24:
                    print(f"generated {i + 1}: {sum(r['violation'] for r in rows)} violations so far", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(markdown(rows, command))
    with open(args.out.with_suffix(".csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(markdown(rows, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
