"""What PolyStep adds to the search: the search with and without PolyStep, same time, one core.

For every instance, every seed and every time limit, two runs of the search
alone (``solve(FILE, method="polystep")``, no SAT side), each in a process
of its own pinned to one core (``taskset -c CPU``), one after the other:

* ``with``: the pipeline as it ships (PolyStep anneals, its rounding is the
  start where it beats the best start known, and it returns during the local
  search for a share of the time that follows its returns);
* ``without``: ``polystep=False``, the same local search from the best start
  known (a SAT model of the hard clauses, else a random assignment), with no
  anneal and no returns.

Instances: the files of ``--dir`` (default ``instances/real-dev``; one
MaxSAT Evaluation family each) and the generated families of ``--families``
(random 3-SAT at ratio 4.26 as ``ksat``, and the structured ones) at
``--sizes`` variables. Every returned assignment is re-evaluated here with
:func:`polystep_sat.verify.evaluate`. Score per run: ``(1 + best) / (1 +
cost)``, best = the cheapest cost any run of this benchmark found on the
instance (and the known cost, when ``instances.tsv`` gives one).

    python benchmarks/bench_polystep_gain.py --seconds 10,60 --seeds 1,2 --taskset 0

Holds ``/tmp/polystep-bench.lock``. Results: ``benchmarks/results/polystep_gain.{md,csv}``.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LOCK = "/tmp/polystep-bench.lock"
sys.path.insert(0, str(HERE))

from bench_flips import real_files  # noqa: E402
from bench_real import known_costs  # noqa: E402
from bench_structured import write_results  # noqa: E402

_RUN = ("import json, sys; from polystep_sat import solve; "
        "r = solve(sys.argv[1], method='polystep', time_limit=float(sys.argv[2]), seed=int(sys.argv[3]), "
        "polystep=sys.argv[4] == 'with'); "
        "print(json.dumps({'bits': ''.join('1' if x else '0' for x in r.assignment) if r.assignment is not None "
        "else None, 'info': {k: r.info.get(k) for k in ('polish_start', 'kicks_taken', 'kicks_improved', "
        "'kick_shares', 'engine')}}))")


def run_one(path: Path, formula, seconds: float, seed: int, config: str, prefix: list[str]) -> dict:
    from polystep_sat.verify import evaluate

    cmd = prefix + [sys.executable, "-c", _RUN, str(path), f"{seconds:g}", str(seed), config]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    try:
        out = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return dict(cost=None, note=f"no answer (exit {proc.returncode})")
    if out["bits"] is None:
        return dict(cost=None, note="no assignment")
    a = np.frombuffer(out["bits"].encode(), dtype=np.uint8) == ord("1")
    ev = evaluate(formula, a)
    if ev.n_hard_unsat:
        return dict(cost=None, note=f"{ev.n_hard_unsat} hard clauses falsified")
    return dict(cost=int(ev.cost), note="", **{k: json.dumps(v) for k, v in out["info"].items()})


def markdown(rows, seconds, command, taskset) -> str:
    out = ["# What PolyStep adds: the search with and without it", "", f"Command: `{command}`  ",
           f"Machine: {platform.machine()}, {os.cpu_count()} cores"
           + (f", every run pinned with `taskset -c {taskset}`" if taskset is not None else "")
           + f"; {time.strftime('%Y-%m-%d %H:%M')}; one run after the other.  ",
           "Cost: mean over seeds of the re-evaluated cost (lower is better). Score: mean over instances "
           "and seeds of (1 + best) / (1 + cost), best = the cheapest cost seen on the instance.", ""]
    for t in seconds:
        rt = [r for r in rows if r["seconds"] == t]
        out += [f"## {t:g} s", "", "| instance | with PolyStep | without | PolyStep |", "|---|---:|---:|---|"]
        scores = {"with": [], "without": []}
        for inst in dict.fromkeys(r["instance"] for r in rt):
            ri = [r for r in rt if r["instance"] == inst]
            cells, means = [inst], {}
            for c in ("with", "without"):
                costs = [r["cost"] for r in ri if r["config"] == c]
                ok = [x for x in costs if x is not None]
                means[c] = sum(ok) / len(ok) if ok and len(ok) == len(costs) else None
                cells.append(f"{means[c]:,.1f}" if means[c] is not None else "no answer")
                scores[c] += [r["score"] for r in ri if r["config"] == c]
            w, wo = means["with"], means["without"]
            cells.append("n/a" if w is None or wo is None else "helps" if w < wo else "hurts" if w > wo else "same")
            out.append("| " + " | ".join(cells) + " |")
        out += ["", f"Score with PolyStep {np.mean(scores['with']):.5f}, without {np.mean(scores['without']):.5f}.", ""]
    return "\n".join(out)


def main(argv=None) -> int:
    from polystep_sat.generate import STRUCTURED_FAMILIES

    families = ("ksat",) + tuple(STRUCTURED_FAMILIES)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", type=Path, default=HERE.parent / "instances" / "real-dev")
    ap.add_argument("--families", default=",".join(families), help="generated families ('' for none)")
    ap.add_argument("--sizes", default="2000", help="variables per generated instance (ksat: 50 times more)")
    ap.add_argument("--seconds", default="10,60")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--taskset", default="0", help="CPU to pin every run to ('' for none)")
    ap.add_argument("--out", default=str(RESULTS / "polystep_gain"))
    args = ap.parse_args(argv)
    fams = [f for f in args.families.split(",") if f]
    for f in fams:
        if f not in families:
            ap.error(f"unknown family {f!r}; choose from {', '.join(families)}")
    seconds = [float(x) for x in args.seconds.split(",") if x]
    seeds = [int(x) for x in args.seeds.split(",") if x]
    prefix = ["taskset", "-c", args.taskset] if args.taskset else []
    if prefix and shutil.which("taskset") is None:
        ap.error("--taskset: no taskset command on this machine")

    from polystep_sat.dimacs import read_dimacs, write_dimacs
    from polystep_sat.generate import random_ksat, structured_family

    command = "python benchmarks/bench_polystep_gain.py " + " ".join(argv if argv is not None else sys.argv[1:])
    known = known_costs(args.dir) if args.dir.is_dir() else {}
    rows = []
    with open(LOCK, "w") as lock, tempfile.TemporaryDirectory() as tmp:
        fcntl.flock(lock, fcntl.LOCK_EX)
        jobs = [(p.name, p, None) for p in (real_files(args.dir) if args.dir.is_dir() else [])]
        for n in (int(x) for x in args.sizes.split(",") if x):
            for fam in fams:
                f = random_ksat(50 * n, 4.26, seed=1) if fam == "ksat" else structured_family(fam, n, 1)
                path = Path(tmp) / f"{fam}_{f.n_vars}.wcnf"
                write_dimacs(f, path, fmt="wcnf-old" if f.is_partial or f.weighted else "cnf")
                jobs.append((f"{fam}_{f.n_vars}", path, f))
        for name, path, formula in jobs:
            formula = formula if formula is not None else read_dimacs(path)
            for t in seconds:
                group = []
                for seed in seeds:
                    for config in ("with", "without"):
                        r = dict(instance=name, seconds=t, seed=seed, config=config,
                                 **run_one(path, formula, t, seed, config, prefix))
                        group.append(r)
                        print(f"{t:4g} s  {name[:55]:<55} seed {seed} {config:<8} cost {r['cost']}", flush=True)
                k = known.get(name, -1)
                best = min([r["cost"] for r in group if r["cost"] is not None] + ([k] if k is not None and k >= 0 else []),
                           default=None)
                for r in group:
                    r["score"] = (1 + best) / (1 + r["cost"]) if r["cost"] is not None and best is not None else 0.0
                rows.extend(group)
    write_results(Path(args.out), markdown(rows, seconds, command, args.taskset or None), rows,
                  ["instance", "seconds", "seed", "config", "cost", "score", "polish_start", "kicks_taken",
                   "kicks_improved", "kick_shares", "engine", "note"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
