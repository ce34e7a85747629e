"""Clauses cleaned for local search, and literal -> clause occurrence lists.

Shared by the local searches (WalkSAT, the clause-weighting search): repeated
literals are dropped, and each clause is classified as a tautology (always
satisfied), empty (always falsified) or normal. A literal is coded
``2 * var + neg``; the occurrence lists of both polarities of a variable sit
side by side.
"""

from __future__ import annotations

import numpy as np
from numba import njit

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


@njit(cache=True, nogil=True)  # long at 10M variables: the signal-handling thread must run
def _classify(n_vars, indptr, literals):
    """Distinct literal count per clause, and its kind: 0 tautology, 1 normal, 2 empty."""
    m = indptr.size - 1
    stamp = np.full(n_vars, -1, np.int64)
    sign = np.zeros(n_vars, np.int8)
    length = np.zeros(m, np.int64)
    kind = np.zeros(m, np.int8)
    for i in range(m):
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
    return length, kind


@njit(cache=True, nogil=True)  # long at 10M variables: the signal-handling thread must run
def _build(n_vars, indptr, literals, active_idx, cptr, clits, optr, occ):
    """Fill the cleaned clause CSR (literal codes) and the literal -> clause lists.

    The occurrence lists are a stable sort of (code, clause) pairs by code, done
    as a two-pass LSD radix sort: each pass scatters into ~2**11 sequential
    streams, which stays in cache, where a direct scatter into ``occ`` would
    miss on nearly every write at 1M variables.
    """
    stamp = np.full(n_vars, -1, np.int64)
    ma = active_idx.size
    L = clits.size
    owner = np.empty(L, np.int32)
    for a in range(ma):
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
                code = 2 * v + (1 if lit < 0 else 0)
                clits[p] = code
                owner[p] = a
                p += 1
    # counted in a loop of its own: inside the loop above it is ~10x slower
    for p in range(L):
        optr[clits[p] + 1] += 1
    for t in range(2 * n_vars):
        optr[t + 1] += optr[t]
    bits = 1
    while (1 << bits) < 2 * n_vars:
        bits += 1
    low = bits // 2
    mask = (1 << low) - 1
    # pass 1: by the low bits of the code
    cnt = np.zeros((1 << low) + 1, np.int64)
    for p in range(L):
        cnt[(clits[p] & mask) + 1] += 1
    for b in range(1 << low):
        cnt[b + 1] += cnt[b]
    tk = np.empty(L, np.int32)
    tv = np.empty(L, np.int32)
    for p in range(L):
        b = clits[p] & mask
        q = cnt[b]
        tk[q] = clits[p]
        tv[q] = owner[p]
        cnt[b] = q + 1
    # pass 2: by the high bits; the start of each high bucket is optr's
    nb = (2 * n_vars >> low) + 1
    head = np.empty(nb, np.int64)
    for b in range(nb):
        head[b] = optr[min(b << low, 2 * n_vars)]
    for p in range(L):
        b = tk[p] >> low
        q = head[b]
        occ[q] = tv[p]
        head[b] = q + 1
