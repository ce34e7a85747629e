"""The Formula: one MaxSAT instance in compressed sparse row (CSR) form.

Clause ``i`` is ``literals[indptr[i]:indptr[i + 1]]``, literals signed DIMACS
style (``+v`` / ``-v``, variables numbered from 1). Every clause has an integer
weight; ``hard[i]`` marks the hard clauses of partial MaxSAT, whose entry in
``weights`` is 0 and carries no meaning. A plain CNF is a formula whose
clauses are all soft with weight 1 (MAX-SAT).

The sparse views (clause x variable matrix, variable -> clauses) are built on
first use and cached: most callers never need them.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

INT32_MAX = np.iinfo(np.int32).max


def exact_weight_sum(weights: np.ndarray) -> int:
    """Sum non-negative int64 weights exactly, as a Python int.

    A total may exceed 2**63 (and even 2**64), so the sum is split into the
    low and high 32-bit halves, each of which fits an int64 for any
    realistic number of clauses.
    """
    w = np.asarray(weights, dtype=np.int64)
    if w.size == 0:
        return 0
    low = int(np.sum(w & 0xFFFFFFFF, dtype=np.int64))
    high = int(np.sum(w >> 32, dtype=np.int64))
    return (high << 32) + low


class Formula:
    """A (weighted, partial) MaxSAT formula in CSR form.

    Parameters
    ----------
    n_vars : number of variables (may exceed the largest variable used).
    indptr : clause boundaries, length ``n_clauses + 1``.
    literals : flat signed literals.
    weights : soft-clause weights (int64, >= 0); default all 1.
    hard : hard-clause mask; default none hard.
    weighted : whether the instance came as WCNF (affects output only).

    check : validate ``indptr`` and ``literals`` (monotone, no literal 0, none
        beyond ``n_vars``). The DIMACS reader, which guarantees all three,
        skips it: at 128M literals the checks' temporaries cost ~1 GB and 0.5 s.

    ``warnings``: what the reader tolerated in the file (header counts that
    disagree with it), one line each; empty for a formula built any other way.
    """

    warnings: tuple | list = ()

    def __init__(self, n_vars, indptr, literals, weights=None, hard=None, *, weighted=False, check=True):
        self.n_vars = int(n_vars)
        literals = np.asarray(literals)
        idx_type = np.int32 if literals.size <= INT32_MAX else np.int64
        self.indptr = np.ascontiguousarray(indptr, dtype=idx_type)
        self.literals = np.ascontiguousarray(literals, dtype=np.int32)
        m = self.indptr.size - 1
        if m < 0 or self.indptr[0] != 0 or self.indptr[-1] != self.literals.size:
            raise ValueError("indptr must start at 0 and end at len(literals)")
        if check and np.any(np.diff(self.indptr) < 0):
            raise ValueError("indptr must be non-decreasing")
        if check and self.literals.size:
            if np.any(self.literals == 0):
                raise ValueError("literal 0 is not allowed (it terminates clauses in DIMACS)")
            if int(np.abs(self.literals).max()) > self.n_vars:
                raise ValueError(f"a literal exceeds n_vars={self.n_vars}")
        self.hard = np.zeros(m, dtype=bool) if hard is None else np.ascontiguousarray(hard, dtype=bool)
        if weights is None:
            self.weights = np.ones(m, dtype=np.int64)
        else:
            self.weights = np.ascontiguousarray(weights, dtype=np.int64)
        if self.weights.shape != (m,) or self.hard.shape != (m,):
            raise ValueError("weights and hard must have one entry per clause")
        if weights is not None and np.any(self.weights < 0):
            raise ValueError("weights must be non-negative")
        if hard is not None:
            self.weights[self.hard] = 0
        self.weighted = bool(weighted)

    # ------------------------------------------------------------------ build
    @classmethod
    def from_clauses(cls, clauses, n_vars=None, weights=None, hard=None, *, weighted=False):
        """Build from an iterable of clauses (iterables of non-zero ints)."""
        clauses = [list(map(int, c)) for c in clauses]
        lengths = np.fromiter((len(c) for c in clauses), dtype=np.int64, count=len(clauses))
        indptr = np.zeros(len(clauses) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        flat = np.fromiter((lit for c in clauses for lit in c), dtype=np.int64, count=int(indptr[-1]))
        if flat.size and (np.abs(flat).max() > INT32_MAX):
            raise ValueError("variable index does not fit in 32 bits")
        used = int(np.abs(flat).max()) if flat.size else 0
        if n_vars is None:
            n_vars = used
        elif n_vars < used:
            raise ValueError(f"n_vars={n_vars} but variable {used} is used")
        return cls(n_vars, indptr, flat, weights, hard, weighted=weighted)

    @classmethod
    def from_pysat(cls, obj):
        """Build from a ``pysat.formula.CNF`` or ``WCNF``."""
        if hasattr(obj, "soft") and hasattr(obj, "hard"):  # WCNF
            clauses = list(obj.hard) + list(obj.soft)
            nh = len(obj.hard)
            hard = np.zeros(len(clauses), dtype=bool)
            hard[:nh] = True
            weights = np.zeros(len(clauses), dtype=np.int64)
            weights[nh:] = np.asarray(obj.wght, dtype=np.int64) if obj.soft else []
            return cls.from_clauses(clauses, max(obj.nv, 0), weights, hard, weighted=True)
        return cls.from_clauses(obj.clauses, max(obj.nv, 0))

    # ------------------------------------------------------------- accessors
    @property
    def n_clauses(self) -> int:
        return self.indptr.size - 1

    @property
    def n_literals(self) -> int:
        return self.literals.size

    @property
    def n_hard(self) -> int:
        return int(self.hard.sum())

    @property
    def n_soft(self) -> int:
        return self.n_clauses - self.n_hard

    @property
    def total_soft_weight(self) -> int:
        return exact_weight_sum(self.weights)

    @property
    def is_partial(self) -> bool:
        return bool(self.hard.any())

    def clause(self, i: int) -> np.ndarray:
        """Literals of clause ``i`` (a view)."""
        return self.literals[self.indptr[i]:self.indptr[i + 1]]

    def clauses(self):
        """Iterate over clauses as Python lists (slow; for small formulas)."""
        lits = self.literals.tolist()
        ptr = self.indptr.tolist()
        for i in range(self.n_clauses):
            yield lits[ptr[i]:ptr[i + 1]]

    @cached_property
    def clause_lengths(self) -> np.ndarray:
        return np.diff(self.indptr).astype(np.int32)

    @cached_property
    def matrix(self):
        """Signed clause x variable matrix (scipy ``csr_array``, int8, +1/-1).

        Built straight from the CSR arrays (no COO round trip). A literal
        repeated in a clause is summed; a tautology's two entries cancel.
        """
        import scipy.sparse as sp

        data = np.where(self.literals > 0, 1, -1).astype(np.int8)
        cols = (np.abs(self.literals) - 1).astype(self.indptr.dtype)
        return sp.csr_array((data, cols, self.indptr), shape=(self.n_clauses, self.n_vars))

    @cached_property
    def var_clauses(self):
        """Variable -> clauses view: the signed matrix in CSC form.

        ``var_clauses.indptr[v]:var_clauses.indptr[v+1]`` over ``indices``
        lists the clauses in which variable ``v + 1`` occurs, ``data`` the sign.
        """
        return self.matrix.tocsc()

    @cached_property
    def clause_of_literal(self) -> np.ndarray:
        """Clause index of each position in ``literals`` (int32)."""
        return np.repeat(np.arange(self.n_clauses, dtype=np.int32), self.clause_lengths)

    @cached_property
    def variable_index(self) -> np.ndarray:
        """0-based variable of each literal position (int32)."""
        return (np.abs(self.literals) - 1).astype(np.int32)

    @cached_property
    def literal_is_positive(self) -> np.ndarray:
        return self.literals > 0

    @cached_property
    def negatives_per_clause(self) -> np.ndarray:
        """Number of negative literals in each clause (for A @ x counting)."""
        neg = self.clause_of_literal[self.literals < 0]
        return np.bincount(neg, minlength=self.n_clauses).astype(np.int32)

    # ------------------------------------------------------------ conversion
    def to_pysat(self):
        """Return a ``pysat.formula.WCNF`` (partial/weighted) or ``CNF``."""
        from pysat.formula import CNF, WCNF

        if self.weighted or self.is_partial:
            w = WCNF()
            for clause, h, wt in zip(self.clauses(), self.hard.tolist(), self.weights.tolist()):
                if h:
                    w.append(clause)
                else:
                    w.append(clause, weight=wt)
            w.nv = max(w.nv, self.n_vars)
            return w
        c = CNF(from_clauses=list(self.clauses()))
        c.nv = max(c.nv, self.n_vars)
        return c

    def __repr__(self) -> str:
        kind = "partial " if self.is_partial else ""
        kind += "weighted " if self.weighted else ""
        return (f"Formula({kind}n_vars={self.n_vars}, n_clauses={self.n_clauses}, "
                f"n_hard={self.n_hard}, n_literals={self.n_literals})")

