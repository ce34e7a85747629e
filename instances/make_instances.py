"""Rebuild the bundled instances and their known optima (instances/optima.json).

    python instances/make_instances.py

Deterministic: fixed seeds. Optima come from PySAT's RC2 (exact); the
satisfiable random 3-SAT instances are checked satisfiable with a SAT solver.
"""

import json
from pathlib import Path

import networkx as nx
from pysat.solvers import Solver

from polystep_sat.dimacs import write_dimacs
from polystep_sat.generate import maxcut_formula, random_ksat, random_weighted_partial
from polystep_sat.verify import optimum

HERE = Path(__file__).resolve().parent


def satisfiable_ksat(n, m, seed):
    """First seed >= ``seed`` whose random 3-SAT instance is satisfiable."""
    while True:
        f = random_ksat(n, n_clauses=m, seed=seed)
        with Solver(name="cadical153", bootstrap_with=list(f.clauses())) as s:
            if s.solve():
                return f
        seed += 1


def main():
    instances = {
        "uf50-218-01.cnf": satisfiable_ksat(50, 218, 1),
        "uf100-430-01.cnf": satisfiable_ksat(100, 430, 1),
        "max3sat-40-240.cnf": random_ksat(40, 6.0, seed=7),
        "maxcut-gnp30.cnf": maxcut_formula(nx.gnp_random_graph(30, 0.3, seed=1)),
        "wpms-40.wcnf": random_weighted_partial(40, 120, 80, seed=3),
    }
    optima = {}
    for name, f in instances.items():
        write_dimacs(f, HERE / name)
        cost, _ = optimum(f, time_limit=300)
        optima[name] = {"n_vars": f.n_vars, "n_clauses": f.n_clauses, "optimum": cost}
        print(name, optima[name])
    (HERE / "optima.json").write_text(json.dumps(optima, indent=1) + "\n")


if __name__ == "__main__":
    main()
