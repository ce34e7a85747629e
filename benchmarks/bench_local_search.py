"""The local search's choices, side by side: configurations of ``solve`` on the same files, same time.

Each configuration is ``NAME=METHOD`` or ``NAME=METHOD:KEY=VALUE,...`` (the
values are Python literals, passed to ``solve`` as options), e.g.

* ``nuwls=cwls:weighting='nuwls'`` and ``nuwls-c=cwls:weighting='nuwls-c'``:
  the clause-weighting search with NuWLS's and with NuWLS-c's weighting;
* ``walksat=polystep:engine='walksat'`` and ``cwls=polystep:engine='cwls'``:
  the pipeline's polish engine, forced.

Every run is ``solve(FILE, method, time_limit=S, seed=SEED, **options)`` in
a process of its own (pinned with ``--taskset``), one after the other; the
returned assignment is re-evaluated here with
:func:`polystep_sat.verify.evaluate`. ``--only KIND`` keeps the files whose
soft weights and hard clauses are of that kind (``weighted+hard``,
``unweighted+hard``, ``weighted``, ``unweighted``).

    python benchmarks/bench_local_search.py instances/real-dev instances/real --only weighted+hard \\
        --configs "nuwls=cwls:weighting='nuwls'" --configs "nuwls-c=cwls:weighting='nuwls-c'" --seconds 5 --seeds 1,2,3
    python benchmarks/bench_local_search.py instances/real-dev instances/real --only unweighted+hard,unweighted \\
        --configs "walksat=polystep:engine='walksat'" --configs "cwls=polystep:engine='cwls'" --seconds 10 --seeds 1

Holds ``/tmp/polystep-bench.lock``. Results: ``benchmarks/results/local_search.{md,csv}`` (``--out``).
"""

from __future__ import annotations

import argparse
import ast
import fcntl
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LOCK = "/tmp/polystep-bench.lock"
sys.path.insert(0, str(HERE))

from bench_flips import real_files  # noqa: E402
from bench_structured import write_results  # noqa: E402

_RUN = ("import json, sys, ast; from polystep_sat import solve; "
        "r = solve(sys.argv[1], method=sys.argv[2], time_limit=float(sys.argv[3]), seed=int(sys.argv[4]), "
        "**ast.literal_eval(sys.argv[5])); "
        "print(json.dumps(''.join('1' if x else '0' for x in r.assignment) if r.assignment is not None else None))")


def parse_config(spec: str):
    name, sep, rest = spec.partition("=")
    if not sep or not name or not rest:
        raise ValueError(f"{spec!r}: expected NAME=METHOD[:KEY=VALUE,...]")
    method, _, opts = rest.partition(":")
    options = {}
    for item in filter(None, (x.strip() for x in opts.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"{spec!r}: option {item!r} is not KEY=VALUE")
        options[key.strip()] = ast.literal_eval(value.strip())
    return name, method, options


def kind(formula) -> str:
    soft = formula.weights[~formula.hard]
    weighted = soft.size > 0 and bool((soft != soft[0]).any())
    return ("weighted" if weighted else "unweighted") + ("+hard" if formula.hard.any() else "")


def run_one(path, formula, method, options, seconds, seed, prefix):
    from polystep_sat.verify import evaluate

    cmd = prefix + [sys.executable, "-c", _RUN, str(path), method, f"{seconds:g}", str(seed), repr(options)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    try:
        bits = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None, f"no answer (exit {proc.returncode})"
    if bits is None:
        return None, "no assignment"
    ev = evaluate(formula, np.frombuffer(bits.encode(), dtype=np.uint8) == ord("1"))
    return (None, f"{ev.n_hard_unsat} hard clauses falsified") if ev.n_hard_unsat else (int(ev.cost), "")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="+", type=Path, help="folders of instance files")
    ap.add_argument("--configs", action="append", required=True, metavar="NAME=METHOD[:K=V,...]")
    ap.add_argument("--only", default="", help="comma-separated kinds of formula to keep")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--taskset", default="0", help="CPU to pin every run to ('' for none)")
    ap.add_argument("--out", default=str(RESULTS / "local_search"))
    args = ap.parse_args(argv)
    try:
        configs = [parse_config(c) for c in args.configs]
    except (ValueError, SyntaxError) as e:
        ap.error(str(e))
    only = {k for k in args.only.split(",") if k}
    seeds = [int(x) for x in args.seeds.split(",") if x]
    prefix = ["taskset", "-c", args.taskset] if args.taskset else []

    from polystep_sat.dimacs import read_dimacs

    command = "python benchmarks/bench_local_search.py " + " ".join(
        a if " " not in a else repr(a) for a in (argv if argv is not None else sys.argv[1:]))
    rows, table = [], []
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for d in args.dirs:
            for path in real_files(d):
                formula = read_dimacs(path)
                if only and kind(formula) not in only:
                    continue
                cells = [path.name]
                for name, method, options in configs:
                    costs = []
                    for seed in seeds:
                        cost, note = run_one(path, formula, method, options, args.seconds, seed, prefix)
                        costs.append(cost)
                        rows.append(dict(instance=path.name, kind=kind(formula), config=name, seed=seed,
                                         seconds=args.seconds, cost=cost, note=note))
                    cells.append(", ".join("—" if c is None else f"{c:,}" for c in costs))
                    print(f"{path.name[:50]:<50} {name:<12} {cells[-1]}", flush=True)
                table.append(cells)
    names = [c[0] for c in configs]
    md = ["# The local search's choices, side by side", "", f"Command: `{command}`  ",
          f"Machine: {platform.machine()}, {os.cpu_count()} cores"
          + (f", every run pinned with `taskset -c {args.taskset}`" if args.taskset else "")
          + f"; {time.strftime('%Y-%m-%d %H:%M')}; one run after the other. Costs re-evaluated, one per seed "
            f"({', '.join(map(str, seeds))}), {args.seconds:g} s each; lower is better.", "",
          "| instance | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    md += ["| " + " | ".join(c) + " |" for c in table]
    write_results(Path(args.out), "\n".join(md) + "\n", rows,
                  ["instance", "kind", "config", "seed", "seconds", "cost", "note"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
