"""What a batch user pays per file before the search: the command line's start-up, timed from the spawn.

For each file, ``--runs`` runs of ``polystep-sat solve FILE --time-limit S
--no-progress`` (pinned with ``--taskset``), one after the other. Every
stdout line is stamped with the seconds since the process was spawned; the
table gives the median over runs of the time to

* the header line (the interpreter and the command line's imports done),
* the ``c parsed`` line (the file read: the first clause read is after the
  header, the last before this line),
* the first ``o`` line (the first checked answer),
* the ``s`` line, and the exit;

and, for reference, ``python -c pass`` and ``python -c "import polystep_sat"``
(the interpreter alone, and the package's import).

    python benchmarks/bench_startup.py instances/uf50-218-01.cnf instances/wpms-40.wcnf --runs 5

Holds ``/tmp/polystep-bench.lock``. Results: ``benchmarks/results/startup.{md,csv}`` (``--out``).
"""

from __future__ import annotations

import argparse
import fcntl
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LOCK = "/tmp/polystep-bench.lock"
sys.path.insert(0, str(HERE))

from bench_structured import write_results  # noqa: E402

EVENTS = ("header", "parsed", "first_o", "s_line", "exit")


def stamped(cmd: list[str]) -> dict:
    """Run ``cmd``; the seconds from its spawn to each event (None when it never came)."""
    seen = dict.fromkeys(EVENTS)
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
    for line in p.stdout:
        t = time.perf_counter() - t0
        if line.startswith("c polystep-sat") and seen["header"] is None:
            seen["header"] = t
        elif line.startswith("c parsed") and seen["parsed"] is None:
            seen["parsed"] = t
        elif line.startswith("o ") and seen["first_o"] is None:
            seen["first_o"] = t
        elif line.startswith("s ") and seen["s_line"] is None:
            seen["s_line"] = t
    p.wait()
    seen["exit"] = time.perf_counter() - t0
    seen["exit_code"] = p.returncode
    return seen


def bare(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--taskset", default="0", help="CPU to pin every run to ('' for none)")
    ap.add_argument("--out", default=str(RESULTS / "startup"))
    args = ap.parse_args(argv)
    pin = ["taskset", "-c", args.taskset] if args.taskset else []
    rows = []
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for what, code in (("python -c pass", "pass"), ("import polystep_sat", "import polystep_sat")):
            runs = [bare(code) for _ in range(args.runs)]
            rows.append(dict(file=what, exit=statistics.median(runs)))
        for f in args.files:
            runs = [stamped(pin + ["polystep-sat", "solve", str(f), "--time-limit", str(args.time_limit),
                                   "--no-progress"]) for _ in range(args.runs)]
            row = dict(file=f.name, exit_code=runs[-1]["exit_code"])
            for e in EVENTS:
                got = [r[e] for r in runs if r[e] is not None]
                row[e] = statistics.median(got) if got else None
            rows.append(row)

    def cell(v):
        return "" if v is None else f"{v:.3f}"

    md = ["# Start-up: seconds from the spawn to each event of the command line (median of runs)", "",
          f"Command: `python benchmarks/bench_startup.py {' '.join(str(f) for f in args.files)} --runs {args.runs}"
          f" --time-limit {args.time_limit:g} --taskset {args.taskset}`  ",
          f"Machine: {platform.machine()}, Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}; {args.runs} runs each, one after the other.", "",
          "| file | header (imports done) | parsed | first `o` | `s` line | exit | exit code |",
          "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        md.append(f"| {r['file']} | {cell(r.get('header'))} | {cell(r.get('parsed'))} | {cell(r.get('first_o'))} | "
                  f"{cell(r.get('s_line'))} | {cell(r['exit'])} | {r.get('exit_code', '')} |")
    write_results(Path(args.out), "\n".join(md) + "\n", rows, ["file", *EVENTS, "exit_code"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
