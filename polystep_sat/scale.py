"""Scaling studies: sizes x methods x seeds, verified, as CSV + markdown + plots.

    polystep-sat scale --sizes 100,1000,10000 --methods polystep,walksat \\
        --seeds 3 --time-limit 10 --out results/scaling

One *run* is one (instance, method, seed). Every run is executed by
:func:`run_one`, which builds the instance itself (so the parent never holds a
million-variable formula), calls :func:`polystep_sat.solver.solve`, then
re-evaluates the returned assignment independently and checks the claimed
cost. It always returns a row; a run that raises, crashes its process, runs
past its deadline or does not verify is a row with ``verified=False`` and the
reason in ``error``, never a missing row.

Where runs execute:

* locally (default): one fresh ``spawn`` process per run, ``--workers`` at a
  time. A fresh process gives an honest per-run peak memory and isolates
  crashes (an out-of-memory kill becomes a row, not a dead study).
* on a Dask cluster (``--scheduler ADDRESS``): one task per run, the same
  :func:`run_one` (Dask is optional: ``pip install "polystep-sat[dask]"``).

Each row is appended to ``runs.csv`` (and flushed) as it finishes, so an
interrupted study keeps its rows, and rerunning the same command resumes: runs
already in the CSV are skipped (``--no-resume`` starts over). ``summary.md``
and the PNG plots are rebuilt from the whole CSV at the end, so a study can be
extended by further commands into the same directory (e.g. 1M variables with
a longer time limit and one seed).
"""

from __future__ import annotations

import csv
import glob
import os
import platform
import signal
import socket
import sys
import time
import traceback
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_METHODS = "polystep,walksat,openai-es,cma-es"
CSV_NAME = "runs.csv"
SUMMARY_NAME = "summary.md"

# One row per run, in this order. ``size`` is the number of variables.
COLUMNS = [
    "instance", "size", "clauses", "ratio", "k", "instance_seed", "method", "backend", "seed",
    "time_limit", "wall_time", "prepare_time", "peak_memory_mb", "cost", "claimed_cost",
    "n_unsat", "satisfied_fraction", "verified", "status", "error", "host",
]

INSTANCE_SUFFIXES = (".cnf", ".wcnf")
COMPRESSED_SUFFIXES = ("", ".gz", ".bz2", ".xz")

# Exit statuses of run_scale_cli.
EXIT_OK = 0            # every run of the study finished and verified
EXIT_FAILED_RUNS = 1   # the study finished; some runs failed or did not verify
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


# --------------------------------------------------------------------------- plan

@dataclass(frozen=True)
class RunSpec:
    """Everything a worker needs for one run (small and picklable)."""

    instance: str                  # label: generated name or file path
    method: str
    seed: int                      # solver seed (also the seed index)
    time_limit: float
    path: str | None = None        # instance file, or None for a generated one
    size: int | None = None        # variables (known up front for generated instances)
    clauses: int | None = None
    ratio: float | None = None
    k: int = 3
    instance_seed: int | None = None
    backend: str = "numpy"
    save_dir: str | None = None    # where to keep the assignment (for recheck), or None

    @property
    def key(self) -> tuple:
        return run_key(self.instance, self.method, self.backend, self.seed, self.time_limit)

    @property
    def label(self) -> str:
        n = "?" if self.size is None else f"{self.size:,}"
        return f"n={n} {self.method} seed {self.seed}"

    def base_row(self) -> dict:
        row = dict.fromkeys(COLUMNS, "")
        row.update(instance=self.instance, size=_blank(self.size), clauses=_blank(self.clauses),
                   ratio=_blank(self.ratio), k=self.k if self.path is None else "",
                   instance_seed=_blank(self.instance_seed),
                   method=self.method, backend=self.backend, seed=self.seed,
                   time_limit=float(self.time_limit), verified=False)
        return row


def run_key(instance, method, backend, seed, time_limit) -> tuple:
    """What makes two runs the same run (for resuming)."""
    return (str(instance), str(method), str(backend or "numpy"), int(seed), float(time_limit))


def _blank(x):
    return "" if x is None else x


def instance_seed(study_seed: int, n_vars: int, index: int) -> int:
    """Seed of the generated instance for (study seed, size, seed index).

    Every method sees the same instance for a given size and seed index, and
    different sizes or indices give independent instances.
    """
    import numpy as np

    state = np.random.SeedSequence([int(study_seed), int(n_vars), int(index)]).generate_state(2)
    return int(state[0]) << 32 | int(state[1])


