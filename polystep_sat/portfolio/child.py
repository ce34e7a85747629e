"""The SAT side's process: ``python -m polystep_sat.portfolio.child MEMORY_CAP PARENT_PID``.

A fresh interpreter (not a fork: the parent may have threads and numba state;
not multiprocessing's spawn, which re-runs the caller's script), in a session
of its own; it ignores SIGINT, dies with its parent (``PR_SET_PDEATHSIG``)
and is capped in address space.

Protocol, one line per message (:mod:`.messages`):

* stdin: ``<deadline>`` on ``time.monotonic()``'s clock, which every process
  shares (the child may start before the formula exists, see
  ``side.prestart``), ``<n bytes>`` then the formula as ``np.savez`` bytes;
  then, at any time, ``ub COST HEX``: the search's incumbent;
* stdout: ``model COST HEX`` (a hard-feasible model), ``lb COST`` (a lower
  bound), ``opt COST HEX`` (a proven optimum), then ``done`` when it has
  nothing more to offer (or has failed: out of memory, say).
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time

import numpy as np

from .messages import decode, encode


def _harden(memory_cap: int, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:  # die with the parent, whatever ends it
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it ended before the line above could tie us to it
        sys.exit(0)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))
    except (ImportError, ValueError, OSError):
        pass


def _read_formula(stdin):
    from ..formula import Formula

    size = int(stdin.readline())
    data = np.load(io.BytesIO(stdin.read(size)))
    return Formula(int(data["n_vars"]), data["indptr"], data["literals"], data["weights"], data["hard"],
                   weighted=True)


def _listen(stdin, search, n_vars) -> None:
    """Incumbents from the parent, until it closes our stdin."""
    for line in stdin:
        msg = decode(line.decode(errors="replace"), n_vars)
        if msg is not None and msg[0] == "ub":
            search.offer(msg[1], msg[2])


def main(argv) -> int:
    _harden(int(argv[0]), int(argv[1]))
    import pysat.card  # noqa: F401  (loaded before the work arrives: see side.prestart)
    import pysat.examples.rc2  # noqa: F401

    from .sat_search import SatSearch

    stdin = sys.stdin.buffer
    try:
        deadline_line = stdin.readline()   # blocks until the parent has work: read before the clocks
        deadline = time.perf_counter() + (float(deadline_line) - time.monotonic())
    except ValueError:   # the parent went away before it had work for us
        return 0
    out_lock = threading.Lock()

    def emit(kind, cost, assignment):
        with out_lock:
            sys.stdout.write(encode(kind, cost, assignment))
            sys.stdout.flush()

    try:
        formula = _read_formula(stdin)
        search = SatSearch(formula, emit)
        threading.Thread(target=_listen, args=(stdin, search, formula.n_vars), daemon=True).start()
        search.run(deadline)
    except MemoryError:
        pass
    emit("done", 0, None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
