"""DIMACS CNF and WCNF writing (read by :mod:`.dimacs`): a compiled formatting
kernel for large formulas, the same function interpreted for small ones."""

from __future__ import annotations

import io
import os

import numpy as np

from .dimacs_scan import INT64_MAX, _kernel
from .formula import Formula

# Below this many literals the formatting kernel runs interpreted: 0.4 s per
# 50k literals, against 0.5-1.5 s to import numba and load the cached kernel.
JIT_MIN_LITERALS = 50_000


def _format_clauses(indptr, lits, weights, hard, c0, c1, mode, top, out):
    """Write clauses c0..c1 as DIMACS text into ``out``; return the byte count.

    mode 0: ``lits 0``; 1: new WCNF (``h`` or weight first); 2: old WCNF
    (``top`` for hard clauses). Runs compiled or interpreted, like ``_scan``.
    """
    p = 0
    for c in range(c0, c1):
        k0 = int(indptr[c])
        k1 = int(indptr[c + 1])
        # tokens: the weight (WCNF), the literals, the closing 0
        for k in range(k0 - 1 if mode != 0 else k0, k1 + 1):
            if k < k0:
                if hard[c]:
                    if mode == 1:
                        out[p] = 104  # 'h'
                        out[p + 1] = 32
                        p += 2
                        continue
                    v = top
                else:
                    v = int(weights[c])
            elif k < k1:
                v = int(lits[k])
            else:
                v = 0
            if v < 0:
                out[p] = 45
                p += 1
                v = -v
            nd = 1
            t = v // 10
            while t > 0:
                t //= 10
                nd += 1
            q = p + nd
            while True:
                q -= 1
                out[q] = 48 + v % 10
                v //= 10
                if v == 0:
                    break
            p += nd
            out[p] = 10 if k == k1 else 32
            p += 1
    return p


_WRITE_FORMATS = {"cnf": 0, "wcnf": 1, "wcnf-new": 1, "wcnf-old": 2}


def write_dimacs(formula: Formula, path_or_file, *, fmt: str | None = None) -> None:
    """Write a formula as DIMACS text.

    Parameters
    ----------
    formula : the Formula.
    path_or_file : a path (compressed when it ends in .gz, .bz2 or .xz) or an
        open binary (or text) file.
    fmt : "cnf", "wcnf" (the new format: ``h`` lines and ``w lits 0``) or
        "wcnf-old" (``p wcnf NV NC TOP``). Default: "cnf" for a plain
        formula, "wcnf" for a weighted or partial one.

    Notes
    -----
    The new format has no header, so a first comment line
    ``c polystep-sat n_vars N`` records the variable count, which
    :func:`read_dimacs` honours; other tools ignore it.
    """
    if fmt is None:
        fmt = "wcnf" if (formula.weighted or formula.is_partial) else "cnf"
    if fmt not in _WRITE_FORMATS:
        raise ValueError(f"fmt must be one of {sorted(_WRITE_FORMATS)}, got {fmt!r}")
    mode = _WRITE_FORMATS[fmt]
    m = formula.n_clauses
    if mode == 0:
        if formula.is_partial or np.any(formula.weights != 1):
            raise ValueError("a 'p cnf' file cannot hold hard clauses or weights other than 1; "
                             "use fmt='wcnf' or fmt='wcnf-old'")
        header = f"p cnf {formula.n_vars} {m}\n"
        top = 0
    elif mode == 1:
        header = f"c polystep-sat n_vars {formula.n_vars}\n"
        top = 0
    else:
        soft = formula.weights[~formula.hard]
        top = formula.total_soft_weight + 1
        if top > INT64_MAX:  # any value above every soft weight marks hard clauses
            top = int(soft.max()) + 1 if soft.size else 1
            if top > INT64_MAX:
                raise ValueError("a soft weight of 2**63-1 leaves no room for TOP in the old WCNF format; "
                                 "use fmt='wcnf'")
        header = f"p wcnf {formula.n_vars} {m} {top}\n"

    if isinstance(path_or_file, (str, os.PathLike)):
        name = os.fspath(path_or_file)
        low = name.lower()
        if low.endswith(".gz"):
            import gzip
            f = gzip.open(name, "wb", compresslevel=6)
        elif low.endswith(".bz2"):
            import bz2
            f = bz2.open(name, "wb")
        elif low.endswith(".xz"):
            import lzma
            f = lzma.open(name, "wb")
        else:
            f = open(name, "wb")
        with f:
            _write_body(formula, f, header, mode, top)
    else:
        _write_body(formula, path_or_file, header, mode, top)


def _write_body(formula, f, header, mode, top):
    text = isinstance(f, io.TextIOBase)

    def emit(b):
        f.write(b.decode("ascii") if text else b)

    emit(header.encode("ascii"))
    indptr, lits = formula.indptr, formula.literals
    m = formula.n_clauses
    jit = lits.size >= JIT_MIN_LITERALS
    fmt_kernel = _kernel(_format_clauses, jit)
    # Chunks of at most ~256k clauses / ~1M literals: a bounded buffer, few
    # kernel calls, and control back to Python (signals) every few ms.
    c0 = 0
    out = None
    while c0 < m:
        c1 = min(m, c0 + 262_144)
        if indptr[c1] - indptr[c0] > 1_048_576:
            c1 = max(c0 + 1, int(np.searchsorted(indptr, indptr[c0] + 1_048_576, side="right")) - 1)
        need = (c1 - c0) * 24 + int(indptr[c1] - indptr[c0]) * 12
        if out is None or len(out) < need:
            out = np.empty(need, dtype=np.uint8) if jit else bytearray(need)
        k = fmt_kernel(indptr, lits, formula.weights, formula.hard, c0, c1, mode, top, out)
        emit(bytes(out[:k]))
        c0 = c1
