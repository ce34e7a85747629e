"""How often the local search's set-up asks whether to stop, at 1M and 10M variables.

The set-up (clause cleaning, occurrence lists, the first counts) runs in
slices and asks ``stop()`` between them, so that a deadline or a signal ends
it (issue: every phase yields within ~0.2 s at any size). This builds a
WalkSAT on random 3-SAT (the same files as ``bench_deadline.py``) in a fresh
process with a ``stop()`` that only records when it was asked, and reports
the set-up's length, the number of questions, the longest gaps between two
of them and where in the code they fall. Results:
``benchmarks/results/setup_slices.{md,csv}``.

    python benchmarks/bench_setup_slices.py --sizes 1000000,10000000
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_deadline import instance  # noqa: E402  (the same cached files)

RESULTS = HERE / "results"

# Run in a child: a fresh process, as a user's solve is (compiled kernels load on first call).
PROBE = r"""
import json, sys, time
import numpy as np
from polystep_sat.dimacs import read_dimacs
from polystep_sat.methods.walksat import WalkSAT
formula = read_dimacs(sys.argv[1])
asked = []
def stop():
    f = sys._getframe(1)
    if f.f_code.co_name == "check_stop":
        f = f.f_back
    asked.append((time.perf_counter(), f"{f.f_code.co_name}:{f.f_lineno}"))
    return False
t0 = time.perf_counter()
asked.append((t0, "start"))
ws = WalkSAT(formula, seed=1, stop=stop)
ws.set_assignment(np.zeros(formula.n_vars, dtype=bool), stop)
asked.append((time.perf_counter(), "end"))
gaps = sorted(((b[0] - a[0], f"{a[1]} -> {b[1]}") for a, b in zip(asked, asked[1:])), reverse=True)
print(json.dumps({"setup_s": asked[-1][0] - t0, "questions": len(asked) - 2,
                  "gaps": [g for g, _ in gaps], "top": gaps[:5]}))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,10000000", help="variables, comma-separated")
    ap.add_argument("--out", default=str(RESULTS / "setup_slices"))
    args = ap.parse_args(argv)
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        path = instance(n)
        p = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True)
        r = json.loads(p.stdout.strip().splitlines()[-1])
        gaps = sorted(r["gaps"])
        row = {"n_vars": n, "setup_s": round(r["setup_s"], 2), "questions": r["questions"],
               "median_gap_s": round(gaps[len(gaps) // 2], 3), "p99_gap_s": round(gaps[int(0.99 * (len(gaps) - 1))], 3),
               "gaps_over_0.2s": sum(g > 0.2 for g in gaps), "max_gap_s": round(gaps[-1], 3),
               "longest": "; ".join(f"{g:.2f} s {where}" for g, where in r["top"][:3])}
        rows.append(row)
        print(f"{n:>10,} variables: set-up {row['setup_s']} s, {row['questions']} questions, "
              f"p99 gap {row['p99_gap_s']} s, {row['gaps_over_0.2s']} over 0.2 s, longest {row['longest']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    cmd = "python benchmarks/bench_setup_slices.py " + " ".join(argv if argv is not None else sys.argv[1:])
    lines = ["# Local search set-up: how often it asks whether to stop", "",
             f"Command: `{cmd.strip()}`  ",
             f"Machine: {platform.machine()}, {time.strftime('%Y-%m-%d %H:%M')}; random 3-SAT at ratio 4.26; "
             "WalkSAT built in a fresh process; a gap is the time between two questions to `stop()`.", "",
             "| variables | set-up (s) | questions | median gap (s) | 99th pct gap (s) | gaps over 0.2 s | longest gap (s) | longest three (where) |",
             "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['n_vars']:,} | {r['setup_s']} | {r['questions']} | {r['median_gap_s']} | {r['p99_gap_s']} | "
                     f"{r['gaps_over_0.2s']} | {r['max_gap_s']} | {r['longest']} |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
