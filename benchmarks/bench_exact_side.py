"""The SAT side beside the search: where it proves optima, and what the default path gains.

Sections (``--only``):

* ``rule``        the SAT side alone, as the default method's child runs it, on
                  generated weighted MIS / set cover / colouring of growing size:
                  does it prove the optimum within ``--rc2-limit`` seconds, and
                  how fast (the size rule it once decided is now a memory rule,
                  ``polystep_sat.portfolio.side.MAX_LITERALS``).
* ``generated``   ``polystep-sat solve FILE --time-limit 30`` (the default
                  method) on the 2,000-variable MIS and set cover: the exit code
                  and when ``s OPTIMUM FOUND`` came.
* ``regression``  the MaxSAT Evaluation 2024 regression suite's MSE23Anytime
                  instances with a known best value (``--suite DIR``: the
                  suite's checkout with ``MaxSATRegressionSuiteWCNFs.zip``
                  unpacked in it): the default method at ``--seconds`` (5) and,
                  with ``--baseline-seconds``, ``--method polystep``; hits of the best value, how many
                  hits say OPTIMUM FOUND, and any OPTIMUM FOUND that is not the
                  best value (an error).

Every answer is the ``v`` line, checked with ``polystep_sat.verify``. Results:
``benchmarks/results/exact_side.{md,csv}``.

    python benchmarks/bench_exact_side.py --suite /tmp/mrs
    python benchmarks/bench_exact_side.py --only rule --rc2-limit 30
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LOCK = "/tmp/polystep-bench.lock"
sys.path.insert(0, str(HERE))

from bench_structured import check_answer, instance_file, write_results  # noqa: E402


def section_rule(sizes, rc2_limit):
    """The SAT side as the default path runs it: its child, killed at the limit."""
    from polystep_sat.portfolio.side import SatSide
    from polystep_sat.verify import evaluate

    rows = []
    for family in ("mis", "setcover", "colouring"):
        for n in sizes:
            f, _ = instance_file(family, n, 1)
            t0 = time.perf_counter()
            side = SatSide(f, time_limit=rc2_limit)
            cost = None
            try:
                while cost is None and not side.finished and time.perf_counter() - t0 < rc2_limit:
                    for kind, c, a in side.messages(0.05):
                        ev = evaluate(f, a) if a is not None else None
                        if kind == "opt" and ev.n_hard_unsat == 0 and ev.cost == c:
                            cost = c
                peak = _peak_rss(side.pid)
            finally:
                side.stop()
            dt = time.perf_counter() - t0
            rows.append(dict(section="rule", family=family, n_vars=f.n_vars, n_literals=f.n_literals,
                             proven=cost is not None, seconds=round(dt, 2), cost=cost,
                             child_peak_mb=round(peak / 2**20), bytes_per_literal=round(peak / f.n_literals)))
            print(f"rule {family:<10} {f.n_vars:>7,} vars {f.n_literals:>9,} literals: "
                  f"{'proved ' + str(cost) if cost is not None else 'no proof'} in {dt:.2f} s; "
                  f"child peak {peak / 2**20:,.0f} MB", flush=True)
    return rows


def _peak_rss(pid) -> int:
    """The child's peak resident memory so far (VmHWM), bytes; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _solve_cli(path, seconds, method=None):
    cmd = [sys.executable, "-m", "polystep_sat.cli", "solve", str(path), "--time-limit", f"{seconds:g}",
           "--no-progress"] + (["--method", method] if method else [])
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    return proc.stdout, proc.returncode, time.perf_counter() - t0


def section_generated(seconds=30.0):
    rows = []
    for family in ("mis", "setcover"):
        f, path = instance_file(family, 2000, 1)
        out, code, wall = _solve_cli(path, seconds)
        r = check_answer(f, out)
        status = next((ln[2:] for ln in out.splitlines() if ln.startswith("s ")), "")
        rows.append(dict(section="generated", family=family, n_vars=f.n_vars, exit=code, status=status,
                         seconds=round(wall, 2), cost=r["cost"], verified=r["verified"]))
        print(f"generated {family:<10} exit {code} {status} cost {r['cost']} verified {r['verified']} "
              f"in {wall:.2f} s", flush=True)
    return rows


def _suite_instances(suite: Path):
    with open(suite / "MSE23Anytime.csv") as fh:
        lines = [ln for ln in fh if not ln.startswith("c")]
    for rec in csv.DictReader(lines, skipinitialspace=True):
        best = rec["BestOValue"].strip()
        if best not in ("", "None"):
            yield suite / rec["WCNFFile"].strip(), int(best)


