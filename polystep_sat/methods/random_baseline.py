"""Method "random": the best of uniformly random assignments.

The floor every method must beat (7/8 of random 3-SAT clauses), and an
honest stand-in while no search is asked for.
"""

from __future__ import annotations


from ..verify import evaluate


def run_random(formula, ctx, max_samples: int = 1_000_000):
    for _ in range(max_samples):
        a = ctx.rng.random(formula.n_vars) < 0.5
        ev = evaluate(formula, a)
        ctx.report(a, ev.n_hard_unsat, ev.cost)
        if ctx.should_stop() or ctx.best_key == (0, 0):
            break
