"""The study's results file (``runs.csv``): appending rows as they finish,
reading them back typed, and re-checking saved assignments (``--recheck``)."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

from .plan import COLUMNS, RunSpec, _blank, run_key
from .run import assignment_path, load_instance


CSV_NAME = "runs.csv"


def recheck(out) -> list[dict]:
    """Re-verify a finished study from its saved assignments (``--save-assignments``).

    For every verified row: rebuild the instance (regenerate it from its seed,
    or read its file), unpack the saved assignment, evaluate it and compare
    with the row's cost and satisfied fraction. Returns one
    ``{"row", "ok", "message"}`` per verified row.
    """
    import numpy as np

    from ..verify import evaluate

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


def series_name(row) -> str:
    """Name of a method's line in tables and plots (backend added when not numpy)."""
    b = row.get("backend") or "numpy"
    return row["method"] if b == "numpy" else f"{row['method']} ({b})"
