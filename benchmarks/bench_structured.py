"""Structured weighted partial MaxSAT: our methods against NuWLS, same file, same time.

Families (``polystep_sat.generate``), a size being a number of variables:

* ``mis``        weighted maximum independent set on a power-law graph;
* ``setcover``   weighted set cover, sets of 2-8 elements;
* ``colouring``  graph colouring, 4 colours, mean degree 9, unit soft weights.

Each instance is written once (old ``p wcnf`` format, the only one NuWLS
reads) under ``benchmarks/.data/structured/``. Every method runs as a user
runs it, one after the other on the same file with the same time limit:
``polystep-sat solve FILE --method M --time-limit T --seed S``; NuWLS (built
from its public source with ``g++ -O3``, never committed; give its binary
with ``--nuwls PATH``) as ``NuWLS FILE SEED`` ended by SIGTERM at the limit,
where it prints its best. Every answer is the last ``v`` line of the run,
checked with :func:`polystep_sat.verify.verify` against the formula; a run
whose ``v`` line is missing or does not verify counts as no answer. (NuWLS
prints no ``v`` line when it reaches cost 0; such a run is marked.)

    python benchmarks/bench_structured.py --nuwls /tmp/nuwls/nuwls
    python benchmarks/bench_structured.py --sizes 2000 --time-limit 10 --families mis --methods polystep,cwls

``--cores 1`` pins every run to one core (``taskset -c 0``), as the MaxSAT
Evaluation runs a solver. Flips per second are over the whole run (flips /
wall time, loading included): ours from the ``c local search flips: N`` line;
NuWLS's from a ``c flips N`` line, which its source prints once one line is
added at the top of its SIGTERM handler (``interrupt`` in ``pms.cpp``):
``cout << "c flips " << total_step << endl;``. A build without it leaves
the column empty.

The whole run holds ``/tmp/polystep-bench.lock`` (fcntl), so it never times
against another benchmark on the same machine. Results:
``benchmarks/results/structured.{md,csv}``.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import math
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

from polystep_sat.generate import STRUCTURED_FAMILIES as FAMILIES

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data" / "structured"
RESULTS = HERE / "results"
LOCK = "/tmp/polystep-bench.lock"


def instance_file(family: str, n: int, seed: int):
    """The instance and its old-format WCNF file (written once, then reused)."""
    from polystep_sat.dimacs import read_dimacs, write_dimacs
    from polystep_sat.generate import structured_family

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{family}_{n}_s{seed}.wcnf"
    if path.exists():
        return read_dimacs(path), path
    f = structured_family(family, n, seed)
    tmp = path.with_suffix(".tmp")
    write_dimacs(f, tmp, fmt="wcnf-old")
    tmp.rename(path)
    return f, path


def run_command(cmd, time_limit: float, grace: float) -> tuple[str, float]:
    """Run ``cmd``; SIGTERM at ``time_limit`` + ``grace`` if it is still running, SIGKILL 5 s later."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=time_limit + grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
    return out, time.perf_counter() - t0


def check_answer(formula, stdout: str) -> dict:
    """Last ``o`` claim and the verified cost of the last ``v`` line."""
    import numpy as np

    from polystep_sat.verify import verify

    claims = [ln.split()[1] for ln in stdout.splitlines() if ln.startswith("o ") and len(ln.split()) > 1]
    vlines = [ln for ln in stdout.splitlines() if ln.startswith("v ")]
    flips = [ln.split()[-1] for ln in stdout.splitlines()
             if ln.startswith("c local search flips:") or ln.startswith("c flips ")]
    row = dict(claimed=int(claims[-1]) if claims else None, cost=None, hard_unsat=None, verified=False, note="",
               flips=int(flips[-1]) if flips else None)
    if not vlines:
        row["note"] = "no v line" + (" (claimed cost 0)" if row["claimed"] == 0 else "")
        return row
    bits = vlines[-1][2:].strip()
    if len(bits) != formula.n_vars or set(bits) - {"0", "1"}:
        row["note"] = "malformed v line"
        return row
    a = np.frombuffer(bits.encode(), dtype=np.uint8) == ord("1")
    ok, ev = verify(formula, a, claimed_cost=row["claimed"])
    row.update(cost=int(ev.cost), hard_unsat=int(ev.n_hard_unsat), verified=bool(ok and ev.n_hard_unsat == 0))
    if not row["verified"]:
        row["note"] = "hard clauses falsified" if ev.n_hard_unsat else "claimed cost does not match"
    return row


def _with_rate(row: dict, wall: float) -> dict:
    row["wall_s"] = round(wall, 2)
    row["flips_per_s"] = round(row["flips"] / wall) if row.get("flips") and wall > 0 else None
    return row


def run_ours(method: str, path: Path, time_limit: float, seed: int, formula, pin=()) -> dict:
    cmd = [*pin, sys.executable, "-m", "polystep_sat.cli", "solve", str(path), "--method", method,
           "--time-limit", f"{time_limit:g}", "--seed", str(seed), "--no-progress"]
    out, wall = run_command(cmd, time_limit, grace=30.0)
    return _with_rate(check_answer(formula, out), wall)


def run_nuwls(binary: str, path: Path, time_limit: float, seed: int, formula, pin=()) -> dict:
    out, wall = run_command([*pin, binary, str(path), str(seed + 1)], time_limit, grace=0.0)
    return _with_rate(check_answer(formula, out), wall)


def _fmt_cost(r) -> str:
    if r is None:
        return ""
    if not r["verified"]:
        return f"no answer ({r['note']})"
    return f"{r['cost']:,}"


