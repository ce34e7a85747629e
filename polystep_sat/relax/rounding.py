"""From probabilities to assignments: threshold and sampled roundings.

A relaxed state ``p`` in [0, 1]^n stands for many assignments. The threshold
rounding ``p > 0.5`` is the natural one; Bernoulli(p) samples explore the
variables PolyStep left undecided. The best candidate is chosen by the discrete cost
(hard clauses weighted heavily); polishing it is the search method's job.
"""

from __future__ import annotations

import numpy as np



def threshold(p, xp=np):
    """The assignment ``p > 0.5`` (bool, on p's backend)."""
    return xp.asarray(p) > 0.5


def sample(p, rng, xp=np):
    """One Bernoulli(p) assignment; ``rng`` has a ``random(shape)`` method."""
    return rng.random(p.shape) < p


def best_rounding(objective, p, n_samples=0, rng=None, candidates=()):
    """The cheapest of: the threshold rounding, ``n_samples`` Bernoulli(p)
    samples, and any extra ``candidates`` (bool arrays).

    Costs are the objective's float discrete costs (hard clauses at its hard
    weight). Returns ``(assignment, float_cost)`` on the objective's backend.
    """
    xp = objective.xp
    cands = [threshold(p, xp)] + [xp.asarray(c, dtype=bool) for c in candidates]
    if n_samples:
        if rng is None:
            raise ValueError("sampled roundings need an rng")
        cands += [sample(p, rng, xp) for _ in range(int(n_samples))]
    best, best_cost = None, float("inf")
    for c in cands:
        cost = objective.discrete_cost(c)
        if cost < best_cost:
            best, best_cost = c, cost
    return best, best_cost

