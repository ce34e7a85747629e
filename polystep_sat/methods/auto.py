"""Method "auto" (the default): the PolyStep pipeline, with the SAT side beside it.

The pipeline searches here; the SAT-based search (:mod:`polystep_sat.portfolio`:
a model of the hard clauses, core-guided search with lower bounds, then a
solution-improving linear search) runs in a child process whenever the
formula fits its memory cap. A watcher thread shares between them: the SAT
side's models (re-checked independently) become candidates and the local
search's starts, its lower bounds end the run as OPTIMUM FOUND once the
search meets them, and the search's incumbent goes to the SAT side. On a
single core the two take turns. The child is killed the moment the search
ends, for whatever reason.

Before either starts, on formulas up to 200,000 literals, the SAT side's
first phases run briefly in this process (:mod:`polystep_sat.portfolio.first_try`):
a small file is proven before a child or the compiled kernels have to load.
"""

from __future__ import annotations

import threading
import time

from ..backend import cores
from ..portfolio.first_try import first_try, worth_trying
from ..portfolio.sharing import FIRST_TURN_SECONDS, Turns, share
from ..portfolio.side import SatSide, available, drop_prestarted, worth_starting
from .kernel_loading import search_can_start
from .first_answer import first_answer

# Below this many seconds left, starting a child (~0.5 s to import PySAT) is not worth it.
MIN_SECONDS_LEFT = 1.0


def run_auto(formula, ctx, exact: bool = True, **options):
    """The PolyStep pipeline (``options`` go to it) and, with ``exact``, the SAT side beside it."""
    side = None
    tried_at = None   # when the first try began: on one core it counts as the SAT side's first turn
    if exact and available() and worth_trying(formula, ctx.remaining()):
        tried_at = time.perf_counter()
        if first_try(formula, ctx):
            drop_prestarted()   # proven here: no child, no search
            ctx.info["sat_side"] = "not started: proved in this process"
            return
        if ctx.stopped():       # a signal during the first try: answer with what it found
            drop_prestarted()
            return
    if not search_can_start(ctx):   # numba and the kernels would take longer than the time left
        drop_prestarted()
        first_answer(formula, ctx)
        return
    from .polystep_pipeline import run_polystep   # numba and the kernels: ~0.3 s, not needed above
    if not exact:
        ctx.info["sat_side"] = "off"
    elif not available():
        ctx.info["sat_side"] = "not started: PySAT is not available"
    elif not worth_starting(formula):
        ctx.info["sat_side"] = "not started: the formula does not fit its memory cap"
    elif ctx.remaining() < MIN_SECONDS_LEFT:
        ctx.info["sat_side"] = "not started: too little time left"
    else:
        budget = ctx.remaining() if ctx.deadline is not None else 1e9
        side = SatSide(formula, time_limit=budget)
        ctx.info["sat_side"] = "started"
        ctx.search_cores = max(1, cores() - 1)     # the child has one
    if side is None:
        drop_prestarted()   # the command line's early child, if it started one
        run_polystep(formula, ctx, **options)
        return
    # On one core the SAT side's first turn ends FIRST_TURN_SECONDS after the first try began, which
    # ran the same phases (the hard model, RC2): a full turn after it left the search of the Ramsey
    # file of real-dev 7.5 of its 10 s, to share.
    first = FIRST_TURN_SECONDS if tried_at is None else max(0.0, tried_at + FIRST_TURN_SECONDS - time.perf_counter())
    turns = Turns(side, ctx, first=first) if cores() == 1 else None
    ctx.info["sat_side_turns"] = turns is not None
    search_over = threading.Event()
    watcher = threading.Thread(target=share, args=(side, ctx, search_over, turns), name="sat-side-watcher",
                               daemon=True)
    watcher.start()
    try:
        run_polystep(formula, ctx, **options)
    finally:
        search_over.set()
        watcher.join()
        side.stop()
