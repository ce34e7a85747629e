"""Clauses cleaned for local search, and literal -> clause occurrence lists.

Shared by the local searches (WalkSAT, the clause-weighting search): repeated
literals are dropped, and each clause is classified as a tautology (always
satisfied), empty (always falsified) or normal. A literal is coded
``2 * var + neg``; the occurrence lists of both polarities of a variable sit
side by side.

At 10M variables this set-up takes 15-20 s on a 2-core machine, so it runs in
slices of about CHUNK_LITERALS literals and asks ``stop()`` between them: a
deadline or a signal ends it within a fraction of a second
(:class:`SetupInterrupted`), not when it is done.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..formula import exact_weight_sum

# Literals per slice of the set-up (~0.1 s each on a 2-core machine).
CHUNK_LITERALS = 1 << 22
# Clauses up to this length are deduplicated by pairwise comparison (no random
# access); longer ones with a per-variable stamp.
_SHORT = 8


@njit(cache=True, nogil=True)  # long at 10M variables: the signal-handling thread must run
def _seen_before(literals, lo, j):
    """-1: literal j is new in literals[lo:j]; 0: repeated; 1: its negation occurs (tautology)."""
    lit = literals[j]
    out = -1
    for q in range(lo, j):
        if literals[q] == lit:
            return 0
        if literals[q] == -lit:
            out = 1
    return out


@njit(cache=True, nogil=True)  # nogil: the signal-handling thread must run
def _classify_range(indptr, literals, i0, i1, stamp, sign, length, kind):
    """Distinct literal count and kind (0 tautology, 1 normal, 2 empty) of clauses i0..i1-1."""
    for i in range(i0, i1):
        lo, hi = indptr[i], indptr[i + 1]
        taut = False
        cnt = 0
        if hi - lo <= _SHORT:
            for j in range(lo, hi):
                r = _seen_before(literals, lo, j)
                if r == 1:
                    taut = True
                elif r == -1:
                    cnt += 1
        else:
            for j in range(lo, hi):
                lit = literals[j]
                v = abs(lit) - 1
                s = 1 if lit < 0 else 0
                if stamp[v] == i:
                    if sign[v] != s:
                        taut = True
                else:
                    stamp[v] = i
                    sign[v] = s
                    cnt += 1
        length[i] = cnt
        kind[i] = 0 if taut else (2 if cnt == 0 else 1)


@njit(cache=True, nogil=True)
def _fill_range(indptr, literals, active_idx, a0, a1, cptr, clits, owner, stamp):
    """The cleaned literal codes of active clauses a0..a1-1, and the clause each belongs to."""
    for a in range(a0, a1):
        i = active_idx[a]
        lo, hi = indptr[i], indptr[i + 1]
        p = cptr[a]
        for j in range(lo, hi):
            lit = literals[j]
            v = abs(lit) - 1
            if hi - lo <= _SHORT:
                new = _seen_before(literals, lo, j) == -1
            else:
                new = stamp[v] != a
                stamp[v] = a
            if new:
                clits[p] = 2 * v + (1 if lit < 0 else 0)
                owner[p] = a
                p += 1


@njit(cache=True, nogil=True)
def _count_range(clits, p0, p1, optr, cnt, mask):
    """Occurrences per code, and per low-bits bucket of the radix sort's first pass."""
    # two loops: one loop doing both is ~10x slower
    for p in range(p0, p1):
        optr[clits[p] + 1] += 1
    for p in range(p0, p1):
        cnt[(clits[p] & mask) + 1] += 1


@njit(cache=True, nogil=True)
def _scatter_low(clits, owner, p0, p1, cnt, mask, tk, tv):
    """Radix pass 1: (code, clause) pairs by the low bits of the code (stable)."""
    for p in range(p0, p1):
        b = clits[p] & mask
        q = cnt[b]
        tk[q] = clits[p]
        tv[q] = owner[p]
        cnt[b] = q + 1


@njit(cache=True, nogil=True)
def _scatter_high(tk, tv, p0, p1, head, low, occ):
    """Radix pass 2: by the high bits, into the occurrence lists (stable)."""
    for p in range(p0, p1):
        b = tk[p] >> low
        q = head[b]
        occ[q] = tv[p]
        head[b] = q + 1


class SetupInterrupted(Exception):
    """A local search's set-up was stopped by its caller (a deadline or a signal)."""


def slices(ptr, chunk: int | None = None) -> list:
    """``(lo, hi)`` item ranges of about ``chunk`` (default CHUNK_LITERALS) literals
    each, for a CSR pointer ``ptr``."""
    chunk = CHUNK_LITERALS if chunk is None else chunk
    m = ptr.size - 1
    if m <= 0:
        return [(0, 0)]
    cuts = np.searchsorted(ptr, np.arange(chunk, int(ptr[-1]), chunk), side="left")
    edges = np.unique(np.concatenate(([0], cuts, [m]))).tolist()
    return list(zip(edges[:-1], edges[1:]))


def spans(n: int, step: int | None = None) -> list:
    """``(lo, hi)`` ranges of at most ``step`` (default CHUNK_LITERALS) items covering 0..n-1."""
    step = CHUNK_LITERALS if step is None else step
    return [(lo, min(lo + step, n)) for lo in range(0, n, step)]


