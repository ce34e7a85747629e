"""Answering on time at every size: the default solve from the command line.

For each size (random 3-SAT at ratio 4.26) and time limit, two runs of
``polystep-sat solve FILE --time-limit S``:

* ``limit``: left alone; the ``s`` line must come within S + 1 s of the
  process start (the limit counts from there);
* ``sigterm``: SIGTERM at a random moment in [0.1, S) s (the parse included);
  the ``s`` line must come within 1 s of the signal.

Reported per run: the wall time from the spawn to the ``s`` line and to the
exit, the peak memory of the solver and its children (``RUSAGE_CHILDREN``),
which path answered (regular end, signal, or the overrun guard), the
satisfied fraction of the ``v`` line (re-evaluated independently) and whether
the output contract holds. Output is read the documented way
(``communicate()`` again after the signal). Results:
``benchmarks/results/deadline.{md,csv}``.

    python benchmarks/bench_deadline.py --sizes 1000,100000,1000000 --limits 10,60
    python benchmarks/bench_deadline.py --sizes 10000000 --limits 60     # ~11 GB, minutes to generate
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CACHE = Path("/tmp/polystep-deadline")
RATIO = 4.26


def instance(n: int) -> Path:
    """A random 3-SAT file with n variables, written once and cached."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"ksat-{n}.cnf"
    if not path.exists():
        from polystep_sat.dimacs import write_dimacs
        from polystep_sat.generate import random_ksat

        tmp = path.with_suffix(".tmp.cnf")
        write_dimacs(random_ksat(n, RATIO, seed=1), tmp)
        tmp.rename(path)
    return path


def _sample_peak(pid: int, stop: threading.Event, peak: list) -> None:
    """The largest total resident memory of the solver's process tree, sampled every 0.1 s."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.wait(0.1):
        try:
            procs = [root] + root.children(recursive=True)
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in procs))
        except psutil.Error:
            pass


def run(path: Path, limit: float, sigterm_at: float | None) -> dict:
    cmd = [sys.executable, "-m", "polystep_sat.cli", "solve", str(path), "--time-limit", f"{limit:g}", "--no-progress"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_sample_peak, args=(proc.pid, stop, peak), daemon=True)
    sampler.start()
    if sigterm_at is not None:
        timer = threading.Timer(sigterm_at, lambda: proc.poll() is None and proc.send_signal(signal.SIGTERM))
        timer.start()
    try:
        out, err = proc.communicate(timeout=limit + 30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()  # the documented way: nothing read so far is lost
    wall = time.perf_counter() - t0  # the s and v lines are the last output: this is their time too
    stop.set()
    sampler.join()
    if sigterm_at is not None:
        timer.cancel()
    return dict(out=out, err=err, rc=proc.returncode, wall=wall, peak=peak[0])


def check(path: Path, out: str, rc: int):
    from polystep_sat.contract import contract_violations, parse_output
    from polystep_sat.dimacs import read_dimacs
    from polystep_sat.verify import evaluate

    import numpy as np

    f = read_dimacs(path)
    bad = contract_violations(out, rc, f)
    p = parse_output(out)
    frac = None
    if p["v"] and len(p["v"][-1]) == f.n_vars:
        a = np.frombuffer(p["v"][-1].encode(), dtype=np.uint8) == ord("1")
        frac = 1.0 - evaluate(f, a).n_unsat / max(f.n_soft, 1)
    return bad, frac


def path_taken(out: str) -> str:
    if "c interrupted:" in out:
        return "signal"
    if "c time limit passed while the search was busy" in out:
        return "overrun guard"
    return "regular"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,100000,1000000", help="variables, comma-separated")
    ap.add_argument("--limits", default="10,60", help="time limits in seconds, comma-separated")
    ap.add_argument("--seed", type=int, default=0, help="seed of the SIGTERM moments")
    ap.add_argument("--out", default=str(RESULTS / "deadline"))
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        t = time.perf_counter()
        path = instance(n)
        print(f"{n:,} variables: {path} ({time.perf_counter() - t:.1f} s to make or find)", flush=True)
        for limit in [float(x) for x in args.limits.split(",")]:
            for kind in ("limit", "sigterm"):
                at = rng.uniform(0.1, limit) if kind == "sigterm" else None
                r = run(path, limit, at)
                bad, frac = check(path, r["out"], r["rc"])
                allowed = limit + 1.0 if at is None else min(at, limit) + 1.0
                row = dict(n_vars=n, limit=limit, run=kind, sigterm_at=None if at is None else round(at, 2),
                           wall_s=round(r["wall"], 2), on_time=r["wall"] <= allowed, allowed_s=round(allowed, 2),
                           exit=r["rc"], path=path_taken(r["out"]), satisfied=frac,
                           peak_mb=round(r["peak"] / 2**20),
                           violations="; ".join(bad))
                rows.append(row)
                print(f"  limit {limit:g} s {kind:<8} {'' if at is None else f'SIGTERM at {at:.2f} s '}"
                      f"answered at {r['wall']:.2f} s ({'on time' if row['on_time'] else 'LATE'}), exit {r['rc']}, "
                      f"{row['path']}, satisfied {frac if frac is None else f'{100 * frac:.3f}%'}"
                      f"{', ' + row['violations'] if bad else ''}", flush=True)
    write(rows, Path(args.out), argv)
    return 0 if all(r["on_time"] and not r["violations"] for r in rows) else 1


def write(rows, out: Path, argv) -> None:
    cmd = " ".join(sys.argv[1:] if argv is None else argv)
    md = ["# Answering on time: the default solve, time limit counted from the process start", "",
          f"Command: `python benchmarks/bench_deadline.py {cmd}`  ",
          f"Machine: {platform.machine()}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M')}; "
          "random 3-SAT, ratio 4.26; wall = spawn to exit (the `s` and `v` lines are the last output).", "",
          "Peak memory: the largest total resident set of the solver and its SAT-side child, "
          "sampled every 0.1 s.", "",
          "| variables | limit (s) | run | SIGTERM at (s) | wall (s) | allowed (s) | on time | exit | path "
          "| satisfied | peak (MB) | contract |",
          "|---:|---:|---|---:|---:|---:|---|---:|---|---:|---:|---|"]
    for r in rows:
        sat = "" if r["satisfied"] is None else f"{100 * r['satisfied']:.3f}%"
        md.append(f"| {r['n_vars']:,} | {r['limit']:g} | {r['run']} | {r['sigterm_at'] or ''} | {r['wall_s']} "
                  f"| {r['allowed_s']} | {'yes' if r['on_time'] else '**no**'} | {r['exit']} | {r['path']} "
                  f"| {sat} "
                  f"| {r['peak_mb'] or ''} | {r['violations'] or 'ok'} |")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text("\n".join(md) + "\n")
    with open(out.with_suffix(".csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print("\n".join(md))


if __name__ == "__main__":
    sys.exit(main())
