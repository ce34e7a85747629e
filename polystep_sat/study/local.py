"""Running a study's runs on this machine: one fresh ``spawn`` process per run,
``workers`` at a time, with a per-run timeout and memory cap; a crash, a kill
or a timeout becomes a row."""

from __future__ import annotations

import signal
import time
from collections import deque

from .progress import Progress
from .run import _error_text, failure_row, run_one


def _child_main(conn, target, spec) -> None:
    # Ctrl-C reaches the whole process group: the parent decides what to do.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        row = target(spec)
    except BaseException as exc:  # noqa: BLE001 - custom targets may raise
        row = failure_row(spec, "ERROR", _error_text(exc))
    conn.send(row)
    conn.close()


def default_run_timeout(time_limit: float) -> float:
    """Seconds after which a local run is killed: the search time, plus room
    for generating/reading, compiling and verifying (generous at 1M)."""
    return 2.0 * time_limit + 120.0


def run_local(specs, on_row, *, workers: int = 1, run_timeout: float | None = None,
              max_memory_mb: float | None = None, progress: Progress | None = None, target=run_one) -> None:
    """Run each spec in its own fresh ``spawn`` process, ``workers`` at a time,
    calling ``on_row(row)`` as each finishes. ``workers=0`` runs them one by
    one in this process (no isolation; for debugging and tests)."""
    if workers == 0:
        for spec in specs:
            if progress:
                progress.started(spec.key, spec.label)
            row = target(spec)
            on_row(row)
            if progress:
                progress.finished(spec.key, row)
        return

    import multiprocessing as mp
    from multiprocessing.connection import wait

    if max_memory_mb is not None:
        try:
            import psutil
        except ImportError:
            raise RuntimeError('--max-memory-mb needs psutil: pip install "polystep-sat[study]"') from None
    ctx = mp.get_context("spawn")
    pending = deque(specs)
    running = {}  # sentinel -> (process, connection, spec, start, deadline)

    def conclude(sentinel, row):
        proc, conn, spec, start, _ = running.pop(sentinel)
        conn.close()
        proc.join(timeout=5)
        on_row(row)
        if progress:
            progress.finished(spec.key, row)

    def stop(proc):
        proc.terminate()
        proc.join(timeout=3)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=3)

    try:
        while pending or running:
            while pending and len(running) < workers:
                spec = pending.popleft()
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child_main, args=(send, target, spec), daemon=True,
                                   name=f"polystep-scale {spec.label}")
                _start_without_sigint(proc)
                send.close()
                limit = run_timeout if run_timeout is not None else default_run_timeout(spec.time_limit)
                now = time.monotonic()
                running[proc.sentinel] = (proc, recv, spec, now, now + limit)
                if progress:
                    progress.started(spec.key, spec.label)
            for sentinel in wait(list(running), timeout=0.5):
                proc, conn, spec, start, _ = running[sentinel]
                proc.join(timeout=5)
                row = _receive(conn)
                if row is None:
                    code = proc.exitcode
                    why = (f"worker killed by signal {_signal_name(-code)}"
                           + (" (out of memory?)" if code == -signal.SIGKILL else "")
                           if code is not None and code < 0 else f"worker exited with status {code} and no result")
                    row = failure_row(spec, "CRASHED", why, time.monotonic() - start)
                conclude(sentinel, row)
            now = time.monotonic()
            for sentinel, (proc, conn, spec, start, deadline) in list(running.items()):
                row = None
                if now > deadline:
                    row = _receive(conn)  # it may have answered just now
                    if row is None:
                        stop(proc)
                        row = failure_row(spec, "TIMEOUT",
                                          f"killed after {now - start:.1f} s (run timeout {deadline - start:g} s)",
                                          now - start)
                elif max_memory_mb is not None:
                    try:
                        rss = psutil.Process(proc.pid).memory_info().rss / 2**20
                    except Exception:  # noqa: BLE001 - it just exited
                        continue
                    if rss > max_memory_mb:
                        stop(proc)
                        row = failure_row(spec, "MEMORY",
                                          f"killed at {rss:.0f} MB resident (--max-memory-mb {max_memory_mb:g})",
                                          now - start)
                        row["peak_memory_mb"] = rss
                if row is not None:
                    conclude(sentinel, row)
    finally:
        for proc, conn, *_ in running.values():  # interrupted: unfinished runs leave no row
            stop(proc)
            conn.close()


def _start_without_sigint(proc) -> None:
    """Start a worker with SIGINT ignored from its first instruction (the
    disposition survives exec), so Ctrl-C, which reaches the whole process
    group, stops the study through the parent only, without tracebacks from
    workers still importing."""
    try:
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: the worker ignores SIGINT itself
        proc.start()
        return
    try:
        proc.start()
    finally:
        signal.signal(signal.SIGINT, old)


def _receive(conn):
    try:
        if conn.poll():
            return conn.recv()
    except (EOFError, OSError):
        pass
    return None


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return str(num)
