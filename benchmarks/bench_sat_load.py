"""What a model of the hard clauses costs on big formulas: PySAT's load, CaDiCaL's memory, the solve.

Issue 30 asked for the SAT side past its 5M-literal rule, "wherever memory
allows". This measures what stands in the way, one file at a time, in a fresh
process each (so the memory figures are the file's own): reading the file,
adding its hard clauses to CaDiCaL 1.9.5 through PySAT in chunks (the way the
answering process and the child load them, :mod:`polystep_sat.sat_calls`, with
no deadline), the resident memory that adds, and one solve with the soft unit
literals as phases. PySAT has one native call per clause and no bulk path, so
the load's pace is CaDiCaL's own: measured by hand on a million random binary
clauses, ``Solver.add_clause`` took 3.1 us a clause and a loop calling the
extension's ``cadical195_add_cl`` directly 4.6 us (no faster).

    python benchmarks/bench_sat_load.py benchmarks/.data/structured/mis_2000000_s1.wcnf ...

Results: ``benchmarks/results/sat_load.{md,csv}`` (or ``--out``).
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
FIELDS = ["file", "solver", "n_vars", "hard_clauses", "hard_literals", "read_s", "load_s", "us_per_clause", "load_mb",
          "bytes_per_literal", "solve_s", "satisfiable", "peak_mb"]


def measure(path: str, solver: str = "cd19") -> dict:
    """One file, in this process (run it in a fresh one); ``solver``: PySAT's name."""
    import resource

    import numpy as np
    import psutil
    from pysat.solvers import Solver

    from polystep_sat.dimacs import read_dimacs
    from polystep_sat.sat_calls import formula_chunks, load_chunks
    from polystep_sat.verify import soft_unit_literals

    def rss_mb():
        return psutil.Process().memory_info().rss / 2**20

    t = time.perf_counter()
    f = read_dimacs(path)
    read_s = time.perf_counter() - t
    hard = np.flatnonzero(f.hard)
    hard_literals = int((f.indptr[hard + 1] - f.indptr[hard]).sum())
    with Solver(name=solver) as s:
        r0, t = rss_mb(), time.perf_counter()
        load_chunks(s, formula_chunks(f.indptr, f.literals, hard), hard.size, float("inf"))
        load_s, load_mb = time.perf_counter() - t, rss_mb() - r0
        s.set_phases(soft_unit_literals(f).tolist())
        t = time.perf_counter()
        sat = s.solve()
        solve_s = time.perf_counter() - t
    return dict(file=Path(path).name, solver=solver, n_vars=f.n_vars, hard_clauses=int(hard.size),
                hard_literals=hard_literals, read_s=round(read_s, 2), load_s=round(load_s, 2),
                us_per_clause=round(1e6 * load_s / max(hard.size, 1), 2), load_mb=round(load_mb),
                bytes_per_literal=round(load_mb * 2**20 / max(hard_literals, 1), 1), solve_s=round(solve_s, 2),
                satisfiable=sat, peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--one", help=argparse.SUPPRESS)    # the child's job: one file, a JSON line out
    ap.add_argument("--solvers", default="cd19", help="comma-separated PySAT solver names (cd19: CaDiCaL 1.9.5, "
                    "m22: MiniSat 2.2, g4: Glucose 4, ...), each file with each")
    ap.add_argument("--out", default=str(HERE / "results" / "sat_load"))
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.solvers)))
        return 0
    rows = []
    for path in args.files:
        for solver in args.solvers.split(","):
            done = subprocess.run([sys.executable, __file__, "--one", path, "--solvers", solver],
                                  capture_output=True, text=True)
            if done.returncode:
                print(f"{path} ({solver}): failed\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(rows[-1], flush=True)
    out = Path(args.out)
    with open(out.with_suffix(".csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    lines = ["# A model of the hard clauses on big formulas: PySAT's load into a SAT solver", "",
             "Command: `python " + " ".join([Path(sys.argv[0]).as_posix()] + sys.argv[1:]) + "`  ",
             f"Machine: {platform.machine()}, one process at a time; {time.strftime('%Y-%m-%d %H:%M')}", "",
             "| " + " | ".join(FIELDS) + " |", "|" + "---|" * len(FIELDS)]
    lines += ["| " + " | ".join(f"{r[k]:,}" if isinstance(r[k], int) and not isinstance(r[k], bool) else str(r[k])
                                 for k in FIELDS) + " |" for r in rows]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
