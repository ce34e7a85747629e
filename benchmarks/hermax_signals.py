"""How hermax's portfolio ends under a harness's signals (run in the hermax scratch venv's setting).

Starts ``hermax_runner.py portfolio FILE 60`` twice (each in a new session,
as a harness starts a solver), waits ``--wait`` seconds, then

1. sends SIGTERM to the runner: prints how long it took to exit, its last
   line, and whether any portfolio worker outlived it;
2. sends SIGKILL to the runner's process group (what a harness does after
   its grace time): prints which workers are still running 2 s later, and
   then kills them.

    python benchmarks/hermax_signals.py /tmp/af.wcnf --python /tmp/hermax/venv/bin/python
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

RUNNER = str(Path(__file__).resolve().parent / "hermax_runner.py")


def start(python, path):
    p = subprocess.Popen([python, RUNNER, "portfolio", path, "60"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    return p


def alive(procs):
    return [k for k in procs if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--python", default="/tmp/hermax/venv/bin/python")
    ap.add_argument("--wait", type=float, default=4.0)
    args = ap.parse_args(argv)

    p = start(args.python, args.file)
    time.sleep(args.wait)
    workers = psutil.Process(p.pid).children(recursive=True)
    t = time.time()
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=30)
    time.sleep(1)
    last = out.decode().strip().splitlines()[-1][:40] if out.strip() else "(nothing)"
    print(f"SIGTERM: {len(workers)} workers; runner exited after {time.time() - t:.2f} s, exit {p.returncode}, "
          f"last line {last!r}; workers alive 1 s later: {len(alive(workers))}")

    p = start(args.python, args.file)
    time.sleep(args.wait)
    workers = psutil.Process(p.pid).children(recursive=True)
    own_sessions = sum(os.getsid(k.pid) != os.getsid(p.pid) for k in workers)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    time.sleep(2)
    left = alive(workers)
    print(f"SIGKILL to the runner's process group: {len(workers)} workers, {own_sessions} in a session of their own; "
          f"alive 2 s later: {len(left)} (CPU {[round(k.cpu_percent(0.5)) for k in left]}%)")
    for k in left:
        k.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
