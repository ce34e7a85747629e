"""A whole study: skip runs already in the CSV (resume), execute the rest
locally or on Dask, append each row as it comes, then write the reports."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path

from .cluster import run_dask
from .local import run_local
from .plan import run_key
from .progress import Progress
from .report import summarize, write_reports
from .results import CSV_NAME, ResultsCSV, read_rows, series_name
from .run import run_one


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
    before = len(results.rows)
    on_row = results.append

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
    # what is on disk is the truth: an interrupt can land between a row's
    # write and any bookkeeping after it
    rows = read_rows(results.path) if results.path.exists() else []
    files = [results.path] if results.path.exists() else []
    meta = dict(meta or {})
    meta.setdefault("order", list(dict.fromkeys(series_name(s.base_row()) for s in specs)))
    meta["commands"] = _remember_command(out, meta.get("command"), fresh=not resume)
    if rows:  # interrupted: the quick summary only; plots come with the resumed study
        files += write_reports(rows, out, meta=meta, plots=plots and not interrupted)
    mine = [r for r in rows
            if run_key(r["instance"], r["method"], r["backend"], r["seed"], r["time_limit"]) in plan_keys]
    return StudyOutcome(planned=len(specs), skipped=len(specs) - len(todo), ran=len(rows) - before,
                        failed=sum(1 for r in mine if not r["verified"]), interrupted=interrupted, files=files,
                        summary=summarize(rows, meta["order"]))


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