def plan_generated(sizes, methods, seeds: int, time_limits, *, ratio: float = 4.26, k: int = 3,
                   study_seed: int = 0, backend: str = "numpy", save_dir=None) -> list[RunSpec]:
    """Runs of a study on random k-SAT: smallest size first, then seed, then method.

    ``time_limits`` is one number or one per size.
    """
    limits = _per_size(time_limits, sizes)
    specs = []
    for n, limit in zip(sizes, limits):
        m = int(round(ratio * n))
        for i in range(seeds):
            name = f"random-{k}sat-n{n}-r{ratio:g}-s{study_seed}.{i}"
            iseed = instance_seed(study_seed, n, i)
            for method in methods:
                specs.append(RunSpec(name, method, i, float(limit), size=int(n), clauses=m, ratio=float(ratio),
                                     k=k, instance_seed=iseed, backend=backend,
                                     save_dir=None if save_dir is None else str(save_dir)))
    return specs


def plan_files(paths, methods, seeds: int, time_limit: float, *, backend: str = "numpy",
               save_dir=None) -> list[RunSpec]:
    """Runs of a study on instance files (sizes from the files' headers where they have one)."""
    specs = []
    for path in paths:
        n, m = peek_header(path)
        for i in range(seeds):
            for method in methods:
                specs.append(RunSpec(str(path), method, i, float(time_limit), path=str(path), size=n, clauses=m,
                                     backend=backend, save_dir=None if save_dir is None else str(save_dir)))
    specs.sort(key=lambda s: (s.size is None, s.size or 0, s.instance, s.seed))
    return specs


def _per_size(values, sizes) -> list[float]:
    if isinstance(values, (int, float)):
        return [float(values)] * len(sizes)
    values = [float(v) for v in values]
    if len(values) == 1:
        return values * len(sizes)
    if len(values) != len(sizes):
        raise ValueError(f"give one time limit, or one per size ({len(sizes)}), got {len(values)}")
    return values


def find_instances(pattern: str) -> list[str]:
    """Instance files in a directory (``*.cnf``/``*.wcnf``, optionally compressed) or matching a glob."""
    p = Path(pattern)
    if p.is_dir():
        names = [str(f) for f in sorted(p.iterdir())
                 if f.is_file() and any(f.name.endswith(s + c) for s in INSTANCE_SUFFIXES
                                        for c in COMPRESSED_SUFFIXES)]
    elif p.is_file():
        names = [str(p)]
    else:
        names = sorted(f for f in glob.glob(pattern, recursive=True) if os.path.isfile(f))
    if not names:
        raise ValueError(f"no instance files found for {pattern!r} "
                         f"(a directory of .cnf/.wcnf files, optionally .gz/.bz2/.xz, or a glob)")
    return names


def _open_text(path):
    if path.endswith(".gz"):
        import gzip
        return gzip.open(path, "rt", errors="replace")
    if path.endswith(".bz2"):
        import bz2
        return bz2.open(path, "rt", errors="replace")
    if path.endswith(".xz"):
        import lzma
        return lzma.open(path, "rt", errors="replace")
    return open(path, errors="replace")


def peek_header(path, max_lines: int = 10_000):
    """``(n_vars, n_clauses)`` from a DIMACS ``p`` line, or ``(None, None)``.

    Cheap (reads only the first lines), so the parent can label runs whose
    worker crashed before reading the file. The worker's own parse is the truth.
    """
    try:
        with _open_text(str(path)) as f:
            for i, line in enumerate(f):
                if i >= max_lines:
                    break
                parts = line.split()
                if parts[:1] == ["p"] and len(parts) >= 4:
                    return int(parts[2]), int(parts[3])
                if parts and parts[0] not in ("c", "p") and not parts[0].startswith("c"):
                    break
    except (OSError, ValueError, EOFError):
        pass
    return None, None


# --------------------------------------------------------------------------- one run

def _reset_peak_memory() -> bool:
    """Reset this process's peak RSS (Linux: VmHWM), so a long-lived worker
    (Dask) measures each run on its own. False where not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_memory_mb() -> float:
    """Peak resident memory of this process in MB (since start or the last reset)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def load_instance(spec: RunSpec):
    """Build (generate or read) the run's formula."""
    if spec.path is not None:
        from .dimacs import read_dimacs

        return read_dimacs(spec.path)
    from .generate import random_ksat

    return random_ksat(spec.size, spec.ratio, k=spec.k, seed=spec.instance_seed)


def check_result(formula, res, row: dict) -> None:
    """Re-verify a Result independently and fill the row's outcome columns.

    The cost, unsatisfied count and satisfied fraction written are the ones
    re-evaluated here, not the solver's claims; ``verified`` is True only when
    the claims match the re-evaluation, no hard clause is falsified, and
    ``solve``'s own verification agreed.
    """
    from .verify import evaluate

    row["status"] = res.status
    row["claimed_cost"] = _blank(res.cost)
    if res.assignment is None:
        row["error"] = f"no assignment returned (status {res.status})"
        return
    ev = evaluate(formula, res.assignment)
    n_soft = formula.n_soft
    row.update(cost=ev.cost, n_unsat=ev.n_unsat,
               satisfied_fraction=1.0 if n_soft == 0 else 1.0 - ev.n_unsat / n_soft)
    problems = []
    if res.cost is None or int(res.cost) != ev.cost:
        problems.append(f"claimed cost {res.cost} != evaluated cost {ev.cost}")
    if res.n_unsat is not None and int(res.n_unsat) != ev.n_unsat:
        problems.append(f"claimed {res.n_unsat} falsified clauses, evaluated {ev.n_unsat}")
    if ev.n_hard_unsat:
        problems.append(f"{ev.n_hard_unsat} hard clauses falsified")
    if not res.verified:
        problems.append("solve() did not verify its own answer")
    row["verified"] = not problems
    row["error"] = "; ".join(problems)


