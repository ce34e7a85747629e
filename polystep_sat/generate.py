"""Instance generators: random k-SAT, MAX-CUT as MAX-2-SAT, weighted partial."""

from __future__ import annotations

import numpy as np

from .formula import Formula


def _distinct_vars(rng, n_vars: int, n_clauses: int, k: int) -> np.ndarray:
    """``n_clauses x k`` variable indices (1-based), distinct within each row."""
    if k > n_vars:
        raise ValueError(f"clause length k={k} exceeds n_vars={n_vars}")
    v = rng.integers(1, n_vars + 1, size=(n_clauses, k), dtype=np.int64)
    while True:
        s = np.sort(v, axis=1)
        bad = np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1)) if k > 1 else np.zeros(0, np.int64)
        if bad.size == 0:
            return v
        v[bad] = rng.integers(1, n_vars + 1, size=(bad.size, k), dtype=np.int64)


def random_ksat(n_vars: int, ratio: float = 4.26, k: int = 3, seed: int | None = 0,
                n_clauses: int | None = None) -> Formula:
    """Uniform random k-SAT: ``round(ratio * n_vars)`` clauses of k distinct variables."""
    if n_vars < 1:
        raise ValueError("n_vars must be >= 1")
    rng = np.random.default_rng(seed)
    m = int(round(ratio * n_vars)) if n_clauses is None else int(n_clauses)
    v = _distinct_vars(rng, n_vars, m, k)
    signs = np.where(rng.random((m, k)) < 0.5, -1, 1)
    lits = (v * signs).ravel()
    indptr = np.arange(0, k * m + 1, k, dtype=np.int64)
    return Formula(n_vars, indptr, lits)


def maxcut_formula(graph, weight: str | None = None) -> Formula:
    """MAX-CUT of a networkx graph as (weighted) MAX-2-SAT.

    Each edge {u, v} gives (u or v) and (not u or not v): a cut edge satisfies
    both, an uncut edge exactly one, so cost = total edge weight - cut weight.
    Nodes are numbered 1..n in ``sorted(graph.nodes)`` order.
    """
    nodes = sorted(graph.nodes)
    index = {u: i + 1 for i, u in enumerate(nodes)}
    clauses, weights = [], []
    for u, v, data in graph.edges(data=True):
        w = int(data.get(weight, 1)) if weight else 1
        a, b = index[u], index[v]
        clauses += [[a, b], [-a, -b]]
        weights += [w, w]
    return Formula.from_clauses(clauses, len(nodes), np.array(weights, dtype=np.int64),
                                weighted=weight is not None)


def random_weighted_partial(n_vars: int, n_hard: int, n_soft: int, k: int = 3, max_weight: int = 10,
                            seed: int | None = 0) -> Formula:
    """Random weighted partial MaxSAT: k-clause hard constraints, unit/binary soft clauses."""
    rng = np.random.default_rng(seed)
    hard_v = _distinct_vars(rng, n_vars, n_hard, k) * np.where(rng.random((n_hard, k)) < 0.5, -1, 1)
    clauses = [list(r) for r in hard_v.tolist()]
    for _ in range(n_soft):
        size = int(rng.integers(1, 3))
        vs = rng.choice(n_vars, size=size, replace=False) + 1
        clauses.append([int(x) if rng.random() < 0.5 else -int(x) for x in vs])
    hard = np.zeros(len(clauses), dtype=bool)
    hard[:n_hard] = True
    weights = np.zeros(len(clauses), dtype=np.int64)
    weights[n_hard:] = rng.integers(1, max_weight + 1, size=n_soft)
    return Formula.from_clauses(clauses, n_vars, weights, hard, weighted=True)
