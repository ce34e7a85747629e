"""The exact side: a complete MaxSAT solver (PySAT's RC2) beside the anytime search.

The local search gives good answers fast but cannot prove them; RC2 proves
optima of small instances in seconds and never finishes on large ones. The
default method ("auto") runs both: RC2 in a child process on the second core,
the search here. The child:

* is started only when it has a chance (:func:`worth_starting`, a size rule
  measured on the generated families: ``benchmarks/bench_exact_side.py``);
* is a fresh ``spawn`` process (the parent may have threads and numba state a
  fork would copy), ignores SIGINT (the parent decides), dies with its parent
  (``PR_SET_PDEATHSIG``), and is capped in address space;
* sends back RC2's cost and model once, when RC2 finishes.

The parent never trusts it: :meth:`ExactSide.result` re-evaluates the model
independently, and the optimum counts only when that evaluation agrees with
RC2's cost. :meth:`ExactSide.stop` ends the child at once (SIGKILL); it is
called when the search ends, at the time limit, and on SIGTERM/SIGINT.
"""

from __future__ import annotations

import multiprocessing as mp
import os

import numpy as np

# Size rule: start RC2 only below this many literals. Measured with
# benchmarks/bench_exact_side.py: RC2 proves generated weighted MIS / set
# cover / colouring optima of ~2k variables in about 1-2 s and gives up on
# the 50k ones within 60 s; a child that cannot finish only takes memory and
# the second core from the search.
MAX_LITERALS = 60_000
# Address-space cap of the child, bytes.
MEMORY_CAP = 4 << 30


def worth_starting(formula, max_literals: int = MAX_LITERALS) -> bool:
    return 0 < formula.n_literals <= max_literals and formula.n_vars > 0


def _child(conn, n_vars, indptr, literals, weights, hard, time_limit, memory_cap):
    """Run RC2 and send ``(cost, packed assignment)``, or ``None`` if it did not finish."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:  # die with the parent, whatever ends it
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))
    except (ImportError, ValueError, OSError):
        pass
    answer = None
    try:
        from .formula import Formula
        from .verify import optimum

        f = Formula(n_vars, indptr, literals, weights, hard, weighted=True)
        cost, a = optimum(f, time_limit=time_limit)
        if cost is not None:
            answer = (int(cost), np.packbits(a))
    except MemoryError:
        answer = None
    try:
        conn.send(answer)
    except (BrokenPipeError, OSError):
        pass


class ExactSide:
    """RC2 on ``formula`` in a child process, for at most ``time_limit`` seconds."""

    def __init__(self, formula, time_limit: float, memory_cap: int = MEMORY_CAP):
        self.formula = formula
        ctx = mp.get_context("spawn")
        self._conn, child_conn = ctx.Pipe(duplex=False)
        f = formula
        self._proc = ctx.Process(target=_child, daemon=True, args=(
            child_conn, f.n_vars, f.indptr, f.literals, f.weights, f.hard, float(time_limit), int(memory_cap)))
        self._proc.start()
        child_conn.close()
        self._answer = None
        self._done = False

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the child's answer; True once it has come (or the child is gone)."""
        if not self._done and self._conn.poll(timeout):
            try:
                self._answer = self._conn.recv()
            except (EOFError, OSError):
                self._answer = None
            self._done = True
        elif not self._done and not self._proc.is_alive() and not self._conn.poll(0):
            self._done = True
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
        """End the child now (it holds nothing worth a clean exit)."""
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join(timeout=5)
        self._conn.close()

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc.is_alive()


def available() -> bool:
    try:
        import pysat.examples.rc2  # noqa: F401
    except ImportError:
        return False
    return os.name == "posix"