def check_stop(stop) -> None:
    """Between two slices of a set-up: end it if ``stop()`` says so."""
    if stop is not None and stop():
        raise SetupInterrupted


def fresh(n: int, dtype, stop=None, fill=0) -> np.ndarray:
    """``n`` elements set to ``fill``, written 32 MB at a time with ``stop()`` asked
    between: in a virtual machine the first touch of fresh memory costs ~3 s a GB
    (measured here), too long for one step at 10M variables."""
    out = np.empty(n, dtype)
    for lo, hi in spans(n, max(1, (32 << 20) // out.itemsize)):
        check_stop(stop)
        out[lo:hi] = fill
    return out


def classify(n_vars, indptr, literals, stop=None):
    """Distinct literal count per clause, and its kind: 0 tautology, 1 normal, 2 empty."""
    m = indptr.size - 1
    stamp = fresh(n_vars, np.int64, stop, -1)
    sign = fresh(n_vars, np.int8, stop)
    length = fresh(m, np.int32, stop)
    kind = fresh(m, np.int8, stop)
    for i0, i1 in slices(indptr):
        check_stop(stop)
        _classify_range(indptr, literals, i0, i1, stamp, sign, length, kind)
    return length, kind


def active_clauses(formula, length, kind, stop=None):
    """The clauses a local search works on (normal, and hard or of positive weight),
    slice by slice: ``(active_idx, cptr, const_hard, const_cost, min_len, max_len)``,
    where ``cptr`` points into the cleaned literals, the constants are what the
    empty clauses cost (hard ones falsified; soft weight) and the lengths are the
    cleaned clauses' shortest and longest."""
    w, hard = formula.weights, formula.hard
    parts, const_hard, const_cost = [], 0, 0
    for i0, i1 in slices(formula.indptr):
        check_stop(stop)
        k, h, wt = kind[i0:i1], hard[i0:i1], w[i0:i1]
        empty = k == 2
        const_hard += int(np.count_nonzero(empty & h))
        const_cost += exact_weight_sum(wt[empty & ~h])
        parts.append(np.flatnonzero((k == 1) & (h | (wt > 0))) + i0)
    ma = sum(p.size for p in parts)
    active_idx = fresh(ma, np.int64, stop)
    a = 0
    for p in parts:
        active_idx[a:a + p.size] = p
        a += p.size
    del parts
    wide = formula.n_literals >= 2**31
    cptr = fresh(ma + 1, np.int64 if wide else np.int32, stop)
    offset = 0
    min_len, max_len = (np.iinfo(np.int32).max, 0) if ma else (0, 0)
    for a0, a1 in spans(ma, CHUNK_LITERALS // 4):
        check_stop(stop)
        lengths = length[active_idx[a0:a1]]
        min_len, max_len = min(min_len, int(lengths.min())), max(max_len, int(lengths.max()))
        cptr[a0 + 1:a1 + 1] = np.cumsum(lengths, dtype=np.int64) + offset
        offset = int(cptr[a1])
    return active_idx, cptr, const_hard, const_cost, min_len, max_len


def build(n_vars, indptr, literals, active_idx, cptr, clits, optr, occ, stop=None):
    """Fill the cleaned clause CSR (literal codes) and the literal -> clause lists.

    The occurrence lists are a stable sort of (code, clause) pairs by code, done
    as a two-pass LSD radix sort: each pass scatters into ~2**11 sequential
    streams, which stays in cache, where a direct scatter into ``occ`` would
    miss on nearly every write at 1M variables.
    """
    L = clits.size
    stamp = fresh(n_vars, np.int64, stop, -1)
    owner = np.empty(L, np.int32)            # written in order: each slice touches its own pages
    for a0, a1 in slices(cptr):
        check_stop(stop)
        _fill_range(indptr, literals, active_idx, a0, a1, cptr, clits, owner, stamp)
    del stamp
    bits = 1
    while (1 << bits) < 2 * n_vars:
        bits += 1
    low = bits // 2
    mask = (1 << low) - 1
    cnt = np.zeros((1 << low) + 1, np.int64)
    parts = spans(L)
    for p0, p1 in parts:
        check_stop(stop)
        _count_range(clits, p0, p1, optr, cnt, mask)
    np.cumsum(optr, out=optr)
    np.cumsum(cnt, out=cnt)
    tk = fresh(L, np.int32, stop)            # scattered into: touched beforehand, in slices
    tv = fresh(L, np.int32, stop)
    for p0, p1 in parts:
        check_stop(stop)
        _scatter_low(clits, owner, p0, p1, cnt, mask, tk, tv)
    del owner
    # pass 2: by the high bits; the start of each high bucket is optr's
    nb = (2 * n_vars >> low) + 1
    head = optr[np.minimum(np.arange(nb, dtype=np.int64) << low, 2 * n_vars)].astype(np.int64)
    for p0, p1 in parts:
        check_stop(stop)
        _scatter_high(tk, tv, p0, p1, head, low, occ)
