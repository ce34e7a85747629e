"""The progress display of a study (rich on a terminal, plain lines otherwise),
always on stderr so stdout stays clean."""

from __future__ import annotations

import sys

from .plan import RunSpec


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
