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


# ------------------------------------------------------- structured families
# Weighted partial MaxSAT as users bring it: hard constraints on a graph,
# weighted soft preferences. Built with array operations (no per-clause
# Python), so 500k-variable instances take seconds.

def _csr(blocks):
    """Concatenate clause blocks ``(literals (m, k), weights (m,), hard)`` into a Formula's arrays."""
    lits, indptr_parts, weights, hard = [], [], [], []
    offset = 0
    for block, w, is_hard in blocks:
        if isinstance(block, tuple):  # (flat literals, clause lengths): clauses of varying length
            flat, lengths = block
        else:
            flat, lengths = block.ravel(), np.full(block.shape[0], block.shape[1], np.int64)
        lits.append(flat)
        indptr_parts.append(offset + np.cumsum(lengths))
        offset += int(flat.size)
        weights.append(np.broadcast_to(np.asarray(w, np.int64), lengths.shape))
        hard.append(np.full(lengths.size, is_hard))
    indptr = np.concatenate([[0]] + indptr_parts).astype(np.int64)
    return indptr, np.concatenate(lits), np.concatenate(weights), np.concatenate(hard)


def power_law_graph(n_vertices: int, mean_degree: float = 6.0, exponent: float = 3.0, seed=0) -> np.ndarray:
    """Edges ``(E, 2)`` (0-based, u < v, no loops or repeats) of a Chung-Lu
    graph whose degrees follow a power law with the given exponent (3 is the
    Barabasi-Albert exponent). Endpoints are drawn with probability
    proportional to ``(i + 1) ** (-1 / (exponent - 1))``: one vectorised draw,
    where networkx's preferential attachment is a Python loop (minutes at 500k)."""
    if n_vertices < 2:
        return np.zeros((0, 2), np.int64)
    rng = np.random.default_rng(seed)
    p = (np.arange(n_vertices) + 1.0) ** (-1.0 / (exponent - 1.0))
    p /= p.sum()
    n_edges = int(round(mean_degree * n_vertices / 2))
    ends = rng.choice(n_vertices, size=(int(n_edges * 1.1) + 16, 2), p=p)
    # shuffle vertex ids so that hubs are not the low-numbered variables
    ends = rng.permutation(n_vertices)[ends]
    ends = np.sort(ends, axis=1)
    ends = ends[ends[:, 0] != ends[:, 1]]
    codes = np.unique(ends[:, 0] * n_vertices + ends[:, 1])
    codes = rng.permutation(codes)[:n_edges]
    return np.stack([codes // n_vertices, codes % n_vertices], axis=1)


def weighted_mis(n_vertices: int, mean_degree: float = 6.0, max_weight: int = 100, seed: int | None = 0) -> Formula:
    """Weighted maximum independent set on a power-law graph.

    Variable v+1 is "vertex v is in the set": a soft unit clause (v+1) with
    weight in 1..max_weight, and a hard clause (-u-1, -v-1) per edge. The
    cost is the weight of the vertices left out.
    """
    if n_vertices < 1:
        raise ValueError("n_vertices must be >= 1")
    rng = np.random.default_rng(seed)
    edges = power_law_graph(n_vertices, mean_degree, seed=int(rng.integers(2**62)))
    w = rng.integers(1, max_weight + 1, size=n_vertices)
    units = np.arange(1, n_vertices + 1).reshape(-1, 1)
    indptr, lits, weights, hard = _csr([(units, w, False), (-(edges + 1), 0, True)])
    return Formula(n_vertices, indptr, lits, weights, hard, weighted=True)


def weighted_set_cover(n_elements: int, n_sets: int | None = None, min_size: int = 2, max_size: int = 8,
                       max_weight: int = 100, seed: int | None = 0) -> Formula:
    """Weighted set cover: every element covered (hard), the chosen sets' cost minimal (soft).

    Variable s+1 is "set s is chosen". Each set covers ``min_size..max_size``
    random elements (every element is covered by at least one set); per
    element a hard clause: the OR of the sets that contain it; per set a soft
    clause (-s-1) weighing its cost in 1..max_weight.
    """
    if n_elements < 1:
        raise ValueError("n_elements must be >= 1")
    n_sets = n_elements if n_sets is None else int(n_sets)
    if n_sets < 1 or not 1 <= min_size <= max_size:
        raise ValueError("need n_sets >= 1 and 1 <= min_size <= max_size")
    rng = np.random.default_rng(seed)
    sizes = rng.integers(min_size, max_size + 1, size=n_sets)
    owner = np.repeat(np.arange(n_sets), sizes)
    element = rng.integers(0, n_elements, size=owner.size)
    # an element no set drew joins a random set
    missing = np.setdiff1d(np.arange(n_elements), element)
    owner = np.concatenate([owner, rng.integers(0, n_sets, size=missing.size)])
    element = np.concatenate([element, missing])
    pairs = np.unique(element.astype(np.int64) * n_sets + owner)  # sorted by element, then set
    element, owner = pairs // n_sets, pairs % n_sets
    covers = (owner + 1, np.bincount(element, minlength=n_elements).astype(np.int64))
    cost = rng.integers(1, max_weight + 1, size=n_sets)
    unchosen = -np.arange(1, n_sets + 1).reshape(-1, 1)
    indptr, lits, weights, hard = _csr([(covers, 0, True), (unchosen, cost, False)])
    return Formula(n_sets, indptr, lits, weights, hard, weighted=True)


def graph_colouring(n_vertices: int, n_colours: int = 4, mean_degree: float = 9.0, seed: int | None = 0) -> Formula:
    """Graph colouring as MaxSAT on a G(n, m) random graph: every vertex
    gets exactly one colour (hard), and each edge whose ends share a colour
    costs 1 (soft).

    Variable ``v * n_colours + c + 1`` is "vertex v has colour c". Hard: per
    vertex one at-least-one clause and the pairwise at-most-one clauses;
    soft: per edge and colour (-x_uc, -x_vc) with weight 1.
    """
    if n_vertices < 1 or n_colours < 1:
        raise ValueError("n_vertices and n_colours must be >= 1")
    rng = np.random.default_rng(seed)
    k = n_colours
    n_edges = int(round(mean_degree * n_vertices / 2))
    if n_vertices > 1:
        ends = np.sort(rng.integers(0, n_vertices, size=(int(n_edges * 1.1) + 16, 2)), axis=1)
        ends = ends[ends[:, 0] != ends[:, 1]]
        codes = rng.permutation(np.unique(ends[:, 0] * n_vertices + ends[:, 1]))[:n_edges]
        edges = np.stack([codes // n_vertices, codes % n_vertices], axis=1)
    else:
        edges = np.zeros((0, 2), np.int64)
    var = np.arange(n_vertices * k).reshape(n_vertices, k) + 1       # var[v, c]
    c1, c2 = np.triu_indices(k, 1)
    at_most_one = -np.stack([var[:, c1], var[:, c2]], axis=2).reshape(-1, 2)
    conflicts = -np.stack([var[edges[:, 0]], var[edges[:, 1]]], axis=2).reshape(-1, 2)
    indptr, lits, weights, hard = _csr([(var, 0, True), (at_most_one, 0, True), (conflicts, 1, False)])
    return Formula(n_vertices * k, indptr, lits, weights, hard, weighted=True)


STRUCTURED_FAMILIES = ("mis", "setcover", "colouring")


def structured_family(name: str, n_vars: int, seed: int | None = 0) -> Formula:
    """An instance of a structured family with about ``n_vars`` variables:
    "mis" (:func:`weighted_mis`), "setcover" (:func:`weighted_set_cover`) or
    "colouring" (:func:`graph_colouring`, 4 colours: ``n_vars // 4`` vertices)."""
    if name == "mis":
        return weighted_mis(n_vars, seed=seed)
    if name == "setcover":
        return weighted_set_cover(n_vars, seed=seed)
    if name == "colouring":
        return graph_colouring(max(1, n_vars // 4), n_colours=4, seed=seed)
    raise ValueError(f"unknown family {name!r}; choose one of: {', '.join(STRUCTURED_FAMILIES)}")


# ------------------------------------------------------- hard for core-guided search
# Small formulas on which RC2 cannot finish in seconds: what the answer contract is
# tested on (a first try that cannot finish must still end on time).

def random_weighted_maxsat(n_vars: int, ratio: float = 6.0, k: int = 3, levels: int = 5,
                           seed: int | None = 0) -> Formula:
    """Random weighted MAX-k-SAT, all clauses soft, weights from ``levels`` levels (powers of 3)."""
    f = random_ksat(n_vars, ratio=ratio, k=k, seed=seed)
    rng = np.random.default_rng(None if seed is None else seed + 7919)
    weights = 3 ** rng.integers(0, max(1, levels), size=f.n_clauses)
    return Formula(n_vars, f.indptr, f.literals, weights.astype(np.int64), weighted=True)


def ramsey_formula(n_vertices: int = 10, levels: int = 3, seed: int | None = 0) -> Formula:
    """Weighted Ramsey-like MaxSAT: one variable per edge of K_n (its colour); for every
    triangle, two soft clauses ask that it is not all one colour and not all the other,
    with weights from ``levels`` levels."""
    from itertools import combinations

    index = {e: i + 1 for i, e in enumerate(combinations(range(n_vertices), 2))}
    tri = np.array([[index[(a, b)], index[(a, c)], index[(b, c)]]
                    for a, b, c in combinations(range(n_vertices), 3)], dtype=np.int64).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    lits = np.concatenate([tri, -tri])
    weights = 2 ** rng.integers(0, max(1, levels), size=lits.shape[0])
    indptr = np.arange(0, lits.size + 1, 3, dtype=np.int64)
    return Formula(len(index), indptr, lits.ravel(), weights.astype(np.int64), weighted=True)


def weighted_clique(n_vertices: int = 60, density: float = 0.5, levels: int = 20,
                    seed: int | None = 0) -> Formula:
    """Weighted maximum clique on G(n, p): two non-adjacent vertices are not both chosen
    (hard), each vertex chosen is worth its weight (soft, ``levels`` distinct weights)."""
    rng = np.random.default_rng(seed)
    u, v = np.triu_indices(n_vertices, 1)
    missing = rng.random(u.size) >= density
    hard = -np.stack([u[missing], v[missing]], axis=1) - 1
    weights = rng.integers(1, max(1, levels) + 1, size=n_vertices) * 7
    soft = np.arange(1, n_vertices + 1, dtype=np.int64).reshape(-1, 1)
    indptr, lits, w, is_hard = _csr([(hard.astype(np.int64), 0, True), (soft, weights, False)])
    return Formula(n_vertices, indptr, lits, w, is_hard, weighted=True)


def many_level_partial(n_vars: int = 120, levels: int = 40, seed: int | None = 0) -> Formula:
    """Weighted partial MaxSAT with many weight levels: random 3-clauses hard (ratio 2),
    unit and binary soft clauses with ``levels`` distinct weights."""
    f = random_weighted_partial(n_vars, n_hard=2 * n_vars, n_soft=4 * n_vars, max_weight=1, seed=seed)
    rng = np.random.default_rng(None if seed is None else seed + 104729)
    weights = np.where(f.hard, 0, rng.integers(1, max(1, levels) + 1, size=f.n_clauses) * 11)
    return Formula(n_vars, f.indptr, f.literals, weights.astype(np.int64), f.hard, weighted=True)
