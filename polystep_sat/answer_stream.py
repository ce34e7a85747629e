"""The ``solve`` command's stdout: whole ``c``/``o``/``s``/``v`` lines, and the best
answer that was independently re-checked, with an ``o`` line each time it improves.

Kept light (no NumPy at import): the command line imports it before its signal
handlers are in place.
"""

from __future__ import annotations

import os
import threading
import time

# The best-so-far is re-checked and printed at most this often (a check of a
# 1M-variable assignment takes ~0.2 s).
O_LINE_INTERVAL = 0.25


class Output:
    """The c/o/s/v stream: whole lines, one ``os.write`` each, under a lock,
    so a line is never torn by a signal or by the other thread."""

    def __init__(self, fd: int = 1):
        self.fd = fd
        self.lock = threading.RLock()
        self.closed = False
        self.json_mode = False  # --json: only the final JSON object goes to stdout

    def write(self, text: str) -> None:
        data = text.encode()
        with self.lock:
            if self.closed:
                return
            while data:
                n = os.write(self.fd, data)
                data = data[n:]

    def comment(self, msg: str) -> None:
        if self.json_mode:
            return
        self.write("".join(f"c {line}\n" for line in str(msg).splitlines() or [""]))


class Anytime:
    """Holds the best assignment that was independently re-checked, and prints
    ``o`` lines for it. The solver's candidates arrive through ``offer`` (from
    the search thread); a checker thread re-evaluates the newest one."""

    def __init__(self, out: Output):
        self.out = out
        self.formula = None
        self.best = None            # (cost, assignment) re-checked, hard-feasible
        self.printed_cost = None
        self.pending = None         # newest candidate (assignment, cost, hard_unsat)
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.thread = None
        self.mismatches = 0
        self.check_lock = threading.Lock()  # one re-check at a time

    def start(self, formula) -> None:
        self.formula = formula
        self.thread = threading.Thread(target=self._loop, name="o-line-checker", daemon=True)
        self.thread.start()

    def offer(self, assignment, cost, hard_unsat) -> None:
        if hard_unsat == 0:
            self.pending = (assignment, cost)
            self.wake.set()

    def _loop(self) -> None:
        while not self.stop.is_set():
            self.wake.wait(0.5)
            self.wake.clear()
            self.check_pending()
            time.sleep(O_LINE_INTERVAL)

    def check_pending(self, wait: float | None = None) -> None:
        """Re-check the newest candidate; with ``wait``, give up if a check already in
        flight holds the lock longer than that many seconds (after a signal)."""
        from .verify import evaluate

        if not self.check_lock.acquire(timeout=-1 if wait is None else max(0.0, wait)):
            return
        try:
            item, self.pending = self.pending, None
            if item is None:
                return
            assignment, claimed = item
            ev = evaluate(self.formula, assignment, threads=1)  # the search keeps its core
            if ev.n_hard_unsat:
                return
            if ev.cost != claimed:
                self.mismatches += 1
                self.out.comment(f"WARNING: a method claimed cost {claimed} but the assignment costs {ev.cost}")
            self.accept(ev.cost, assignment)
        finally:
            self.check_lock.release()

    def accept(self, cost: int, assignment) -> None:
        """Record a re-checked, hard-feasible assignment and print its o line."""
        with self.out.lock:
            if self.best is None or cost < self.best[0]:
                self.best = (cost, assignment)
            if self.printed_cost is None or self.best[0] < self.printed_cost:
                if not self.out.json_mode:
                    self.out.write(f"o {self.best[0]}\n")
                self.printed_cost = self.best[0]

    def shutdown(self) -> None:
        self.stop.set()
        self.wake.set()


def v_line(assignment) -> str:
    import numpy as np

    return "v " + (np.asarray(assignment, dtype=np.uint8) + 48).tobytes().decode() + "\n"
