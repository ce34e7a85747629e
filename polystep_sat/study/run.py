"""One run of a study, start to finish, in whatever process executes it: build or
read the instance, ``solve`` it, re-evaluate the answer independently, measure
peak memory, and always return a row (a failure is a row, never an exception)."""

from __future__ import annotations

import socket
import sys
import time
import traceback
from pathlib import Path

from .plan import RunSpec, _blank


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
        from ..dimacs import read_dimacs

        return read_dimacs(spec.path)
    from ..generate import random_ksat

    return random_ksat(spec.size, spec.ratio, k=spec.k, seed=spec.instance_seed)


def check_result(formula, res, row: dict) -> None:
    """Re-verify a Result independently and fill the row's outcome columns.

    The cost, unsatisfied count and satisfied fraction written are the ones
    re-evaluated here, not the solver's claims; ``verified`` is True only when
    the claims match the re-evaluation, no hard clause is falsified, and
    ``solve``'s own verification agreed.
    """
    from ..verify import evaluate

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
    from ..solver import solve

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