def section_regression(suite: Path, seconds: float, baseline_seconds: float):
    from polystep_sat.dimacs import read_dimacs

    rows = []
    for path, best in _suite_instances(suite):
        f = read_dimacs(path)
        runs = [("default", None, seconds)] + ([("polystep", "polystep", baseline_seconds)] if baseline_seconds else [])
        for label, method, t in runs:
            out, code, wall = _solve_cli(path, t, method)
            r = check_answer(f, out)
            status = next((ln[2:] for ln in out.splitlines() if ln.startswith("s ")), "")
            hit = r["verified"] and r["cost"] == best
            wrong = status == "OPTIMUM FOUND" and not (r["verified"] and r["cost"] <= best)
            rows.append(dict(section="regression", instance=path.name[:16], method=label, time_limit=t,
                             best=best, cost=r["cost"], verified=r["verified"], status=status, exit=code,
                             hit=hit, wrong_optimum=wrong, seconds=round(wall, 2)))
        d = rows[-len(runs)]
        print(f"regression {path.name[:12]} best {best}: default {d['cost']} {d['status']} ({d['seconds']} s)",
              flush=True)
    return rows


def summary(rows, args) -> str:
    md = ["# The SAT side beside the search", "",
          f"Command: `python benchmarks/bench_exact_side.py {' '.join(sys.argv[1:])}`  ",
          f"Machine: {platform.machine()}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M')}", ""]
    rule = [r for r in rows if r["section"] == "rule"]
    if rule:
        md += [f"## The SAT side alone (its child process), {args.rc2_limit:g} s limit", "",
               "| family | variables | literals | proved | seconds | child peak memory (MB) | bytes per literal |",
               "|---|---|---|---|---|---|---|"]
        md += [f"| {r['family']} | {r['n_vars']:,} | {r['n_literals']:,} | {'yes' if r['proven'] else 'no'} "
               f"| {r['seconds']} | {r['child_peak_mb']:,} | {r['bytes_per_literal']:,} |" for r in rule]
        md.append("")
    gen = [r for r in rows if r["section"] == "generated"]
    if gen:
        md += ["## Default `polystep-sat solve`, 2,000 variables, 30 s limit", "",
               "| family | exit | status | cost | verified | wall (s) |", "|---|---|---|---|---|---|"]
        md += [f"| {r['family']} | {r['exit']} | {r['status']} | {r['cost']} | {r['verified']} | {r['seconds']} |"
               for r in gen]
        md.append("")
    reg = [r for r in rows if r["section"] == "regression"]
    if reg:
        md += ["## MaxSAT Evaluation 2024 regression suite, MSE23Anytime instances with a known best value", "",
               "| method | time limit (s) | instances | best value hit | hits with OPTIMUM FOUND | wrong OPTIMUM FOUND "
               "| mean wall (s) |", "|---|---|---|---|---|---|---|"]
        for label in ("default", "polystep"):
            rs = [r for r in reg if r["method"] == label]
            if not rs:
                continue
            hits = [r for r in rs if r["hit"]]
            opt = sum(r["status"] == "OPTIMUM FOUND" for r in hits)
            wrong = sum(r["wrong_optimum"] for r in rs)
            md.append(f"| {label} | {rs[0]['time_limit']:g} | {len(rs)} | {len(hits)} | {opt} "
                      f"({100 * opt / max(len(hits), 1):.1f}%) | {wrong} | "
                      f"{sum(r['seconds'] for r in rs) / len(rs):.2f} |")
        md.append("")
    return "\n".join(md) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="+", choices=["rule", "generated", "regression"],
                    default=["rule", "generated", "regression"])
    ap.add_argument("--sizes", default="500,2000,5000,20000,50000", help="variables, for the rule section")
    ap.add_argument("--rc2-limit", type=float, default=60.0)
    ap.add_argument("--suite", type=Path, default=None, help="the regression suite's folder (see above)")
    ap.add_argument("--seconds", type=float, default=5.0, help="time limit of the default method (regression)")
    ap.add_argument("--baseline-seconds", type=float, default=0.0,
                    help="also run --method polystep with this time limit (0: not)")
    ap.add_argument("--out", default=str(RESULTS / "exact_side"))
    args = ap.parse_args(argv)
    if "regression" in args.only and (args.suite is None or not (args.suite / "MSE23Anytime.csv").exists()):
        if args.suite is not None or args.only == ["regression"]:
            ap.error("--suite DIR: the regression suite's folder with MSE23Anytime.csv and its WCNF files")
        args.only = [s for s in args.only if s != "regression"]
    rows = []
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if "rule" in args.only:
            rows += section_rule([int(s) for s in args.sizes.split(",")], args.rc2_limit)
        if "generated" in args.only:
            rows += section_generated()
        if "regression" in args.only:
            rows += section_regression(args.suite, args.seconds, args.baseline_seconds)
    write_results(Path(args.out), summary(rows, args), rows, sorted({k for r in rows for k in r}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
