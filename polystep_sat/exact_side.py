"""The exact side: a complete MaxSAT solver (PySAT's RC2) beside the anytime search.

The local search gives good answers fast but cannot prove them; RC2 proves
optima of small instances in seconds and never finishes on large ones. The
default method ("auto") runs both: RC2 in a child process on the second core,
the search here. The child:

* is started only when it has a chance (:func:`worth_starting`, a size rule
  measured on the generated families: ``benchmarks/bench_exact_side.py``);
* is a fresh interpreter (``python -m polystep_sat.exact_side``, not a fork:
  the parent may have threads and numba state; not multiprocessing's spawn,
  which re-runs the caller's script) in a session of its own, so a Ctrl-C
  reaches only the parent; it ignores SIGINT, dies with its parent
  (``PR_SET_PDEATHSIG``), and is capped in address space;
* sends back RC2's cost and model once, when RC2 finishes.

The parent never trusts it: :meth:`ExactSide.result` re-evaluates the model
independently, and the optimum counts only when that evaluation agrees with
RC2's cost. :meth:`ExactSide.stop` ends the child at once (SIGKILL); it is
called when the search ends, at the time limit, and on SIGTERM/SIGINT.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

# Size rule: start RC2 only up to this many literals. Measured with
# benchmarks/bench_exact_side.py (RC2 stratified, 30 s): it proved the
# generated weighted MIS at 3,500 and 14,000 literals (1.1 s, 5.6 s) and set
# cover at 3,000 (3.2 s), and neither at 30,000-35,000 nor beyond; a child
# that cannot finish only takes memory and the second core from the search.
MAX_LITERALS = 20_000
# Address-space cap of the child, bytes.
MEMORY_CAP = 4 << 30
# Children not yet stopped: the command line stops them all before it answers,
# so none is left running, or unreaped, when it exits.
_LIVE = set()


def worth_starting(formula, max_literals: int = MAX_LITERALS) -> bool:
    return 0 < formula.n_literals <= max_literals and formula.n_vars > 0


def _child_main(argv) -> int:
    """``python -m polystep_sat.exact_side SECONDS MEMORY_CAP``: read the formula
    (``np.savez`` on stdin), run RC2, write ``COST HEXBITS`` or ``none`` on stdout."""
    import io
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:  # die with the parent, whatever ends it
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    time_limit, memory_cap = float(argv[0]), int(argv[1])
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))
    except (ImportError, ValueError, OSError):
        pass
    answer = "none"
    try:
        from .formula import Formula
        from .verify import optimum

        data = np.load(io.BytesIO(sys.stdin.buffer.read()))
        f = Formula(int(data["n_vars"]), data["indptr"], data["literals"], data["weights"], data["hard"],
                    weighted=True)
        cost, a = optimum(f, time_limit=time_limit, stratified=True)  # we are killed at the deadline
        if cost is not None:
            answer = f"{int(cost)} {np.packbits(a).tobytes().hex()}"
    except MemoryError:
        pass
    sys.stdout.write(answer + "\n")
    sys.stdout.flush()
    return 0


class ExactSide:
    """RC2 on ``formula`` in a child process, for at most ``time_limit`` seconds.

    The child is ``python -m polystep_sat.exact_side`` in a session of its
    own: it never re-runs the caller's script (as multiprocessing's spawn
    would) and a Ctrl-C in the terminal reaches only the parent.
    """

    def __init__(self, formula, time_limit: float, memory_cap: int = MEMORY_CAP):
        import io

        self.formula = formula
        self._proc = subprocess.Popen([sys.executable, "-m", "polystep_sat.exact_side", f"{float(time_limit)!r}",
                                       str(int(memory_cap))], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, start_new_session=True)
        buf = io.BytesIO()
        f = formula
        np.savez(buf, n_vars=f.n_vars, indptr=f.indptr, literals=f.literals, weights=f.weights, hard=f.hard)
        try:
            self._proc.stdin.write(buf.getvalue())
            self._proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        self._answer = None
        self._done = False
        _LIVE.add(self)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the child's answer; True once it has come (or the child is gone)."""
        import select

        if self._done:
            return True
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout)
        if ready:
            line = self._proc.stdout.readline().decode(errors="replace").split()
            if len(line) == 2:
                self._answer = (int(line[0]), np.frombuffer(bytes.fromhex(line[1]), dtype=np.uint8))
            self._done = True
            self.stop()  # it has said all it will (or died): reap it now, not when the search ends
        return self._done

    def result(self):
        """``(cost, assignment)`` of a proven optimum, re-checked here; else None."""
        from .verify import evaluate

        if self._answer is None:
            return None
        cost, packed = self._answer
        a = np.unpackbits(packed, count=self.formula.n_vars).astype(bool)
        ev = evaluate(self.formula, a)
        if ev.n_hard_unsat != 0 or ev.cost != cost:
            return None  # never trust a claim the independent evaluation does not confirm
        return cost, a

    def stop(self) -> None:
        """End the child now (it holds nothing worth a clean exit) and reap it."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait(timeout=5)
        self._proc.stdout.close()
        _LIVE.discard(self)

    def alive(self) -> bool:
        return self._proc.poll() is None


def stop_all() -> None:
    """Stop and reap every child still running (the command line calls this before it exits)."""
    for side in list(_LIVE):
        side.stop()


def available() -> bool:
    try:
        import pysat.examples.rc2  # noqa: F401
    except ImportError:
        return False
    return os.name == "posix"


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