def markdown(rows, methods, with_nuwls, command) -> str:
    head = ["family", "variables", "clauses", "time (s)"] + list(methods)
    if with_nuwls:
        head += ["NuWLS"] + [f"{m} / NuWLS" for m in methods]
    names = list(methods) + (["nuwls"] if with_nuwls else [])
    head += [f"{'NuWLS' if m == 'nuwls' else m} flips/s" for m in names] + ["slowest exit (s)"]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    ratios = {m: [] for m in methods}
    for key, group in rows.items():
        family, n_vars, n_clauses, t = key
        cells = [family, f"{n_vars:,}", f"{n_clauses:,}", f"{t:g}"] + [_fmt_cost(group.get(m)) for m in methods]
        if with_nuwls:
            nu = group.get("nuwls")
            cells.append(_fmt_cost(nu))
            for m in methods:
                r = group.get(m)
                if nu and nu["verified"] and r and r["verified"]:
                    ratio = r["cost"] / nu["cost"] if nu["cost"] else (1.0 if r["cost"] == 0 else math.inf)
                    ratios[m].append(ratio)
                    cells.append(f"{ratio:.4f}")
                else:
                    cells.append("")
        for m in names:
            rate = (group.get(m) or {}).get("flips_per_s")
            cells.append(f"{rate:,}" if rate else "")
        walls = [group[m]["wall_s"] for m in methods if m in group]
        cells.append(f"{max(walls):.2f}" if walls else "")
        lines.append("| " + " | ".join(cells) + " |")
    out = ["# Structured weighted partial MaxSAT: polystep-sat methods and NuWLS", "",
           f"Command: `{command}`  ",
           f"Machine: {platform.machine()}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M')}; "
           "runs one after the other, the same file and time limit for each.  ",
           "Cost = falsified soft weight of the last `v` line, re-checked with `polystep_sat.verify` "
           "(lower is better); ratio < 1: ours is cheaper than NuWLS's. Flips per second over the whole "
           "run (flips / wall time); slowest exit: the latest of our runs, from spawn to exit.", ""] + lines
    if with_nuwls:
        out.append("")
        for m in methods:
            if ratios[m]:
                gm = math.exp(sum(math.log(max(x, 1e-12)) for x in ratios[m]) / len(ratios[m]))
                out.append(f"- {m}: geometric mean of cost / NuWLS's cost over {len(ratios[m])} instances: "
                           f"**{gm:.4f}**; worst {max(ratios[m]):.4f}")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--sizes", default="2000,50000,500000", help="variables per instance")
    ap.add_argument("--time-limit", default="30,30,60", help="one value, or one per size")
    ap.add_argument("--methods", default="polystep,cwls,walksat", help="polystep-sat methods to run")
    ap.add_argument("--seed", type=int, default=0, help="solver seed")
    ap.add_argument("--instance-seed", type=int, default=1)
    ap.add_argument("--nuwls", default=None, metavar="PATH", help="NuWLS binary to compare with")
    ap.add_argument("--cores", type=int, choices=(1, 2), default=2,
                    help="1: every run pinned to one core (taskset -c 0); 2: not pinned")
    ap.add_argument("--out", default=str(RESULTS / "structured"), help="results path without extension")
    args = ap.parse_args(argv)
    pin = ("taskset", "-c", "0") if args.cores == 1 else ()

    families = [f for f in args.families.split(",") if f]
    for f in families:
        if f not in FAMILIES:
            ap.error(f"unknown family {f!r}; choose from {', '.join(FAMILIES)}")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    limits = [float(s) for s in args.time_limit.split(",") if s]
    limits = limits * len(sizes) if len(limits) == 1 else limits
    if len(limits) != len(sizes):
        ap.error("--time-limit needs one value or one per size")
    methods = [m for m in args.methods.split(",") if m]
    from polystep_sat.methods import METHODS

    for m in methods:
        if m not in METHODS:
            ap.error(f"unknown method {m!r}; choose from {', '.join(METHODS)}")
    if args.nuwls and not os.access(args.nuwls, os.X_OK):
        ap.error(f"--nuwls {args.nuwls}: not an executable file")

    command = "python benchmarks/bench_structured.py " + " ".join(argv if argv is not None else sys.argv[1:])
    rows, flat = {}, []
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for n, t in zip(sizes, limits):
            for family in families:
                formula, path = instance_file(family, n, args.instance_seed)
                key = (family, formula.n_vars, formula.n_clauses, t)
                group = rows.setdefault(key, {})
                runs = [(m, lambda m=m: run_ours(m, path, t, args.seed, formula, pin)) for m in methods]
                if args.nuwls:
                    runs.append(("nuwls", lambda: run_nuwls(args.nuwls, path, t, args.seed, formula, pin)))
                for name, run in runs:
                    r = run()
                    group[name] = r
                    flat.append(dict(family=family, n_vars=formula.n_vars, n_clauses=formula.n_clauses,
                                     time_limit=t, cores=args.cores, method=name, **r))
                    print(f"{family:<10} {formula.n_vars:>9,} {t:4g} s  {name:<9} cost {_fmt_cost(r):>14}  "
                          f"wall {r['wall_s']:.2f} s  flips/s {r['flips_per_s'] or '-'}", flush=True)
    write_results(Path(args.out), markdown(rows, methods, bool(args.nuwls), command.strip()), flat,
                  list(flat[0]) if flat else ["family"])
    return 0


def write_results(out: Path, md: str, rows: list, fields: list) -> None:
    """``out``.md (the table) and ``out``.csv (one row a run, ``fields`` its columns); print the table."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(md)
    with open(out.with_suffix(".csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    print(md)


if __name__ == "__main__":
    sys.exit(main())
