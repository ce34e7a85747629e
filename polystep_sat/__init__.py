"""polystep-sat: MAX-SAT and weighted/partial MaxSAT with PolyStep.

    from polystep_sat import solve, read_dimacs
    res = solve("instances/uf50-218.cnf", time_limit=5, seed=1)

Names are imported lazily (PEP 562) so that ``import polystep_sat`` and the
command line start fast.
"""

__version__ = "0.1.0"

_EXPORTS = {
    "solve": "polystep_sat.solver",
    "Formula": "polystep_sat.formula",
    "as_formula": "polystep_sat.inputs",
    "read_dimacs": "polystep_sat.dimacs",
    "write_dimacs": "polystep_sat.dimacs",
    "DimacsError": "polystep_sat.dimacs",
    "verify": "polystep_sat.verify",
    "evaluate": "polystep_sat.verify",
    "optimum": "polystep_sat.verify",
    "Result": "polystep_sat.result",
    "SearchContext": "polystep_sat.context",
    "METHODS": "polystep_sat.methods",
}

__all__ = sorted(_EXPORTS)

def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'polystep_sat' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
