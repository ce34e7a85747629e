"""Method "auto" (the default): the PolyStep pipeline, with the exact side beside it.

The pipeline searches here; when the instance is small enough for RC2 to
have a chance (:func:`polystep_sat.exact_side.worth_starting`), RC2 runs in a
child process on the other core. A watcher thread waits for the child: its
optimum, once re-checked independently, is reported like any candidate, and
the search is stopped at once (the run then ends as OPTIMUM FOUND). The child
is killed the moment the search ends, for whatever reason.
"""

from __future__ import annotations

import threading

from ..exact_side import ExactSide, available, worth_starting
from .polystep_pipeline import run_polystep

# Below this many seconds left, starting a child (~0.5 s to import PySAT) is not worth it.
MIN_SECONDS_LEFT = 1.0


def run_auto(formula, ctx, exact: bool = True, **options):
    """The PolyStep pipeline (``options`` go to it) and, with ``exact``, RC2 beside it."""
    side = None
    if not exact:
        ctx.info["exact_side"] = "off"
    elif not available():
        ctx.info["exact_side"] = "not started: PySAT's RC2 is not available"
    elif not worth_starting(formula):
        ctx.info["exact_side"] = "not started: instance too large for RC2"
    elif ctx.remaining() < MIN_SECONDS_LEFT:
        ctx.info["exact_side"] = "not started: too little time left"
    else:
        budget = ctx.remaining() if ctx.deadline is not None else 1e9
        side = ExactSide(formula, time_limit=budget)
        ctx.info["exact_side"] = "started"
    if side is None:
        run_polystep(formula, ctx, **options)
        return
    search_over = threading.Event()
    watcher = threading.Thread(target=_watch, args=(side, ctx, search_over), daemon=True)
    watcher.start()
    try:
        run_polystep(formula, ctx, **options)
    finally:
        search_over.set()
        watcher.join()
        side.stop()


def _watch(side, ctx, search_over):
    while not search_over.is_set() and not ctx.should_stop():
        if side.wait(0.05):
            found = side.result()
            if found is None:
                ctx.info["exact_side"] = "gave up (time, memory or unconfirmed answer)"
                return
            cost, a = found
            ctx.report(a, 0, cost, source="exact")
            ctx.prove_optimum(cost)
            ctx.info["exact_side"] = "proved the optimum"
            return