def run_one(spec: RunSpec) -> dict:
    """Run one (instance, method, seed) and return its CSV row. Never raises
    for a failing run: the failure is the row. This is the task function of
    both the local workers and Dask."""
    from .solver import solve

    _reset_peak_memory()
    row = spec.base_row()
    row["host"] = socket.gethostname()
    try:
        t0 = time.perf_counter()
        formula = load_instance(spec)
        row.update(size=formula.n_vars, clauses=formula.n_clauses, prepare_time=time.perf_counter() - t0)
        t0 = time.perf_counter()
        res = solve(formula, method=spec.method, time_limit=spec.time_limit, seed=spec.seed,
                    backend=spec.backend)
        row["wall_time"] = time.perf_counter() - t0
        check_result(formula, res, row)
        if spec.save_dir is not None and res.assignment is not None:
            save_assignment(spec.save_dir, row, res.assignment)
    except MemoryError:
        row.update(status="ERROR", verified=False, error="out of memory (MemoryError)")
    except Exception as exc:  # noqa: BLE001 - a failing run is a row, not a dead study
        row.update(status="ERROR", verified=False, error=_error_text(exc))
    row["peak_memory_mb"] = peak_memory_mb()
    return row


def assignment_path(save_dir, row) -> Path:
    """File of a run's saved assignment (one bit per variable, ``np.packbits``)."""
    import re

    name = "__".join([row["instance"], row["method"], row.get("backend") or "numpy", f"s{row['seed']}",
                      f"t{float(row['time_limit']):g}"])
    return Path(save_dir) / (re.sub(r"[^A-Za-z0-9._=-]+", "_", name) + ".npy")


def save_assignment(save_dir, row, assignment) -> Path:
    import numpy as np

    path = assignment_path(save_dir, row)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.packbits(np.asarray(assignment, dtype=bool)))
    return path


def recheck(out) -> list[dict]:
    """Re-verify a finished study from its saved assignments (``--save-assignments``).

    For every verified row: rebuild the instance (regenerate it from its seed,
    or read its file), unpack the saved assignment, evaluate it and compare
    with the row's cost and satisfied fraction. Returns one
    ``{"row", "ok", "message"}`` per verified row.
    """
    import numpy as np

    from .verify import evaluate

    out = Path(out)
    checks = []
    for row in read_rows(out / CSV_NAME):
        if not row["verified"]:
            continue
        spec = RunSpec(row["instance"], row["method"], row["seed"], row["time_limit"],
                       path=None if row["instance_seed"] is not None else row["instance"], size=row["size"],
                       ratio=row["ratio"], k=row["k"] or 3, instance_seed=row["instance_seed"])
        path = assignment_path(out / "assignments", row)
        if not path.exists():
            checks.append(dict(row=row, ok=False, message=f"no saved assignment {path.name}"))
            continue
        formula = load_instance(spec)
        a = np.unpackbits(np.load(path), count=formula.n_vars).astype(bool)
        ev = evaluate(formula, a)
        frac = 1.0 if formula.n_soft == 0 else 1.0 - ev.n_unsat / formula.n_soft
        problems = []
        if ev.cost != row["cost"]:
            problems.append(f"cost {row['cost']} in the CSV, {ev.cost} re-evaluated")
        if abs(frac - row["satisfied_fraction"]) > 1e-8 or formula.n_clauses != row["clauses"]:
            problems.append(f"satisfied fraction {row['satisfied_fraction']} in the CSV, {frac} re-evaluated")
        if ev.n_hard_unsat:
            problems.append(f"{ev.n_hard_unsat} hard clauses falsified")
        checks.append(dict(row=row, ok=not problems, message="; ".join(problems)))
    return checks


def _error_text(exc: BaseException, limit: int = 500) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" (at {Path(where[0].filename).name}:{where[0].lineno})" if where else ""
    text = f"{type(exc).__name__}: {exc}{at}"
    return text if len(text) <= limit else text[:limit] + "..."


def failure_row(spec: RunSpec, status: str, error: str, wall_time: float | None = None) -> dict:
    """Row for a run that produced no row of its own (crash, kill, timeout)."""
    row = spec.base_row()
    row.update(status=status, error=error, verified=False, wall_time=_blank(wall_time))
    return row


# --------------------------------------------------------------------------- the CSV

