"""The SAT side's first phases in the search's own process, before anything else starts.

On a small formula the exact-track solvers prove the optimum in hundredths
of a second; our SAT side needs a child process first (an interpreter and
PySAT: ~0.3 s), and the search its compiled kernels (~0.3 s to load), so a
proof came at 0.4-1 s even where RC2 itself needs a few milliseconds. So
:func:`first_try` runs the SAT side's first two phases (a model of the hard
clauses, then RC2 with hardening: :class:`.sat_search.SatSearch`) here, for
at most FIRST_TRY_SECONDS, on formulas up to FIRST_TRY_MAX_LITERALS. What it
finds is re-checked like any SAT side's message (:func:`.sharing.take_claim`):
a proof ends the run before the child or the kernels start; otherwise its
models and bound stay, and the run goes on as before (with more than one
core the child has been loading meanwhile).
"""

from __future__ import annotations

import time

from .sat_search import HARD_MODEL_PASSES, SatSearch
from .sharing import take_claim

# Up to this many literals (RC2 on a formula this size sets up in ~0.1 s).
FIRST_TRY_MAX_LITERALS = 200_000
# At most this long, and at most FIRST_TRY_SHARE of the time left.
FIRST_TRY_SECONDS = 1.0
FIRST_TRY_SHARE = 0.1
# The hard model's passes here: CaDiCaL's (see sat_search.HARD_MODEL_PASSES), in short slices.
FIRST_TRY_HARD_MODEL_PASSES = tuple(p for p in HARD_MODEL_PASSES if p[0] == "cd19")
# RC2's SAT solver here: Minicard (PySAT's "mc": MiniSat 2.2's search) checks its budgets
# and interrupts at every decision and releases the interpreter's lock (sat_calls.INTERRUPTIBLE).
# Glucose, RC2's default, checks them only at restarts: on a 45-variable Ramsey file one
# core-exhaustion call ran 8 s past the first try's end, holding the lock (the answer was the
# majority polarity, and late).
# Proofs on real-dev and instances/real took about as long with it, end to end
# (benchmarks/results/proofs_issue28.md against proofs_issue28_before.md).
FIRST_TRY_RC2_SOLVER = "mc"


def first_try_takes(formula) -> bool:
    """Whether the formula is one the first try is for (its size alone)."""
    return 0 < formula.n_literals <= FIRST_TRY_MAX_LITERALS and formula.n_vars > 0


def worth_trying(formula, seconds_left: float) -> bool:
    return first_try_takes(formula) and FIRST_TRY_SHARE * seconds_left >= 0.05


def first_try(formula, ctx) -> bool:
    """The hard model and RC2 here, for a short while; True when the optimum is proven.
    A failure of PySAT's loses the first try, not the run (the child would have failed alone)."""
    try:
        return _first_try(formula, ctx)
    except Exception as exc:  # noqa: BLE001 - reported in the result's info
        ctx.info["first_try"] = f"failed: {exc!r}"
        return False


def _first_try(formula, ctx) -> bool:
    t0 = time.perf_counter()
    seconds = min(FIRST_TRY_SECONDS, FIRST_TRY_SHARE * ctx.remaining())
    deadline = t0 + seconds
    # the hard model from CaDiCaL only (its calls can be cut), and a stop (a signal:
    # ctx.stopped()) seen within 0.05 s
    search = SatSearch(formula, lambda kind, cost, a: take_claim(formula, ctx, kind, cost, a), core_share=1.0,
                       hard_model_passes=FIRST_TRY_HARD_MODEL_PASSES, stopped=ctx.stopped, watch_every=0.05,
                       rc2_solver=FIRST_TRY_RC2_SOLVER, sliced=True)
    if search.infeasible:
        return False
    key = ctx.best_key
    if key is not None and key[0] == 0:
        search.offer(key[1], ctx.best_assignment)
    if not getattr(ctx, "hard_model_phased", False):   # else the hard check has made this pass
        search.hard_model(deadline)
    if time.perf_counter() < deadline and not ctx.stopped():
        search.core_guided(deadline)
    proved = ctx.proven_cost is not None
    ctx.info["first_try"] = (f"proved the optimum in {time.perf_counter() - t0:.2f} s" if proved
                             else f"no proof in {seconds:.2f} s")
    return proved
