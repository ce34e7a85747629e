"""The answer when there is no time for a search: the hard clauses' model if the hard
check found one, else the caller's start, else each variable at its majority polarity."""

from __future__ import annotations


def first_answer(formula, ctx) -> None:
    """Report the best start known to ``ctx`` (see the module's docstring)."""
    from ..solver import polarity_assignment
    from ..verify import evaluate

    ctx.info["search"] = "skipped: too little time left to load the search's kernels"
    for a in (getattr(ctx, "initial_assignment", None), getattr(ctx, "start_hint", None)):
        if a is not None:
            break
    else:
        a = polarity_assignment(formula)
    ev = evaluate(formula, a)
    ctx.report(a, ev.n_hard_unsat, ev.cost, source="first answer")