class ResultsCSV:
    """``runs.csv``: rows appended (and flushed to disk) one at a time."""

    def __init__(self, path, resume: bool = True):
        self.path = Path(path)
        self.rows: list[dict] = []
        if self.path.exists() and self.path.stat().st_size > 0:
            if resume:
                self.rows = read_rows(self.path)
                with open(self.path, newline="") as f:
                    header = next(csv.reader(f), [])
                if header != COLUMNS:  # written by another version: rewrite with today's columns
                    tmp = self.path.with_name(self.path.name + ".tmp")
                    with open(tmp, "w", newline="") as f:
                        w = csv.DictWriter(f, fieldnames=COLUMNS)
                        w.writeheader()
                        w.writerows({k: _blank(r.get(k)) for k in COLUMNS} for r in self.rows)
                    tmp.replace(self.path)
            else:
                backup = self.path.with_name(self.path.name + ".bak")
                self.path.replace(backup)
                print(f"polystep-sat scale: --no-resume: previous {self.path.name} moved to {backup.name}",
                      file=sys.stderr)

    def done_keys(self) -> set:
        keys = set()
        for r in self.rows:
            try:
                keys.add(run_key(r["instance"], r["method"], r.get("backend"), r["seed"], r["time_limit"]))
            except (KeyError, TypeError, ValueError):
                pass
        return keys

    def append(self, row: dict) -> None:
        new = not self.path.exists() or self.path.stat().st_size == 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", newline="") as f:
            if not new:  # a study killed mid-line leaves no newline: start a fresh line
                f.seek(f.tell() - 1)
                if f.read(1) != "\n":
                    f.write("\n")
            w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
            if new:
                w.writeheader()
            w.writerow({k: _csv_value(row.get(k, "")) for k in COLUMNS})
            f.flush()
            os.fsync(f.fileno())
        self.rows.append(parse_row({k: str(_csv_value(row.get(k, ""))) for k in COLUMNS}))


def _csv_value(x):
    if isinstance(x, float):
        return repr(round(x, 9))
    return x


_INT_COLS = ("size", "clauses", "k", "instance_seed", "seed", "cost", "claimed_cost", "n_unsat")
_FLOAT_COLS = ("ratio", "time_limit", "wall_time", "prepare_time", "peak_memory_mb", "satisfied_fraction")


def parse_row(raw: dict) -> dict:
    """Typed row from CSV strings (empty -> None)."""
    row = {}
    for k in COLUMNS:
        v = raw.get(k)
        v = None if v is None else str(v).strip()
        if v == "" or v is None:
            row[k] = None if k not in ("error", "status", "host") else ""
        elif k in _INT_COLS:
            row[k] = int(v)
        elif k in _FLOAT_COLS:
            row[k] = float(v)
        elif k == "verified":
            row[k] = v.lower() in ("true", "1", "yes")
        else:
            row[k] = v
    row["backend"] = row["backend"] or "numpy"
    return row


def read_rows(path) -> list[dict]:
    """Typed rows of a study CSV; a row torn by a kill mid-write is skipped."""
    rows = []
    with open(path, newline="") as f:
        for raw in csv.DictReader(f):
            try:
                if raw.get("instance") and raw.get("method") and raw.get("time_limit"):
                    rows.append(parse_row(raw))
            except (TypeError, ValueError):
                continue
    return rows


# --------------------------------------------------------------------------- progress

class Progress:
    """Progress on stderr: a bar of runs done and what is running (rich when
    installed, else one plain line per event). stdout stays untouched."""

    def __init__(self, total: int, done: int = 0, enabled: bool = True):
        self.total, self.done, self.running = total, done, {}
        self.enabled = enabled
        self._rich = None
        if not enabled:
            return
        try:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress,
                                       SpinnerColumn, TextColumn, TimeElapsedColumn)
        except ImportError:
            return
        self._rich = RichProgress(SpinnerColumn(), TextColumn("[bold]runs"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), TextColumn("{task.description}"),
                                  console=Console(stderr=True), transient=False)
        self._task = self._rich.add_task("", total=total, completed=done)

    def __enter__(self):
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, *exc):
        if self._rich is not None:
            self._rich.stop()

    def log(self, msg: str) -> None:
        if not self.enabled:
            return
        if self._rich is not None:
            self._rich.console.print(msg, markup=False, highlight=False)
        else:
            print(msg, file=sys.stderr, flush=True)

    def _describe(self):
        if self._rich is not None:
            text = ", ".join(list(self.running.values())[:3]) + (" ..." if len(self.running) > 3 else "")
            self._rich.update(self._task, completed=self.done, description=f"running: {text}" if text else "")

    def started(self, key, label: str) -> None:
        self.running[key] = label
        if self._rich is None:
            self.log(f"[{self.done}/{self.total}] start {label}")
        self._describe()

    def finished(self, key, row: dict) -> None:
        label = self.running.pop(key, None) or RunSpec(row["instance"], row["method"], row["seed"], 0).label
        self.done += 1
        if row.get("verified"):
            what = (f"{100 * float(row['satisfied_fraction']):.3f}% satisfied, "
                    f"{float(row['wall_time'] or 0):.1f} s, {float(row['peak_memory_mb'] or 0):.0f} MB")
        else:
            what = f"FAILED ({row.get('status')}): {row.get('error')}"
        self.log(f"[{self.done}/{self.total}] {label}: {what}")
        self._describe()


