"""Registry of solving methods, imported lazily so the core import stays light.

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
    "polystep": ("polystep_sat.pipeline", "run_polystep", False),
    "walksat": ("polystep_sat.walksat", "run_walksat", False),
    "openai-es": ("polystep_sat.es", "run_openai_es", False),
    "cma-es": ("polystep_sat.es", "run_cma_es", False),
    "random": ("polystep_sat.baseline_random", "run_random", False),
    "exact": ("polystep_sat.exact", "run_exact", True),
}

DEFAULT_METHOD = "polystep"


def get_method(name: str):
    """Return ``(function, complete)`` for a method name."""
    key = name.lower().replace("_", "-")
    if key not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose one of: {', '.join(METHODS)}")
    module, func, complete = METHODS[key]
    return getattr(importlib.import_module(module), func), complete
