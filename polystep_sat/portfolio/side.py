"""The SAT side as the search sees it: a child process, its messages, its end.

:class:`SatSide` starts ``python -m polystep_sat.portfolio.child`` (see
:mod:`.child`), hands it the formula from a background thread (so the search
starts at once), forwards incumbents to it, and reads its messages. The
parent never trusts a message: :mod:`.sharing` re-evaluates every model
independently before it counts. :meth:`SatSide.stop` ends the child at once
(SIGKILL: it holds nothing worth a clean exit); :func:`stop_all` ends every
child still running, and the command line calls it before it answers.

The command line calls :func:`prestart` before it reads the file (with more
than one core): the child's interpreter and PySAT load (~0.3 s) while the
parent parses, and the next :class:`SatSide` takes that child.
"""

from __future__ import annotations

import importlib.util
import io
import os
import select
import signal
import subprocess
import sys
import threading
import time
import weakref

import numpy as np

from .messages import decode, encode

# Start the SAT side up to this many literals: a memory rule, not a
# hardness rule (RC2's proofs on real instances do not follow size). The
# child holds the formula as Python lists and in SAT solvers: 250-510 bytes a
# literal from 300,000 to 6.5M literals (benchmarks/results/sat_side_rule.md),
# so at most ~2.5 GB here, within MEMORY_CAP.
MAX_LITERALS = 5_000_000
# Address-space cap of the child, bytes.
MEMORY_CAP = 4 << 30
# Children not yet stopped.
_LIVE = set()
# A child started before the formula was read, not yet taken (see prestart).
_PRESTARTED = None
# Guards the two above and _CLOSED: a child is spawned and registered in one step.
_LOCK = threading.Lock()
# Threads that may start no child any more: the command line's solve thread once it has
# answered (stop_all(closing=thread)); that thread may still be at work.
_CLOSED = weakref.WeakSet()


class SideClosed(RuntimeError):
    """The command line has answered: no new child may start from this thread."""


def worth_starting(formula, max_literals: int = MAX_LITERALS) -> bool:
    return 0 < formula.n_literals <= max_literals and formula.n_vars > 0


def prestart(memory_cap: int = MEMORY_CAP) -> None:
    """Start the next SatSide's child now, so that it loads while the formula is read
    (nothing happens if it cannot start: the SatSide will try again)."""
    global _PRESTARTED
    if os.name != "posix" or importlib.util.find_spec("pysat") is None:
        return
    with _LOCK:
        if _PRESTARTED is None:
            try:
                _PRESTARTED = _spawn(memory_cap)
            except (OSError, SideClosed):
                pass


def drop_prestarted() -> None:
    """End the child :func:`prestart` started, if no SatSide took it."""
    global _PRESTARTED
    with _LOCK:
        proc, _PRESTARTED = _PRESTARTED, None
    if proc is not None:
        _end(proc)


def _spawn(memory_cap: int) -> subprocess.Popen:
    """A new child (call with _LOCK held, so that stop_all sees it)."""
    if threading.current_thread() in _CLOSED:
        raise SideClosed("the command line has answered")
    return subprocess.Popen(
        [sys.executable, "-m", "polystep_sat.portfolio.child", str(int(memory_cap)), str(os.getpid())],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)


def _end(proc) -> None:
    """Kill ``proc`` and reap it (SIGKILL ends a paused child too)."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=5)
    for pipe in (proc.stdout, proc.stdin):
        try:
            pipe.close()
        except (BrokenPipeError, OSError):
            pass


def available() -> bool:
    """PySAT with an RC2 that our stop guard can hook (``_call_oracle``: python-sat 1.9.dev24
    has it, older releases may not), on a POSIX system."""
    try:
        from pysat.examples.rc2 import RC2
    except ImportError:
        return False
    return os.name == "posix" and hasattr(RC2, "_call_oracle")


class SatSide:
    """The SAT-based search on ``formula`` in a child process, for ``time_limit`` seconds."""

    def __init__(self, formula, time_limit: float, memory_cap: int = MEMORY_CAP):
        global _PRESTARTED
        self.formula = formula
        self._pending = b""
        self.finished = False            # said "done", or its output closed
        self.paused = False
        self._send_lock = threading.Lock()
        self._formula_sent = threading.Event()
        with _LOCK:
            early, _PRESTARTED = _PRESTARTED, None
            if early is not None and early.poll() is None and memory_cap == MEMORY_CAP:
                self._proc, early = early, None
            else:
                self._proc = _spawn(memory_cap)   # SideClosed once the command line has answered
            _LIVE.add(self)
        if early is not None:
            _end(early)
        # its deadline, on a clock every process shares (time.monotonic: CLOCK_MONOTONIC)
        self._write(f"{time.monotonic() + float(time_limit)!r}\n".encode())
        threading.Thread(target=self._send_formula, name="sat-side-input", daemon=True).start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _send_formula(self) -> None:
        f = self.formula
        buf = io.BytesIO()
        np.savez(buf, n_vars=f.n_vars, indptr=f.indptr, literals=f.literals, weights=f.weights, hard=f.hard)
        data = buf.getvalue()
        self._write(f"{len(data)}\n".encode() + data)
        self._formula_sent.set()

    def _write(self, data: bytes) -> None:
        with self._send_lock:
            try:
                self._proc.stdin.write(data)
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass  # the child is gone: its end shows in messages()

    def _write_after_formula(self, data: bytes) -> None:
        self._formula_sent.wait()   # an incumbent before the formula would be read as its size
        self._write(data)

    def send_incumbent(self, cost: int, assignment) -> None:
        """The search's best hard-feasible assignment, for the SAT side's bound and phases."""
        if not self.finished:
            threading.Thread(target=self._write_after_formula, args=(encode("ub", cost, assignment).encode(),),
                             daemon=True).start()

    def messages(self, timeout: float) -> list:
        """The messages that arrive within ``timeout`` seconds: ``(kind, cost, assignment)``."""
        if self.finished:
            return []
        fd = self._proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return []
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            self.finished = True
            self.stop()  # it has said all it will: reap it now, not when the search ends
            return []
        self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        out = []
        for line in lines:
            msg = decode(line.decode(errors="replace"), self.formula.n_vars)
            if msg is not None:
                out.append(msg)
                if msg[0] == "done":
                    self.finished = True
        return out

    def pause(self) -> None:
        if not self.paused and self.alive():
            os.kill(self._proc.pid, signal.SIGSTOP)
            self.paused = True

    def resume(self) -> None:
        if self.paused and self.alive():
            os.kill(self._proc.pid, signal.SIGCONT)
        self.paused = False

    def alive(self) -> bool:
        return self._proc.poll() is None

    def stop(self) -> None:
        """End the child now and reap it."""
        _end(self._proc)
        _LIVE.discard(self)


def stop_all(closing: threading.Thread | None = None) -> None:
    """Stop and reap every child still running; with ``closing`` (the command line's solve
    thread, before it answers) that thread starts no child after this, even if it is
    still at work."""
    if closing is not None:
        with _LOCK:
            _CLOSED.add(closing)
    drop_prestarted()
    for side in list(_LIVE):
        side.stop()