# --------------------------------------------------------------------------- local execution

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


# --------------------------------------------------------------------------- Dask

def run_dask(specs, on_row, scheduler, *, progress: Progress | None = None, target=run_one,
             connect_timeout: float = 20.0) -> None:
    """Run the study on an existing Dask distributed cluster, one task per run."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise RuntimeError('--scheduler needs Dask: install "polystep-sat[dask]" '
                           '(pip install "polystep-sat[dask]")') from None
    try:
        client = Client(scheduler, timeout=connect_timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise RuntimeError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
    futures = []
    try:
        specs = list(specs)
        futures = client.map(target, specs, pure=False)
        by_key = {}
        for f, spec in zip(futures, specs):
            by_key[f.key] = spec
            if progress:
                progress.started(spec.key, spec.label)
        for f in as_completed(futures, loop=client.loop):
            spec = by_key[f.key]
            try:
                row = f.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker after a worker crash
                row = failure_row(spec, "CRASHED", f"Dask task failed: {_error_text(exc)}")
            on_row(row)
            if progress:
                progress.finished(spec.key, row)
            f.release()
    finally:
        if futures:
            try:
                client.cancel(futures)
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        client.close()


# --------------------------------------------------------------------------- the study

@dataclass
class StudyOutcome:
    planned: int          # runs in the plan
    skipped: int          # already in the CSV (resume)
    ran: int              # finished in this call
    failed: int           # rows of this plan not verified (new or resumed)
    interrupted: bool
    files: list           # paths written
    summary: list         # summarize() of every row in the study directory


def run_study(specs, out, *, workers: int = 1, scheduler: str | None = None, resume: bool = True,
              run_timeout: float | None = None, max_memory_mb: float | None = None, progress: bool = True,
              plots: bool = True, meta: dict | None = None, target=run_one) -> StudyOutcome:
    """Run a planned study into ``out`` and write its CSV, summary and plots.

    Interrupts (Ctrl-C, SIGTERM) stop the runs in flight, keep every finished
    row, and still write the summary of what was done.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = ResultsCSV(out / CSV_NAME, resume=resume)
    done = results.done_keys()
    todo = [s for s in specs if s.key not in done]
    plan_keys = {s.key for s in specs}
    ran = [0]

    def on_row(row):
        results.append(row)
        ran[0] += 1

    interrupted = False
    old_term = _raise_on_sigterm()
    try:
        with Progress(len(specs), len(specs) - len(todo), enabled=progress) as prog:
            if len(todo) < len(specs):
                prog.log(f"resuming: {len(specs) - len(todo)} of {len(specs)} runs already in {results.path}")
            try:
                if scheduler:
                    run_dask(todo, on_row, scheduler, progress=prog, target=target)
                else:
                    run_local(todo, on_row, workers=workers, run_timeout=run_timeout,
                              max_memory_mb=max_memory_mb, progress=prog, target=target)
            except KeyboardInterrupt:
                interrupted = True
                prog.log(f"interrupted: {prog.done} of {len(specs)} runs done, kept in {results.path}; "
                         "run the same command again to resume")
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
    files = [results.path] if results.path.exists() else []
    meta = dict(meta or {})
    meta.setdefault("order", list(dict.fromkeys(series_name(s.base_row()) for s in specs)))
    meta["commands"] = _remember_command(out, meta.get("command"), fresh=not resume)
    if results.rows:  # interrupted: the quick summary only; plots come with the resumed study
        files += write_reports(results.rows, out, meta=meta, plots=plots and not interrupted)
    mine = [r for r in results.rows
            if run_key(r["instance"], r["method"], r["backend"], r["seed"], r["time_limit"]) in plan_keys]
    return StudyOutcome(planned=len(specs), skipped=len(specs) - len(todo), ran=ran[0],
                        failed=sum(1 for r in mine if not r["verified"]), interrupted=interrupted, files=files,
                        summary=summarize(results.rows, meta["order"]))


def _remember_command(out: Path, command: str | None, fresh: bool) -> list[str]:
    """Every command that wrote into this study directory (DIR/commands.txt),
    so the summary says how to reproduce all of its rows."""
    path = out / "commands.txt"
    known = [] if fresh or not path.exists() else [c for c in path.read_text().splitlines() if c.strip()]
    if command and command not in known:
        known.append(command)
    if known:
        path.write_text("\n".join(known) + "\n")
    return known


