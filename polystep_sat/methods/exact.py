"""Method "exact": PySAT's RC2 core-guided MaxSAT solver (complete; small instances)."""

from __future__ import annotations


from ..verify import evaluate, optimum


def run_exact(formula, ctx, **options):
    budget = ctx.remaining()
    cost, a = optimum(formula, time_limit=1e9 if budget == float("inf") else max(budget, 0.01))
    if a is None:
        ctx.info["finished"] = False
        return
    ev = evaluate(formula, a)
    ctx.report(a, ev.n_hard_unsat, ev.cost)
    ctx.info["finished"] = True
