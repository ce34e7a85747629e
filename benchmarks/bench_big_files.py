"""Big files through the command line: time to the first ``o`` line, peak memory.

For each file (random 3-SAT at ratio 4.26: 1M variables / 4.26M clauses, and
10M clauses / 2.35M variables), run ``polystep-sat solve FILE --time-limit T``
as a user would, with stderr on a pseudo-terminal (so the progress display is
on, as in a shell) and stdout on a pipe, and record when each stdout line
arrives. Reported per file:

- parse done: when the ``c parsed ...`` line arrived (seconds since spawn:
  interpreter start, imports and parsing);
- first o: when the first ``o`` line arrived, and its lag behind "parse done"
  (the target: under 1 s);
- the final cost, checked by the output-contract checker against an
  independent evaluation of the ``v`` line;
- peak RSS of the solver process (``ru_maxrss`` of the child), and whether
  stdout stayed pure ``c/o/s/v`` while the progress display drew on stderr.

    PYTHONPATH=$PWD flock /tmp/polystep-bench.lock python benchmarks/bench_big_files.py

Files are cached under benchmarks/.data/ (shared with bench_parse.py);
results go to benchmarks/results/big_files.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pty
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
RESULTS = HERE / "results"

FILES = {  # name -> (n_vars, n_clauses)
    "1M vars": (1_000_000, 4_260_000),
    "10M clauses": (2_347_418, 10_000_000),
}


def instance(n_vars: int, n_clauses: int) -> Path:
    path = DATA / f"rand3_n{n_vars}_m{n_clauses}_s1.cnf"
    if not path.exists():
        from polystep_sat.dimacs import write_dimacs
        from polystep_sat.generate import random_ksat

        DATA.mkdir(parents=True, exist_ok=True)
        write_dimacs(random_ksat(n_vars, n_clauses / n_vars, seed=1), path)
    return path


def run_cli(path: Path, time_limit: float, method: str) -> dict:
    master, slave = pty.openpty()  # stderr is a terminal: the progress display draws
    cmd = [sys.executable, "-m", "polystep_sat.cli", "solve", str(path), "--time-limit", str(time_limit),
           "--method", method]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    stderr_bytes = [0]

    def drain():
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            stderr_bytes[0] += len(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    lines, arrivals = [], []
    for line in proc.stdout:
        arrivals.append(time.perf_counter() - t0)
        lines.append(line)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join(timeout=2)
    os.close(master)
    parse_at = next(t for t, l in zip(arrivals, lines) if l.startswith("c parsed"))
    first_o = next((t for t, l in zip(arrivals, lines) if l.startswith("o ")), None)
    return {"out": "".join(lines), "exit": proc.returncode, "wall": time.perf_counter() - t0,
            "parse_done": parse_at, "first_o": first_o, "peak_rss_mb": usage.ru_maxrss / 1024,
            "stderr_bytes": stderr_bytes[0]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", default=",".join(FILES), help="comma-separated: " + ", ".join(FILES))
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--method", default="polystep")
    ap.add_argument("--out", default=str(RESULTS / "big_files"))
    args = ap.parse_args(argv)

    from polystep_sat.contract import contract_violations, parse_output
    from polystep_sat.dimacs import read_dimacs

    subprocess.run([sys.executable, "-m", "polystep_sat.cli", "warmup"], check=True, capture_output=True)
    rows = []
    for name in args.files.split(","):
        n, m = FILES[name]
        path = instance(n, m)
        r = run_cli(path, args.time_limit, args.method)
        formula = read_dimacs(path)
        violations = contract_violations(r["out"], r["exit"], formula)
        del formula
        o = parse_output(r["out"])["o"]
        lag = None if r["first_o"] is None else r["first_o"] - r["parse_done"]
        row = {"file": name, "n_vars": n, "n_clauses": m, "mb": round(path.stat().st_size / 2**20, 1),
               "method": args.method, "time_limit": args.time_limit, "parse_done_s": round(r["parse_done"], 3),
               "first_o_s": None if r["first_o"] is None else round(r["first_o"], 3),
               "first_o_after_parse_s": None if lag is None else round(lag, 3),
               "first_cost": o[0] if o else None, "final_cost": o[-1] if o else None,
               "satisfied": None if not o else round(1 - o[-1] / m, 6), "wall_s": round(r["wall"], 2),
               "peak_rss_mb": round(r["peak_rss_mb"]), "exit": r["exit"], "violations": violations,
               "stderr_progress_bytes": r["stderr_bytes"]}
        rows.append(row)
        print(json.dumps(row), flush=True)

    lines = [
        "# Big files through the command line", "",
        f"Command: `PYTHONPATH=$PWD python benchmarks/bench_big_files.py --time-limit {args.time_limit:g}"
        f" --method {args.method}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M')}  ",
        "Times are seconds since the process was spawned, taken when each stdout line arrived; "
        "stderr on a pseudo-terminal (progress display on), stdout a pipe checked line by line "
        "against the output contract.", "",
        "| file | MB | parse done (s) | first o (s) | first o after parse (s) | first o cost | final cost "
        "| satisfied | wall (s) | peak RSS (MB) | contract violations |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['file']} ({r['n_vars']:,} vars, {r['n_clauses']:,} clauses) | {r['mb']} "
                     f"| {r['parse_done_s']} | {r['first_o_s']} | {r['first_o_after_parse_s']} | {r['first_cost']:,} "
                     f"| {r['final_cost']:,} | {r['satisfied']:.4%} | {r['wall_s']} | {r['peak_rss_mb']:,} "
                     f"| {len(r['violations'])} |")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out + ".md").write_text(text)
    Path(args.out + ".json").write_text(json.dumps(rows, indent=1))
    return 0 if all(not r["violations"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