def _raise_on_sigterm():
    """SIGTERM behaves like Ctrl-C (KeyboardInterrupt) while a study runs."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


# --------------------------------------------------------------------------- summary

def series_name(row) -> str:
    """Name of a method's line in tables and plots (backend added when not numpy)."""
    b = row.get("backend") or "numpy"
    return row["method"] if b == "numpy" else f"{row['method']} ({b})"


def summarize(rows, order=()) -> list[dict]:
    """One entry per (size, method, time limit): statistics over the seeds.

    Methods are listed in ``order`` first (e.g. the study's ``--methods``),
    then the others alphabetically.

    Satisfied fraction and wall time are over the verified runs only; the
    verified count says how many of the runs that is.
    """
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["size"], series_name(r), r["time_limit"]), []).append(r)
    method_rank = {}
    for name in list(order) + sorted({series_name(r) for r in rows}):
        method_rank.setdefault(name, len(method_rank))
    out = []
    for key in sorted(groups, key=lambda k: (k[0] is None, k[0] or 0, method_rank[k[1]], k[2])):
        rs = groups[key]
        ok = [r for r in rs if r["verified"]]
        fr = [r["satisfied_fraction"] for r in ok]
        wt = [r["wall_time"] for r in ok if r["wall_time"] is not None]
        mem = [r["peak_memory_mb"] for r in rs if r["peak_memory_mb"] is not None]
        cl = [r["clauses"] for r in rs if r["clauses"] is not None]
        out.append(dict(
            size=key[0], method=key[1], time_limit=key[2], clauses=max(cl) if cl else None,
            runs=len(rs), verified=len(ok),
            frac_mean=sum(fr) / len(fr) if fr else None, frac_min=min(fr) if fr else None,
            frac_max=max(fr) if fr else None,
            wall_mean=sum(wt) / len(wt) if wt else None, wall_min=min(wt) if wt else None,
            wall_max=max(wt) if wt else None, mem_max=max(mem) if mem else None,
            instances=len({r["instance"] for r in rs}),
        ))
    return out


def _fmt(x, spec, none="-"):
    return none if x is None else format(x, spec)


