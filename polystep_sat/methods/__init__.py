"""The search methods, one module each, and their registry.

Adding a method is adding a file here and a line to ``METHODS``. Modules are
imported lazily, so the core import stays light:

* ``auto``               the default: the PolyStep pipeline, with the SAT side (:mod:`polystep_sat.portfolio`)
                         beside it up to 5M literals;
* ``polystep_pipeline``  PolyStep on the relaxed formula, rounding, local-search polish;
* ``walksat``            WalkSAT, a numba flip loop (the pipeline's polish on plain MAX-SAT);
* ``cwls``               a clause-weighting local search (dynamic clause weights, as in
                         SATLike/NuWLS; the pipeline's polish on weighted and partial MaxSAT);
* ``es``                 OpenAI-ES and CMA-ES on the relaxed formula;
* ``exact``              PySAT's RC2 (complete, small instances);
* ``random_baseline``    the best of random assignments.

A method is a function ``run(formula, ctx, **options) -> None`` that searches
until ``ctx.should_stop()`` (or until it is done) and offers every candidate
through ``ctx.report(...)``. ``solve`` takes the best reported assignment,
verifies it independently and builds the Result.

``complete`` methods prove optimality when they finish (status OPTIMUM FOUND).
"""

from __future__ import annotations

import importlib

# name -> (module, function, complete?)
METHODS = {
    "auto": ("polystep_sat.methods.auto", "run_auto", False),
    "polystep": ("polystep_sat.methods.polystep_pipeline", "run_polystep", False),
    "walksat": ("polystep_sat.methods.walksat", "run_walksat", False),
    "cwls": ("polystep_sat.methods.cwls", "run_cwls", False),
    "openai-es": ("polystep_sat.methods.es", "run_openai_es", False),
    "cma-es": ("polystep_sat.methods.es", "run_cma_es", False),
    "random": ("polystep_sat.methods.random_baseline", "run_random", False),
    "exact": ("polystep_sat.methods.exact", "run_exact", True),
}

DEFAULT_METHOD = "auto"


def get_method(name: str):
    """Return ``(function, complete)`` for a method name."""
    key = name.lower().replace("_", "-")
    if key not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose one of: {', '.join(METHODS)}")
    module, func, complete = METHODS[key]
    return getattr(importlib.import_module(module), func), complete
