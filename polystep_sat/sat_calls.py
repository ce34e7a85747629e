"""SAT solver calls that the answering process may make: none holds the interpreter's lock for long.

A PySAT call runs native code; most of PySAT's solvers keep the interpreter's
lock for the whole call, and while they do, nothing else in the process runs:
not a timer, not the thread that prints ``o`` lines, not the SIGTERM handler.
So the process that answers loads and solves in pieces:

* :func:`load_clauses` adds clauses in chunks, looking at the clock after each
  one; it gives up when the clauses would not be in by the deadline (at the pace
  since the start, judged from the second chunk on), so a load counts against
  the limit and never outlives it.
  (PySAT has one call per clause and no bulk path: ~2-4 us a clause, so the
  answering process loads only formulas of a bounded size; see the callers.)
* :func:`solve_in_slices` solves under conflict and decision budgets that
  adapt so that one call takes about SLICE_SECONDS (CaDiCaL, whose calls
  cannot be interrupted), or with the lock released and a budget checked at
  every decision (the MiniSat family: ``INTERRUPTIBLE``). Glucose checks its
  budgets and interrupts only at restarts (one call of RC2's core exhaustion
  on a 45-variable Ramsey file ran 218,888 conflicts, 8 s, past a 10,000
  budget and an interrupt), so the answering process never uses it.
"""

from __future__ import annotations

import time

# One call of a solver that keeps the lock takes about this long, at most 1.5 times as long
# after a call that was quicker (the contract allows ~50 ms; shorter slices repeat more of
# their work: CaDiCaL's model of consistent query answering took 0.135 s in 25 ms slices,
# 0.044-0.068 s in one call).
SLICE_SECONDS = 0.04
# The first slice's conflict budget; a slice's decision budget is DECISIONS_PER_CONFLICT times it.
FIRST_SLICE_CONFLICTS = 500
DECISIONS_PER_CONFLICT = 50
# Clauses added between looks at the clock.
LOAD_CHUNK = 4096
# PySAT's solvers that check budgets and interrupts at every decision and release the lock
# when called with expect_interrupt=True (Minicard, "mc", which is MiniSat 2.2's search; MapleChrono;
# MiniSat 2.2; MiniSat from GitHub).
INTERRUPTIBLE = ("mc", "maplechrono", "m22", "minisat22", "mgh", "minisat-gh")


def load_clauses(solver, clauses, deadline: float) -> bool:
    """Add ``clauses`` (a list of literal lists) to ``solver`` before ``deadline``; False, with
    some added, when they would not all be in by then."""
    chunks = (clauses[i:i + LOAD_CHUNK] for i in range(0, len(clauses), LOAD_CHUNK))
    return load_chunks(solver, chunks, len(clauses), deadline)


def formula_chunks(indptr, literals, clause_ids):
    """The clauses ``clause_ids`` (ascending) of a CSR formula as lists, LOAD_CHUNK at a time
    (converted chunk by chunk: no list of the whole formula at once)."""
    for k in range(0, len(clause_ids), LOAD_CHUNK):
        ids = clause_ids[k:k + LOAD_CHUNK]
        lo = int(indptr[ids[0]])
        span = literals[lo:int(indptr[ids[-1] + 1])].tolist()
        starts, ends = (indptr[ids] - lo).tolist(), (indptr[ids + 1] - lo).tolist()
        yield [span[a:b] for a, b in zip(starts, ends)]


def load_chunks(solver, chunks, n_clauses: int, deadline: float) -> bool:
    """Add the clauses of ``chunks`` (``n_clauses`` in all) to ``solver`` before ``deadline``;
    False as soon as the rest would not be in by then, at the pace so far."""
    add = solver.add_clause
    t0 = time.perf_counter()
    done = 0
    for chunk in chunks:
        for c in chunk:
            add(c)
        done += len(chunk)
        now = time.perf_counter()
        # (the pace judged from the second chunk on: the first pays for warming up)
        if done < n_clauses and (now >= deadline or (done > LOAD_CHUNK and
                                                     now + (now - t0) * (n_clauses - done) / done > deadline)):
            return False
    return True


def solve_in_slices(solver, deadline: float, assumptions=(), stopped=lambda: False, name: str = "cd19",
                    max_slices: int | None = None):
    """Solve until an answer (True / False), the deadline, ``stopped()`` or ``max_slices``
    slices (None). Each slice holds the interpreter's lock for about SLICE_SECONDS at most
    (``name``: the solver's PySAT name)."""
    assumptions = list(assumptions)
    interruptible = name in INTERRUPTIBLE
    budget = FIRST_SLICE_CONFLICTS
    slices = 0
    while time.perf_counter() < deadline and not stopped() and (max_slices is None or slices < max_slices):
        solver.conf_budget(budget)
        if not interruptible:
            solver.dec_budget(budget * DECISIONS_PER_CONFLICT)
        t = time.perf_counter()
        res = solver.solve_limited(assumptions=assumptions, expect_interrupt=interruptible)
        slices += 1
        if res is not None:
            return res
        # Each call starts its decisions over (on the saved phases), so a budget that stopped
        # growing short of what the model needs would never find it: it grows until a call
        # takes about SLICE_SECONDS, then on by a quarter, and halves past 1.5 times that.
        took = time.perf_counter() - t
        if took < SLICE_SECONDS / 2:
            budget *= 2
        elif took < 1.5 * SLICE_SECONDS:
            budget += max(1, budget // 4)
        else:
            budget = max(1, budget // 2)
    return None