def markdown_table(summary) -> str:
    lines = [
        "| variables | clauses | method | time limit (s) | verified | satisfied mean | min | max "
        "| wall time mean (s) | peak memory max (MB) |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for g in summary:
        pct = (lambda v: _fmt(None if v is None else 100 * v, ".3f") + ("" if v is None else "%"))
        lines.append(
            f"| {_fmt(g['size'], ',')} | {_fmt(g['clauses'], ',')} | {g['method']} | {g['time_limit']:g} "
            f"| {g['verified']}/{g['runs']} | {pct(g['frac_mean'])} | {pct(g['frac_min'])} | {pct(g['frac_max'])} "
            f"| {_fmt(g['wall_mean'], '.2f')} | {_fmt(g['mem_max'], ',.0f')} |")
    return "\n".join(lines)


def write_markdown(rows, path, meta: dict | None = None, images=()) -> Path:
    """``summary.md``: how the study was run, the table, the plots and every failed run."""
    path = Path(path)
    meta = dict(meta or {})
    summary = summarize(rows, meta.get("order", ()))
    parts = ["# Scaling study", ""]
    commands = meta.get("commands") or ([meta["command"]] if meta.get("command") else [])
    if commands:
        parts += ["Reproduce with:", "", "```", *commands, "```", ""]
    cpu = os.cpu_count()
    parts += [f"- runs: {len(rows)} ({sum(1 for r in rows if r['verified'])} verified), "
              f"methods: {', '.join(dict.fromkeys(series_name(r) for r in rows))}",
              f"- machine: {platform.machine()}, {cpu} CPU cores, Python {platform.python_version()}, "
              f"host {', '.join(sorted({r['host'] for r in rows if r['host']})) or '?'}",
              f"- written {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
              "- satisfied = satisfied clauses / clauses of the independently re-evaluated assignment, "
              "over the verified runs (verified = the claimed cost equals the re-evaluated cost); "
              "wall time = the `solve` call (search, rounding, verification), not generating the instance; "
              "peak memory = peak resident memory of the run's worker process.",
              "", markdown_table(summary), ""]
    for img in images:
        parts += [f"![{Path(img).stem}]({Path(img).name})", ""]
    failed = [r for r in rows if not r["verified"]]
    if failed:
        parts += ["## Runs that failed or did not verify", "",
                  "| instance | method | seed | status | error |", "|---|---|---:|---|---|"]
        for r in failed:
            err = (r["error"] or "").replace("|", "\\|").replace("\n", " ")
            parts.append(f"| {r['instance']} | {series_name(r)} | {r['seed']} | {r['status']} | {err} |")
        parts.append("")
    path.write_text("\n".join(parts))
    return path


def write_reports(rows, out, *, meta: dict | None = None, plots: bool = True) -> list[Path]:
    """Summary markdown and plots of all rows in the study directory."""
    out = Path(out)
    images = []
    if plots:
        try:
            from .plots import plot_study
        except ImportError as exc:
            print(f"polystep-sat scale: no plots ({exc}); pip install \"polystep-sat[study]\"", file=sys.stderr)
        else:
            images = plot_study(summarize(rows, (meta or {}).get("order", ())), out, rows=rows,
                                random_baseline=_random_baseline(rows))
    return [write_markdown(rows, out / SUMMARY_NAME, meta=meta, images=images), *images]


def _random_baseline(rows):
    """Expected satisfied fraction of a random assignment (1 - 2^-k) when every
    row is a generated random k-SAT instance with one k; else None."""
    import re

    ks = {m.group(1) if m else None for m in (re.match(r"random-(\d+)sat-", r["instance"]) for r in rows)}
    if len(ks) != 1 or None in ks:
        return None
    return 1.0 - 2.0 ** -int(ks.pop())


# --------------------------------------------------------------------------- command line

def parse_sizes(text: str) -> list[int]:
    """``"100,1k,1e4,1M"`` -> ``[100, 1000, 10000, 1000000]``."""
    sizes = []
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        mult = 1
        if part[-1] in "kKmM":
            mult = 1000 if part[-1] in "kK" else 1_000_000
            part = part[:-1]
        try:
            value = float(part) * mult
        except ValueError:
            raise ValueError(f"bad size {part!r}: expected integers like 100,1000,1e4,1M") from None
        if value < 1 or value != int(value):
            raise ValueError(f"bad size {part!r}: sizes are positive integers")
        sizes.append(int(value))
    if not sizes:
        raise ValueError("--sizes is empty")
    return sizes


def add_scale_arguments(parser) -> None:
    """Add the ``scale`` options to an argparse (sub)parser."""
    import argparse

    parser.description = (__doc__ or "").split("\n\n")[0]
    parser.epilog = ("Writes DIR/runs.csv (one row per run, appended as runs finish), DIR/summary.md and "
                     "DIR/*.png. Exit status: 0 all runs verified, 1 some runs failed or did not verify "
                     "(they are rows in the CSV), 2 bad arguments, 130 interrupted (rerun to resume).")
    g = parser.add_argument_group("instances")
    g.add_argument("--sizes", help="comma-separated numbers of variables (1k, 1M, 1e5 accepted) "
                                   "of random k-SAT instances, e.g. 100,1000,10000,100000,1000000")
    g.add_argument("--ratio", type=float, default=4.26, help="clauses per variable of generated instances (default: %(default)s)")
    g.add_argument("--k", type=int, default=3, help="literals per clause of generated instances (default: %(default)s)")
    g.add_argument("--instances", metavar="DIR_OR_GLOB", action="append",
                   help="instance files instead of generated ones: a directory of .cnf/.wcnf files "
                        "(optionally .gz/.bz2/.xz) or a glob; may be repeated")
    g.add_argument("--study-seed", type=int, default=0,
                   help="seed from which each generated instance's seed is derived (with its size and seed index; default: %(default)s)")
    r = parser.add_argument_group("runs")
    r.add_argument("--methods", default=DEFAULT_METHODS, help="comma-separated methods (default: %(default)s)")
    r.add_argument("--seeds", type=int, default=3, help="seeds per size and method: 0..N-1 "
                                                         "(a new instance per seed, the same for every method; default: %(default)s)")
    r.add_argument("--time-limit", default="10", metavar="S",
                   help="seconds per run: one number, or one per size (comma-separated; default: %(default)s)")
    r.add_argument("--backend", default="numpy", choices=["numpy", "cupy"])
    r.add_argument("--out", required=True, metavar="DIR", help="output directory")
    r.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                   help="skip runs already in DIR/runs.csv (--no-resume moves it to runs.csv.bak and starts over)")
    e = parser.add_argument_group("execution")
    e.add_argument("--workers", type=int, default=1,
                   help="runs at a time, each in its own process (mind the memory at 1M variables; default: %(default)s)")
    e.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on this Dask distributed scheduler (e.g. tcp://host:8786), one task per run")
    e.add_argument("--run-timeout", type=float, default=None, metavar="S",
                   help="kill a local run after S seconds (default: 2 x time limit + 120)")
    e.add_argument("--max-memory-mb", type=float, default=None, metavar="MB",
                   help="kill a local run whose resident memory exceeds MB (recorded as a failed row)")
    e.add_argument("--save-assignments", action="store_true",
                   help="keep every run's assignment under DIR/assignments (1 bit per variable) so that "
                        "--recheck can re-verify the CSV later")
    e.add_argument("--recheck", action="store_true",
                   help="only re-verify the finished study in DIR from its saved assignments, and exit")
    e.add_argument("--plots", action=argparse.BooleanOptionalAction, default=True, help="write the PNG plots")
    e.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                   help="progress display on stderr")


