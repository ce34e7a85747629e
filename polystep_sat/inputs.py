"""What users hand to ``solve``, turned into a :class:`~polystep_sat.formula.Formula`.

Kept apart from ``formula`` so that the formula never imports its reader:
``dimacs`` builds Formulas, and this module sits above both.
"""

from __future__ import annotations

import os

from .dimacs import read_dimacs
from .formula import Formula


def as_formula(cnf) -> Formula:
    """Coerce what users pass to ``solve``: a path, a Formula, a list of
    clauses, or a PySAT ``CNF``/``WCNF``."""
    if isinstance(cnf, Formula):
        return cnf
    if isinstance(cnf, (str, os.PathLike)):
        return read_dimacs(cnf)
    if hasattr(cnf, "clauses") and hasattr(cnf, "nv") or hasattr(cnf, "soft"):
        return Formula.from_pysat(cnf)
    if isinstance(cnf, (list, tuple)):
        return Formula.from_clauses(cnf)
    raise TypeError(
        "expected a path, a Formula, a list of clauses or a pysat CNF/WCNF, "
        f"got {type(cnf).__name__}")
