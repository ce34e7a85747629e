"""Structured instance generators: their shape, their optima, their seeds, the CLI."""

import itertools
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

from polystep_sat.dimacs import read_dimacs
from polystep_sat.generate import graph_colouring, power_law_graph, weighted_mis, weighted_set_cover
from polystep_sat.verify import evaluate, optimum


def _brute_force(f):
    best = None
    for bits in itertools.product([False, True], repeat=f.n_vars):
        ev = evaluate(f, np.array(bits))
        if ev.n_hard_unsat == 0 and (best is None or ev.cost < best):
            best = ev.cost
    return best


def test_power_law_graph_is_simple_and_heavy_tailed():
    edges = power_law_graph(20_000, mean_degree=6.0, seed=1)
    assert edges.shape[1] == 2 and np.all(edges[:, 0] < edges[:, 1])
    assert np.unique(edges[:, 0] * 20_000 + edges[:, 1]).size == len(edges)
    deg = np.bincount(edges.ravel(), minlength=20_000)
    assert abs(deg.mean() - 6.0) < 0.3
    assert deg.max() > 20 * deg.mean()  # hubs, unlike a G(n, p) graph


def test_weighted_mis_shape_and_optimum():
    f = weighted_mis(500, max_weight=50, seed=3)
    soft = ~f.hard
    assert f.n_vars == 500 and soft.sum() == 500
    assert np.all((f.weights[soft] >= 1) & (f.weights[soft] <= 50))
    assert np.all(f.clause_lengths[f.hard] == 2) and np.all(f.literals[f.indptr[:-1][f.hard]] < 0)
    small = weighted_mis(14, seed=5)
    g = nx.Graph()
    g.add_nodes_from(range(14))
    for c in small.clauses():
        if len(c) == 2:
            g.add_edge(-c[0] - 1, -c[1] - 1)
    weights = small.weights[~small.hard]
    # cost = weight left out = total - the heaviest independent set (a clique of the complement)
    best_set = max(sum(int(weights[v]) for v in clique) for clique in nx.find_cliques(nx.complement(g)))
    assert optimum(small)[0] == int(weights.sum()) - best_set == _brute_force(small)


def test_weighted_set_cover_covers_every_element():
    f = weighted_set_cover(300, n_sets=200, seed=2)
    hard = [c for c, h in zip(f.clauses(), f.hard) if h]
    assert len(hard) == 300 and all(len(c) >= 1 and min(c) > 0 for c in hard)
    sizes = np.bincount(np.concatenate(hard) - 1, minlength=200)
    assert sizes.min() >= 1 and f.n_vars == 200
    assert np.all(evaluate(f, np.ones(200, bool)).n_hard_unsat == 0)  # choosing all sets covers all
    small = weighted_set_cover(10, n_sets=12, seed=4)
    assert optimum(small)[0] == _brute_force(small)


def test_graph_colouring_exactly_one_colour_and_conflicts():
    f = graph_colouring(6, n_colours=3, mean_degree=3.0, seed=1)
    assert f.n_vars == 18
    at_least = [c for c, h in zip(f.clauses(), f.hard) if h and len(c) == 3]
    assert len(at_least) == 6 and f.n_hard == 6 + 6 * 3
    assert np.all(f.weights[~f.hard] == 1)
    a = np.zeros(18, bool)
    a[0::3] = True  # every vertex colour 0: every edge conflicts once
    ev = evaluate(f, a)
    assert ev.n_hard_unsat == 0 and ev.cost == f.n_soft // 3
    a[:] = False
    assert evaluate(f, a).n_hard_unsat == 6  # no colour at all
    small = graph_colouring(4, n_colours=3, mean_degree=3.0, seed=1)
    assert optimum(small)[0] == _brute_force(small)


@pytest.mark.parametrize("gen, n", [(weighted_mis, 300), (weighted_set_cover, 300), (graph_colouring, 80)])
def test_seeds_reproduce_and_differ(gen, n):
    a, b, c = gen(n, seed=1), gen(n, seed=1), gen(n, seed=2)
    assert np.array_equal(a.literals, b.literals) and np.array_equal(a.weights, b.weights)
    assert not (np.array_equal(a.literals, c.literals) and np.array_equal(a.weights, c.weights))


@pytest.mark.parametrize("kind, extra", [("mis", []), ("setcover", []), ("colouring", ["--colours", "3"])])
def test_cli_generate_round_trip(tmp_path, kind, extra):
    out = tmp_path / f"{kind}.wcnf"
    p = subprocess.run([sys.executable, "-m", "polystep_sat.cli", "generate", kind, "--vars", "10", "--seed", "3",
                        *extra, "-o", str(out)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    f = read_dimacs(out)
    want = {"mis": weighted_mis(10, seed=3), "setcover": weighted_set_cover(10, seed=3),
            "colouring": graph_colouring(10, n_colours=3, seed=3)}[kind]
    assert f.n_vars == want.n_vars and np.array_equal(f.literals, want.literals)
    assert np.array_equal(f.weights, want.weights) and np.array_equal(f.hard, want.hard)


def test_structured_family_by_name():
    from polystep_sat.generate import STRUCTURED_FAMILIES, structured_family

    sizes = {name: structured_family(name, 400, seed=1).n_vars for name in STRUCTURED_FAMILIES}
    assert sizes == {"mis": 400, "setcover": 400, "colouring": 400}
    assert np.array_equal(structured_family("mis", 400, seed=1).literals, weighted_mis(400, seed=1).literals)
    with pytest.raises(ValueError, match="unknown family"):
        structured_family("sudoku", 10)
