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


The package, one job a module, in the order a study goes:

* :mod:`.plan`      what to run (``RunSpec``), from sizes or instance files;
* :mod:`.run`       one run: build/read, solve, re-check, measure (``run_one``);
* :mod:`.local`     runs in fresh local processes; :mod:`.cluster` on Dask;
* :mod:`.progress`  the progress display (stderr);
* :mod:`.results`   the results CSV, typed reading, re-checks (``ResultsCSV``, ``recheck``);
* :mod:`.runner`    a whole study: resume, execute, append, report (``run_study``);
* :mod:`.report`    ``summary.md``; :mod:`.plots` the PNG plots;
* :mod:`.command`   the ``polystep-sat scale`` arguments.
"""

from .command import EXIT_FAILED_RUNS, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, add_scale_arguments, main, run_scale_cli
from .plan import (DEFAULT_METHODS, RunSpec, find_instances, instance_seed, parse_sizes, peek_header, plan_files,
                   plan_generated, run_key)
from .report import SUMMARY_NAME, markdown_table, summarize, write_markdown, write_reports
from .plan import COLUMNS
from .results import CSV_NAME, ResultsCSV, parse_row, read_rows, recheck, series_name
from .run import assignment_path, check_result, load_instance, peak_memory_mb, run_one, save_assignment
from .local import default_run_timeout, run_local
from .cluster import run_dask
from .runner import StudyOutcome, run_study

__all__ = [
    "CSV_NAME", "COLUMNS", "DEFAULT_METHODS", "EXIT_FAILED_RUNS", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE",
    "ResultsCSV", "RunSpec", "SUMMARY_NAME", "StudyOutcome", "add_scale_arguments", "assignment_path",
    "check_result", "default_run_timeout", "find_instances", "instance_seed", "load_instance", "main",
    "markdown_table", "parse_row", "parse_sizes", "peak_memory_mb", "peek_header", "plan_files", "plan_generated",
    "read_rows", "recheck", "run_dask", "run_key", "run_local", "run_one", "run_scale_cli", "run_study",
    "save_assignment", "series_name", "summarize", "write_markdown", "write_reports",
]
