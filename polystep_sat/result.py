"""The Result every method returns, with named fields (like scipy's OptimizeResult)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# MaxSAT Evaluation status words and exit codes.
OPTIMUM = "OPTIMUM FOUND"
SATISFIABLE = "SATISFIABLE"
UNSATISFIABLE = "UNSATISFIABLE"
UNKNOWN = "UNKNOWN"
EXIT_CODES = {OPTIMUM: 30, SATISFIABLE: 10, UNSATISFIABLE: 20, UNKNOWN: 0}


@dataclass
class Result:
    """Outcome of ``solve``.

    assignment : bool array, ``assignment[i]`` is the value of variable ``i + 1``
        (None when no assignment satisfying the hard clauses was found).
    cost : total weight of falsified soft clauses (exact Python int).
    n_unsat : number of falsified soft clauses.
    n_hard_unsat : number of falsified hard clauses (0 in any returned answer
        whose status is OPTIMUM FOUND or SATISFIABLE).
    status : one of the MaxSAT Evaluation words, see ``EXIT_CODES``.
    verified : True when ``verify`` re-evaluated the assignment independently
        and found exactly the claimed cost.
    satisfied_fraction : satisfied soft clauses / soft clauses (1.0 if none).
    timings : seconds per phase (parse, search, round, polish, verify, ...).
    trace : list of ``(seconds, cost)`` each time the best improved.
    optimum : the exact optimum when it was computed (small instances), else None.
    lower_bound : a proven lower bound on the cost (the optimum, when the
        exact side proved it), else None; ``gap`` is cost minus it.
    found_by : "search" or "sat" (the SAT side of the default method): which
        side found the returned assignment.
    """

    assignment: np.ndarray | None
    cost: int | None
    n_unsat: int | None
    n_hard_unsat: int | None
    status: str
    verified: bool
    method: str
    n_vars: int
    n_clauses: int
    satisfied_fraction: float | None = None
    seed: int | None = None
    timings: dict = field(default_factory=dict)
    trace: list = field(default_factory=list)
    optimum: int | None = None
    info: dict = field(default_factory=dict)
    lower_bound: int | None = None
    found_by: str | None = None

    @property
    def model(self):
        """Signed literals, PySAT style: ``[1, -2, 3, ...]``."""
        if self.assignment is None:
            return None
        v = np.arange(1, self.assignment.size + 1, dtype=np.int64)
        return np.where(self.assignment, v, -v).tolist()

    @property
    def success(self) -> bool:
        return self.status in (OPTIMUM, SATISFIABLE) and self.verified

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def gap(self):
        """cost - optimum when the optimum is known, else cost - the proven lower bound."""
        known = self.optimum if self.optimum is not None else self.lower_bound
        if known is None or self.cost is None:
            return None
        return self.cost - known

    def to_dict(self, with_assignment: bool = False) -> dict:
        d = {
            "method": self.method, "status": self.status, "cost": self.cost,
            "n_unsat": self.n_unsat, "n_hard_unsat": self.n_hard_unsat,
            "verified": self.verified, "satisfied_fraction": self.satisfied_fraction,
            "n_vars": self.n_vars, "n_clauses": self.n_clauses, "seed": self.seed,
            "optimum": self.optimum, "lower_bound": self.lower_bound, "gap": self.gap,
            "found_by": self.found_by, "timings": self.timings,
            "trace": [[round(t, 6), c] for t, c in self.trace], "info": self.info,
        }
        if with_assignment:
            d["model"] = self.model
        return d

    def __repr__(self) -> str:
        return (f"Result(method={self.method!r}, status={self.status!r}, cost={self.cost}, "
                f"n_unsat={self.n_unsat}, satisfied_fraction={self.satisfied_fraction}, "
                f"verified={self.verified}, timings={ {k: round(v, 3) for k, v in self.timings.items()} })")