def _usage_error(msg: str) -> int:
    print(f"polystep-sat scale: {msg}", file=sys.stderr)
    return EXIT_USAGE


def run_scale_cli(args) -> int:
    """Run ``polystep-sat scale`` from parsed arguments; return the exit status."""
    from .methods import METHODS

    if args.recheck:
        return _recheck_cli(args.out)
    methods = [m.strip().lower().replace("_", "-") for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if not methods or unknown:
        return _usage_error(f"unknown method(s) {', '.join(unknown) or '(none given)'}; "
                            f"choose from: {', '.join(METHODS)}")
    if args.seeds < 1:
        return _usage_error("--seeds must be >= 1")
    if args.workers < 0:
        return _usage_error("--workers must be >= 1 (0 runs everything in this process, for debugging)")
    try:
        limits = [float(t) for t in str(args.time_limit).split(",") if t.strip()]
    except ValueError:
        return _usage_error(f"--time-limit: expected seconds, got {args.time_limit!r}")
    if not limits or any(not t > 0 for t in limits):
        return _usage_error("--time-limit must be > 0")
    save_dir = (Path(args.out) / "assignments").resolve() if args.save_assignments else None
    try:
        if args.instances:
            if args.sizes:
                return _usage_error("give either --sizes (generated instances) or --instances (files), not both")
            if len(limits) != 1:
                return _usage_error("with --instances give a single --time-limit")
            paths = list(dict.fromkeys(p for pattern in args.instances for p in find_instances(pattern)))
            specs = plan_files(paths, methods, args.seeds, limits[0], backend=args.backend, save_dir=save_dir)
        elif args.sizes:
            if not args.ratio > 0 or args.k < 1:
                return _usage_error("--ratio must be > 0 and --k >= 1")
            specs = plan_generated(parse_sizes(args.sizes), methods, args.seeds, limits, ratio=args.ratio,
                                   k=args.k, study_seed=args.study_seed, backend=args.backend,
                                   save_dir=save_dir)
        else:
            return _usage_error("give --sizes (random instances) or --instances DIR_OR_GLOB")
    except ValueError as exc:
        return _usage_error(str(exc))

    meta = {"command": "polystep-sat scale " + " ".join(_quote(a) for a in _argv_of(args))}
    try:
        outcome = run_study(specs, args.out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                            run_timeout=args.run_timeout, max_memory_mb=args.max_memory_mb,
                            progress=args.progress, plots=args.plots, meta=meta)
    except RuntimeError as exc:  # missing optional dependency, unreachable scheduler
        print(f"polystep-sat scale: {exc}", file=sys.stderr)
        return 1
    summary = Path(args.out) / SUMMARY_NAME
    if outcome.summary:
        print(markdown_table(outcome.summary))
    print(f"wrote: {', '.join(str(f) for f in outcome.files)}", file=sys.stderr)
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    if outcome.failed:
        print(f"polystep-sat scale: {outcome.failed} of {outcome.planned} runs failed or did not verify "
              f"(see {summary})", file=sys.stderr)
        return EXIT_FAILED_RUNS
    return EXIT_OK


def _recheck_cli(out) -> int:
    if not (Path(out) / CSV_NAME).exists():
        return _usage_error(f"no {CSV_NAME} in {out}")
    checks = recheck(out)
    bad = [c for c in checks if not c["ok"]]
    for c in bad:
        r = c["row"]
        print(f"MISMATCH {r['instance']} {r['method']} seed {r['seed']}: {c['message']}")
    print(f"rechecked {len(checks)} verified runs of {out}: {len(checks) - len(bad)} agree, {len(bad)} do not")
    return EXIT_OK if checks and not bad else EXIT_FAILED_RUNS


def _argv_of(args) -> list[str]:
    """The study's options, as a command that reproduces it."""
    argv = []
    if args.instances:
        for p in args.instances:
            argv += ["--instances", p]
    else:
        argv += ["--sizes", args.sizes, "--ratio", f"{args.ratio:g}"]
        if args.k != 3:
            argv += ["--k", str(args.k)]
        if args.study_seed:
            argv += ["--study-seed", str(args.study_seed)]
    argv += ["--methods", args.methods, "--seeds", str(args.seeds), "--time-limit", str(args.time_limit)]
    if args.backend != "numpy":
        argv += ["--backend", args.backend]
    if args.save_assignments:
        argv += ["--save-assignments"]
    argv += ["--out", str(args.out)]
    return argv


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(str(s))


def main(argv=None) -> int:
    """``python -m polystep_sat.scale ...`` (same options as ``polystep-sat scale``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="polystep-sat scale")
    add_scale_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_scale_cli(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    # Import by package name so worker processes and Dask pickle
    # polystep_sat.scale.run_one, not __main__.run_one.
    from polystep_sat.scale import main as _main

    sys.exit(_main())
